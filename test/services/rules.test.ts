import { strict as assert } from 'node:assert';
import {
  addBusinessDays,
  businessDaysBetween,
  daysBetween,
  isWeekend,
} from '../../src/services/business-days';
import { stageOf, STATUSES } from '../../src/services/opportunity';
import {
  fixedPriceCents,
  MAX_PRICE_BEFORE_TAX_CENTS,
  totalWithHighestTaxCents,
  withinCeiling,
} from '../../src/services/pricing';
import { checkAttestations, checkDates, checkPricing } from '../../src/services/rules';

describe('pricing', () => {
  it('prices the work as rate × (estimated hours + 10 admin hours)', () => {
    assert.equal(fixedPriceCents(8_000, 40), 400_000);
    assert.equal(fixedPriceCents(6_550, 12.5), 147_375);
  });

  it('adds the highest Canadian tax (15 %) to check the ceiling', () => {
    assert.equal(totalWithHighestTaxCents(400_000), 460_000);
  });

  it('accepts $8,695.65 before tax and refuses a cent more', () => {
    assert.equal(MAX_PRICE_BEFORE_TAX_CENTS, 869_565);
    assert.equal(withinCeiling(869_565), true);
    assert.equal(withinCeiling(869_566), false);
    assert.equal(withinCeiling(869_000), true); // the pilot's guidance: $8,690
  });
});

describe('dates', () => {
  const dates = (a: string, s: string, d: string) => ({
    applicationDeadline: a,
    supplierSelectionDate: s,
    deliveryDate: d,
  });

  it('accepts future dates in process order', () => {
    assert.deepEqual(checkDates(dates('2026-12-07', '2026-12-09', '2027-01-29'), 40, 10, '2026-11-23'), []);
  });

  it('refuses an application deadline today or in the past', () => {
    const problems = checkDates(dates('2026-11-23', '2026-12-09', '2027-01-29'), 40, 10, '2026-11-23');
    assert.deepEqual(problems, [{ field: 'applicationDeadline', code: 'date_not_future' }]);
  });

  it('refuses a selection before the deadline and a delivery before the selection', () => {
    const problems = checkDates(dates('2026-12-09', '2026-12-07', '2026-12-01'), 40, 10, '2026-11-23');
    assert.deepEqual(
      problems.map((p) => [p.field, p.code]),
      [
        ['supplierSelectionDate', 'dates_out_of_order'],
        ['deliveryDate', 'dates_out_of_order'],
      ],
    );
  });

  it('refuses a delivery date that would need more than 37.5 hours a week', () => {
    // 150 hours in 2 weeks is 75 hours a week.
    const problems = checkDates(dates('2026-12-07', '2026-12-09', '2026-12-23'), 140, 10, '2026-11-23');
    assert.deepEqual(problems, [
      { field: 'deliveryDate', code: 'too_many_hours_per_week', params: { hoursPerWeek: 75 } },
    ]);
  });

  it('refuses a delivery on the supplier selection day as out of order', () => {
    const problems = checkDates(dates('2026-12-07', '2026-12-09', '2026-12-09'), 40, 10, '2026-11-23');
    assert.deepEqual(problems, [{ field: 'deliveryDate', code: 'dates_out_of_order' }]);
  });

  it('accepts a delivery that needs exactly 37.5 hours a week, and not an hour more a day sooner', () => {
    // 65 + 10 hours in two weeks.
    assert.deepEqual(checkDates(dates('2026-12-07', '2026-12-09', '2026-12-23'), 65, 10, '2026-11-23'), []);
    assert.deepEqual(
      checkDates(dates('2026-12-07', '2026-12-09', '2026-12-22'), 65, 10, '2026-11-23').map((p) => p.code),
      ['too_many_hours_per_week'],
    );
  });

  it('asks for every attestation, naming the missing ones', () => {
    const problems = checkAttestations({
      unclassified: true,
      standalone: false,
      noInternalCapacity: true,
      notContractSplitting: false,
    });
    assert.deepEqual(
      problems.map((p) => p.field),
      ['attestations.standalone', 'attestations.notContractSplitting'],
    );
  });
});

describe('price rules', () => {
  const pricing = { hourlyRateCents: 8_000, estimatedHours: 40, adminHours: 10, fixedPriceCents: 400_000 };

  it('accepts a price that follows the formula and the ceiling', () => {
    assert.deepEqual(checkPricing(pricing), []);
  });

  it('refuses a fixed price that does not follow the formula, giving the price it should be', () => {
    assert.deepEqual(checkPricing({ ...pricing, fixedPriceCents: 399_999 }), [
      { field: 'fixedPrice', code: 'price_mismatch', params: { expectedCents: 400_000 } },
    ]);
  });

  it('refuses a price over the ceiling with the highest tax, giving that total', () => {
    const over = { hourlyRateCents: 10_000, estimatedHours: 77, adminHours: 10, fixedPriceCents: 870_000 };
    assert.deepEqual(checkPricing(over), [
      { field: 'fixedPrice', code: 'over_ceiling', params: { totalCents: 1_000_500 } },
    ]);
  });
});

describe('business days', () => {
  it('skips weekends', () => {
    assert.equal(isWeekend('2026-11-28'), true);
    assert.equal(isWeekend('2026-11-30'), false);
    assert.equal(addBusinessDays('2026-11-27', 1), '2026-11-30'); // Friday → Monday
    assert.equal(addBusinessDays('2026-11-23', 5), '2026-11-30');
  });

  it('skips the holidays it is given', () => {
    assert.equal(addBusinessDays('2026-12-24', 1, new Set(['2026-12-25'])), '2026-12-28');
  });

  it('counts business days between two dates', () => {
    assert.equal(businessDaysBetween('2026-11-23', '2026-11-30'), 5);
    assert.equal(businessDaysBetween('2026-11-30', '2026-11-23'), 0);
  });

  it('refuses what is not a date rather than counting nothing', () => {
    assert.throws(() => businessDaysBetween('soon', '2026-11-30'), { message: 'not a date: soon' });
    assert.throws(() => addBusinessDays('2026-13-01', 1), { message: 'not a date: 2026-13-01' });
    assert.throws(() => daysBetween('2026-11-30', ''), { message: 'not a date: ' });
  });
});

describe('tracker stages', () => {
  it('places every status in one of the pilot tracker’s five stages', () => {
    for (const s of STATUSES) assert.ok([1, 2, 3, 4, 5].includes(stageOf(s)), s);
    assert.deepEqual(
      ['submitted', 'supplier_selected', 'posted', 'in_progress', 'paid'].map((s) => stageOf(s as never)),
      [1, 2, 3, 4, 5],
    );
  });
});
