import type { ApplicationStore } from './applications';
import type { Delegation } from './delegation';
import type { WorkflowEvent } from './lifecycle';
import type { LocalMailbox, MailQueue } from './mail';
import type { NewOpportunity, Opportunity, Status } from './opportunity';
import type { PublicationLog } from './publication';
import type { QuestionStore } from './questions';
import type { RateWindow } from './rate';
import type { SubscriptionStore } from './subscriptions';

/**
 * The store's ports, split by what they hold (records, drafts, conversations, the outbox…). An adapter
 * implements the ports it stores; `composeStore` (stores/compose.ts) puts the configured ones together
 * as one `Store`. Every method is async so that a remote store fits the same shape; each adapter passes
 * the contract suites in test/contract/.
 */

export interface AuditEntry {
  readonly id: string;
  readonly reference: string;
  readonly at: string;
  /** Who acted; a delegate's decision names the colleague it was taken for. */
  readonly actor: {
    readonly aadObjectId: string;
    readonly name: string;
    readonly onBehalfOf?: { readonly aadObjectId: string; readonly name: string };
  };
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
  /**
   * Words that must all appear (as word beginnings, accents aside) in the title, description, branch or
   * skills. Search results come most recently written first.
   */
  readonly text?: string;
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

/** A message waiting to be sent to Teams: durable, so it survives a restart; its id makes it unique. */
export interface OutboxMessage {
  /** Chosen by the producer so the same update is never queued twice, e.g. `update:MA-2026-0001:v3:requester`. */
  readonly id: string;
  /** Key of a stored conversation reference (saveConversation), e.g. `user:<aadObjectId>`, `channel:finance`. */
  readonly conversationKey: string;
  /** `post` sends a new message; `update` replaces the message whose id is stored under `messageKey`. */
  readonly kind: 'post' | 'update';
  /** The Bot Framework activity to send (text and/or attachments), as JSON. */
  readonly activity: Readonly<Record<string, unknown>>;
  /** For `post`: where to remember the new message's id (optional); for `update`: where to find it (required). */
  readonly messageKey?: string;
  readonly attempts: number;
  /** Not to be sent before this moment (ISO): the backoff. */
  readonly notBefore: string;
  readonly state: 'pending' | 'sent' | 'dead';
  readonly lastError?: string;
  readonly createdAt: string;
}
/** An event of a record being created: its reference is not known until the store gives it one. */
export type CreationEvent = Omit<WorkflowEvent, 'reference'>;

/** A change whose messages are still to be queued: what happened to which version of which request. */
export interface PendingNotification {
  readonly reference: string;
  readonly version: number;
  readonly events: readonly WorkflowEvent[];
  readonly at: string;
}

/**
 * An activity the bot has answered, remembered for a day: Teams redelivers an activity (same id) when
 * its answer was late or lost, and the redelivery must get the first answer, not run a second time.
 */
export interface HandledActivity {
  /** Channel, conversation and activity id: ids are unique only within a conversation. */
  readonly key: string;
  /** The invoke response given (buttons); messages were answered in the conversation itself. */
  readonly response?: Readonly<Record<string, unknown>>;
  readonly at: string;
}

export type NewOutboxMessage = Pick<
  OutboxMessage,
  'id' | 'conversationKey' | 'kind' | 'activity' | 'messageKey' | 'createdAt'
>;

export interface DueOptions {
  /** Leases the returned messages to this replica until then (several replicas share the outbox). */
  readonly lease?: Lease;
  /**
   * At most this many messages per conversation, so that a conversation with a long backlog cannot fill
   * the whole batch and hold up the others while the sender paces it.
   */
  readonly perConversation?: number;
}

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

/** Someone the bot can reach in their personal chat. */
export interface Person {
  readonly aadObjectId: string;
  readonly name: string;
}

/** A replica's hold on some work until `until`: another takes the work over once it has passed. */
export interface Lease {
  readonly owner: string;
  readonly until: string;
}

/** What a replica learns when it claims an activity to answer it. */
export type ActivityClaim =
  /** Answered before (by any replica): give the same answer again. */
  | { readonly kind: 'answered'; readonly activity: HandledActivity }
  /** This replica runs it now; `rememberActivity` records the answer and ends the claim. */
  | { readonly kind: 'claimed' }
  /** Another replica runs it until `until` (then it may be taken over): wait for its answer. */
  | { readonly kind: 'running'; readonly until: string };

/**
 * The records with their audit trails: what a request is and every decision on it. SQLite and
 * PostgreSQL keep it in the working database; SharePoint keeps it in its lists.
 */
export interface RecordStore {
  /**
   * Saves a new record with the next reference of its creation year (MA-YYYY-NNNN) at version 1, with
   * its first audit entry, atomically. The same idempotency key returns the first record, not a second.
   * The creation's `events` (the new reference filled in) are kept as a pending notification, as with
   * `transition`.
   */
  create(
    record: NewOpportunity,
    audit: NewAuditEntry,
    idempotencyKey: string,
    events?: readonly CreationEvent[],
  ): Promise<Opportunity>;
  get(reference: string): Promise<Opportunity | undefined>;
  /** Newest first. */
  query(filter: OpportunityFilter, page: PageRequest): Promise<Page<Opportunity>>;
  /**
   * Replaces the record if it is still at `expectedVersion` (else ConcurrencyError), appending the audit
   * entry in the same write. `next.version` must be `expectedVersion + 1`. The change's `events` are kept
   * as a pending notification (see `pendingNotifications`) with the change itself, so a crash or a store
   * failure between the change and its messages cannot lose the messages.
   */
  transition(
    next: Opportunity,
    expectedVersion: number,
    audit: NewAuditEntry,
    events?: readonly WorkflowEvent[],
  ): Promise<Opportunity>;
  /** Records an audit entry on its own (a refused attempt, for instance). */
  appendAudit(reference: string, entry: NewAuditEntry): Promise<AuditEntry>;
  /** Oldest first. */
  auditTrail(reference: string): Promise<readonly AuditEntry[]>;
  /**
   * The records the contract-splitting look-back weighs (services/lookback.ts), light: created at or
   * after `since`, neither cancelled nor rejected, whose branch folds (`ownBranchKey`) to one of
   * `branchKeys`, and that either name a supplier or share one of `words` (`titleWords`) in their
   * title. Newest first (the latest reference first), at most `limit`.
   */
  lookbackRows(query: LookbackQuery, limit: number): Promise<readonly LookbackRow[]>;
}

/** Which records the look-back reads: see `lookbackQuery` (services/lookback.ts). */
export interface LookbackQuery {
  /** Folded branch names: the subject's branch by each of its names. */
  readonly branchKeys: readonly string[];
  /** The subject title's significant words, folded. */
  readonly words: readonly string[];
  /** An ISO timestamp: the window's start. */
  readonly since: string;
}

/**
 * What the look-back reads of a record, in the record's own shape so that a whole record is one too.
 * `createdAt` is in UTC; `supplierName`, trimmed, is there only when a supplier is named.
 */
export interface LookbackRow {
  readonly reference: string;
  readonly title: string;
  readonly status: Status;
  readonly createdAt: string;
  readonly client: { readonly branch: string };
  readonly pricing: { readonly fixedPriceCents: number };
  readonly selection: { readonly supplierName?: string | undefined };
}

/** Changes whose messages are still to be queued (kept with the change where the records share the database). */
export interface NotificationStore {
  /** Notes a change saved elsewhere (SharePoint), whose messages are still to be queued. */
  addNotification(notification: PendingNotification): Promise<void>;
  /** Changes whose messages may not all be queued yet, oldest first. */
  pendingNotifications(limit: number): Promise<readonly PendingNotification[]>;
  /** The messages of this change are queued (or no longer needed). */
  settleNotification(reference: string, version: number): Promise<void>;
}

/** Intake forms being filled in, per person. */
export interface DraftStore {
  /** Creates or replaces a draft; with `expectedVersion`, only if the stored one is still at it. */
  saveDraft(draft: Omit<Draft, 'version'>, expectedVersion?: number): Promise<Draft>;
  getDraft(ownerId: string, id: string): Promise<Draft | undefined>;
  /** Most recently updated first. */
  listDrafts(ownerId: string): Promise<readonly Draft[]>;
  deleteDraft(ownerId: string, id: string): Promise<boolean>;
}

/** Where the bot can write: conversation references, and the ids of the messages it posted there. */
export interface ConversationStore {
  saveConversation(key: string, reference: ConversationReferenceJson): Promise<void>;
  getConversation(key: string): Promise<ConversationReferenceJson | undefined>;
  deleteConversation(key: string): Promise<boolean>;
  /**
   * The people who have a personal chat with the bot (so it can reach them), as their chats' references
   * name them, ordered by name; at most `limit`.
   */
  peopleInChat(limit: number): Promise<readonly Person[]>;
  /** Remembers (or replaces) the id of a message the bot posted, so its card can be updated for everyone. */
  saveMessageId(key: string, activityId: string): Promise<void>;
  getMessageId(key: string): Promise<string | undefined>;
}

export interface PreferenceStore {
  /**
   * Kept by the store, not the conversation, so a choice survives restarts and follows the person into
   * every chat. `{}` when nothing is stored. A save replaces everything stored for the person (leaving
   * `locale` out clears it) and returns what is now stored.
   */
  getPreferences(userId: string): Promise<Preferences>;
  savePreferences(userId: string, preferences: Preferences): Promise<Preferences>;
}

export interface DelegationStore {
  /**
   * Who acts for whom (services/delegation.ts). Person ids compare whatever their case. Saving a new
   * delegation ends the delegator's running one in the same write (endedAt = the new one's createdAt,
   * endedBy = the delegator); saving an id already stored changes nothing and returns what is stored.
   * Ended delegations are kept: they are the record of who acted for whom. RangeError for a delegation
   * that is not valid, or already ended.
   */
  saveDelegation(delegation: Delegation): Promise<Delegation>;
  /** Ends a delegation still running; false, changing nothing, for one unknown or already ended. */
  endDelegation(id: string, by: Person, at: string): Promise<boolean>;
  /** The delegations a person holds on `today` (the department's date): not ended, last day not past. */
  delegationsTo(delegateId: string, today: string): Promise<readonly Delegation[]>;
  /** A person's delegations, the ones not ended first, then the newest; at most DELEGATIONS_LISTED. */
  delegationsBy(delegatorId: string): Promise<readonly Delegation[]>;
}

/** Messages waiting to be sent to Teams, shared by every replica. */
export interface Outbox {
  /**
   * Queues a message for the outbox sender: pending, due at once (notBefore = createdAt), 0 attempts.
   * Returns false, changing nothing, when a message with this id exists in any state, so the same update
   * is never queued (or sent) twice. RangeError for an empty id or key, an unknown kind, or an update
   * without a messageKey.
   */
  enqueue(message: NewOutboxMessage): Promise<boolean>;
  /**
   * Queues the messages of one change in one write, as `enqueue` would each (a known id is left as it
   * is), except updates of a message never posted nor queued to be posted under their key: there is
   * nothing to update. `settles` names the pending notification these messages fulfil, removed in the
   * same write. Returns how many were queued.
   */
  enqueueAll(
    messages: readonly NewOutboxMessage[],
    settles?: { readonly reference: string; readonly version: number },
  ): Promise<number>;
  /**
   * Pending messages with notBefore <= now, oldest first (createdAt, then the order they were queued in).
   * A conversation's messages leave in order: none is due while an older pending one of the same
   * conversation waits for its backoff or is leased, so a retry never lets a later message overtake it.
   * A message leased to a replica (`options.lease`) is due to nobody else until the lease has passed:
   * the replica that took it sends it, or, killed, leaves it to be taken over.
   */
  dueMessages(now: string, limit: number, options?: DueOptions): Promise<readonly OutboxMessage[]>;
  /**
   * The mark* calls settle or reschedule a pending message (and end its lease); RangeError for an id
   * never queued. A message already sent or dead stays as it is, so a late or repeated mark can never
   * queue it again.
   */
  markSent(id: string): Promise<void>;
  /** Counts an attempt and makes the message wait until `notBefore`. */
  markRetry(id: string, notBefore: string, error: string): Promise<void>;
  /** Counts an attempt and gives the message up: it is never due again. */
  markDead(id: string, error: string): Promise<void>;
  /**
   * Ends the lease of pending messages a replica took but did not send (held back by pacing, or behind
   * one that was): due again at once, no attempt counted. Ids not pending are left as they are.
   */
  releaseMessages(ids: readonly string[]): Promise<void>;
  /** For health checks and operators: messages waiting to be sent, and messages given up. */
  outboxCounts(): Promise<{ pending: number; dead: number }>;
}

/**
 * Activities the bot has answered, remembered for a day. Replicas share it: a redelivery that reaches
 * another replica while the first still runs waits for the first's answer instead of running again.
 */
export interface ActivityLog {
  /**
   * Takes the activity to answer it until `until`, unless it was answered (or is being answered under a
   * claim not yet passed). A claim whose `until` has passed is taken over: its replica died.
   */
  claimActivity(key: string, at: string, until: string): Promise<ActivityClaim>;
  /** Remembers an answered activity, ending its claim; the first answer stays when remembered again. */
  rememberActivity(activity: HandledActivity): Promise<void>;
  /** The answer given, if the activity was answered (a running claim is no answer). */
  recallActivity(key: string): Promise<HandledActivity | undefined>;
  /** Forgets activities answered (or claims given up) before `before` (ISO); returns how many. */
  forgetActivities(before: string): Promise<number>;
}

/** What replicas share so that they act as one: who runs a scheduled job, and Teams' rate limits. */
export interface Coordination {
  /**
   * Takes or renews the named lease for `owner` until `until`: true when `owner` holds it now (it was
   * free, passed, or already its own), false while another owner's lease runs.
   */
  holdLease(name: string, owner: string, now: string, until: string): Promise<boolean>;
  /** Gives the lease up if `owner` holds it, so another replica need not wait for it to pass. */
  releaseLease(name: string, owner: string): Promise<void>;
  /**
   * Takes one operation on a rate-limited key (a conversation, the app) if it fits every window at `now`
   * (ISO), recording it, and returns 0; else records nothing and returns the milliseconds until it would
   * fit. Atomic: replicas taking on one key together never exceed a window between them.
   */
  takeRate(key: string, now: string, windows: readonly RateWindow[]): Promise<number>;
  /**
   * Forgets the operations taken before `before` (ISO), and the keys left with none: a key taken once
   * (an address that sent one form) is not kept for ever. Every window is shorter than what is kept.
   */
  forgetRates(before: string): Promise<void>;
}

/** A connection to check and, at the end, close. */
export interface Resource {
  /** Resolves when the store answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Everything the Teams side of the bot keeps besides the public site: the records and the working state. */
export type OpportunityStore = RecordStore &
  NotificationStore &
  DraftStore &
  ConversationStore &
  PreferenceStore &
  DelegationStore &
  Outbox &
  ActivityLog &
  Coordination &
  Resource;

/** Every record a filter matches, page by page, newest first: for the few callers that need them all. */
export async function* everyRecord(
  store: Pick<OpportunityStore, 'query'>,
  filter: OpportunityFilter,
  pageSize = 100,
): AsyncGenerator<Opportunity> {
  let cursor: string | undefined;
  do {
    const page = await store.query(filter, { limit: pageSize, ...(cursor ? { cursor } : {}) });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

/** The latest change that was applied to a record (refused attempts aside): who decided last, and when. */
/**
 * Whether an entry is one of the record's changes, each of which made a version: it names the status it
 * left or entered. Notes kept beside the record (a question answered, an applicant marked, a document
 * kept) name none and made no version.
 */
export function changedTheRecord(e: Pick<AuditEntry, 'outcome' | 'from' | 'to'>): boolean {
  return e.outcome === 'applied' && (e.from !== undefined || e.to !== undefined);
}

export async function lastApplied(
  store: Pick<OpportunityStore, 'auditTrail'>,
  reference: string,
): Promise<AuditEntry | undefined> {
  return (await store.auditTrail(reference)).filter((e) => e.outcome === 'applied').at(-1);
}

/** The public site's ports: questions, subscriptions and applications. */
export type PublicSiteStore = QuestionStore & SubscriptionStore & ApplicationStore;

/** The e-mail queue, the local mailbox and what was published elsewhere. */
export type MailAndPublishing = MailQueue & LocalMailbox & PublicationLog;

/** Everything the bot keeps, port by port, as one object (see stores/compose.ts). */
export type Store = OpportunityStore & PublicSiteStore & MailAndPublishing;
