import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fieldsFromContent, fieldsOf, type FormStep } from '../src/services/intake';
import type { Store } from '../src/services/store';
import { createGraphClient } from '../src/stores/graph';
import { provision } from '../scripts/provision';
import { openPgStore } from '../src/stores/pg-store';
import { openSharePoint } from '../src/stores/sharepoint-store';
import { SqliteStore } from '../src/stores/sqlite-store';
import { contentAt } from './contract/fixtures';
import { type Card, inputs } from './support/cards';
import { createGraphEmulation, emulatorConfig } from './support/graph-emulation';
import { cutConnectionsRandomly, freshSchema } from './support/postgres';
import { type RoundRobin, startRoundRobin } from './support/round-robin';
import { holdWriteLockRandomly } from './support/sqlite-locker';
import {
  activity,
  cardAction,
  Connector,
  PEOPLE,
  post,
  seededRandom,
  startTestBot,
  type TestBot,
  textOf,
  CHECKED,
} from './support/teams';

/**
 * Faults: Teams' service fails 30 % of the requests (throttled, failing, or never answering) while the
 * store fails now and then (SQLite: another writer holds the lock longer than the bot waits; SharePoint:
 * Graph throttles and fails). People keep working as people do — when told to try again, they try again —
 * and in the end every request, decision and message is there once: nothing duplicated, nothing lost,
 * every answer either what they asked for or a clear "try again", and the process never falls over.
 */

const REQUESTERS = 6;
const SEED = 20261123;
/** Both ways the bot says it: a plain notice, or the intake's form kept as typed with the notice on it. */
const UNAVAILABLE =
  /The records are unavailable right now, so (I could not do that\. Nothing you sent is lost|this step is not saved yet\. What you typed is still here)/;
const STEPS: FormStep[] = ['basics', 'work', 'pricing', 'attestations'];

interface Setup {
  readonly store: Store;
  /** Further replicas' own connections to the same store: then requests reach them in turn, through a proxy. */
  readonly replicas?: readonly Store[];
  /** The store's own retries absorb some faults; a SQLite lock held too long reaches people. */
  readonly peopleAreTold: boolean;
  /** Starts the store's faults. */
  startFaults(): Promise<void>;
  stopFaults(): Promise<void>;
}

function scenario(name: string, open: (dir: string) => Promise<Setup>): void {
  describe(name, function () {
    this.timeout(240_000);
    let connector: Connector;
    /** What Teams talks to: the one bot, or the proxy in front of the replicas. */
    let bot: TestBot;
    let bots: TestBot[];
    let proxy: RoundRobin | undefined;
    let setup: Setup;
    let now: Date;
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);

    before(async () => {
      process.on('unhandledRejection', onRejection);
      const dir = mkdtempSync(path.join(tmpdir(), 'microacq-faults-'));
      connector = await Connector.start();
      setup = await open(dir);
      now = new Date();
      bots = [];
      for (const store of [setup.store, ...(setup.replicas ?? [])]) {
        bots.push(await startTestBot({}, { now: () => now, background: false }, { store }));
      }
      const [first] = bots as [TestBot];
      if (bots.length === 1) {
        bot = first;
        return;
      }
      proxy = await startRoundRobin(bots.map((b) => b.server.url));
      // Every replica's clock work runs on each tick; only the one holding the scheduler's lease acts.
      const tick = async () => {
        for (const b of bots) await b.server.tick();
      };
      bot = { ...first, server: { ...first.server, url: proxy.url, tick } };
    });

    after(async () => {
      process.off('unhandledRejection', onRejection);
      await setup.stopFaults();
      for (const b of bots) await b.server.stop();
      await proxy?.close();
      await connector.close();
    });

    /** Never a 5xx, whatever fails underneath. */
    const send = async (body: Record<string, unknown>): Promise<Response> => {
      const res = await post(bot, body);
      assert.ok(res.status < 500, `answered ${res.status}: ${await res.clone().text()}`);
      return res;
    };

    const click = async (from: Person, verb: string, data: Record<string, unknown>): Promise<unknown> => {
      const res = await send(cardAction({ serviceUrl: connector.url, from }, verb, data));
      assert.equal(res.status, 200);
      return ((await res.json()) as { value: unknown }).value;
    };

    /**
     * Does what a person does: acts, and when told the records are unavailable, acts again. Every answer
     * is what they asked for or that clear message; `kept` checks what they typed came back with it.
     */
    const persist = async (
      what: string,
      act: () => Promise<unknown>,
      done: (answer: unknown) => boolean,
      kept: (card: Card) => void = () => undefined,
    ): Promise<unknown> => {
      for (let attempt = 1; attempt <= 40; attempt++) {
        const answer = await act();
        if (done(answer)) return answer;
        assert.match(
          textOf(answer),
          UNAVAILABLE,
          `${what}: not done and not a clear "try again":\n${textOf(answer).slice(0, 600)}`,
        );
        toldToTryAgain++;
        kept(answer as Card);
      }
      throw new Error(`${what} never got through`);
    };

    type Person = { id: string; aadObjectId: string; name: string };
    const requesterOf = (i: number): Person => ({
      id: `29:faults-${i}`,
      aadObjectId: `aad-faults-${i}`,
      name: `Requester ${i}`,
    });
    const references: string[] = [];
    let toldToTryAgain = 0;

    it('registers the channels before anything goes wrong', async () => {
      for (const kind of ['procurement', 'updates']) {
        await send(
          activity(
            'message',
            {
              serviceUrl: connector.url,
              from: PEOPLE.procurement,
              conversationType: 'channel',
              channel: kind,
            },
            { text: `register ${kind}` },
          ),
        );
      }
      await connector.waitFor(2);
    });

    it('takes every request from intake to vetting, telling people clearly when to try again', async () => {
      connector.failRandomly({ rate: 0.3, hangMs: 200, random: seededRandom(SEED) });
      await setup.startFaults();
      const fields = fieldsFromContent(contentAt(now.toISOString()));
      await Promise.all(
        Array.from({ length: REQUESTERS }, async (_, i) => {
          const from = requesterOf(i);
          const title = `Fault-proof request ${i}`;
          await persist(
            `${from.name} starts a request`,
            () => click(from, 'intake.new', {}),
            (answer) => typeof answer === 'string',
          );
          const drafts = await setup.store.listDrafts(from.aadObjectId);
          const draftId = drafts.at(-1)?.id;
          assert.ok(draftId, 'a draft');
          for (const [n, step] of STEPS.entries()) {
            const values = Object.fromEntries(
              fieldsOf(step).map((f) => [f, f === 'title' ? title : (fields[f] ?? '')]),
            );
            await persist(
              `${from.name}: ${step}`,
              () => click(from, 'intake.next', { draftId, step, ...values }),
              (answer) =>
                new RegExp(`Step ${n + 2} of 5`).test(textOf(answer)) && !UNAVAILABLE.test(textOf(answer)),
              (card) => {
                if (step === 'basics') assert.equal(inputs(card).title, title, 'what was typed is kept');
              },
            );
          }
          const confirmation = await persist(
            `${from.name} submits`,
            () => click(from, 'intake.submit', { draftId }),
            (answer) => / submitted/.test(textOf(answer)),
          );
          const reference = /MA-\d{4}-\d{4,}/.exec(textOf(confirmation))?.[0];
          assert.ok(reference);
          references[i] = reference;
          await persist(
            `procurement vets ${reference}`,
            () =>
              click(PEOPLE.procurement, 'decide', { reference, version: 1, action: 'vet_go', ...CHECKED }),
            (answer) => /Done: |You already did this/.test(textOf(answer)),
          );
          // The requester asks where it stands; the answer comes through Teams, or later through the outbox.
          await send(
            activity('message', { serviceUrl: connector.url, from }, { text: `status ${reference}` }),
          );
        }),
      );
      assert.equal(new Set(references.filter(Boolean)).size, REQUESTERS);
      assert.ok(
        connector.sent.some((x) => x.status !== 200),
        'Teams failed some requests',
      );
      if (setup.peopleAreTold) assert.ok(toldToTryAgain > 0, 'the store failed some requests');
    });

    it('delivers every queued message once, through the failures and after them', async () => {
      // Teams keeps failing for a while, then recovers; the store's faults end with it.
      for (let tick = 0; tick < 40; tick++) {
        if (tick === 20) {
          connector.failRandomly(undefined);
          await setup.stopFaults();
        }
        now = new Date(now.getTime() + 15 * 60_000);
        await bot.server.tick().catch(() => undefined);
        if (tick >= 20 && (await setup.store.outboxCounts()).pending === 0) break;
      }
      assert.deepEqual(await setup.store.outboxCounts(), { pending: 0, dead: 0 });

      // A requester told to try again asks again, as persist does for every other step.
      const chatOf = (i: number) => `/v3/conversations/a:chat-personal-${requesterOf(i).aadObjectId}/`;
      for (const [i, reference] of references.entries()) {
        const texts = connector.delivered
          .filter((s) => decodeURIComponent(s.path).startsWith(chatOf(i)))
          .map((s) => textOf(s.body));
        if (texts.some((t) => t.includes(reference) && /Waiting on/.test(t))) continue;
        assert.ok(
          texts.some((t) => UNAVAILABLE.test(t)),
          `"status ${reference}" got an answer or a "try again"`,
        );
        toldToTryAgain++;
        await send(
          activity(
            'message',
            { serviceUrl: connector.url, from: requesterOf(i) },
            { text: `status ${reference}` },
          ),
        );
        await bot.server.tick();
      }

      const seen = new Map<string, number>();
      for (const s of connector.delivered) {
        const key = `${s.method} ${s.path} ${JSON.stringify(s.body.attachments ?? s.body.text)}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      const twice = [...seen].filter(([, n]) => n > 1);
      assert.deepEqual(twice, [], 'nothing reached Teams twice');

      for (const [i, reference] of references.entries()) {
        const chat = chatOf(i);
        const toRequester = connector.delivered.filter((s) => decodeURIComponent(s.path).startsWith(chat));
        const texts = toRequester.map((s) => textOf(s.body));
        assert.equal(
          texts.filter((t) => t.includes(reference) && /Waiting on/.test(t)).length,
          1,
          `the answer to "status ${reference}" reached its requester once`,
        );
        assert.ok(
          texts.some((t) => t.includes(reference) && !/Waiting on/.test(t)),
          `a line about ${reference}`,
        );
      }
      const procurement = connector.delivered.filter((s) =>
        s.path.includes(encodeURIComponent('19:procurement')),
      );
      for (const reference of references) {
        assert.equal(
          // The card's own reference (another request's card may name it as a similar request).
          procurement.filter((s) => s.method === 'POST' && cardReference(s.body) === reference).length,
          1,
          `one card for ${reference} in the procurement channel`,
        );
      }
    });

    it('keeps each request and each decision once, and stays up throughout', async () => {
      const all = await setup.store.query({}, { limit: 100 });
      assert.equal(all.items.length, REQUESTERS);
      for (const o of all.items) {
        const applied = (await setup.store.auditTrail(o.reference)).filter((e) => e.outcome === 'applied');
        assert.deepEqual(
          applied.map((e) => e.action),
          ['submit', 'vet_go'],
          o.reference,
        );
        assert.equal(o.version, 2);
        assert.equal(o.status, 'in_approval');
      }
      assert.deepEqual(await setup.store.pendingNotifications(10), []);
      assert.deepEqual(rejections, [], 'no promise rejection went unhandled');
      assert.equal((await fetch(`${bot.server.url}/readyz`)).status, 200);
    });
  });
}

describe('faults', () => {
  scenario('with the records in SQLite, while another writer holds the lock', async (dir) => {
    const file = path.join(dir, 'bot.db');
    // The bot waits 50 ms for the lock; the other writer holds it 200 ms at a time, half of the time.
    const store = SqliteStore.open(file, { busyTimeoutMs: 50 });
    let locker: Awaited<ReturnType<typeof holdWriteLockRandomly>> | undefined;
    return {
      store,
      peopleAreTold: true,
      startFaults: async () => {
        locker = await holdWriteLockRandomly(file, { busyShare: 0.5, holdMs: 200, seed: SEED });
      },
      stopFaults: async () => {
        await locker?.stop();
        locker = undefined;
      },
    };
  });

  scenario('with two replicas on PostgreSQL, while connections are cut', async () => {
    const { url, schema } = await freshSchema();
    const store = await openPgStore({ connectionString: url, schema });
    const other = await openPgStore({ connectionString: url, schema });
    let cutter: { stop(): Promise<number> } | undefined;
    return {
      store,
      replicas: [other],
      peopleAreTold: false,
      startFaults: async () => {
        cutter = cutConnectionsRandomly(url, { every: 150, share: 0.3, random: seededRandom(SEED) });
      },
      stopFaults: async () => {
        if (!cutter) return;
        const cut = await cutter.stop();
        cutter = undefined;
        assert.ok(cut > 0, 'the database cut some connections');
      },
    };
  });

  scenario('with the records in SharePoint, while Graph throttles and fails', async (dir) => {
    const emulation = createGraphEmulation({ random: seededRandom(SEED) });
    const client = createGraphClient(emulatorConfig(emulation.siteId), (url, init) =>
      emulation.fetch(url, init),
    );
    await provision(client, emulation.siteId, 'Microacq');
    const store = await openSharePoint(
      { client, siteId: emulation.siteId, listPrefix: 'Microacq' },
      SqliteStore.open(path.join(dir, 'bot.db')),
    );
    return {
      store,
      peopleAreTold: false,
      startFaults: async () => {
        emulation.inject({ status: 429, chance: 0.15, retryAfterSeconds: 0 });
        emulation.inject({ status: 503, chance: 0.15 });
      },
      stopFaults: async () => emulation.clearFaults(),
    };
  });
});

/** The request a card is about: the reference its refresh asks for. */
function cardReference(body: { attachments?: { content?: unknown }[] }): unknown {
  const content = body.attachments?.[0]?.content as
    { refresh?: { action?: { data?: { reference?: unknown } } } } | undefined;
  return content?.refresh?.action?.data?.reference;
}
