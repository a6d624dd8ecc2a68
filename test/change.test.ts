import { strict as assert } from 'node:assert';
import { applyChange, type ChangeOutcome, type ChangePorts } from '../src/services/change';
import { ACTIONS, type ActionName, offeredNow, specOf } from '../src/services/lifecycle';
import type { Opportunity, Status } from '../src/services/opportunity';
import { type Actor, type ConfiguredRole, SYSTEM_ACTOR } from '../src/services/roles';
import { ConcurrencyError } from '../src/services/store';
import { SqliteStore } from '../src/stores/sqlite-store';
import {
  clock,
  content,
  INVOICE,
  NOW,
  PAYLOAD,
  payloadFor,
  person,
  REQUESTER,
  submitted,
  TERMS,
} from './support/opportunities';

/**
 * The first decision wins, for every pair of actions one version of a request can offer: taken by two
 * people or by one, one after the other from the same card, or at the same moment. A later click from the
 * same card stands only when the change before it left the request in its status and was about another
 * part of it: finance decides the funds while the union is consulted and procurement confirms the
 * translation. Posting and cancelling are about the whole request. The same person's same click counts
 * once.
 */

/** The decisions that leave a request in its status (the process map's "="). */
const KEEPS_STATUS: readonly ActionName[] = [
  'amend_dates',
  'extend_applications',
  'record_evaluation',
  'reassign_evaluation',
  'approve_funds',
  'acknowledge',
  'raise_concern',
  'answer_concern',
  'translate',
  'confirm_translation',
  'record_question',
  'extend',
  'sign_terms',
  'record_invoice',
  'reassign_decision',
];
/**
 * The parts of a request a decision is about; posting and cancelling are about all of it. A lead's
 * reassignment changes who takes any pending decision, so a card shown before it is judged again.
 */
const PART: Partial<Record<ActionName, string | readonly string[]>> = {
  // Vetting judges the request as submitted, dates included.
  vet_go: 'dates',
  vet_no_go: 'dates',
  request_edits: 'dates',
  amend_dates: 'dates',
  extend_applications: 'dates',
  record_evaluation: 'evaluation',
  reassign_evaluation: 'evaluation',
  select_supplier: 'evaluation',
  no_award: 'evaluation',
  approve_funds: 'funds',
  reject_funds: 'funds',
  request_funds_changes: 'funds',
  acknowledge: 'consultation',
  raise_concern: 'consultation',
  answer_concern: 'consultation',
  translate: 'translation',
  confirm_translation: 'translation',
  record_question: 'questions',
  extend: 'delivery date',
  terminate: 'delivery date',
  agree_termination: 'delivery date',
  sign_terms: 'terms',
  countersign_terms: 'terms',
  record_invoice: 'invoice',
  certify: 'invoice',
  pay: 'payment',
  reassign_decision: ['dates', 'funds', 'consultation', 'invoice', 'payment'],
  post: 'everything',
  cancel: 'everything',
};

/** Whether `later`, from the card `earlier` was taken on, still stands once `earlier` is applied. */
function stands(earlier: ActionName, later: ActionName): boolean {
  const [a, b] = [[PART[earlier] ?? []].flat(), [PART[later] ?? []].flat()];
  return KEEPS_STATUS.includes(earlier) && !b.includes('everything') && !a.some((part) => b.includes(part));
}

const VETTER = person('vetter', 'procurement');
const PROPOSED: Opportunity['delivery'] = {
  revisionsRequested: 0,
  termination: {
    kind: 'convenience',
    percentComplete: 50,
    amountCents: 200_000,
    proposedBy: { aadObjectId: 'proc-1', name: 'Priya' },
    proposedAt: NOW,
  },
};
/** A lead of every team, holding its roles too. */
const lead = (id: string): Actor => ({
  ...person(id, 'procurement', 'finance', 'union'),
  leads: new Set(['procurement', 'finance', 'union'] as const),
});
const CERTIFIER = person('certifier', 'finance');

/** One version of a request, in each shape where several actions are offered at once. */
function versions(): { name: string; record: Omit<Opportunity, 'reference' | 'version'> }[] {
  const base = submitted();
  const at = (status: Status, patch: Partial<Opportunity> = {}) => ({
    ...base,
    status,
    vettedBy: { aadObjectId: VETTER.id, name: VETTER.name },
    selection: { ...base.selection, applications: 4, passed: 2 },
    ...patch,
  });
  const approval = (patch: Partial<Opportunity>) =>
    at('in_approval', {
      consultation: { status: 'open', closesOn: '2026-11-30' },
      ...patch,
    });
  return [
    { name: 'submitted', record: at('submitted') },
    { name: 'sent back for changes', record: at('changes_requested') },
    { name: 'in approval, nothing decided yet', record: approval({}) },
    {
      name: 'in approval, a concern raised',
      record: approval({ consultation: { status: 'concern_raised', concern: 'In-house skills' } }),
    },
    {
      name: 'in approval, ready to post',
      record: approval({
        finance: { fundsStatus: 'approved', fundReservationNumber: 'FR-1' },
        consultation: { status: 'acknowledged' },
        translationConfirmed: true,
      }),
    },
    { name: 'posted', record: at('posted') },
    { name: 'closed, two passed', record: at('closed') },
    {
      name: 'closed, applicants being marked',
      record: at('closed', { selection: { ...base.selection, applications: undefined, passed: undefined } }),
    },
    { name: 'closed, nobody passed', record: at('closed', { selection: { ...base.selection, passed: 0 } }) },
    {
      name: 'supplier selected',
      record: at('supplier_selected', {
        selection: { ...base.selection, passed: 2, supplierName: 'Applicant A' },
      }),
    },
    {
      name: 'supplier selected, terms recorded',
      record: at('supplier_selected', {
        selection: { ...base.selection, passed: 2, supplierName: 'Applicant A' },
        terms: TERMS,
      }),
    },
    { name: 'in progress', record: at('in_progress') },
    {
      name: 'in progress, a termination for convenience proposed',
      record: at('in_progress', { delivery: PROPOSED }),
    },
    { name: 'delivered', record: at('delivered') },
    { name: 'accepted', record: at('accepted') },
    {
      name: 'accepted, invoice recorded',
      record: at('accepted', {
        finance: { fundsStatus: 'approved', fundReservationNumber: 'FR-1', invoice: INVOICE },
      }),
    },
    {
      name: 'certified',
      record: at('certified', {
        finance: {
          fundsStatus: 'approved',
          section34Certifier: { aadObjectId: CERTIFIER.id, name: CERTIFIER.name },
        },
      }),
    },
  ];
}

/** Two people per role; the requester is one person. */
const PEOPLE: Record<ConfiguredRole | 'lead' | 'requester', readonly [Actor, Actor]> = {
  requester: [REQUESTER, REQUESTER],
  procurement: [person('proc-1', 'procurement'), person('proc-2', 'procurement')],
  finance: [person('fin-1', 'finance'), person('fin-2', 'finance')],
  union: [person('union-1', 'union'), person('union-2', 'union')],
  manager: [person('mgr-1', 'manager'), person('mgr-2', 'manager')],
  lead: [lead('lead-1'), lead('lead-2')],
};
/** Someone holding and leading every team's role (never the requester): one person who may take either action. */
const EVERY_ROLE = lead('all-roles');

/** Who takes `action`: the first role it names that a person holds (the requester only if none). */
function roleOf(action: ActionName): ConfiguredRole | 'lead' | 'requester' {
  const roles = specOf(action).roles.filter((r) => r !== 'system');
  return (roles.find((r) => r !== 'requester') ?? 'requester') as ConfiguredRole | 'lead' | 'requester';
}

interface Pair {
  readonly version: string;
  readonly record: Omit<Opportunity, 'reference' | 'version'>;
  readonly a: ActionName;
  readonly b: ActionName;
  readonly byA: Actor;
  readonly byB: Actor;
  readonly samePerson: boolean;
}

function pairs(): Pair[] {
  const out: Pair[] = [];
  for (const { name, record } of versions()) {
    const offered = ACTIONS.filter(
      (a) =>
        specOf(a).from.includes(record.status) &&
        !specOf(a).roles.every((r) => r === 'system') &&
        offeredNow({ ...record, reference: 'MA-2026-0001', version: 1 }, a),
    );
    for (const a of offered) {
      for (const b of offered) {
        const [first, second] = [roleOf(a), roleOf(b)];
        // Two people: the second of a role when both actions are that role's.
        const byA = PEOPLE[first][0];
        const byB = first === second ? PEOPLE[second][1] : PEOPLE[second][0];
        if (byA.id !== byB.id) out.push({ version: name, record, a, b, byA, byB, samePerson: false });
        // One person: the requester for the requester's own actions, else someone with every role.
        const requesterOnly = first === 'requester' || second === 'requester';
        if (requesterOnly && first !== second) continue;
        const one = requesterOnly ? REQUESTER : EVERY_ROLE;
        out.push({ version: name, record, a, b, byA: one, byB: one, samePerson: true });
      }
    }
  }
  return out;
}

/** What the process allows the second of two clicks on one card version, `first` having won. */
function expected(p: Pair, first: ActionName = p.a): ChangeOutcome['kind'] {
  const second = first === p.a ? p.b : p.a;
  if (p.a === p.b && p.samePerson) return 'duplicate';
  return stands(first, second) ? 'applied' : 'decided';
}

describe('the first decision wins, for every pair of actions on one card version', function () {
  this.timeout(60_000);
  let store: SqliteStore;
  let ports: ChangePorts;
  let n = 0;

  beforeEach(() => {
    store = SqliteStore.open(':memory:');
    ports = { store, notify: async () => undefined, clock: () => clock(NOW) };
  });
  afterEach(() => store.close());

  const seed = async (record: Pair['record']): Promise<Opportunity> =>
    store.create(
      record as Parameters<SqliteStore['create']>[0],
      { at: NOW, actor: record.requester, action: 'submit', to: 'submitted', outcome: 'applied' },
      `seed-${++n}`,
    );
  const click = (o: Opportunity, action: ActionName, actor: Actor) =>
    applyChange(ports, {
      kind: 'decide',
      actor,
      reference: o.reference,
      action,
      payload: payloadFor(o, action),
      seenVersion: o.version,
    });

  const all = pairs();

  it('covers every action a card can offer, by two people and by one', () => {
    const covered = new Set(all.flatMap((p) => [p.a, p.b]));
    assert.deepEqual(
      ACTIONS.filter((a) => !covered.has(a) && !specOf(a).roles.includes('system')),
      [],
    );
    assert.ok(all.some((p) => p.samePerson) && all.some((p) => !p.samePerson));
    assert.ok(all.length > 150, `${all.length} pairs`);
  });

  it('one after the other from the same card: the second click gets what the process allows', async () => {
    const wrong: string[] = [];
    for (const p of all) {
      const o = await seed(p.record);
      const first = await click(o, p.a, p.byA);
      const second = await click(o, p.b, p.byB);
      const who = p.samePerson ? 'one person' : 'two people';
      if (first.kind !== 'applied') wrong.push(`${p.version}: ${p.a} first (${who}) was ${first.kind}`);
      else if (second.kind !== expected(p))
        wrong.push(`${p.version}: ${p.a} then ${p.b} (${who}) gave ${second.kind}, not ${expected(p)}`);
      const trail = (await store.auditTrail(o.reference)).filter((e) => e.outcome === 'applied');
      const applied = expected(p) === 'applied' ? 2 : 1;
      if (first.kind === 'applied' && trail.length !== 1 + applied)
        wrong.push(`${p.version}: ${p.a} then ${p.b} (${who}) applied ${trail.length - 1} changes`);
    }
    assert.deepEqual(wrong, []);
  });

  it('at the same moment: what one of the two orders allows, and every applied click on record', async () => {
    const wrong: string[] = [];
    for (const p of all) {
      const o = await seed(p.record);
      const outcomes = await Promise.all([click(o, p.a, p.byA), click(o, p.b, p.byB)]);
      const kinds = outcomes
        .map((x) => x.kind)
        .sort()
        .join();
      const allowed = [p.a, p.b].map((first) => ['applied', expected(p, first)].sort().join());
      const who = p.samePerson ? 'one person' : 'two people';
      if (!allowed.includes(kinds))
        wrong.push(`${p.version}: ${p.a} with ${p.b} (${who}) gave ${kinds}, not ${allowed.join(' or ')}`);
      const applied = outcomes.filter((x) => x.kind === 'applied').length;
      const trail = (await store.auditTrail(o.reference)).filter((e) => e.outcome === 'applied');
      if (trail.length !== 1 + applied)
        wrong.push(
          `${p.version}: ${p.a} with ${p.b} (${who}): ${applied} applied, ${trail.length - 1} on record`,
        );
    }
    assert.deepEqual(wrong, []);
  });

  it('tells the later click who decided first, what and when', async () => {
    const o = await seed(versions()[2]?.record as Pair['record']);
    await click(o, 'approve_funds', PEOPLE.finance[0]);
    const late = await click(o, 'reject_funds', PEOPLE.finance[1]);
    assert.equal(late.kind, 'decided');
    assert.ok(late.kind === 'decided');
    assert.deepEqual(
      [late.first.action, late.first.actor.aadObjectId, late.first.at],
      ['approve_funds', 'fin-1', NOW],
    );
    assert.equal(late.record.finance.fundsStatus, 'approved');
    assert.equal(late.record.status, 'in_approval');
  });
});

describe('the change path', () => {
  let store: SqliteStore;
  let notified: { reference: string; events: string[] }[];
  let ports: ChangePorts;
  let n = 0;

  beforeEach(() => {
    store = SqliteStore.open(':memory:');
    notified = [];
    ports = {
      store,
      notify: async (record, events) =>
        void notified.push({ reference: record.reference, events: events.map((e) => e.type) }),
      clock: () => clock(NOW),
    };
  });
  afterEach(() => store.close());

  const seed = async (record: Omit<Opportunity, 'reference' | 'version'>) =>
    store.create(
      record as Parameters<SqliteStore['create']>[0],
      { at: NOW, actor: record.requester, action: 'submit', to: 'submitted', outcome: 'applied' },
      `seed-${++n}`,
    );
  const inApproval = () => seed(versions()[2]?.record as Pair['record']);
  const decide = (
    o: Opportunity,
    action: ActionName,
    actor: Actor,
    payload: unknown = PAYLOAD[action],
    seenVersion = o.version,
  ) => applyChange(ports, { kind: 'decide', actor, reference: o.reference, action, payload, seenVersion });
  const trail = async (o: Opportunity) =>
    (await store.auditTrail(o.reference)).map((e) => [e.action, e.outcome, e.reason ?? e.comment ?? '']);

  it('judges a click from an older card on the changes since it, whatever notes were kept beside them', async () => {
    const o = await seed({ ...(versions()[0]?.record as Pair['record']), translationConfirmed: false });
    // Notes on the request that change no version: a question answered, a document kept.
    const note = (action: string) =>
      store.appendAudit(o.reference, { at: NOW, actor: o.requester, action, outcome: 'applied' });
    await note('question_answered');
    const vetted = await decide(o, 'vet_go', PEOPLE.procurement[0]);
    assert.equal(vetted.kind, 'applied');
    await note('document_terms');
    const goCard = vetted.kind === 'applied' ? vetted.record : o;
    await decide(goCard, 'translate', REQUESTER, { title: 'Sélecteur de date' });
    // Finance's card was made right after go: the translation since is about another part.
    const approved = await decide(goCard, 'approve_funds', PEOPLE.finance[0]);
    assert.equal(
      approved.kind,
      'applied',
      approved.kind === 'decided' ? approved.first.action : approved.kind,
    );
  });

  it('writes on the audit entry of a delegate’s decision the colleague it was taken for', async () => {
    const o = await inApproval();
    const forWhom = { aadObjectId: 'fin-on-leave', name: 'Farah Haddad' };
    const delegate: Actor = { ...person('delegate-1', 'finance'), delegatedBy: { finance: forWhom } };
    assert.equal((await decide(o, 'approve_funds', delegate)).kind, 'applied');
    const entry = (await store.auditTrail(o.reference)).at(-1);
    assert.deepEqual(entry?.actor, { aadObjectId: 'delegate-1', name: delegate.name, onBehalfOf: forWhom });
  });

  it('creates a submitted request with its audit entry, and announces it', async () => {
    const created = await applyChange(ports, {
      kind: 'create',
      actor: REQUESTER,
      content: content(),
      locale: 'fr',
      idempotencyKey: 'draft-1',
    });
    assert.ok(created.kind === 'applied');
    assert.equal(created.record.status, 'submitted');
    assert.equal(created.record.locale, 'fr');
    assert.deepEqual(await trail(created.record), [['submit', 'applied', '']]);
    assert.deepEqual(notified, [{ reference: created.record.reference, events: ['submitted'] }]);
    const again = await applyChange(ports, {
      kind: 'create',
      actor: REQUESTER,
      content: content(),
      locale: 'fr',
      idempotencyKey: 'draft-1',
    });
    assert.equal(again.kind === 'applied' && again.record.reference, created.record.reference);
  });

  it('keeps a new request’s announcement with it until its messages are queued', async () => {
    const quiet: ChangePorts = { ...ports, notify: async () => undefined };
    const created = await applyChange(quiet, {
      kind: 'create',
      actor: REQUESTER,
      content: content(),
      locale: 'en',
      idempotencyKey: 'draft-3',
    });
    assert.ok(created.kind === 'applied');
    const [pending] = await store.pendingNotifications(10);
    assert.deepEqual(
      [pending?.reference, pending?.version, pending?.events.map((e) => [e.type, e.reference])],
      [created.record.reference, 1, [['submitted', created.record.reference]]],
    );
  });

  it('creates nothing from content that breaks a rule, and says which', async () => {
    const late = content({ dates: { ...content().dates, applicationDeadline: NOW.slice(0, 10) } });
    const refused = await applyChange(ports, {
      kind: 'create',
      actor: REQUESTER,
      content: late,
      locale: 'en',
      idempotencyKey: 'draft-2',
    });
    assert.deepEqual(refused.kind === 'refused' && refused.refusal.guard, 'content_rules');
    assert.deepEqual((await store.query({}, { limit: 5 })).items, []);
    assert.deepEqual(notified, []);
  });

  it('keeps the reason or the comment of a decision on its audit entry, and none when there is none', async () => {
    const sentBack = await decide(
      await seed(versions()[0]?.record as Pair['record']),
      'request_edits',
      PEOPLE.procurement[0],
      {
        comment: 'Split the deliverables',
      },
    );
    assert.ok(sentBack.kind === 'applied');
    assert.deepEqual((await trail(sentBack.record)).at(-1), [
      'request_edits',
      'applied',
      'Split the deliverables',
    ]);
    const rejected = await decide(await inApproval(), 'reject_funds', PEOPLE.finance[0], {
      reason: 'No budget',
    });
    assert.ok(rejected.kind === 'applied');
    assert.deepEqual((await trail(rejected.record)).at(-1), ['reject_funds', 'applied', 'No budget']);
    const acknowledged = await decide(await inApproval(), 'acknowledge', PEOPLE.union[0], null);
    assert.ok(acknowledged.kind === 'applied');
    assert.deepEqual((await trail(acknowledged.record)).at(-1), ['acknowledge', 'applied', '']);
    assert.deepEqual(notified.at(-1)?.events, ['consultation_acknowledged']);
  });

  it('keeps the refused attempts of the people a request concerns, with why; not strangers’, nor the clock’s', async () => {
    const o = await inApproval();
    await decide(o, 'acknowledge', PEOPLE.finance[0]);
    await decide(o, 'acknowledge', person('stranger'));
    await decide(o, 'close_consultation', SYSTEM_ACTOR);
    assert.deepEqual(await trail(o), [
      ['submit', 'applied', ''],
      ['acknowledge', 'refused', 'role'],
    ]);
  });

  it('records a repeated click as a duplicate and a late one as stale', async () => {
    const o = await inApproval();
    await decide(o, 'approve_funds', PEOPLE.finance[0]);
    await decide(o, 'approve_funds', PEOPLE.finance[0]);
    await decide(o, 'reject_funds', PEOPLE.finance[1]);
    assert.deepEqual((await trail(o)).slice(1), [
      ['approve_funds', 'applied', ''],
      ['approve_funds', 'refused', 'duplicate'],
      ['reject_funds', 'refused', 'stale'],
    ]);
  });

  it('does not count a refused attempt as a change: a later click is judged on what was applied', async () => {
    const o = await inApproval();
    await decide(o, 'acknowledge', PEOPLE.finance[0]);
    await decide(o, 'approve_funds', PEOPLE.finance[0]);
    const acknowledged = await decide(o, 'acknowledge', PEOPLE.union[0]);
    assert.equal(acknowledged.kind, 'applied');
  });

  it('answers the union’s click from before the clock closed the consultation as decided by the clock', async () => {
    const o = await seed({
      ...(versions()[2]?.record as Pair['record']),
      consultation: { status: 'open', closesOn: '2026-11-20' },
    });
    const closed = await decide(o, 'close_consultation', SYSTEM_ACTOR);
    assert.ok(closed.kind === 'applied');
    assert.deepEqual((await store.auditTrail(o.reference)).at(-1)?.actor, {
      aadObjectId: 'system',
      name: 'Microacq',
    });
    const late = await decide(o, 'acknowledge', PEOPLE.union[0]);
    assert.deepEqual(late.kind === 'decided' && late.first.action, 'close_consultation');
  });

  it('records the evaluation by the bot alone, and answers a draw from a card shown before it as decided by the bot', async () => {
    const o = await seed(versions()[6]?.record as Pair['record']);
    const typed = await decide(o, 'record_evaluation', PEOPLE.procurement[0], { applications: 4, passed: 1 });
    assert.deepEqual(typed.kind === 'refused' && typed.refusal.code, 'role');
    // A mark changed: the bot records the counts again.
    const recorded = await decide(o, 'record_evaluation', SYSTEM_ACTOR, { applications: 4, passed: 1 });
    assert.ok(recorded.kind === 'applied');
    assert.equal(recorded.record.selection.passed, 1);
    assert.deepEqual((await store.auditTrail(o.reference)).at(-1)?.actor, {
      aadObjectId: 'system',
      name: 'Microacq',
    });
    const late = await decide(o, 'select_supplier', PEOPLE.procurement[0]);
    assert.deepEqual(late.kind === 'decided' && late.first.action, 'record_evaluation');
    assert.equal((await store.get(o.reference))?.status, 'closed');
    assert.deepEqual((await trail(o)).slice(1), [
      ['record_evaluation', 'refused', 'role'],
      ['record_evaluation', 'applied', ''],
      ['select_supplier', 'refused', 'stale'],
    ]);
  });

  /** A store where someone else writes first, `times` times, before each of our writes. */
  const contended = (times: number): ChangePorts => {
    let left = times;
    return {
      ...ports,
      store: {
        ...store,
        get: (reference) => store.get(reference),
        auditTrail: (reference) => store.auditTrail(reference),
        appendAudit: (reference, entry) => store.appendAudit(reference, entry),
        create: (...args) => store.create(...args),
        transition: async (next, expected, audit, events) => {
          if (left-- > 0) throw new ConcurrencyError(next.reference, expected, expected + 1);
          return store.transition(next, expected, audit, events);
        },
      },
    };
  };

  it('decides again when someone wrote between its read and its write', async () => {
    const o = await inApproval();
    const outcome = await applyChange(contended(2), {
      kind: 'decide',
      actor: PEOPLE.finance[0],
      reference: o.reference,
      action: 'approve_funds',
      payload: PAYLOAD.approve_funds,
      seenVersion: o.version,
    });
    assert.equal(outcome.kind, 'applied');
  });

  it('gives up after three lost races, applying nothing', async () => {
    const o = await inApproval();
    await assert.rejects(
      applyChange(contended(3), {
        kind: 'decide',
        actor: PEOPLE.finance[0],
        reference: o.reference,
        action: 'approve_funds',
        payload: PAYLOAD.approve_funds,
      }),
      ConcurrencyError,
    );
    assert.equal((await store.get(o.reference))?.version, o.version);
  });

  it('finds nothing to change for a reference that does not exist', async () => {
    const outcome = await applyChange(ports, {
      kind: 'decide',
      actor: PEOPLE.finance[0],
      reference: 'MA-2026-9999',
      action: 'approve_funds',
      payload: PAYLOAD.approve_funds,
    });
    assert.equal(outcome.kind, 'not_found');
  });
});
