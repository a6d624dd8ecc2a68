import { type ActionName, type Clock, decide, submit } from '../../src/services/lifecycle';
import type { NewOpportunity, Opportunity, OpportunityContent } from '../../src/services/opportunity';
import type { Actor } from '../../src/services/roles';
import type { NewAuditEntry } from '../../src/services/store';
import { CALENDAR, content, PAYLOAD } from '../support/opportunities';

/** Records for the store contract, built by the real workflow so they are always valid ones. */

/** A fixed Monday, so nothing depends on when the suite runs. */
export const NOW = '2026-03-02T14:00:00.000Z';
export const clockAt = (now: string = NOW): Clock => ({
  now,
  today: CALENDAR.dateOf(now),
  consultationDays: 5,
  holidays: CALENDAR,
});

export const actor = (id: string, name = `Person ${id}`, ...roles: ('procurement' | 'finance')[]): Actor => ({
  id,
  name,
  roles: new Set(roles),
});
export const REQUESTER = actor('requester-1', 'Riley Tremblay');
export const PROCUREMENT = actor('procurement-1', 'Sam Okafor', 'procurement');

/** The calendar date `days` after the instant `iso`, as YYYY-MM-DD. */
function daysAfter(iso: string, days: number): string {
  const d = new Date(iso);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Intake content that meets every rule on the day `at`: the shared fixture, with dates counted from `at`. */
export function contentAt(at: string, overrides: Partial<OpportunityContent> = {}): OpportunityContent {
  return content({
    dates: {
      applicationDeadline: daysAfter(at, 14),
      supplierSelectionDate: daysAfter(at, 16),
      deliveryDate: daysAfter(at, 60),
    },
    ...overrides,
  });
}

export interface FixtureOptions {
  /** When it was submitted: its createdAt, and so its reference year. */
  readonly at?: string;
  readonly requester?: Actor;
  readonly branch?: string;
  readonly title?: string;
  readonly content?: Partial<OpportunityContent>;
}

/** A freshly submitted record, as the intake hands it to the store. */
export function newOpportunity(options: FixtureOptions = {}): NewOpportunity {
  const at = options.at ?? NOW;
  const base = contentAt(at, options.content);
  const content: OpportunityContent = {
    ...base,
    ...(options.title !== undefined ? { title: options.title } : {}),
    client: { ...base.client, ...(options.branch !== undefined ? { branch: options.branch } : {}) },
  };
  const result = submit(content, options.requester ?? REQUESTER, 'en', clockAt(at));
  if (!result.ok) throw new Error(`fixture breaks the rules: ${JSON.stringify(result.refusal)}`);
  return result.record;
}

/** The audit entry the intake writes with a new record. */
export function submittedAudit(record: Pick<NewOpportunity, 'createdAt' | 'requester'>): NewAuditEntry {
  return {
    at: record.createdAt,
    actor: record.requester,
    action: 'submit',
    to: 'submitted',
    outcome: 'applied',
  };
}

/** The next version of `o` after `action`, and the audit entry that goes with it. */
export function step(
  o: Opportunity,
  action: ActionName,
  payload: unknown = PAYLOAD[action],
  by: Actor = PROCUREMENT,
  at: string = o.updatedAt,
): { next: Opportunity; audit: NewAuditEntry } {
  const outcome = decide(o, action, payload, by, clockAt(at));
  if (!outcome.ok) throw new Error(`fixture step ${action} refused: ${JSON.stringify(outcome.refusal)}`);
  const comment = outcome.events.find((e) => e.comment)?.comment;
  return {
    next: outcome.next,
    audit: {
      at,
      actor: { aadObjectId: by.id, name: by.name },
      action,
      from: o.status,
      to: outcome.next.status,
      outcome: 'applied',
      ...(comment !== undefined ? { comment } : {}),
    },
  };
}

/** Plain data as JSON would carry it: drops `undefined` members so records compare by content. */
export const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
