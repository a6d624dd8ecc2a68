/** Pricing rules from the pilot's client guide: a fixed price with a ceiling that holds under any Canadian tax. */

export const ADMIN_HOURS = 10;
/** The highest combined sales tax in Canada (HST in the Atlantic provinces). */
export const HIGHEST_TAX_RATE = 0.15;
export const CEILING_INCL_TAX_CENTS = 1_000_000;
export const SUGGESTED_RATE_CENTS = { min: 6_000, max: 10_000 } as const;
export const MAX_HOURS_PER_WEEK = 37.5;

/** Fixed price = hourly rate × (estimated hours + administrative hours), rounded to the cent. */
export function fixedPriceCents(
  hourlyRateCents: number,
  estimatedHours: number,
  adminHours = ADMIN_HOURS,
): number {
  return Math.round(hourlyRateCents * (estimatedHours + adminHours));
}

/** The price with the highest tax added: what must stay within the ceiling. */
export function totalWithHighestTaxCents(priceCents: number): number {
  return Math.round(priceCents * (1 + HIGHEST_TAX_RATE));
}

export function withinCeiling(priceCents: number): boolean {
  return totalWithHighestTaxCents(priceCents) <= CEILING_INCL_TAX_CENTS;
}

/** The largest pre-tax price that still fits the ceiling once the highest tax is added. */
export const MAX_PRICE_BEFORE_TAX_CENTS = Math.floor(CEILING_INCL_TAX_CENTS / (1 + HIGHEST_TAX_RATE));
