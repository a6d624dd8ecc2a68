import { composeStore } from './compose';
import type { Store } from '../services/store';
import { SqliteAccess } from './sqlite-access';
import { SqliteActivities } from './sqlite-activities';
import { SqliteApplications } from './sqlite-applications';
import { SqliteConversations } from './sqlite-conversations';
import { SqliteCoordination } from './sqlite-coordination';
import { SqliteDelegations } from './sqlite-delegations';
import { SqliteDrafts } from './sqlite-drafts';
import { SqliteMailbox, SqliteMailQueue } from './sqlite-mail';
import { SqliteOutbox } from './sqlite-outbox';
import { SqlitePreferences } from './sqlite-preferences';
import { SqlitePublicationLog } from './sqlite-publication-log';
import { SqliteQuestions } from './sqlite-questions';
import { SqliteRecords } from './sqlite-records';
import { connect, type SqliteStoreOptions } from './sqlite-schema';
import { SqliteSubscriptions } from './sqlite-subscriptions';

export { ftsQuery } from './sqlite-records';
export { SCHEMA_VERSION, SchemaTooNewError, type SqliteStoreOptions } from './sqlite-schema';

/**
 * The embedded store: one SQLite file, written through better-sqlite3, every port on the same
 * connection (sqlite-*.ts, one file per port). Every write that must be atomic is one IMMEDIATE
 * transaction, so a second process on the same file waits for the write lock up front instead of
 * failing halfway through a transaction.
 */
export type SqliteStore = Store;

export const SqliteStore = {
  /** Opens (creating it and its directory if needed) and migrates the file; ':memory:' for a throwaway. */
  open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const access = new SqliteAccess(connect(path, options), path);
    const records = new SqliteRecords(access);
    return composeStore({
      records,
      notifications: records,
      drafts: new SqliteDrafts(access),
      conversations: new SqliteConversations(access),
      preferences: new SqlitePreferences(access),
      delegations: new SqliteDelegations(access),
      outbox: new SqliteOutbox(access),
      activities: new SqliteActivities(access),
      coordination: new SqliteCoordination(access),
      questions: new SqliteQuestions(access),
      subscriptions: new SqliteSubscriptions(access),
      applications: new SqliteApplications(access),
      mail: new SqliteMailQueue(access),
      mailbox: new SqliteMailbox(access),
      publications: new SqlitePublicationLog(access),
      resources: [access],
    });
  },
};
