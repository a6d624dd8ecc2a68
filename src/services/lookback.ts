import type { Status } from './opportunity';
import { CEILING_INCL_TAX_CENTS, totalWithHighestTaxCents } from './pricing';
import type { LookbackQuery, LookbackRow } from './store';

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

/**
 * A branch name as written, case, accents, spacing and punctuation aside, aliases not applied: what a
 * store keeps beside each record, so that the department's list of names can change without a rewrite.
 */
export function ownBranchKey(name: string): string {
  return (fold(name).match(/[\p{L}\p{N}]+/gu) ?? []).join(' ');
}

/** Each name's own key and its group's (the first name's), the first group holding a name winning. */
const groupIndexes = new WeakMap<BranchNames, ReadonlyMap<string, string>>();

function groupIndex(branches: BranchNames): ReadonlyMap<string, string> {
  let index = groupIndexes.get(branches);
  if (index === undefined) {
    const built = new Map<string, string>();
    for (const names of branches) {
      const first = names[0];
      if (first === undefined) continue;
      for (const name of names) {
        const own = ownBranchKey(name);
        if (!built.has(own)) built.set(own, ownBranchKey(first));
      }
    }
    index = built;
    // The department's list is one object for the process's life: its names are folded once.
    groupIndexes.set(branches, index);
  }
  return index;
}

/** The branch an own key names: the first name of the first group holding it, else the key itself. */
function groupKey(own: string, branches: BranchNames): string {
  return groupIndex(branches).get(own) ?? own;
}

/** A branch name as compared: case, accents, spacing and punctuation aside, and its aliases as one. */
export function branchKey(name: string, branches: BranchNames = []): string {
  return groupKey(ownBranchKey(name), branches);
}

/**
 * Every own key (`ownBranchKey`) that `branchKey` takes for the branch `name`: its own and its aliases'.
 * A record is of the branch exactly when its own key is one of them, so a store selects on those keys.
 */
export function branchKeys(name: string, branches: BranchNames = []): string[] {
  const branch = branchKey(name, branches);
  // A key in no group is a branch of its own, so of those only the branch's key itself can match.
  const keys = new Set([ownBranchKey(name), branch].filter((k) => groupKey(k, branches) === branch));
  for (const [own, group] of groupIndex(branches)) if (group === branch) keys.add(own);
  return [...keys];
}

/** Lower-case words of three letters or more, accents folded, common words dropped. */
export function significantWords(title: string): Set<string> {
  const folded = fold(title);
  return new Set((folded.match(/[\p{L}\p{N}]{3,}/gu) ?? []).filter((w) => !STOP_WORDS.has(w)));
}

/**
 * A title's significant words, each once: what a store keeps beside each record. Two titles alike
 * enough to be shown share at least one of them.
 */
export function titleWords(title: string): string[] {
  return [...significantWords(title)];
}

interface Overlap {
  readonly shared: number;
  readonly sizes: readonly [number, number];
}

function overlap(wa: ReadonlySet<string>, wb: ReadonlySet<string>): Overlap {
  let shared = 0;
  for (const w of wa) if (wb.has(w)) shared += 1;
  return { shared, sizes: [wa.size, wb.size] };
}

function similarity({ shared, sizes }: Overlap): number {
  const smaller = Math.min(...sizes);
  return smaller === 0 ? 0 : shared / smaller;
}

/** Share of the shorter title's words in the other: "phase 2" of a job matches the job itself. */
export function titleSimilarity(a: string, b: string): number {
  return similarity(overlap(significantWords(a), significantWords(b)));
}

/** Shared words over all words: ranks an identical title above one that merely contains it. */
function closeness({ shared, sizes }: Overlap): number {
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

/** Requests that bought nothing: the look-back leaves them out. */
export const LEFT_OUT: readonly Status[] = ['cancelled', 'rejected'];

/** The supplier a request engaged, trimmed; none when no name is given. */
export function supplierOf(o: Pick<LookbackRow, 'selection'>): string | undefined {
  return o.selection.supplierName?.trim() || undefined;
}

/** What to ask the store for (RecordStore.lookbackRows): every record `lookback` could show. */
export function lookbackQuery(
  subject: LookbackSubject,
  now: string,
  branches: BranchNames = [],
): LookbackQuery {
  return {
    branchKeys: branchKeys(subject.branch, branches),
    words: titleWords(subject.title),
    since: lookbackSince(now),
  };
}

/**
 * Whether a record answers a look-back query, as the SQL stores select: for a store that can only
 * filter what it has read (SharePoint).
 */
export function answersLookback(o: LookbackRow, query: LookbackQuery): boolean {
  if (!ofWindow(o, query)) return false;
  return supplierOf(o) !== undefined || titleWords(o.title).some((w) => query.words.includes(w));
}

/** A record of the query's branch and window that bought something: what the look-back may weigh. */
function ofWindow(o: LookbackRow, query: LookbackQuery): boolean {
  if (LEFT_OUT.includes(o.status) || Date.parse(o.createdAt) < Date.parse(query.since)) return false;
  return query.branchKeys.includes(ownBranchKey(o.client.branch));
}

/** The look-back's part of a record, as every store returns it. */
export function lookbackRow(o: LookbackRow): LookbackRow {
  const supplierName = supplierOf(o);
  return {
    reference: o.reference,
    title: o.title,
    status: o.status,
    createdAt: new Date(o.createdAt).toISOString(),
    client: { branch: o.client.branch },
    pricing: { fixedPriceCents: o.pricing.fixedPriceCents },
    selection: supplierName === undefined ? {} : { supplierName },
  };
}

/**
 * What the requester should weigh, from the records of the window (rows, or whole records): the
 * subject's branch's, by any of its names. Cancelled and rejected requests bought nothing and are left
 * out, as is the subject itself; a store's rows are already so chosen, a list of whole records need not be.
 */
export function lookback(
  subject: LookbackSubject,
  records: readonly LookbackRow[],
  now: string,
  branches: BranchNames = [],
): Lookback {
  const query = lookbackQuery(subject, now, branches);
  const live = records.filter((o) => o.reference !== subject.reference && ofWindow(o, query));
  // Closest titles first; among equals, the store's order (newest first) stays. The subject's words are
  // folded once: a branch's year may hold thousands of similar titles.
  const words = significantWords(subject.title);
  const similar = live
    .map((o) => ({ o, shared: overlap(words, significantWords(o.title)) }))
    .filter(({ shared }) => similarity(shared) >= SIMILARITY_THRESHOLD)
    .map(({ o, shared }) => ({ o, score: closeness(shared) }))
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
    const name = supplierOf(o);
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
