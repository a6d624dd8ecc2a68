import type { Store } from '../services/store';
import { composeStore } from './compose';
import { PgAccess, type PgStoreOptions } from './pg-access';
import { PgRecords } from './pg-records';
import { migrate } from './pg-schema';
import {
  PgApplications,
  PgMailbox,
  PgMailQueue,
  PgPublicationLog,
  PgQuestions,
  PgSubscriptions,
} from './pg-site';
import {
  PgActivities,
  PgConversations,
  PgCoordination,
  PgDelegations,
  PgDrafts,
  PgOutbox,
  PgPreferences,
} from './pg-working';

/**
 * Everything in one PostgreSQL database, shared by every replica: one pool per process, the schema
 * migrated at start (replicas take turns), each port on its own tables.
 */
export async function openPgStore(options: PgStoreOptions): Promise<Store> {
  const db = PgAccess.connect(options);
  try {
    await migrate(db, options.schema);
  } catch (err) {
    await db.close();
    throw err;
  }
  const records = new PgRecords(db);
  return composeStore({
    records,
    notifications: records,
    drafts: new PgDrafts(db),
    conversations: new PgConversations(db),
    preferences: new PgPreferences(db),
    delegations: new PgDelegations(db),
    outbox: new PgOutbox(db),
    activities: new PgActivities(db),
    coordination: new PgCoordination(db),
    questions: new PgQuestions(db),
    subscriptions: new PgSubscriptions(db),
    applications: new PgApplications(db),
    mail: new PgMailQueue(db),
    mailbox: new PgMailbox(db),
    publications: new PgPublicationLog(db),
    resources: [db],
  });
}
