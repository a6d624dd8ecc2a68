import { strict as assert } from 'node:assert';
import type { SelfIdentification } from '../src/services/applications';
import type { Opportunity } from '../src/services/opportunity';
import type { Actor } from '../src/services/roles';
import type { NewAuditEntry } from '../src/services/store';
import { type Card, find } from './support/cards';
import { applicationAt } from './contract/application-contract';
import { newOpportunity, step, submittedAudit } from './contract/fixtures';
import {
  activity,
  cardOf,
  Connector,
  PEOPLE,
  post,
  startTestBot,
  textOf,
  type TestBot,
  cardAction,
} from './support/teams';
import { CHECKLIST } from './support/opportunities';
import { storePosted } from './support/published';

/** Asking where things stand, over real HTTP: `status`, the reference alone, `mine`, `waiting`, `list`. */

type Who = (typeof PEOPLE)[keyof typeof PEOPLE];
const as = (who: Who, ...roles: ('procurement' | 'finance')[]): Actor => ({
  id: who.aadObjectId,
  name: who.name,
  roles: new Set(roles),
});
const EVERYONE: Actor = {
  id: 'ops',
  name: 'Operations',
  roles: new Set(['procurement', 'finance', 'union']),
};
/** Funds are approved by someone other than who vetted. */
const FUNDS_OFFICER: Actor = { id: 'ops-funds', name: 'Funds officer', roles: new Set(['finance']) };

describe('status and lists in Teams', function () {
  this.timeout(20_000);
  let connector: Connector;
  let bot: TestBot;

  beforeEach(async () => {
    connector = await Connector.start();
    // The fixtures' records are created on 2026-03-02: the bot's clock stands a week later.
    bot = await startTestBot({}, { now: () => new Date('2026-03-09T15:00:00Z'), background: false });
  });
  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  const say = async (text: string, from: Who = PEOPLE.requester, locale = 'en-US'): Promise<Card> => {
    const before = connector.sent.length;
    const res = await post(bot, activity('message', { serviceUrl: connector.url, from, locale }, { text }));
    assert.equal(res.status, 200);
    const sent = await connector.waitFor(before + 1);
    return cardOf(sent[sent.length - 1]);
  };
  const click = async (data: Record<string, unknown>, from: Who = PEOPLE.requester): Promise<Card> => {
    const res = await post(bot, cardAction({ serviceUrl: connector.url, from }, 'list.page', data));
    return ((await res.json()) as { value: Card }).value;
  };
  const pageButton = (card: Card, title: string) =>
    find(card, (n) => n.type === 'Action.Execute' && n.title === title)[0]?.data as
      Record<string, unknown> | undefined;
  const refs = (card: Card) => [...textOf(card).matchAll(/MA-\d{4}-\d{4} · /g)].map((m) => m[0].slice(0, 12));

  let n = 0;
  const seed = async (
    by: Actor = as(PEOPLE.requester),
    moves: [string, object, Actor][] = [],
  ): Promise<Opportunity> => {
    const input = newOpportunity({ requester: by });
    let o = await bot.store.create(input, submittedAudit(input), `seed-${++n}`);
    for (const [action, payload, who] of moves) {
      const { next, audit } = step(o, action as 'vet_go', payload, who);
      o = await bot.store.transition(next, o.version, audit as NewAuditEntry);
    }
    return o;
  };
  const vetted: [string, object, Actor][] = [['vet_go', CHECKLIST, EVERYONE]];
  const funded: [string, object, Actor][] = [
    ...vetted,
    ['approve_funds', { fundReservationNumber: 'FR-9' }, FUNDS_OFFICER],
  ];

  it('shows a request, who it waits on and for how long, to its requester, by reference alone too', async () => {
    const o = await seed();
    for (const text of [`status ${o.reference}`, o.reference, o.reference.toLowerCase()]) {
      const card = await say(text);
      assert.match(textOf(card), new RegExp(`${o.reference} · submitted`));
      assert.match(textOf(card), /Waiting on\nprocurement team/);
      assert.match(textOf(card), /In this state\n5 business days/);
    }
  });

  it('offers the request’s repository as a button, not as a Markdown link', async () => {
    const o = await seed();
    const card = await say(`status ${o.reference}`);
    const link = find(card, (n) => n.type === 'Action.OpenUrl')[0];
    assert.equal(link?.title, 'Repository');
    assert.equal(link?.url, 'https://github.com/example/benefits-form');
  });

  it('answers in French to état, with the same facts', async () => {
    const o = await seed();
    const card = await say(`état ${o.reference}`, PEOPLE.requester, 'fr-CA');
    assert.match(textOf(card), new RegExp(`${o.reference} · soumise`));
    assert.match(textOf(card), /En attente de\néquipe de l’approvisionnement/);
    assert.match(textOf(card), /5 jours ouvrables/);
  });

  it('keeps the fund reservation number for finance and the procurement team', async () => {
    const o = await seed(as(PEOPLE.requester), funded);
    assert.match(textOf(await say(`status ${o.reference}`)), /reservation —/);
    assert.match(textOf(await say(`status ${o.reference}`, PEOPLE.finance)), /reservation FR-9/);
    assert.match(textOf(await say(`status ${o.reference}`, PEOPLE.procurement)), /reservation FR-9/);
    assert.match(textOf(await say(`status ${o.reference}`, PEOPLE.union)), /reservation —/);
  });

  it("shows someone else's request only to the teams that see every request", async () => {
    const o = await seed();
    assert.match(textOf(await say(`status ${o.reference}`, PEOPLE.colleague)), /You cannot see this request/);
    assert.match(textOf(await say(`status ${o.reference}`, PEOPLE.union)), new RegExp(o.reference));
  });

  it('explains an unknown reference, a malformed one, and does not choke on 10 KB or metacharacters', async () => {
    assert.match(textOf(await say('status MA-2026-0999')), /There is no request MA-2026-0999/);
    assert.match(textOf(await say('status hello')), /Say \*\*status\*\* and a reference/);
    assert.match(textOf(await say(`status ${'x'.repeat(10_000)}`)), /Say \*\*status\*\* and a reference/);
    assert.match(textOf(await say("status MA-2026-0001' OR '1'='1")), /Say \*\*status\*\* and a reference/);
  });

  it('pages through my requests ten at a time, forward and back, replacing the card', async () => {
    for (let i = 0; i < 12; i++) await seed();
    await seed(as(PEOPLE.colleague));
    const first = await say('mine');
    assert.equal(refs(first).length, 10);
    assert.match(textOf(first), /Your requests/);
    const second = await click(pageButton(first, 'Next') ?? {});
    assert.equal(refs(second).length, 2);
    assert.equal(new Set([...refs(first), ...refs(second)]).size, 12);
    assert.equal(pageButton(second, 'Next'), undefined);
    const back = await click(pageButton(second, 'Previous') ?? {});
    assert.deepEqual(refs(back), refs(first));
  });

  it('lists, for each role, what waits for it', async () => {
    const submitted = await seed();
    const inApproval = await seed(as(PEOPLE.requester), vetted);
    const fundedOnly = await seed(as(PEOPLE.requester), funded);
    const waiting = async (who: Who) => refs(await say('waiting', who));
    assert.deepEqual((await waiting(PEOPLE.procurement)).includes(submitted.reference), true);
    assert.deepEqual(await waiting(PEOPLE.finance), [inApproval.reference]);
    assert.deepEqual(
      (await waiting(PEOPLE.union)).sort(),
      [fundedOnly.reference, inApproval.reference].sort(),
    );
    assert.match(textOf(await say('waiting', PEOPLE.colleague)), /Nothing waits for you right now/);
    assert.match(textOf(await say('en attente', PEOPLE.colleague, 'fr-CA')), /Rien ne vous attend/);
  });

  it('lists every request, or those in a state named in either language, to the teams', async () => {
    await seed();
    const posted = await seed(as(PEOPLE.requester), vetted);
    assert.deepEqual(refs(await say('list in approval', PEOPLE.procurement)), [posted.reference]);
    assert.deepEqual(refs(await say('liste en approbation', PEOPLE.procurement, 'fr-CA')), [
      posted.reference,
    ]);
    assert.equal(refs(await say('list', PEOPLE.finance)).length, 2);
    assert.match(
      textOf(await say('list sideways', PEOPLE.finance)),
      /I do not know this state\.[^]*\nsideways/,
    );
  });

  it('gives a requester only their own requests from list, saying so', async () => {
    const mine = await seed();
    await seed(as(PEOPLE.colleague));
    const card = await say('list', PEOPLE.requester);
    assert.deepEqual(refs(card), [mine.reference]);
    assert.match(textOf(card), /You see your own requests/);
  });

  it('searches by words, in either language, within what the person may see', async () => {
    const mine = await seed();
    const theirs = await seed(as(PEOPLE.colleague));
    assert.deepEqual(refs(await say('search date picker')).sort(), [mine.reference]);
    assert.deepEqual(
      refs(await say('chercher DATE', PEOPLE.finance, 'fr-CA')).sort(),
      [mine.reference, theirs.reference].sort(),
    );
    const none = await say('search **zebra** [x](https://evil.example)');
    assert.match(textOf(none), /No request matches these words/);
    assert.ok(
      find(none, (n) => n.type === 'TextRun' && String(n.text).includes('evil.example')).length === 1,
    );
    assert.ok(find(none, (n) => n.type === 'TextBlock' && String(n.text).includes('evil')).length === 0);
    assert.match(textOf(await say('search')), /Say \*\*search\*\* and some words/);
    assert.match(
      textOf(await say(`search ${"'; DROP TABLE opportunities; --".repeat(300)}`)),
      /No request matches/,
    );
  });

  it('shows managers the pipeline with its chart, and keeps it from requesters', async () => {
    await seed();
    await seed(as(PEOPLE.requester), vetted);
    await seed(as(PEOPLE.requester), funded);
    const card = await say('summary', PEOPLE.manager);
    assert.match(textOf(card), /Pipeline on Monday, March 9, 2026/);
    assert.match(textOf(card), /3 open requests worth \$12,000\.00; 0 closed\./);
    const image = find(card, (n) => n.type === 'Image')[0];
    assert.match(String(image?.url), /^data:image\/png;base64,/);
    assert.match(String(image?.altText), /1 Pre-contractual: 3/);
    // Vetted on 2026-03-02 and still waiting on finance a week later: past the 2-day reminder threshold.
    assert.match(
      textOf(card),
      /MA-2026-0002 · .* · the funds decision \(s\. 32\) · finance · 5 business days/,
    );
    assert.ok(Buffer.byteLength(JSON.stringify(card)) < 28 * 1024);
    const fr = await say('sommaire', PEOPLE.manager, 'fr-CA');
    assert.match(textOf(fr), /Portrait au lundi 9 mars 2026/);
    assert.match(textOf(await say('summary')), /The pipeline is for managers/);
  });

  it('counts unique bidders on the summary and shows a self-identification share only once enough answered, in English and French', async () => {
    /** A closed and a posted opportunity, and their applications: Ana twice (her address in two cases), Bo, and Cy who never confirmed. */
    const seedApplications = async () => {
      const closed = await storePosted(bot.store, (p) => ({
        status: 'closed',
        timeline: { ...p.timeline, closed: '2026-03-06T15:00:00.000Z' },
      }));
      const posted = await storePosted(bot.store);
      let minute = 0;
      const apply = async (email: string, reference: string, answers: SelfIdentification, confirm = true) => {
        const outcome = await bot.store.submitApplication(
          applicationAt(email, ++minute, { reference }),
          answers,
          100,
        );
        assert.equal(outcome.outcome, 'created');
        if (confirm && outcome.outcome === 'created')
          await bot.store.confirmApplication(outcome.application.id, 1, '2026-03-05T15:00:00.000Z');
      };
      await apply('Ana@Example.com', closed.reference, { newToGovernment: 'yes', outsideNcr: 'yes' });
      await apply('ana@example.com', posted.reference, { newToGovernment: 'no' });
      await apply('bo@example.com', closed.reference, { newToGovernment: 'no', outsideNcr: 'unsaid' });
      await apply('cy@example.com', closed.reference, { newToGovernment: 'yes', outsideNcr: 'no' }, false);
    };
    const factsOf = (card: Card) =>
      Object.fromEntries(
        find(card, (n) => n.type === 'FactSet')
          .flatMap((set) => set.facts as { title: string; value: string }[])
          .map((f) => [f.title, f.value]),
      );

    // By default a question needs 10 answers: the 3 who said yes or no to the first are not shown.
    await seedApplications();
    let facts = factsOf(await say('summary', PEOPLE.manager));
    assert.equal(facts['Unique bidders'], '2 (target: more than 10) — not met');
    // The closed opportunity's 2 confirmed applications; the posted one's wait for its close.
    assert.equal(facts['Applications per opportunity'], '2 (target: more than 1) — met');
    assert.equal(facts['New to government'], 'fewer than 10 answers');
    assert.ok(!JSON.stringify(facts).includes('33'), 'no share below the minimum');

    await bot.server.stop();
    bot = await startTestBot(
      { SELF_IDENTIFICATION_MIN_COUNT: '3' },
      { now: () => new Date('2026-03-09T15:00:00Z'), background: false },
    );
    await seedApplications();
    facts = factsOf(await say('summary', PEOPLE.manager));
    // 1 yes and 2 no: 3 answered, the minimum; 1 said yes to living outside the region and 1 would not say.
    assert.equal(facts['New to government'], '33% yes, of 3 who answered');
    assert.equal(facts['Outside the National Capital Region'], 'fewer than 3 answers');
    assert.equal(facts['Employment equity group'], 'fewer than 3 answers');
    assert.equal(facts['Passed the evaluation'], 'not measured yet');
    const fr = factsOf(await say('sommaire', PEOPLE.manager, 'fr-CA'));
    assert.equal(fr['Soumissionnaires distincts'], '2 (cible : plus de 10) — non atteinte');
    assert.equal(fr['Nouveaux au gouvernement'], '33 % de oui, sur 3 réponses');
    assert.equal(fr['Hors de la région de la capitale nationale'], 'moins de 3 réponses');
  });

  it('finds requests from the compose box and offers their read-only cards to insert', async () => {
    const mine = await seed(as(PEOPLE.requester), vetted);
    const theirs = await seed(as(PEOPLE.colleague));
    const compose = async (value: string, from: Who = PEOPLE.requester) => {
      const res = await post(
        bot,
        activity(
          'invoke',
          { serviceUrl: connector.url, from },
          {
            name: 'composeExtension/query',
            value: { commandId: 'findRequest', parameters: [{ name: 'query', value }] },
          },
        ),
      );
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        composeExtension: { attachments: { content: Card; preview: { content: { title: string } } }[] };
      };
      return body.composeExtension.attachments;
    };
    const found = await compose('date picker');
    assert.deepEqual(
      found.map((a) => a.preview.content.title.slice(0, 12)),
      [mine.reference],
    );
    const card = found[0]?.content ?? {};
    // Inserted into a conversation everyone there reads: both languages, the work behind Details, and
    // nothing beyond the work (no contact, no attestation) whoever inserts it.
    assert.match(textOf(card), new RegExp(`${mine.reference} · in approval / en approbation`));
    const details = find(card, (n) => n.type === 'Action.ShowCard').map((n) => n.title);
    assert.deepEqual(details, ['Details', 'Détails']);
    assert.ok(textOf(card).includes(mine.background));
    assert.ok(!textOf(card).includes(mine.client.contactEmail));
    assert.equal(
      find(card, (n) => n.verb === 'decide').length,
      0,
      'an inserted card has no buttons to decide',
    );
    assert.equal((await compose(theirs.reference)).length, 0);
    assert.equal((await compose(theirs.reference, PEOPLE.procurement)).length, 1);
    assert.equal((await compose('')).length, 1);
  });

  it('starts again from the first page when a paging button carries a cursor it did not issue', async () => {
    await seed();
    const card = await click({ kind: 'mine', cursor: 'forged', trail: '[]' });
    assert.equal(refs(card).length, 1);
    const bad = await click({ kind: 'mine', trail: '{not json' });
    assert.match(textOf(bad), /no longer available/);
  });
});
