import { createHash } from 'node:crypto';

/**
 * The random draw among applicants who passed, made checkable by anyone: the seed is fixed when
 * applications close (its SHA-256 published then), and once the draw is made the seed and the passing
 * applicant numbers are published. Sorting those numbers by the SHA-256 of `seed:number` gives the order
 * of the draw: the first is selected, and if they decline or cannot be reached, the next. Any SHA-256
 * tool recomputes it (`printf '%s' "$SEED:3" | sha256sum`).
 */

const digest = (seed: string, item: string) =>
  createHash('sha256').update(`${seed}:${item}`, 'utf8').digest('hex');

interface Keyed {
  readonly item: string;
  readonly key: string;
}
// Stryker disable next-line EqualityOperator: distinct items never share a SHA-256 key, so < and <= sort alike
const byKey = (a: Keyed, b: Keyed) => (a.key < b.key ? -1 : 1);

/** `items` in the order the seed draws them. */
export function drawOrder(seed: string, items: readonly string[]): string[] {
  return items
    .map((item) => ({ item, key: digest(seed, item) }))
    .sort(byKey)
    .map((d) => d.item);
}

/**
 * The first of `candidates` in the seed's order that has not declined; undefined when all have. The
 * candidates are the passing applicant numbers, as published.
 */
export function drawWinner(
  seed: string,
  candidates: readonly string[],
  declined: readonly string[],
): string | undefined {
  return drawOrder(seed, candidates).find((c) => !declined.includes(c));
}

/**
 * Applicant numbers for an opportunity's confirmed applications, 1 to n, in the seed's order of their
 * ids: evaluators cannot tell who applied first, and numbering again (after a restart) gives the same.
 */
export function applicantNumbers(seed: string, ids: readonly string[]): ReadonlyMap<string, number> {
  return new Map(drawOrder(seed, ids).map((id, i) => [id, i + 1]));
}
