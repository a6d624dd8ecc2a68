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

/**
 * How people write amounts in English and French, once spaces and the dollar sign are set aside: each
 * form, and how it reads. A comma before exactly three digits groups thousands ("1,200"); before one or
 * two it is the French decimal comma ("80,50").
 */
const AMOUNT_FORMS: readonly { readonly form: RegExp; readonly read: (s: string) => string }[] = [
  { form: /^-?\d+(\.\d+)?$/, read: (s) => s },
  { form: /^-?\d{1,3}(,\d{3})+(\.\d+)?$/, read: (s) => s.replaceAll(',', '') },
  { form: /^-?\d+,\d{1,2}$/, read: (s) => s.replace(',', '.') },
  { form: /^-?\d{1,3}(\.\d{3})+(,\d+)?$/, read: (s) => s.replaceAll('.', '').replace(',', '.') },
];

/** Reads "80", "80.50", "80,50", "$1,200.00", "1 200,50 $" or "1.200,50" as a number; undefined if it is not one. */
export function parseDecimal(input: string | undefined): number | undefined {
  if (input === undefined) return undefined;
  const s = input.replace(/[\s\u00a0\u202f$]/g, '');
  const known = AMOUNT_FORMS.find(({ form }) => form.test(s));
  return known ? Number(known.read(s)) : undefined;
}
