import { daysBetween } from './business-days';
import type { OpportunityContent } from './opportunity';
import { fixedPriceCents, MAX_HOURS_PER_WEEK, totalWithHighestTaxCents, withinCeiling } from './pricing';

/** A broken rule, named by a message key the edge translates, and the field it concerns. */
export interface Problem {
  readonly field: string;
  readonly code:
    // What a person typed that cannot be read as the field's value.
    | 'required'
    | 'too_long'
    | 'truncated'
    | 'wrong_type'
    | 'invalid_email'
    | 'invalid_url'
    | 'not_a_number'
    | 'not_positive'
    | 'too_large'
    | 'invalid_date'
    | 'too_many_items'
    | 'too_many_links'
    | 'not_a_licence'
    // Rules a well-formed opportunity must still meet.
    | 'over_ceiling'
    | 'price_mismatch'
    | 'date_not_future'
    | 'dates_out_of_order'
    | 'too_many_hours_per_week'
    | 'attestation_required';
  readonly params?: Readonly<Record<string, string | number>>;
}

/** Price rules: the fixed price follows the formula and stays within the ceiling with the highest tax. */
export function checkPricing(pricing: OpportunityContent['pricing']): Problem[] {
  const expected = fixedPriceCents(pricing.hourlyRateCents, pricing.estimatedHours, pricing.adminHours);
  if (pricing.fixedPriceCents !== expected) {
    return [{ field: 'fixedPrice', code: 'price_mismatch', params: { expectedCents: expected } }];
  }
  if (!withinCeiling(pricing.fixedPriceCents)) {
    return [
      {
        field: 'fixedPrice',
        code: 'over_ceiling',
        params: { totalCents: totalWithHighestTaxCents(pricing.fixedPriceCents) },
      },
    ];
  }
  return [];
}

/** Date rules: in the future, in process order, and a delivery that needs no more than a full-time week. */
export function checkDates(
  dates: OpportunityContent['dates'],
  estimatedHours: number,
  adminHours: number,
  today: string,
): Problem[] {
  const problems: Problem[] = [];
  if (dates.applicationDeadline <= today) {
    problems.push({ field: 'applicationDeadline', code: 'date_not_future' });
  }
  if (dates.supplierSelectionDate <= dates.applicationDeadline) {
    problems.push({ field: 'supplierSelectionDate', code: 'dates_out_of_order' });
  }
  if (dates.deliveryDate <= dates.supplierSelectionDate) {
    problems.push({ field: 'deliveryDate', code: 'dates_out_of_order' });
  } else {
    const weeks = daysBetween(dates.supplierSelectionDate, dates.deliveryDate) / 7;
    const perWeek = (estimatedHours + adminHours) / weeks;
    if (perWeek > MAX_HOURS_PER_WEEK) {
      problems.push({
        field: 'deliveryDate',
        code: 'too_many_hours_per_week',
        params: { hoursPerWeek: Math.round(perWeek * 10) / 10 },
      });
    }
  }
  return problems;
}

export function checkAttestations(a: OpportunityContent['attestations']): Problem[] {
  return (Object.keys(a) as (keyof typeof a)[])
    .filter((k) => !a[k])
    .map((k) => ({ field: `attestations.${k}`, code: 'attestation_required' as const }));
}

/** Every rule a complete opportunity must meet before it is submitted. */
export function checkContent(content: OpportunityContent, today: string): Problem[] {
  return [
    ...checkPricing(content.pricing),
    ...checkDates(content.dates, content.pricing.estimatedHours, content.pricing.adminHours, today),
    ...checkAttestations(content.attestations),
  ];
}
