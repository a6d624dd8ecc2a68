import type { ApplicationStore } from '../services/applications';
import type { LocalMailbox, MailQueue } from '../services/mail';
import type { PublicationLog } from '../services/publication';
import type { QuestionStore } from '../services/questions';
import type {
  ActivityLog,
  ConversationStore,
  Coordination,
  DelegationStore,
  DraftStore,
  NotificationStore,
  Outbox,
  PreferenceStore,
  PublicSiteStore,
  RecordStore,
  Resource,
  Store,
} from '../services/store';
import type { SubscriptionStore } from '../services/subscriptions';

/** The adapter chosen for each port; one adapter object may serve several. */
export interface StoreParts {
  readonly records: RecordStore;
  readonly notifications: NotificationStore;
  readonly drafts: DraftStore;
  readonly conversations: ConversationStore;
  readonly preferences: PreferenceStore;
  readonly delegations: DelegationStore;
  readonly outbox: Outbox;
  readonly activities: ActivityLog;
  readonly coordination: Coordination;
  readonly questions: QuestionStore;
  readonly subscriptions: SubscriptionStore;
  readonly applications: ApplicationStore;
  readonly mail: MailQueue;
  readonly mailbox: LocalMailbox;
  readonly publications: PublicationLog;
  /** The connections behind the parts: all must answer for the store to be ready; each closes once. */
  readonly resources: readonly Resource[];
}

type Port = Exclude<keyof StoreParts, 'resources'>;
/** Every method of every port, named once: the compiler refuses a list that misses or invents one. */
type MethodsOf<P extends Port> = { readonly [M in keyof StoreParts[P]]-?: true };
const METHODS: { readonly [P in Port]: MethodsOf<P> } = {
  records: {
    create: true,
    get: true,
    query: true,
    transition: true,
    appendAudit: true,
    auditTrail: true,
    lookbackRows: true,
  },
  notifications: { addNotification: true, pendingNotifications: true, settleNotification: true },
  drafts: { saveDraft: true, getDraft: true, listDrafts: true, deleteDraft: true },
  conversations: {
    saveConversation: true,
    getConversation: true,
    deleteConversation: true,
    peopleInChat: true,
    saveMessageId: true,
    getMessageId: true,
  },
  preferences: { getPreferences: true, savePreferences: true },
  delegations: { saveDelegation: true, endDelegation: true, delegationsTo: true, delegationsBy: true },
  outbox: {
    enqueue: true,
    enqueueAll: true,
    dueMessages: true,
    markSent: true,
    markRetry: true,
    markDead: true,
    releaseMessages: true,
    outboxCounts: true,
  },
  activities: { claimActivity: true, rememberActivity: true, recallActivity: true, forgetActivities: true },
  coordination: { holdLease: true, releaseLease: true, takeRate: true, forgetRates: true },
  questions: { askQuestion: true, getQuestion: true, questionsOf: true, settleQuestion: true },
  subscriptions: {
    subscribe: true,
    confirmationResent: true,
    confirmSubscription: true,
    unsubscribe: true,
    subscribers: true,
    forgetUnconfirmed: true,
    subscriptionCounts: true,
  },
  applications: {
    submitApplication: true,
    applicationByToken: true,
    confirmApplication: true,
    getApplication: true,
    saveApplication: true,
    applicationsOf: true,
    deleteApplications: true,
    selfIdentificationCounts: true,
    applicationFigures: true,
  },
  mail: {
    queueMail: true,
    dueMail: true,
    markMailSent: true,
    markMailRetry: true,
    markMailDead: true,
    dropMailTo: true,
    mailCounts: true,
    deadMail: true,
  },
  mailbox: { deliverLocally: true, mailbox: true },
  publications: { lastPublished: true, notePublished: true },
};

/**
 * One Store from the adapters chosen for each port: each call goes to the adapter that holds that data,
 * `ping` asks every connection and `close` closes each once.
 */
export function composeStore(parts: StoreParts): Store {
  const store: Record<string, unknown> = {};
  for (const port of Object.keys(METHODS) as Port[]) {
    const adapter = parts[port] as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const method of Object.keys(METHODS[port])) {
      const fn = adapter[method];
      if (typeof fn !== 'function') throw new TypeError(`the ${port} adapter has no ${method}`);
      store[method] = fn.bind(adapter);
    }
  }
  const resources = [...new Set(parts.resources)];
  store.ping = async () => {
    await Promise.all(resources.map((r) => r.ping()));
  };
  let closing: Promise<void> | undefined;
  store.close = () =>
    (closing ??= Promise.allSettled(resources.map((r) => r.close())).then((results) => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }));
  return store as unknown as Store;
}

/**
 * Records and the public site kept elsewhere (SharePoint lists), composed with a working store (SQLite
 * or PostgreSQL) for everything else: that store's notifications note the records' changes.
 */
export function withRecordsIn(records: RecordStore & PublicSiteStore & Resource, working: Store): Store {
  return composeStore({
    ...partsOf(working),
    records,
    questions: records,
    subscriptions: records,
    applications: records,
    resources: [records, working],
  });
}

/** Every port of one whole store, as parts to compose with others. */
function partsOf(store: Store): StoreParts {
  return {
    records: store,
    notifications: store,
    drafts: store,
    conversations: store,
    preferences: store,
    delegations: store,
    outbox: store,
    activities: store,
    coordination: store,
    questions: store,
    subscriptions: store,
    applications: store,
    mail: store,
    mailbox: store,
    publications: store,
    resources: [store],
  };
}
