import type { Opportunity, Status } from './opportunity';
import { CEILING_INCL_TAX_CENTS, totalWithHighestTaxCents } from './pricing';

/**
 * The contract-splitting look-back: before attesting that a request is not part of a larger need split to
 * stay under the ceiling, the requester sees their branch's requests of the last twelve months whose
 * titles resemble theirs, and the suppliers the branch already engaged, with totals; procurement sees the
 * same evidence when it vets, weighed against the ceiling.
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

const fold = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/**
 * The names a department gives each of its branches, in both languages and as acronyms: each inner list
 * is one branch ("IITB", "DGIIT", "Innovation, Information and Technology Branch").
 */
export type BranchNames = readonly (readonly string[])[];

/** A branch name as compared: case, accents, spacing and punctuation aside, and its aliases as one. */
export function branchKey(name: string, branches: BranchNames = []): string {
  const key = (text: string) => (fold(text).match(/[\p{L}\p{N}]+/gu) ?? []).join(' ');
  const own = key(name);
  const known = branches.find((names) => names.some((n) => key(n) === own));
  return known?.[0] !== undefined ? key(known[0]) : own;
}

/** Lower-case words of three letters or more, accents folded, common words dropped. */
export function significantWords(title: string): Set<string> {
  const folded = fold(title);
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
  // Stryker disable next-line ArithmeticOperator: shared ÷ (all + shared) ranks titles in the same order
  const union = sizes[0] + sizes[1] - shared;
  // Stryker disable next-line ConditionalExpression: only similar titles are ranked, and they share words
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

/** Which request is weighed, and whose: its branch, and itself to leave out. */
export interface LookbackSubject {
  readonly title: string;
  readonly branch: string;
  readonly reference?: string;
}

/**
 * What the requester should weigh, from the records of the window: the subject's branch's, by any of
 * its names. Cancelled and rejected requests bought nothing and are left out, as is the subject itself.
 */
export function lookback(
  subject: LookbackSubject,
  records: readonly Opportunity[],
  now: string,
  branches: BranchNames = [],
): Lookback {
  const since = lookbackSince(now);
  const branch = branchKey(subject.branch, branches);
  const title = subject.title;
  const live = records.filter(
    (o) =>
      o.createdAt >= since &&
      o.status !== 'cancelled' &&
      o.status !== 'rejected' &&
      o.reference !== subject.reference &&
      branchKey(o.client.branch, branches) === branch,
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
    // Stryker disable next-line MethodExpression: any one case serves to compare names
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

/** The look-back weighed against the ceiling, for the officer who vets. */
export interface SplittingEvidence extends Lookback {
  readonly similarTotalCents: number;
  /** The similar requests and this one, with the highest tax. */
  readonly togetherWithTaxCents: number;
  readonly overCeiling: boolean;
  /** Suppliers the branch would pay past the ceiling in the window if they won this one too. */
  readonly suppliersOver: readonly (SupplierTotal & { readonly togetherWithTaxCents: number })[];
}

export function splittingEvidence(found: Lookback, priceCents: number): SplittingEvidence {
  const similarTotalCents = found.similar.reduce((sum, s) => sum + s.fixedPriceCents, 0);
  const togetherWithTaxCents = totalWithHighestTaxCents(similarTotalCents + priceCents);
  return {
    ...found,
    similarTotalCents,
    togetherWithTaxCents,
    overCeiling: found.similar.length > 0 && togetherWithTaxCents > CEILING_INCL_TAX_CENTS,
    suppliersOver: found.suppliers
      .map((s) => ({ ...s, togetherWithTaxCents: totalWithHighestTaxCents(s.totalCents + priceCents) }))
      .filter((s) => s.togetherWithTaxCents > CEILING_INCL_TAX_CENTS),
  };
}
