import assert from 'node:assert/strict';
import { provision } from '../../scripts/provision';
import { type Opportunity, type Status } from '../../src/services/opportunity';
import { everyRecord, type OpportunityFilter, type Store } from '../../src/services/store';
import { createGraphClient } from '../../src/stores/graph';
import { itemFields, openSharePoint } from '../../src/stores/sharepoint-store';
import { SqliteStore } from '../../src/stores/sqlite-store';
import { actor, newOpportunity, step, submittedAudit } from '../contract/fixtures';
import {
  createGraphEmulation,
  DEFAULT_LIST_VIEW_THRESHOLD_ERROR,
  emulatorConfig,
  type GraphEmulation,
  type GraphErrorShape,
} from '../support/graph-emulation';
import { type Card, find } from '../support/cards';
import {
  activity,
  cardAction,
  cardOf,
  Connector,
  PEOPLE,
  post,
  startTestBot,
  textOf,
} from '../support/teams';

/**
 * A department's lists after years of use, on an emulation that applies SharePoint's list view threshold
 * as strictly as it is documented: every query the bot's commands make still answers, with the right
 * records in the right order, and none is refused for passing the threshold — except the one probe that
 * finds a status too full to lead with, after which the store reads that status by blocks.
 */

const SITE =
  'contoso.sharepoint.com,6d1f0c1e-1111-4a2f-9c1a-1f2e3d4c5b6a,2a1c2b3a-2222-6d7c-8b9a-0a1b2c3d4e5f';
const RECORDS = 100_000;
const PER_YEAR = 33_334;
const YEARS = [2024, 2025, 2026];
const ME = PEOPLE.requester.aadObjectId;
/** 5,556 requests waiting in one status: more than the threshold lets a query lead with. */
const isBacklog = (i: number) => i % 18 === 0;

function placeOf(i: number): { year: number; number: number } {
  return { year: (YEARS[Math.floor(i / PER_YEAR)] ?? 2026) as number, number: (i % PER_YEAR) + 1 };
}

function statusOf(i: number): Status {
  if (isBacklog(i)) return 'submitted';
  if (i % 1000 === 1) return 'posted';
  if (i % 1000 === 2) return 'in_approval';
  return i % 10 === 3 ? 'cancelled' : 'paid';
}

const referenceOf = (i: number) => {
  const { year, number } = placeOf(i);
  return `MA-${year}-${String(number).padStart(4, '0')}`;
};

/** Index of a reference among the seeded records, newest first: the order every query must keep. */
const newestFirst = (keep: (i: number) => boolean) => {
  const out: string[] = [];
  for (let i = RECORDS - 1; i >= 0; i--) if (keep(i)) out.push(referenceOf(i));
  return out;
};

const THRESHOLD_ANSWERS: [string, GraphErrorShape][] = [
  ['refused with 400, as reported for Graph', DEFAULT_LIST_VIEW_THRESHOLD_ERROR],
  [
    'refused with 429, as also reported',
    { status: 429, code: 'activityLimitReached', message: 'The request has been throttled' },
  ],
  [
    'refused with 500, as SharePoint’s own API does',
    {
      status: 500,
      code: 'generalException',
      message: 'The attempted operation is prohibited because it exceeds the list view threshold.',
    },
  ],
];

describe('SharePointStore with 100,000 records past the list view threshold', function () {
  this.timeout(240_000);
  let emulation: GraphEmulation;
  let store: Store;

  before(async () => {
    emulation = createGraphEmulation({ siteId: SITE });
    const client = createGraphClient(emulatorConfig(SITE), (url, init) => emulation.fetch(url, init));
    await provision(client, SITE, 'Microacq');
    const template = newOpportunity({ at: '2024-01-01T00:00:00.000Z' }) as Omit<
      Opportunity,
      'reference' | 'version'
    >;
    emulation.seedItems('Microacq Opportunities', RECORDS, (i) => {
      const { year, number } = placeOf(i);
      const createdAt = new Date(Date.UTC(year, 0, 1) + number * 5 * 60_000).toISOString();
      const record = {
        ...template,
        reference: referenceOf(i),
        version: 1,
        status: statusOf(i),
        createdAt,
        updatedAt: createdAt,
        title: i === 4_321 ? 'Okapi migration tool' : `Widget ${i}`,
        requester: { aadObjectId: i % 5_000 === 7 ? ME : `aad-user-${i % 400}`, name: 'Someone' },
        client: { ...template.client, branch: `Branch ${i % 50}` },
      } as Opportunity;
      return itemFields(record, `seed-${i}`);
    });
    emulation.seedItems('Microacq Counters', YEARS.length, (i) => ({
      Title: `opportunities-${YEARS[i]}`,
      CounterKey: `opportunities-${YEARS[i]}`,
      Value: i === YEARS.length - 1 ? RECORDS - 2 * PER_YEAR : PER_YEAR,
    }));
    // Every record's first audit entry, and more: the audit list passes the threshold first.
    emulation.seedItems('Microacq Audit', RECORDS, (i) => {
      const entry = {
        ...submittedAudit(template as Opportunity),
        id: `${referenceOf(i)}:v1`,
        reference: referenceOf(i),
      };
      return {
        Title: 'submit',
        EntryId: entry.id,
        Reference: entry.reference,
        At: entry.at,
        ActorId: entry.actor.aadObjectId,
        ActorName: entry.actor.name,
        Action: 'submit',
        ToStatus: 'submitted',
        Outcome: 'applied',
        Entry: JSON.stringify(entry),
      };
    });
  });

  const open = async (answer: GraphErrorShape): Promise<Store> => {
    emulation.answerOverThreshold(answer);
    const client = createGraphClient(emulatorConfig(SITE), (url, init) => emulation.fetch(url, init));
    return openSharePoint({ client, siteId: SITE, listPrefix: 'Microacq' }, SqliteStore.open(':memory:'));
  };

  /** The first `pages` pages of a query, each of `limit`. */
  const pages = async (filter: OpportunityFilter, limit: number, count: number) => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < count; n++) {
      const page = await store.query(filter, { limit, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((o) => o.reference));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    return seen;
  };

  for (const [how, answer] of THRESHOLD_ANSWERS) {
    describe(`with queries past the threshold ${how}`, () => {
      before(async () => {
        store = await open(answer);
      });
      beforeEach(() => emulation.resetLog());
      after(async () => store.close());

      it('lists every request, newest first, page after page (list, summary, export)', async () => {
        const all = newestFirst(() => true);
        assert.deepEqual(await pages({}, 10, 3), all.slice(0, 30));
        // Across a block and a year: 1,000 records of 2026's first block, then 2025's last ones.
        const walk: string[] = [];
        for await (const o of everyRecord(store, {}, 100)) {
          walk.push(o.reference);
          if (walk.length === 1_300) break;
        }
        assert.deepEqual(walk, all.slice(0, 1_300));
        assert.deepEqual(emulation.overThreshold, []);
      });

      it('lists a final status that holds most of the list (list paid)', async () => {
        assert.deepEqual(
          await pages({ statuses: ['paid'] }, 10, 3),
          newestFirst((i) => statusOf(i) === 'paid').slice(0, 30),
        );
        assert.deepEqual(emulation.overThreshold, []);
      });

      it('lists a status 5,556 requests wait in, reading it by blocks once SharePoint refuses it as a lead', async () => {
        const expected = newestFirst(isBacklog);
        assert.deepEqual(await pages({ statuses: ['submitted'] }, 10, 3), expected.slice(0, 30));
        const probes = emulation.overThreshold.length;
        assert.ok(probes >= 1, 'the status is refused as a lead');
        // Remembered: the next pages do not ask again.
        assert.deepEqual(await pages({ statuses: ['submitted'] }, 10, 2), expected.slice(0, 20));
        assert.equal(emulation.overThreshold.length, probes);
      });

      it('lists a status few requests are in with one request (list posted)', async () => {
        const posted = await store.query({ statuses: ['posted'] }, { limit: 10 });
        assert.deepEqual(
          posted.items.map((o) => o.reference),
          newestFirst((i) => statusOf(i) === 'posted').slice(0, 10),
        );
        assert.equal(emulation.requests.length, 1);
        assert.deepEqual(emulation.overThreshold, []);
      });

      it('lists what waits on someone, across the statuses in progress (waiting, reminders)', async () => {
        const inProgress = ['submitted', 'posted', 'in_approval'] as Status[];
        const expected = newestFirst((i) => inProgress.includes(statusOf(i)));
        assert.deepEqual(await pages({ statuses: inProgress }, 10, 2), expected.slice(0, 20));
        const probes = emulation.overThreshold.length;
        assert.deepEqual(await pages({ statuses: inProgress }, 10, 1), expected.slice(0, 10));
        assert.equal(emulation.overThreshold.length, probes);
      });

      it('lists one person’s requests, and those in one status (mine, mine paid)', async () => {
        assert.deepEqual(
          await pages({ requesterId: ME }, 10, 5),
          newestFirst((i) => i % 5_000 === 7),
        );
        assert.deepEqual(
          await pages({ requesterId: ME, statuses: ['paid'] }, 10, 5),
          newestFirst((i) => i % 5_000 === 7 && statusOf(i) === 'paid'),
        );
        assert.deepEqual(emulation.overThreshold, []);
      });

      it('searches the whole list by words, and within one person’s requests (search, compose box)', async () => {
        // A word most records hold; a rare one, which reads the whole list, is searched through the bot below.
        assert.deepEqual(
          await pages({ text: 'widget' }, 10, 2),
          newestFirst((i) => i !== 4_321).slice(0, 20),
        );
        assert.deepEqual(
          (await store.query({ requesterId: ME, text: 'widget' }, { limit: 3 })).items.map(
            (o) => o.reference,
          ),
          newestFirst((i) => i % 5_000 === 7).slice(0, 3),
        );
        assert.deepEqual(emulation.overThreshold, []);
      });

      it('looks for a rare word a bounded part of the list at a time, and finds it by going on', async () => {
        const found: string[] = [];
        let cursor: string | undefined;
        let calls = 0;
        do {
          emulation.resetLog();
          const page = await store.query({ text: 'okapi' }, { limit: 10, ...(cursor ? { cursor } : {}) });
          calls += 1;
          found.push(...page.items.map((o) => o.reference));
          cursor = page.nextCursor;
          // The counters list and two blocks at most: a turn is never held by the whole list.
          const sent = emulation.requests.filter((r) => r.batchedIn === undefined).length;
          assert.ok(sent <= 3, `${sent} requests`);
        } while (cursor && calls < 100);
        assert.deepEqual(found, [referenceOf(4_321)]);
        assert.ok(calls > 1);
        assert.deepEqual(emulation.overThreshold, []);
      });

      it('reads the last twelve months of every branch (the contract-splitting look-back)', async () => {
        const since = '2026-03-01T00:00:00.000Z';
        const expected = newestFirst((i) => {
          const { year, number } = placeOf(i);
          return year === 2026 && Date.UTC(year, 0, 1) + number * 5 * 60_000 >= Date.parse(since);
        });
        assert.deepEqual(await pages({ createdSince: since }, 100, 3), expected.slice(0, 300));
        assert.deepEqual(emulation.overThreshold, []);
      });

      it('reads one request and its trail from lists of 100,000 items (status MA-…, history)', async () => {
        const reference = referenceOf(50_000);
        assert.equal((await store.get(reference))?.reference, reference);
        assert.deepEqual(
          (await store.auditTrail(reference)).map((e) => e.action),
          ['submit'],
        );
        assert.deepEqual(emulation.overThreshold, []);
      });
    });
  }

  describe('through the bot, command by command', () => {
    let connector: Connector;
    let bot: Awaited<ReturnType<typeof startTestBot>>;
    before(async () => {
      store = await open(DEFAULT_LIST_VIEW_THRESHOLD_ERROR);
      connector = await Connector.start();
      bot = await startTestBot(
        {},
        { now: () => new Date('2026-11-20T15:00:00Z'), background: false },
        { store },
      );
    });
    after(async () => {
      await bot.server.stop();
      await connector.close();
    });

    const say = async (text: string, from: (typeof PEOPLE)[keyof typeof PEOPLE]) => {
      const before = connector.sent.length;
      const res = await post(bot, activity('message', { serviceUrl: connector.url, from }, { text }));
      assert.equal(res.status, 200);
      const sent = await connector.waitFor(before + 1);
      return textOf(cardOf(sent[sent.length - 1]));
    };
    const refs = (text: string) => [...text.matchAll(/MA-\d{4}-\d{4,}(?= · )/g)].map((m) => m[0]);

    for (const [command, from, expected] of [
      ['list', PEOPLE.procurement, () => newestFirst(() => true).slice(0, 10)],
      ['list paid', PEOPLE.procurement, () => newestFirst((i) => statusOf(i) === 'paid').slice(0, 10)],
      ['list submitted', PEOPLE.procurement, () => newestFirst(isBacklog).slice(0, 10)],
      ['mine', PEOPLE.requester, () => newestFirst((i) => i % 5_000 === 7).slice(0, 10)],
      [`status ${referenceOf(77_777)}`, PEOPLE.procurement, () => [referenceOf(77_777)]],
    ] as const) {
      it(`answers “${command}” with the right requests`, async () => {
        emulation.resetLog();
        const text = await say(command, from);
        assert.doesNotMatch(text, /busy|try again/i);
        assert.deepEqual(refs(text), expected());
        assert.ok(emulation.overThreshold.length <= 3, 'at most one probe of a lead, retried');
      });
    }

    it('answers “search” for a rare word part by part: none among the most recent yet, then Next finds it', async () => {
      const res = await post(
        bot,
        activity(
          'message',
          { serviceUrl: connector.url, from: PEOPLE.procurement },
          { text: 'search okapi' },
        ),
      );
      assert.equal(res.status, 200);
      let card = cardOf((await connector.waitFor(1)).at(-1));
      assert.match(textOf(card), /None found among the most recent requests yet/);
      let clicks = 0;
      while (refs(textOf(card)).length === 0 && clicks < 40) {
        const data = find(card, (n) => n.type === 'Action.Execute' && n.title === 'Next')[0]?.data;
        assert.ok(data, 'a Next button goes on');
        const answer = await post(
          bot,
          cardAction(
            { serviceUrl: connector.url, from: PEOPLE.procurement },
            'list.page',
            data as Record<string, unknown>,
          ),
        );
        card = ((await answer.json()) as { value: Card }).value;
        clicks += 1;
      }
      assert.deepEqual(refs(textOf(card)), [referenceOf(4_321)]);
      assert.ok(clicks > 1);
    });

    it('answers “waiting” to procurement with what waits on them', async () => {
      const text = await say('waiting', PEOPLE.procurement);
      assert.doesNotMatch(text, /busy|try again/i);
      assert.ok(refs(text).length > 0);
      assert.ok(refs(text).every((r) => newestFirst(isBacklog).includes(r)));
    });
  });

  describe('writing', () => {
    before(async () => {
      store = await open(DEFAULT_LIST_VIEW_THRESHOLD_ERROR);
      emulation.resetLog();
    });
    after(async () => store.close());

    it('takes a new request and a decision on it, and lists it first', async () => {
      const record = newOpportunity({ at: '2026-11-20T10:00:00.000Z', requester: actor(ME) });
      const created = await store.create(record, submittedAudit(record), 'new');
      const { next, audit } = step(created, 'vet_go');
      await store.transition(next, 1, audit);
      assert.equal((await store.query({}, { limit: 1 })).items[0]?.reference, created.reference);
      assert.equal((await store.query({ requesterId: ME }, { limit: 1 })).items[0]?.status, 'in_approval');
      assert.deepEqual(emulation.overThreshold, []);
    });
  });
});
