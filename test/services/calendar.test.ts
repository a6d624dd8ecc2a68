import { strict as assert } from 'node:assert';
import { Calendar, departmentClock } from '../../src/services/calendar';
import { decide } from '../../src/services/lifecycle';
import type { Opportunity } from '../../src/services/opportunity';
import { SYSTEM_ACTOR } from '../../src/services/roles';
import { checkDates } from '../../src/services/rules';
import { CHECKLIST, clock, person, submitted } from '../support/opportunities';

/**
 * The department's clock and calendar: the date where it works (never UTC's, never the machine's), when a
 * day ends there across the changes of hour, and which days are business days.
 */
const OTTAWA = new Calendar({ timeZone: 'America/Toronto', province: 'ON', closures: ['2026-12-29'] });

describe('the department’s clock', () => {
  for (const [instant, date, what] of [
    ['2026-11-24T02:30:00.000Z', '2026-11-23', '21:30 in Ottawa is still that day there, the next in UTC'],
    ['2026-11-24T04:59:59.000Z', '2026-11-23', '23:59 in Ottawa is still that day'],
    ['2026-11-24T05:00:00.000Z', '2026-11-24', 'midnight in Ottawa is the next day'],
    ['2026-03-08T04:59:00.000Z', '2026-03-07', 'the minute before the spring change (EST)'],
    ['2026-03-09T03:59:00.000Z', '2026-03-08', '23:59 on the day of the spring change (EDT)'],
    ['2026-11-01T03:59:00.000Z', '2026-10-31', '23:59 the day before the autumn change (EDT)'],
    ['2026-11-02T04:59:00.000Z', '2026-11-01', '23:59 on the day of the autumn change (EST)'],
  ] as const) {
    it(`reads ${instant} as ${date}: ${what}`, () => {
      assert.equal(OTTAWA.dateOf(instant), date);
      assert.equal(OTTAWA.dateOf(new Date(instant)), date);
    });
  }

  for (const [date, end] of [
    ['2026-12-10', '2026-12-11T04:59:59.999Z'],
    ['2026-03-07', '2026-03-08T04:59:59.999Z'],
    ['2026-03-08', '2026-03-09T03:59:59.999Z'],
    ['2026-10-31', '2026-11-01T03:59:59.999Z'],
    ['2026-11-01', '2026-11-02T04:59:59.999Z'],
  ] as const) {
    it(`ends ${date} at 23:59:59 in Ottawa, ${end} in UTC`, () => {
      assert.equal(OTTAWA.endOf(date), end);
    });
  }

  it('reads the date where the department works, whatever the zone', () => {
    const vancouver = new Calendar({ timeZone: 'America/Vancouver', province: 'BC' });
    assert.equal(vancouver.dateOf('2026-11-24T05:30:00.000Z'), '2026-11-23');
    assert.equal(vancouver.endOf('2026-12-10'), '2026-12-11T07:59:59.999Z');
  });

  it('gives today as the department’s date of the time it is given', () => {
    const at = departmentClock(OTTAWA, () => new Date('2026-11-24T03:00:00.000Z'));
    assert.equal(at.today(), '2026-11-23');
    assert.equal(at.now().toISOString(), '2026-11-24T03:00:00.000Z');
  });

  it('refuses a zone that does not exist, and what is not a date or an instant', () => {
    // Each refusal names what it could not read, for the log and the configuration's message.
    assert.throws(() => new Calendar({ timeZone: 'Mars/Olympus', province: 'ON' }), {
      name: 'RangeError',
      message: 'not a time zone: Mars/Olympus',
    });
    assert.throws(() => OTTAWA.endOf('2026-02-30'), {
      name: 'RangeError',
      message: 'not a date: 2026-02-30',
    });
    assert.throws(() => OTTAWA.endOf('soon'), RangeError);
    // A date with anything before or after it is not a date.
    assert.throws(() => OTTAWA.endOf('2026-12-09T12'), RangeError);
    assert.throws(() => OTTAWA.endOf('x2026-12-09'), RangeError);
    assert.throws(() => OTTAWA.dateOf('soon'), { name: 'RangeError', message: 'not an instant: soon' });
  });
});

describe('the department’s calendar', () => {
  const daysOff = (calendar: Calendar, dates: readonly string[]) =>
    dates.filter((d) => !calendar.isBusinessDay(d));

  it('keeps the federal public service’s holidays of 2026, with Ontario’s Civic Holiday', () => {
    const off = [
      ['2026-01-01', 'New Year’s Day'],
      ['2026-04-03', 'Good Friday'],
      ['2026-04-06', 'Easter Monday'],
      ['2026-05-18', 'Victoria Day'],
      ['2026-07-01', 'Canada Day'],
      ['2026-08-03', 'Civic Holiday'],
      ['2026-09-07', 'Labour Day'],
      ['2026-09-30', 'National Day for Truth and Reconciliation'],
      ['2026-10-12', 'Thanksgiving'],
      ['2026-11-11', 'Remembrance Day'],
      ['2026-12-25', 'Christmas Day'],
      ['2026-12-28', 'Boxing Day'],
    ] as const;
    for (const [date, name] of off) {
      assert.equal(OTTAWA.dayOffName(date, 'en'), name, date);
      assert.equal(OTTAWA.isBusinessDay(date), false, date);
    }
    // Ontario's Family Day is not one of them.
    assert.equal(OTTAWA.isBusinessDay('2026-02-16'), true);
  });

  it('names its days off in French too, as the intake says them', () => {
    const off = [
      ['2026-01-01', 'Jour de l’An'],
      ['2026-04-03', 'Vendredi saint'],
      ['2026-04-06', 'Lundi de Pâques'],
      ['2026-05-18', 'Fête de la Reine'],
      ['2026-07-01', 'Fête du Canada'],
      ['2026-08-03', 'Congé civique'],
      ['2026-09-07', 'Fête du Travail'],
      ['2026-09-30', 'Journée nationale de la vérité et de la réconciliation'],
      ['2026-10-12', 'Action de grâce'],
      ['2026-11-11', 'Jour du Souvenir'],
      ['2026-12-25', 'Noël'],
      ['2026-12-28', 'Lendemain de Noël'],
      ['2026-12-29', 'Ministère fermé'],
    ] as const;
    for (const [date, name] of off) assert.equal(OTTAWA.dayOffName(date, 'fr'), name, date);
    assert.equal(OTTAWA.dayOffName('2026-12-29', 'en'), 'Department closed');
    assert.equal(OTTAWA.dayOffName('2026-12-30', 'fr'), undefined);
  });

  it('moves a holiday on a weekend to the next working day: Christmas 2027 on a Saturday', () => {
    assert.deepEqual(daysOff(OTTAWA, ['2027-12-24', '2027-12-27', '2027-12-28', '2027-12-29']), [
      '2027-12-27',
      '2027-12-28',
    ]);
    // Canada Day 2028 is a Saturday: the holiday is Monday the 3rd.
    assert.deepEqual(daysOff(OTTAWA, ['2028-06-30', '2028-07-03', '2028-07-04']), ['2028-07-03']);
  });

  it('keeps Quebec’s Fête nationale instead of the Civic Holiday', () => {
    const quebec = new Calendar({ timeZone: 'America/Toronto', province: 'QC' });
    assert.equal(quebec.isBusinessDay('2026-06-24'), false);
    assert.equal(quebec.isBusinessDay('2026-08-03'), true);
    assert.equal(quebec.dayOffName('2026-06-24', 'en'), 'Saint-Jean-Baptiste Day');
    assert.equal(quebec.dayOffName('2026-06-24', 'fr'), 'Fête nationale du Québec');
  });

  it('keeps Newfoundland and Labrador’s Orangemen’s Day on the Monday nearest 12 July', () => {
    const nl = new Calendar({ timeZone: 'America/St_Johns', province: 'NL' });
    // 12 July: a Sunday in 2026, a Monday in 2027, a Wednesday in 2028.
    assert.equal(nl.dayOffName('2026-07-13', 'en'), 'Orangemen’s Day');
    assert.equal(nl.dayOffName('2026-07-13', 'fr'), 'Fête des orangistes');
    assert.equal(nl.dayOffName('2027-07-12', 'en'), 'Orangemen’s Day');
    assert.equal(nl.dayOffName('2028-07-10', 'en'), 'Orangemen’s Day');
    assert.equal(nl.isBusinessDay('2026-08-03'), true);
  });

  it('skips the department’s closures as it skips holidays', () => {
    assert.equal(OTTAWA.isBusinessDay('2026-12-29'), false);
    // Thu 24 (1), Fri 25 Christmas, Mon 28 Boxing Day, Tue 29 closed, Wed 30 (2), Thu 31 (3).
    assert.equal(OTTAWA.addBusinessDays('2026-12-23', 3), '2026-12-31');
    assert.equal(OTTAWA.businessDaysBetween('2026-12-23', '2026-12-31'), 3);
  });

  it('runs a consultation its full business days across a weekend and the holidays, to 23:59 in Ottawa', () => {
    const o: Opportunity = submitted();
    const at = (instant: string) => ({ ...clock(instant), holidays: OTTAWA });
    const vetted = decide(
      o,
      'vet_go',
      CHECKLIST,
      person('proc', 'procurement'),
      at('2026-12-23T15:00:00.000Z'),
    );
    assert.ok(vetted.ok);
    // Thu 24 (1), Wed 30 (2), Thu 31 (3), Jan 1 New Year's Day, Mon 4 (4), Tue 5 (5).
    assert.equal(vetted.next.consultation.closesOn, '2027-01-05');
    const close = (instant: string) =>
      decide(vetted.next, 'close_consultation', {}, SYSTEM_ACTOR, at(instant));
    assert.equal(close('2027-01-06T04:59:59.000Z').ok, false);
    assert.equal(close('2027-01-06T05:00:00.000Z').ok, true);
  });

  it('takes a deadline of tomorrow at 21:30 in Ottawa, when UTC is already on that day', () => {
    const today = OTTAWA.dateOf('2026-11-24T02:30:00.000Z');
    const dates = {
      applicationDeadline: '2026-11-24',
      supplierSelectionDate: '2026-11-26',
      deliveryDate: '2027-01-29',
    };
    assert.deepEqual(checkDates(dates, 40, 10, today), []);
  });
});
