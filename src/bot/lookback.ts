import { viewOf, type Reader } from '../services/access';
import {
  type Lookback,
  lookback,
  lookbackSince,
  type LookbackSubject,
  type SplittingEvidence,
  splittingEvidence,
} from '../services/lookback';
import type { Opportunity } from '../services/opportunity';
import { everyRecord, type OpportunityStore } from '../services/store';
import type { Deps } from './turn';

/**
 * Reads the look-back from the store: every record of the window, since a branch goes by several names
 * (the store filters on one spelling), compared by the department's branch list. A department's year of
 * micro-acquisitions is a few thousand records at most; past that, the newest are weighed.
 */
const MOST_RECORDS = 5_000;

export async function readLookback(
  store: Pick<OpportunityStore, 'query'>,
  subject: LookbackSubject,
  now: string,
  branches: readonly (readonly string[])[],
): Promise<Lookback> {
  const records: Opportunity[] = [];
  for await (const o of everyRecord(store, { createdSince: lookbackSince(now) }, 200)) {
    records.push(o);
    if (records.length >= MOST_RECORDS) break;
  }
  return lookback(subject, records, now, branches);
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
