import type { NewOpportunity, Opportunity, Status } from './opportunity';

/**
 * The one port every store adapter implements (SQLite now, a SharePoint list later). Every method is
 * async so that a remote store fits the same shape; each adapter passes test/contract/store-contract.ts.
 */

export interface AuditEntry {
  readonly id: string;
  readonly reference: string;
  readonly at: string;
  readonly actor: { readonly aadObjectId: string; readonly name: string };
  readonly action: string;
  readonly from?: Status;
  readonly to?: Status;
  /** `refused` entries record attempts the workflow turned down, with the reason code. */
  readonly outcome: 'applied' | 'refused';
  readonly comment?: string;
  readonly reason?: string;
}
export type NewAuditEntry = Omit<AuditEntry, 'id' | 'reference'>;

export interface OpportunityFilter {
  readonly statuses?: readonly Status[];
  readonly requesterId?: string;
  readonly branch?: string;
  /** Records created in this year or later, as an ISO timestamp lower bound. */
  readonly createdSince?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; pass it back to get the next page. Absent on the last page. */
  readonly nextCursor?: string;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
}

export interface Draft {
  readonly id: string;
  readonly ownerId: string;
  /** Whatever the intake has gathered so far; validated only on submit. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly step: string;
  readonly version: number;
  readonly updatedAt: string;
}

/** What a person chose for themselves; each setting left out follows Teams (or the default) instead. */
export interface Preferences {
  readonly locale?: 'en' | 'fr';
}

/** A stored Bot Framework conversation reference, kept opaque so the store never imports botbuilder. */
export type ConversationReferenceJson = Readonly<Record<string, unknown>>;

/** Another writer changed the record first: re-read and decide again. */
export class ConcurrencyError extends Error {
  constructor(
    readonly reference: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | undefined,
  ) {
    super(`${reference} is at version ${actualVersion ?? 'none'}, not ${expectedVersion}`);
    this.name = 'ConcurrencyError';
  }
}

/** The store cannot be reached or answered with a fault; the operation may be retried. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

export interface OpportunityStore {
  /**
   * Saves a new record with the next reference of its creation year (MA-YYYY-NNNN) at version 1, with
   * its first audit entry, atomically. The same idempotency key returns the first record, not a second.
   */
  create(record: NewOpportunity, audit: NewAuditEntry, idempotencyKey: string): Promise<Opportunity>;
  get(reference: string): Promise<Opportunity | undefined>;
  /** Newest first. */
  query(filter: OpportunityFilter, page: PageRequest): Promise<Page<Opportunity>>;
  /**
   * Replaces the record if it is still at `expectedVersion` (else ConcurrencyError), appending the audit
   * entry in the same write. `next.version` must be `expectedVersion + 1`.
   */
  transition(next: Opportunity, expectedVersion: number, audit: NewAuditEntry): Promise<Opportunity>;
  /** Records an audit entry on its own (a refused attempt, for instance). */
  appendAudit(reference: string, entry: NewAuditEntry): Promise<AuditEntry>;
  /** Oldest first. */
  auditTrail(reference: string): Promise<readonly AuditEntry[]>;

  /** Creates or replaces a draft; with `expectedVersion`, only if the stored one is still at it. */
  saveDraft(draft: Omit<Draft, 'version'>, expectedVersion?: number): Promise<Draft>;
  getDraft(ownerId: string, id: string): Promise<Draft | undefined>;
  /** Most recently updated first. */
  listDrafts(ownerId: string): Promise<readonly Draft[]>;
  deleteDraft(ownerId: string, id: string): Promise<boolean>;

  saveConversation(key: string, reference: ConversationReferenceJson): Promise<void>;
  getConversation(key: string): Promise<ConversationReferenceJson | undefined>;
  deleteConversation(key: string): Promise<boolean>;

  /**
   * Kept by the store, not the conversation, so a choice survives restarts and follows the person into
   * every chat. `{}` when nothing is stored. A save replaces everything stored for the person (leaving
   * `locale` out clears it) and returns what is now stored.
   */
  getPreferences(userId: string): Promise<Preferences>;
  savePreferences(userId: string, preferences: Preferences): Promise<Preferences>;

  /** Resolves when the store answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
