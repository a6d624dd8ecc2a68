import { viewOf, type Reader } from '../services/access';
import {
  type BranchNames,
  type Lookback,
  lookback,
  lookbackQuery,
  type LookbackSubject,
  type SplittingEvidence,
  splittingEvidence,
} from '../services/lookback';
import type { Opportunity } from '../services/opportunity';
import type { OpportunityStore } from '../services/store';
import type { Deps } from './turn';

/**
 * At most this many rows are weighed, the newest: a click's cost stays bounded however large a branch's
 * year grows. The store reads only the subject's branch, by each of its names, and of it only requests
 * that name a supplier or share a word with the subject's title, so the cap is reached only past 5,000
 * such requests in one branch's year.
 */
const MOST_ROWS = 5_000;

export async function readLookback(
  store: Pick<OpportunityStore, 'lookbackRows'>,
  subject: LookbackSubject,
  now: string,
  branches: BranchNames,
): Promise<Lookback> {
  const rows = await store.lookbackRows(lookbackQuery(subject, now, branches), MOST_ROWS);
  return lookback(subject, rows, now, branches);
}

/** Statuses in which someone vets or approves the request: where the evidence is weighed. */
const WEIGHED: ReadonlySet<Opportunity['status']> = new Set([
  'submitted',
  'changes_requested',
  'in_approval',
]);

/** The contract-splitting evidence for a reader whose view includes it, while the request is decided on. */
export async function evidenceFor(
  deps: Pick<Deps, 'store' | 'config' | 'clock'>,
  o: Opportunity,
  reader: Reader,
): Promise<SplittingEvidence | undefined> {
  if (!WEIGHED.has(o.status) || !viewOf(reader, o).splittingEvidence) return undefined;
  const found = await readLookback(
    deps.store,
    { title: o.title, branch: o.client.branch, reference: o.reference },
    deps.clock.now().toISOString(),
    deps.config.branches,
  );
  return splittingEvidence(found, o.pricing.fixedPriceCents);
}
