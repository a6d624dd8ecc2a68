import type { Opportunity, Status } from './opportunity';

/**
 * The contract-splitting look-back: before attesting that a request is not part of a larger need split to
 * stay under the ceiling, the requester sees their branch's requests of the last twelve months whose
 * titles resemble theirs, and the suppliers the branch already engaged, with totals.
 */

export const LOOKBACK_MONTHS = 12;
/** Share of the shorter title's significant words found in the other: enough to call them similar. */
const SIMILARITY_THRESHOLD = 0.5;

const STOP_WORDS = new Set(
  (
    'the and for with from into onto that this our your their new add fix update make ' +
    'les des une pour avec dans sur par aux ces notre votre leur nouveau nouvelle ajout ajouter corriger mettre jour'
  ).split(' '),
);

/** Lower-case words of three letters or more, accents folded, common words dropped. */
export function significantWords(title: string): Set<string> {
  const folded = title.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  return new Set((folded.match(/[\p{L}\p{N}]{3,}/gu) ?? []).filter((w) => !STOP_WORDS.has(w)));
}

function overlap(a: string, b: string): { shared: number; sizes: [number, number] } {
  const wa = significantWords(a);
  const wb = significantWords(b);
  let shared = 0;
  for (const w of wa) if (wb.has(w)) shared += 1;
  return { shared, sizes: [wa.size, wb.size] };
}

/** Share of the shorter title's words in the other: "phase 2" of a job matches the job itself. */
export function titleSimilarity(a: string, b: string): number {
  const { shared, sizes } = overlap(a, b);
  const smaller = Math.min(...sizes);
  return smaller === 0 ? 0 : shared / smaller;
}

/** Shared words over all words: ranks an identical title above one that merely contains it. */
function closeness(a: string, b: string): number {
  const { shared, sizes } = overlap(a, b);
  const union = sizes[0] + sizes[1] - shared;
  return union === 0 ? 0 : shared / union;
}

export interface SimilarRequest {
  readonly reference: string;
  readonly title: string;
  readonly status: Status;
  readonly createdAt: string;
  readonly fixedPriceCents: number;
}

export interface SupplierTotal {
  readonly supplier: string;
  readonly contracts: number;
  readonly totalCents: number;
}

export interface Lookback {
  readonly similar: readonly SimilarRequest[];
  readonly suppliers: readonly SupplierTotal[];
}

/** The start of the look-back window, as an ISO timestamp, for the store query. */
export function lookbackSince(now: string): string {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - LOOKBACK_MONTHS);
  return d.toISOString();
}

/**
 * What the requester should weigh, from the branch's records of the window. Cancelled and rejected
 * requests bought nothing and are left out.
 */
export function lookback(title: string, branchRecords: readonly Opportunity[], now: string): Lookback {
  const since = lookbackSince(now);
  const live = branchRecords.filter(
    (o) => o.createdAt >= since && o.status !== 'cancelled' && o.status !== 'rejected',
  );
  // Closest titles first; among equals, the store's order (newest first) stays.
  const similar = live
    .filter((o) => titleSimilarity(title, o.title) >= SIMILARITY_THRESHOLD)
    .map((o) => ({ o, score: closeness(title, o.title) }))
    .sort((a, b) => b.score - a.score)
    .map(({ o }) => ({
      reference: o.reference,
      title: o.title,
      status: o.status,
      createdAt: o.createdAt,
      fixedPriceCents: o.pricing.fixedPriceCents,
    }));
  const bySupplier = new Map<string, { supplier: string; contracts: number; totalCents: number }>();
  for (const o of live) {
    const name = o.selection.supplierName?.trim();
    if (!name) continue;
    const key = name.toLowerCase();
    const entry = bySupplier.get(key) ?? { supplier: name, contracts: 0, totalCents: 0 };
    entry.contracts += 1;
    entry.totalCents += o.pricing.fixedPriceCents;
    bySupplier.set(key, entry);
  }
  const suppliers = [...bySupplier.values()].sort(
    (a, b) => b.totalCents - a.totalCents || a.supplier.localeCompare(b.supplier),
  );
  return { similar, suppliers };
}
