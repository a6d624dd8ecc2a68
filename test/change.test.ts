import { strict as assert } from 'node:assert';
import { applyChange, type ChangeOutcome, type ChangePorts } from '../src/services/change';
import { ACTIONS, type ActionName, offeredNow, specOf } from '../src/services/lifecycle';
import type { Opportunity, Status } from '../src/services/opportunity';
import type { Actor, ConfiguredRole } from '../src/services/roles';
import { SqliteStore } from '../src/stores/sqlite-store';
import { clock, NOW, PAYLOAD, person, REQUESTER, submitted } from './support/opportunities';

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
  'approve_funds',
  'acknowledge',
  'raise_concern',
  'answer_concern',
  'confirm_translation',
  'record_question',
  'extend',
];
/** The part of a request a decision is about; posting and cancelling are about all of it. */
const PART: Partial<Record<ActionName, string>> = {
  approve_funds: 'funds',
  reject_funds: 'funds',
  request_funds_changes: 'funds',
  acknowledge: 'consultation',
  raise_concern: 'consultation',
  answer_concern: 'consultation',
  confirm_translation: 'translation',
  record_question: 'questions',
  extend: 'delivery date',
  terminate: 'delivery date',
  post: 'everything',
  cancel: 'everything',
};

/** Whether `later`, from the card `earlier` was taken on, still stands once `earlier` is applied. */
function stands(earlier: ActionName, later: ActionName): boolean {
  const [a, b] = [PART[earlier], PART[later]];
  return KEEPS_STATUS.includes(earlier) && b !== 'everything' && (a === undefined || a !== b);
}

const VETTER = person('vetter', 'procurement');
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
    { name: 'closed, nobody passed', record: at('closed', { selection: { ...base.selection, passed: 0 } }) },
    {
      name: 'supplier selected',
      record: at('supplier_selected', {
        selection: { ...base.selection, passed: 2, supplierName: 'Applicant A' },
      }),
    },
    { name: 'in progress', record: at('in_progress') },
    { name: 'delivered', record: at('delivered') },
    { name: 'accepted', record: at('accepted') },
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
const PEOPLE: Record<ConfiguredRole | 'requester', readonly [Actor, Actor]> = {
  requester: [REQUESTER, REQUESTER],
  procurement: [person('proc-1', 'procurement'), person('proc-2', 'procurement')],
  finance: [person('fin-1', 'finance'), person('fin-2', 'finance')],
  union: [person('union-1', 'union'), person('union-2', 'union')],
  manager: [person('mgr-1', 'manager'), person('mgr-2', 'manager')],
};
/** Someone holding every team's role (never the requester): one person who may take either action. */
const EVERY_ROLE = person('all-roles', 'procurement', 'finance', 'union');

/** Who takes `action`: the first role it names that a person holds (the requester only if none). */
function roleOf(action: ActionName): ConfiguredRole | 'requester' {
  const roles = specOf(action).roles.filter((r) => r !== 'system');
  return (roles.find((r) => r !== 'requester') ?? 'requester') as ConfiguredRole | 'requester';
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
      payload: PAYLOAD[action],
      seenVersion: o.version,
    });

  const all = pairs();

  it('covers every action a card can offer, by two people and by one', () => {
    const covered = new Set(all.flatMap((p) => [p.a, p.b]));
    assert.deepEqual(
      ACTIONS.filter((a) => !covered.has(a) && a !== 'close_consultation'),
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
