import { strict as assert } from 'node:assert';
import {
  ACTIONS,
  type ActionName,
  availableActions,
  decide,
  type Outcome,
  type RefusalCode,
  submit,
} from '../../src/services/lifecycle';
import { Opportunity, STATUSES, type Status } from '../../src/services/opportunity';
import { type ActingRole, type Actor, SYSTEM_ACTOR } from '../../src/services/roles';
import {
  CHECKLIST,
  clock,
  content,
  NOW,
  PAYLOAD,
  payloadFor,
  person,
  recordFor,
  REQUESTER,
  submitted,
} from '../support/opportunities';

/**
 * The process map as the pilot's documents describe it, written independently of the implementation:
 * which action moves a request from which states, by whom, and to where ("=" stays in the same state).
 */
const PROCESS_MAP = `
  resubmit              | changes_requested                                  | requester               | submitted
  vet_go                | submitted                                          | procurement             | in_approval
  vet_no_go             | submitted                                          | procurement             | rejected
  request_edits         | submitted                                          | procurement             | changes_requested
  approve_funds         | in_approval                                        | finance                 | =
  reject_funds          | in_approval                                        | finance                 | rejected
  request_funds_changes | in_approval                                        | finance                 | changes_requested
  acknowledge           | in_approval                                        | union                   | =
  raise_concern         | in_approval                                        | union                   | =
  answer_concern        | in_approval                                        | procurement             | =
  close_consultation    | in_approval                                        | system                  | =
  translate             | submitted changes_requested in_approval            | requester procurement   | =
  confirm_translation   | in_approval                                        | procurement             | =
  post                  | in_approval                                        | procurement             | posted
  record_question       | posted                                             | procurement             | =
  amend_dates           | submitted in_approval                              | requester procurement   | =
  extend_applications   | posted                                             | procurement             | =
  close_applications    | posted                                             | system                  | closed
  record_evaluation     | closed                                             | system                  | =
  reassign_evaluation   | closed                                             | procurement             | =
  select_supplier       | closed                                             | procurement             | supplier_selected
  no_award              | closed                                             | procurement             | cancelled
  supplier_declined     | supplier_selected                                  | procurement             | closed
  sign_terms            | supplier_selected                                  | procurement             | =
  countersign_terms     | supplier_selected                                  | finance                 | in_progress
  deliver               | in_progress                                        | requester procurement   | delivered
  accept                | delivered                                          | requester               | accepted
  request_revisions     | delivered                                          | requester               | in_progress
  open_review           | in_progress                                        | system                  | =
  extend                | in_progress                                        | procurement             | =
  terminate             | in_progress delivered                              | procurement             | terminated
  agree_termination     | in_progress delivered                              | requester               | accepted
  record_invoice        | accepted                                           | finance                 | =
  certify               | accepted                                           | finance                 | certified
  pay                   | certified                                          | finance                 | paid
  reassign_decision     | submitted in_approval accepted certified           | lead                    | =
  cancel                | submitted changes_requested in_approval posted closed | requester procurement | cancelled
`;

interface MapRow {
  from: Status[];
  by: ActingRole[];
  to: Status | '=';
}
const MAP = new Map<string, MapRow>(
  PROCESS_MAP.trim()
    .split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .map(([action, from, by, to]) => [
      action as string,
      {
        from: (from as string).split(/\s+/) as Status[],
        by: (by as string).split(/\s+/) as ActingRole[],
        to: to as MapRow['to'],
      },
    ]),
);

/** The people who try every action: one per role, plus a requester who also holds every approval role. */
const OWN_APPROVER = person('req-1', 'procurement', 'finance', 'union', 'manager');
const ACTORS: Record<string, { actor: Actor; roles: ActingRole[] }> = {
  requester: { actor: REQUESTER, roles: ['requester'] },
  procurement: { actor: person('proc-1', 'procurement'), roles: ['procurement'] },
  finance: { actor: person('fin-1', 'finance'), roles: ['finance'] },
  union: { actor: person('union-1', 'union'), roles: ['union'] },
  manager: { actor: person('mgr-1', 'manager'), roles: ['manager'] },
  system: { actor: SYSTEM_ACTOR, roles: ['system'] },
  'lead of every team': {
    actor: { ...person('lead-1'), leads: new Set(['procurement', 'finance', 'union'] as const) },
    roles: ['lead'],
  },
  stranger: { actor: person('someone-else'), roles: [] },
  'requester holding every approval role': {
    actor: OWN_APPROVER,
    roles: ['requester', 'procurement', 'finance', 'union', 'manager'],
  },
};

function expectedRefusal(status: Status, action: ActionName, roles: ActingRole[]): RefusalCode | undefined {
  const row = MAP.get(action);
  assert.ok(row, `the process map lists ${action}`);
  if (!row.from.includes(status)) return 'wrong_state';
  if (!row.by.some((r) => roles.includes(r))) return 'role';
  if (roles.includes('requester') && !row.by.includes('requester')) return 'own_request';
  return undefined;
}

function refusalOf(outcome: Outcome): RefusalCode | undefined {
  return outcome.ok ? undefined : outcome.refusal.code;
}

describe('lifecycle: every state × action × role', () => {
  it('the process map covers every action the workflow knows', () => {
    assert.deepEqual([...MAP.keys()].sort(), [...ACTIONS].sort());
  });

  for (const status of STATUSES) {
    for (const action of ACTIONS) {
      for (const [who, { actor, roles }] of Object.entries(ACTORS)) {
        const expected = expectedRefusal(status, action, roles);
        const title = expected
          ? `refuses ${action} on a ${status} request by ${who} (${expected})`
          : `lets ${who} ${action} a ${status} request`;
        it(title, () => {
          const before = recordFor(status, action);
          const outcome = decide(before, action, payloadFor(before, action), actor, clock());
          assert.equal(
            refusalOf(outcome),
            expected,
            JSON.stringify(outcome.ok ? outcome.next.status : outcome.refusal),
          );
          if (!outcome.ok) return;
          const row = MAP.get(action) as MapRow;
          const to = row.to === '=' ? status : row.to;
          assert.equal(outcome.next.status, to);
          assert.equal(outcome.next.version, before.version + 1);
          assert.equal(outcome.next.updatedAt, NOW);
          Opportunity.parse(outcome.next);
          assert.ok(outcome.events.length > 0, 'every transition emits an event');
          for (const e of outcome.events) {
            assert.deepEqual(
              [e.from, e.to, e.reference, e.actor.aadObjectId],
              [status, to, before.reference, actor.id],
            );
          }
          if (to !== status) assert.equal(outcome.next.timeline[to], NOW);
        });
      }
    }
  }
});

describe('lifecycle: who may act', () => {
  it('offers a person exactly the actions the process map gives their role in the current state', () => {
    for (const status of STATUSES) {
      const o = recordFor(status, 'vet_go');
      for (const { actor, roles } of Object.values(ACTORS)) {
        const expected = ACTIONS.filter((a) => expectedRefusal(status, a, roles) === undefined);
        assert.deepEqual(
          availableActions(o, actor),
          expected,
          `${status} / ${[...actor.roles].join('+') || 'none'}`,
        );
      }
    }
  });

  it('never lets a requester approve, vet, consult on, certify or pay their own request', () => {
    const approvals: ActionName[] = ['vet_go', 'approve_funds', 'acknowledge', 'post', 'certify', 'pay'];
    for (const action of approvals) {
      for (const status of STATUSES) {
        const outcome = decide(recordFor(status, action), action, PAYLOAD[action], OWN_APPROVER, clock());
        assert.equal(outcome.ok, false, `${action} in ${status}`);
      }
    }
  });

  it('refuses every action on a request that has ended', () => {
    for (const status of ['paid', 'terminated', 'rejected', 'cancelled'] as const) {
      for (const { actor } of Object.values(ACTORS))
        assert.deepEqual(availableActions(recordFor(status, 'cancel'), actor), []);
    }
  });
});

describe('lifecycle: guards', () => {
  const procurement = ACTORS.procurement?.actor as Actor;
  const finance = ACTORS.finance?.actor as Actor;
  const guardOf = (outcome: Outcome) => (outcome.ok ? undefined : outcome.refusal.guard);

  const inApproval = (patch: Partial<Opportunity>): Opportunity => ({
    ...submitted(),
    status: 'in_approval',
    finance: { fundsStatus: 'approved', fundReservationNumber: 'FR-1' },
    consultation: { status: 'closed' },
    translationConfirmed: true,
    ...patch,
  });

  it('will not post before funds are approved', () => {
    const o = inApproval({ finance: { fundsStatus: 'pending' } });
    assert.equal(guardOf(decide(o, 'post', {}, procurement, clock())), 'funds_not_approved');
  });

  it('will not post while the union consultation is open or a concern is unanswered', () => {
    for (const status of ['pending', 'open', 'concern_raised'] as const) {
      const o = inApproval({ consultation: { status } });
      assert.equal(guardOf(decide(o, 'post', {}, procurement, clock())), 'consultation_not_closed', status);
    }
  });

  it('posts once the consultation was acknowledged or closed without concern', () => {
    for (const status of ['acknowledged', 'closed'] as const) {
      const outcome = decide(inApproval({ consultation: { status } }), 'post', {}, procurement, clock());
      assert.equal(outcome.ok && outcome.next.status, 'posted');
    }
  });

  it('will not post before the French translation is confirmed', () => {
    const o = inApproval({ translationConfirmed: false });
    assert.equal(guardOf(decide(o, 'post', {}, procurement, clock())), 'translation_not_confirmed');
  });

  it('will not post once the application deadline has passed', () => {
    const o = inApproval({});
    const late = clock(`${o.dates.applicationDeadline}T12:00:00.000Z`);
    assert.equal(guardOf(decide(o, 'post', {}, procurement, late)), 'deadline_passed');
  });

  it('will not approve funds twice', () => {
    const o = inApproval({});
    const outcome = decide(o, 'approve_funds', { fundReservationNumber: 'FR-2' }, finance, clock());
    assert.equal(guardOf(outcome), 'funds_already_approved');
  });

  it('records the section 32 approver, date and fund reservation number on funds approval', () => {
    const o = inApproval({ finance: { fundsStatus: 'pending' } });
    const outcome = decide(o, 'approve_funds', { fundReservationNumber: ' FR-9 ' }, finance, clock());
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.next.finance.section32Approver, { aadObjectId: finance.id, name: finance.name });
    assert.equal(outcome.next.finance.section32At, NOW);
    assert.equal(outcome.next.finance.fundReservationNumber, 'FR-9');
  });

  it('announces the request is ready to post when the last condition is met, and only then', () => {
    const o = inApproval({ finance: { fundsStatus: 'pending' }, consultation: { status: 'acknowledged' } });
    const outcome = decide(o, 'approve_funds', { fundReservationNumber: 'FR-3' }, finance, clock());
    assert.ok(outcome.ok);
    assert.deepEqual(
      outcome.events.map((e) => e.type),
      ['funds_approved', 'ready_to_post'],
    );
    const early = decide(
      inApproval({ finance: { fundsStatus: 'pending' }, consultation: { status: 'open' } }),
      'approve_funds',
      { fundReservationNumber: 'FR-3' },
      finance,
      clock(),
    );
    assert.ok(early.ok);
    assert.deepEqual(
      early.events.map((e) => e.type),
      ['funds_approved'],
    );
  });

  it('opens the consultation for the configured number of business days when a request is vetted', () => {
    const outcome = decide(submitted(), 'vet_go', CHECKLIST, procurement, {
      ...clock(),
      consultationDays: 5,
    });
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.next.consultation, { status: 'open', opensAt: NOW, closesOn: '2026-11-30' });
    assert.deepEqual(
      outcome.events.map((e) => e.type),
      ['vetted', 'consultation_opened'],
    );
  });

  it('closes the consultation by itself only once its period has ended', () => {
    const o = inApproval({ consultation: { status: 'open', closesOn: '2026-11-30' } });
    assert.equal(
      guardOf(decide(o, 'close_consultation', {}, SYSTEM_ACTOR, clock())),
      'consultation_period_running',
    );
    // 23:59 in Ottawa on the last day it still runs; a minute later, the next day there, it closes.
    assert.equal(
      guardOf(decide(o, 'close_consultation', {}, SYSTEM_ACTOR, clock('2026-12-01T04:59:59.000Z'))),
      'consultation_period_running',
    );
    const outcome = decide(o, 'close_consultation', {}, SYSTEM_ACTOR, clock('2026-12-01T05:00:00.000Z'));
    assert.ok(outcome.ok);
    assert.equal(outcome.next.consultation.status, 'closed');
  });

  it('does not close by timer a consultation where a concern was raised', () => {
    const o = inApproval({ consultation: { status: 'concern_raised', closesOn: '2026-11-01' } });
    assert.equal(
      guardOf(decide(o, 'close_consultation', {}, SYSTEM_ACTOR, clock())),
      'consultation_not_open',
    );
  });

  it('refuses more passing applicants than applications, and records counts that add up', () => {
    const o: Opportunity = { ...submitted(), status: 'closed' };
    const outcome = decide(o, 'record_evaluation', { applications: 1, passed: 2 }, SYSTEM_ACTOR, clock());
    assert.equal(guardOf(outcome), 'passed_exceeds_applications');
    const recorded = decide(o, 'record_evaluation', { applications: 2, passed: 2 }, SYSTEM_ACTOR, clock());
    assert.ok(recorded.ok);
    assert.deepEqual([recorded.next.selection.applications, recorded.next.selection.passed], [2, 2]);
  });

  it('takes the counts of the evaluation only from the bot, never from a person', () => {
    const o: Opportunity = { ...submitted(), status: 'closed' };
    const outcome = decide(o, 'record_evaluation', { applications: 4, passed: 2 }, procurement, clock());
    assert.equal(refusalOf(outcome), 'role');
  });

  const closed = (passed: number, selection: Partial<Opportunity['selection']> = {}): Opportunity => ({
    ...submitted(),
    status: 'closed',
    selection: { questions: 0, applications: 5, passed, declinedSuppliers: [], ...selection },
  });
  /** Two passers, listed out of order; only the first published a link. */
  const ADA = { number: 10, name: 'Ada Lovelace', link: 'https://example.dev/ada' };
  const GRACE = { number: 2, name: 'Grace Hopper' };

  it('draws no supplier when no one passed, and awards nothing instead', () => {
    assert.equal(
      guardOf(decide(closed(0), 'select_supplier', PAYLOAD.select_supplier, procurement, clock())),
      'no_passing_applicant',
    );
    const outcome = decide(closed(0), 'no_award', {}, procurement, clock());
    assert.equal(outcome.ok && outcome.next.status, 'cancelled');
    assert.equal(
      guardOf(decide(closed(1), 'no_award', {}, procurement, clock())),
      'passing_applicant_exists',
    );
  });

  it('draws among exactly the applicants who passed, each number once', () => {
    const mismatches = [
      [ADA, GRACE, { number: 7, name: 'Linus Torvalds' }],
      [ADA],
      [ADA, { ...ADA, name: 'Ada again' }],
      [ADA, GRACE, { ...GRACE, name: 'Grace again' }],
    ];
    for (const passers of mismatches) {
      assert.equal(
        guardOf(decide(closed(2), 'select_supplier', { seed: 's', passers }, procurement, clock())),
        'draw_mismatch',
        passers.map((p) => p.number).join(),
      );
    }
  });

  it('records the seed, the passing numbers in ascending order and the winner, with the name and link they published', () => {
    // `printf '%s' 'seed-given-later:2' | sha256sum` sorts before the same for 10: 2 is drawn first.
    const outcome = decide(
      closed(2),
      'select_supplier',
      { seed: 'seed-given-later', passers: [ADA, GRACE] },
      procurement,
      clock(),
    );
    assert.ok(outcome.ok);
    const { draw, supplierName, supplierLink } = outcome.next.selection;
    assert.deepEqual(draw, { seed: 'seed-given-later', candidates: ['2', '10'], selectedIndex: 0 });
    assert.deepEqual([supplierName, supplierLink], ['Grace Hopper', undefined]);
    assert.equal(outcome.next.status, 'supplier_selected');
  });

  it('draws with the seed fixed when applications closed, not with one given later', () => {
    // With the seed of the close, 10 comes before 2.
    const o = closed(2, { drawSeed: 'seed-of-the-close' });
    const outcome = decide(
      o,
      'select_supplier',
      { seed: 'seed-given-later', passers: [ADA, GRACE] },
      procurement,
      clock(),
    );
    assert.ok(outcome.ok);
    const { draw, supplierName, supplierLink } = outcome.next.selection;
    assert.deepEqual(draw, { seed: 'seed-of-the-close', candidates: ['2', '10'], selectedIndex: 1 });
    assert.deepEqual([supplierName, supplierLink], [ADA.name, ADA.link]);
  });

  it('gives the next passing applicant in the seed’s order their turn when the selected supplier declines', () => {
    // The seed orders the numbers 2, 3, 1: after 2 declines it is 3's turn, not the lowest number's.
    const passers = [1, 2, 3].map((number) => ({ number, name: `Applicant ${number}` }));
    const payload = { seed: 'seed-given-later', passers };
    const drawn = (o: Opportunity) => {
      const outcome = decide(o, 'select_supplier', payload, procurement, clock());
      assert.ok(outcome.ok, JSON.stringify(!outcome.ok && outcome.refusal));
      return outcome.next;
    };
    const declines = (o: Opportunity) => {
      const outcome = decide(o, 'supplier_declined', {}, procurement, clock());
      assert.ok(outcome.ok);
      assert.equal(outcome.next.status, 'closed');
      const { draw, supplierName, supplierLink } = outcome.next.selection;
      assert.deepEqual([draw, supplierName, supplierLink], [undefined, undefined, undefined]);
      return outcome.next;
    };
    const first = drawn(closed(3));
    assert.equal(first.selection.supplierName, 'Applicant 2');
    const afterFirst = declines(first);
    assert.deepEqual(afterFirst.selection.declinedSuppliers, ['2']);
    // A redraw passes every passer, the one who declined included.
    const without = { ...payload, passers: passers.filter((p) => p.number !== 2) };
    assert.equal(
      guardOf(decide(afterFirst, 'select_supplier', without, procurement, clock())),
      'draw_mismatch',
    );
    const second = drawn(afterFirst);
    assert.deepEqual(
      [second.selection.supplierName, second.selection.draw],
      ['Applicant 3', { seed: 'seed-given-later', candidates: ['1', '2', '3'], selectedIndex: 2 }],
    );
    const afterSecond = declines(second);
    assert.deepEqual(afterSecond.selection.declinedSuppliers, ['2', '3']);
    assert.equal(drawn(afterSecond).selection.supplierName, 'Applicant 1');
    const nobodyLeft = declines(drawn(afterSecond));
    assert.deepEqual(nobodyLeft.selection.declinedSuppliers, ['2', '3', '1']);
    assert.equal(
      guardOf(decide(nobodyLeft, 'select_supplier', payload, procurement, clock())),
      'no_passing_applicant',
    );
    assert.equal(decide(nobodyLeft, 'no_award', {}, procurement, clock()).ok, true);
  });

  it('extends delivery only to a later date, keeping the original', () => {
    const o: Opportunity = { ...submitted(), status: 'in_progress' };
    const same = decide(o, 'extend', { newDeliveryDate: o.dates.deliveryDate }, procurement, clock());
    assert.equal(guardOf(same), 'extension_not_later');
    const outcome = decide(o, 'extend', { newDeliveryDate: '2027-02-26' }, procurement, clock());
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.next.dates, { ...o.dates, extendedDeliveryDate: '2027-02-26' });
  });

  it('requires a reason to reject, cancel or terminate, and a link to record delivery', () => {
    const cases: [Status, ActionName, string][] = [
      ['submitted', 'vet_no_go', 'reason'],
      ['submitted', 'cancel', 'reason'],
      ['in_progress', 'terminate', 'reason'],
      ['in_progress', 'deliver', 'link'],
    ];
    for (const [status, action, field] of cases) {
      const others = action === 'terminate' ? { kind: 'default' } : {};
      const outcome = decide(
        { ...submitted(), status },
        action,
        { ...others, [field]: '   ' },
        procurement,
        clock(),
      );
      assert.ok(!outcome.ok);
      assert.deepEqual([outcome.refusal.code, outcome.refusal.fields], ['invalid_input', [field]], action);
    }
  });

  it('refuses a delivery link that is not http(s)', () => {
    const o: Opportunity = { ...submitted(), status: 'in_progress' };
    const outcome = decide(o, 'deliver', { link: 'javascript:alert(1)' }, REQUESTER, clock());
    assert.equal(refusalOf(outcome), 'invalid_input');
  });

  it('counts each revision request and each supplier question', () => {
    const delivered: Opportunity = { ...submitted(), status: 'delivered' };
    const revised = decide(delivered, 'request_revisions', { comment: 'Fix tab order' }, REQUESTER, clock());
    assert.equal(revised.ok && revised.next.delivery.revisionsRequested, 1);
    const posted: Opportunity = { ...submitted(), status: 'posted' };
    const asked = decide(posted, 'record_question', {}, procurement, clock());
    assert.equal(asked.ok && asked.next.selection.questions, 1);
  });

  it('restarts vetting, funds and consultation when a request is resubmitted after changes', () => {
    const o: Opportunity = {
      ...inApproval({}),
      status: 'changes_requested',
      decisionNote: 'Use the branch cost centre',
    };
    const outcome = decide(o, 'resubmit', PAYLOAD.resubmit, REQUESTER, clock());
    assert.ok(outcome.ok);
    assert.equal(outcome.next.title, 'Accessible date picker, revised');
    assert.deepEqual(
      [
        outcome.next.finance,
        outcome.next.consultation,
        outcome.next.translationConfirmed,
        outcome.next.decisionNote,
      ],
      [{ fundsStatus: 'pending' }, { status: 'pending' }, false, undefined],
    );
  });

  it('refuses a resubmission that breaks the rules, saying which', () => {
    const o: Opportunity = { ...submitted(), status: 'changes_requested' };
    const pricey = content({
      pricing: { hourlyRateCents: 10_000, estimatedHours: 80, adminHours: 10, fixedPriceCents: 900_000 },
    });
    const outcome = decide(o, 'resubmit', { content: pricey }, REQUESTER, clock());
    assert.ok(!outcome.ok);
    assert.deepEqual(
      outcome.refusal.problems?.map((p) => p.code),
      ['over_ceiling'],
    );
  });
});

describe('lifecycle: submission', () => {
  it('creates a submitted record with the requester from the activity, not from the content', () => {
    const result = submit(
      { ...content(), requester: { aadObjectId: 'forged', name: 'x' } },
      REQUESTER,
      'fr',
      clock(),
    );
    assert.ok(result.ok);
    assert.equal(result.record.status, 'submitted');
    assert.deepEqual(result.record.requester, { aadObjectId: REQUESTER.id, name: REQUESTER.name });
    assert.equal(result.record.locale, 'fr');
    assert.deepEqual(result.record.timeline, { submitted: NOW });
  });

  it('records when the submission happened, and when its draft was started if it was', () => {
    const started = '2026-11-02T14:00:00.000Z';
    const drafted = submit(content(), REQUESTER, 'en', clock(), started);
    assert.ok(drafted.ok);
    assert.equal(drafted.record.draftStartedAt, started);
    assert.deepEqual(drafted.record.eventAt, { submitted: NOW });
    const direct = submit(content(), REQUESTER, 'en', clock());
    assert.ok(direct.ok);
    assert.equal('draftStartedAt' in direct.record, false);
  });

  it('refuses content with a missing or over-long field, naming the fields', () => {
    const result = submit(
      { ...content(), title: 'x'.repeat(101), shortDescription: '' },
      REQUESTER,
      'en',
      clock(),
    );
    assert.ok(!result.ok);
    assert.deepEqual(result.refusal.fields, ['title', 'shortDescription']);
  });

  it('refuses a fixed price that does not follow rate × (hours + 10)', () => {
    const tampered = content({
      pricing: { hourlyRateCents: 8_000, estimatedHours: 40, adminHours: 10, fixedPriceCents: 100 },
    });
    const result = submit(tampered, REQUESTER, 'en', clock());
    assert.ok(!result.ok);
    assert.deepEqual(
      result.refusal.problems?.map((p) => p.code),
      ['price_mismatch'],
    );
  });
});
