import { strict as assert } from 'node:assert';
import { DateTime } from 'luxon';
import { type ActionName, decide } from '../../src/services/lifecycle';
import type { Opportunity } from '../../src/services/opportunity';
import { type Actor, SYSTEM_ACTOR } from '../../src/services/roles';
import { WAIT_KINDS, type WaitKind, waitsOf } from '../../src/services/waits';
import { CALENDAR, clock, PAYLOAD, person, REQUESTER, submitted, TERMS } from '../support/opportunities';

/**
 * Every state that waits on someone has its wait, on the right people, from the moment it began: the
 * request is walked through the lifecycle one day at a time, as the teams would act on it.
 */

const endOf = (date: string) => CALENDAR.endOf(date);
/** The instant of a local date and time in Toronto. */
const toronto = (date: string, time: string) =>
  DateTime.fromISO(`${date}T${time}`, { zone: 'America/Toronto' }).toUTC().toISO() as string;
const PROCUREMENT = person('p-1', 'procurement');
const FINANCE = person('f-1', 'finance');
const FINANCE_2 = person('f-2', 'finance');
const UNION = person('u-1', 'union');

/** Day n of the walk, at 10:00 in Toronto. */
const day = (n: number) => new Date(Date.parse('2026-11-23T15:00:00Z') + n * 86_400_000).toISOString();

function act(o: Opportunity, action: ActionName, actor: Actor, n: number, payload = PAYLOAD[action]) {
  const outcome = decide(o, action, payload, actor, clock(day(n)));
  if (!outcome.ok) throw new Error(`${action} refused: ${JSON.stringify(outcome.refusal)}`);
  return outcome.next;
}

const waits = (o: Opportunity, now = day(60)) =>
  waitsOf(o, now, CALENDAR).map((w) => [w.kind, w.on.join('+'), w.since] as const);

describe('what a request waits for, on whom, since when', () => {
  it('walks a request from submission to payment through every wait, each from when it began', () => {
    const seen = new Set<WaitKind>();
    const expect = (o: Opportunity, expected: (readonly [WaitKind, string, string])[], now = day(60)) => {
      assert.deepEqual(waits(o, now), expected);
      for (const [kind] of expected) seen.add(kind);
    };
    let o = submitted();
    expect(o, [['vetting', 'procurement', o.timeline.submitted as string]]);
    o = act(o, 'request_edits', PROCUREMENT, 1);
    expect(o, [['edits', 'requester', day(1)]]);
    o = act(o, 'resubmit', REQUESTER, 2);
    expect(o, [['vetting', 'procurement', day(2)]]);
    o = act(o, 'vet_go', PROCUREMENT, 3);
    expect(o, [
      ['funds', 'finance', day(3)],
      ['consultation', 'union', day(3)],
      ['translation', 'procurement', day(3)],
    ]);
    o = act(o, 'raise_concern', UNION, 4);
    expect(o, [
      ['funds', 'finance', day(3)],
      ['concern', 'procurement', day(4)],
      ['translation', 'procurement', day(3)],
    ]);
    o = act(o, 'approve_funds', FINANCE, 5);
    o = act(o, 'confirm_translation', PROCUREMENT, 6);
    expect(o, [['concern', 'procurement', day(4)]]);
    o = act(o, 'answer_concern', PROCUREMENT, 7);
    // Posting waits from the moment the last condition was met, not from vetting.
    expect(o, [['posting', 'procurement', day(7)]]);
    o = act(o, 'post', PROCUREMENT, 8);
    assert.deepEqual(waits(o), [], 'while applications are open, the request waits on suppliers');
    o = act(o, 'close_applications', SYSTEM_ACTOR, 20);
    expect(o, [['evaluation', 'requester', day(20)]]);
    // The bot records the counts once every applicant is marked.
    o = act(o, 'record_evaluation', SYSTEM_ACTOR, 21);
    expect(o, [['draw', 'procurement', day(21)]]);
    o = act(o, 'select_supplier', PROCUREMENT, 22);
    expect(o, [['terms', 'procurement', day(22)]]);
    const first = o.selection.supplierName;
    o = act(o, 'supplier_declined', PROCUREMENT, 23);
    // The draw is made again: its wait starts when the supplier declined.
    expect(o, [['draw', 'procurement', day(23)]]);
    // The same passers again: the draw passes to the one who has not declined.
    o = act(o, 'select_supplier', PROCUREMENT, 24);
    assert.deepEqual([first, o.selection.supplierName], ['Grace Hopper', 'Ada Lovelace']);
    o = act(o, 'sign_terms', PROCUREMENT, 25, {
      ...(PAYLOAD.sign_terms as object),
      document: TERMS.document,
    });
    // The card holder countersigns what procurement recorded.
    expect(o, [['countersignature', 'finance', day(25)]]);
    o = act(o, 'countersign_terms', FINANCE, 26);
    const due = o.dates.deliveryDate;
    expect(o, [], day(26));
    // A termination for convenience waits on the requester's agreement, from when it was proposed.
    const proposal = { kind: 'convenience', percentComplete: '50', reason: 'Priorities changed' };
    expect(act(o, 'terminate', PROCUREMENT, 40, proposal), [['termination', 'requester', day(40)]]);
    expect(
      o,
      [['late_delivery', 'procurement+requester', endOf(due)]],
      new Date(Date.parse(endOf(due)) + 1000).toISOString(),
    );
    o = act(o, 'deliver', PROCUREMENT, 70);
    expect(o, [['acceptance', 'requester', day(70)]]);
    o = act(o, 'accept', REQUESTER, 71);
    // Section 34 is certified against the supplier's invoice: finance waits for it first.
    expect(o, [['invoice', 'finance', day(71)]]);
    o = act(o, 'record_invoice', FINANCE, 72, {
      ...(PAYLOAD.record_invoice as object),
      fundReservationNumber: 'FR-2026-117',
    });
    expect(o, [['certification', 'finance', day(72)]]);
    o = act(o, 'certify', FINANCE, 72);
    expect(o, [['payment', 'finance', day(72)]]);
    o = act(o, 'pay', FINANCE_2, 73);
    assert.deepEqual(waits(o), [], 'a paid request waits on no one');
    assert.deepEqual([...seen].sort(), [...WAIT_KINDS].sort(), 'every kind of wait was met on the way');
  });

  it('calls a delivery late only once its due date is over in Toronto, not at midnight UTC', () => {
    const o: Opportunity = { ...submitted(), status: 'in_progress', timeline: { in_progress: day(0) } };
    const due = o.dates.deliveryDate;
    // 21:30 and 23:59 on the due date in Toronto are already the next day in UTC.
    for (const local of ['21:30', '23:59']) {
      const now = toronto(due, local);
      assert.deepEqual(waits(o, now), [], `not late at ${local} on the due date`);
    }
    const after = toronto(DateTime.fromISO(due).plus({ days: 1 }).toISODate() as string, '00:01');
    assert.deepEqual(
      waits(o, after).map(([k]) => k),
      ['late_delivery'],
    );
  });

  it('measures the late delivery from the extended date once an extension was granted', () => {
    const base: Opportunity = { ...submitted(), status: 'in_progress', timeline: { in_progress: day(0) } };
    const o = { ...base, dates: { ...base.dates, extendedDeliveryDate: '2027-03-01' } };
    assert.deepEqual(waits(o, endOf('2027-02-15')), []);
    assert.deepEqual(waits(o, endOf('2027-03-02')), [
      ['late_delivery', 'procurement+requester', endOf('2027-03-01')],
    ]);
  });

  it('keeps the start of a wait when a decision on something else changes the record', () => {
    let o = act(submitted(), 'vet_go', PROCUREMENT, 0);
    o = act(o, 'acknowledge', UNION, 2);
    // Finance still waits from vetting, not from the union's acknowledgement.
    assert.deepEqual(waits(o)[0], ['funds', 'finance', day(0)]);
  });

  it('reads a record saved before event times were kept from the date it entered its status', () => {
    const o = act(submitted(), 'vet_go', PROCUREMENT, 0);
    const { eventAt: _dropped, ...old } = o;
    assert.deepEqual(waits(old as Opportunity)[0], ['funds', 'finance', day(0)]);
  });

  it('counts the union consultation from when it opened, when that is not the vetting', () => {
    const o = act(submitted(), 'vet_go', PROCUREMENT, 0);
    const later = { ...o, consultation: { ...o.consultation, opensAt: day(1) } };
    assert.deepEqual(
      waits(later).find(([kind]) => kind === 'consultation'),
      ['consultation', 'union', day(1)],
    );
  });

  it('is not late at the last instant of the due date', () => {
    const o: Opportunity = { ...submitted(), status: 'in_progress', timeline: { in_progress: day(0) } };
    assert.deepEqual(waits(o, endOf(o.dates.deliveryDate)), []);
  });

  it('leaves out a wait whose start is unknown rather than failing', () => {
    const o: Opportunity = { ...submitted(), status: 'closed', timeline: {}, eventAt: {} };
    const evaluated = { ...o, selection: { ...o.selection, applications: 3, passed: 1 } };
    assert.deepEqual(waits(o), []);
    assert.deepEqual(waits(evaluated), []);
  });
});
