import { type Delegation, DELEGATIONS_LISTED, isIsoDate } from '../services/delegation';
import { idKey } from '../services/roles';
import {
  ConcurrencyError,
  type ConversationReferenceJson,
  type ConversationStore,
  type DelegationStore,
  type Draft,
  type DraftStore,
  type Person,
  type PreferenceStore,
  type Preferences,
} from '../services/store';
import { codeOf, type PgAccess, type Queryable, storable } from './pg-access';
import { ACTIVITIES_SCHEMA, COORDINATION_SCHEMA } from './pg-working-coordination';
import { OUTBOX_SCHEMA } from './pg-working-outbox';
import { nonEmpty, objectJson, storedObject } from './rows';
import {
  delegationEnd,
  type DelegationRow,
  DRAFT_COLUMNS,
  endedDelegation,
  newDelegation,
  preferencesJson,
  toDelegation,
  toDraft,
  toPreferences,
  userIdOf,
} from './working-rows';

export { PgOutbox } from './pg-working-outbox';
export { PgActivities, PgCoordination } from './pg-working-coordination';

/**
 * The working state in PostgreSQL (migration 2): drafts, conversation references and message ids,
 * preferences, delegations, the outbox, handled activities, and what replicas share to act as one.
 * Behaves as the SQLite file does (same orders, same errors); where several replicas meet on a row, a
 * single upsert or a row lock decides. Text that is sorted or compared by range uses the "C" collation,
 * so its order is the byte order SQLite uses, and ISO timestamps in UTC sort as time. Payloads that are
 * only stored and given back are `json`, which keeps them exactly as written.
 */

const DRAFTS_SCHEMA = `
  CREATE TABLE drafts (
    owner_id text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    step text NOT NULL,
    data json NOT NULL CHECK (json_typeof(data) = 'object'),
    version integer NOT NULL CHECK (version >= 1),
    updated_at text COLLATE "C" NOT NULL,
    PRIMARY KEY (owner_id, id)
  );
  CREATE INDEX drafts_owner_updated ON drafts (owner_id, updated_at DESC, id DESC);
`;

const CONVERSATIONS_SCHEMA = `
  CREATE TABLE conversations (
    key text COLLATE "C" PRIMARY KEY,
    data json NOT NULL CHECK (json_typeof(data) = 'object')
  );
  CREATE TABLE message_ids (
    key text PRIMARY KEY,
    activity_id text NOT NULL,
    updated_at text NOT NULL
  );
`;

const PREFERENCES_SCHEMA = `
  CREATE TABLE preferences (
    user_id text PRIMARY KEY,
    data json NOT NULL CHECK (json_typeof(data) = 'object'),
    updated_at text NOT NULL
  );
`;

/** Person ids in lower case (idKey); a delegator has at most one delegation not ended. */
const DELEGATIONS_SCHEMA = `
  CREATE TABLE delegations (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    delegator_id text NOT NULL,
    delegate_id text NOT NULL,
    until text COLLATE "C" NOT NULL,
    ended_at text,
    data json NOT NULL CHECK (json_typeof(data) = 'object')
  );
  CREATE UNIQUE INDEX delegations_running ON delegations (delegator_id) WHERE ended_at IS NULL;
  CREATE INDEX delegations_to ON delegations (delegate_id, until) WHERE ended_at IS NULL;
  CREATE INDEX delegations_by ON delegations (delegator_id, seq);
`;

/** Migration 2, as pg-schema.ts runs it: one string of statements, no parameters. */
export const WORKING_SCHEMA = [
  DRAFTS_SCHEMA,
  CONVERSATIONS_SCHEMA,
  PREFERENCES_SCHEMA,
  DELEGATIONS_SCHEMA,
  OUTBOX_SCHEMA,
  ACTIVITIES_SCHEMA,
  COORDINATION_SCHEMA,
].join('\n');

export class PgDrafts implements DraftStore {
  constructor(private readonly db: PgAccess) {}

  async saveDraft(draft: Omit<Draft, 'version'>, expectedVersion?: number): Promise<Draft> {
    const params = [draft.ownerId, draft.id, draft.step, objectJson(draft.data), draft.updatedAt];
    return storable('saveDraft', async () => {
      // One statement either way, so the version it returns is the one it wrote.
      if (expectedVersion === undefined) {
        const row = await this.db.row(
          `INSERT INTO drafts (owner_id, id, step, data, version, updated_at)
           VALUES ($1, $2, $3, $4::json, 1, $5)
           ON CONFLICT (owner_id, id) DO UPDATE
           SET step = excluded.step, data = excluded.data, version = drafts.version + 1,
               updated_at = excluded.updated_at
           RETURNING ${DRAFT_COLUMNS}`,
          ...params,
        );
        if (!row) throw new Error(`draft ${draft.id} vanished while being saved`);
        return toDraft(row, 'json');
      }
      const row = await this.db.row(
        `UPDATE drafts SET step = $3, data = $4::json, version = version + 1, updated_at = $5
         WHERE owner_id = $1 AND id = $2 AND version = $6
         RETURNING ${DRAFT_COLUMNS}`,
        ...params,
        expectedVersion,
      );
      if (row) return toDraft(row, 'json');
      throw new ConcurrencyError(
        draft.id,
        expectedVersion,
        (await this.getDraft(draft.ownerId, draft.id))?.version,
      );
    });
  }

  async getDraft(ownerId: string, id: string): Promise<Draft | undefined> {
    const row = await storable('getDraft', () =>
      this.db.row(`SELECT ${DRAFT_COLUMNS} FROM drafts WHERE owner_id = $1 AND id = $2`, ownerId, id),
    );
    return row && toDraft(row, 'json');
  }

  async listDrafts(ownerId: string): Promise<readonly Draft[]> {
    const rows = await storable('listDrafts', () =>
      this.db.rows(
        `SELECT ${DRAFT_COLUMNS} FROM drafts WHERE owner_id = $1 ORDER BY updated_at DESC, id DESC`,
        ownerId,
      ),
    );
    return rows.map((row) => toDraft(row, 'json'));
  }

  async deleteDraft(ownerId: string, id: string): Promise<boolean> {
    const { rowCount } = await storable('deleteDraft', () =>
      this.db.query('DELETE FROM drafts WHERE owner_id = $1 AND id = $2', [ownerId, id]),
    );
    return (rowCount ?? 0) > 0;
  }
}

export class PgConversations implements ConversationStore {
  constructor(private readonly db: PgAccess) {}

  async saveConversation(key: string, reference: ConversationReferenceJson): Promise<void> {
    const data = objectJson(reference);
    await storable('saveConversation', () =>
      this.db.query(
        `INSERT INTO conversations (key, data) VALUES ($1, $2::json)
         ON CONFLICT (key) DO UPDATE SET data = excluded.data`,
        [key, data],
      ),
    );
  }

  async getConversation(key: string): Promise<ConversationReferenceJson | undefined> {
    const row = await storable('getConversation', () =>
      this.db.row<{ data: unknown }>('SELECT data FROM conversations WHERE key = $1', key),
    );
    return row && storedObject(row.data, 'json');
  }

  async deleteConversation(key: string): Promise<boolean> {
    const { rowCount } = await storable('deleteConversation', () =>
      this.db.query('DELETE FROM conversations WHERE key = $1', [key]),
    );
    return (rowCount ?? 0) > 0;
  }

  async peopleInChat(limit: number): Promise<readonly Person[]> {
    const max = Math.max(0, Math.trunc(limit) || 0);
    // Only a string id names a person, as in SQLite where json_extract keeps the JSON type; names sort
    // as SQLite's lower() and byte order would, people without one last.
    const rows = await this.db.rows<{ id: string; name: string | null }>(
      `SELECT id, name FROM (
         SELECT key,
                data #>> '{user,aadObjectId}' AS id,
                CASE WHEN json_typeof(data #> '{user,name}') = 'string' THEN data #>> '{user,name}' END AS name
         FROM conversations
         WHERE key LIKE 'user:%' AND json_typeof(data #> '{user,aadObjectId}') = 'string'
       ) people
       WHERE id <> ''
       ORDER BY name IS NULL, lower(name) COLLATE "C", key
       LIMIT $1`,
      max,
    );
    return rows.map((r) => ({ aadObjectId: r.id, name: r.name !== null && r.name !== '' ? r.name : r.id }));
  }

  async saveMessageId(key: string, activityId: string): Promise<void> {
    nonEmpty(key, 'a message key');
    nonEmpty(activityId, 'a message id');
    await storable('saveMessageId', () =>
      this.db.query(
        `INSERT INTO message_ids (key, activity_id, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET activity_id = excluded.activity_id, updated_at = excluded.updated_at`,
        [key, activityId, new Date().toISOString()],
      ),
    );
  }

  async getMessageId(key: string): Promise<string | undefined> {
    const row = await storable('getMessageId', () =>
      this.db.row<{ activity_id: string }>('SELECT activity_id FROM message_ids WHERE key = $1', key),
    );
    return row?.activity_id;
  }
}

export class PgPreferences implements PreferenceStore {
  constructor(private readonly db: PgAccess) {}

  async getPreferences(userId: string): Promise<Preferences> {
    const id = userIdOf(userId);
    const row = await storable('getPreferences', () =>
      this.db.row<{ data: unknown }>('SELECT data FROM preferences WHERE user_id = $1', id),
    );
    return row ? toPreferences(id, row.data, 'json') : {};
  }

  async savePreferences(userId: string, preferences: Preferences): Promise<Preferences> {
    const id = userIdOf(userId);
    const data = preferencesJson(preferences);
    // One statement, so the write and what it returns cannot be split by another writer.
    const row = await storable('savePreferences', () =>
      this.db.row<{ data: unknown }>(
        `INSERT INTO preferences (user_id, data, updated_at) VALUES ($1, $2::json, $3)
         ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
         RETURNING data`,
        id,
        data,
        new Date().toISOString(),
      ),
    );
    if (!row) throw new Error(`preferences of ${id} vanished while being saved`);
    return toPreferences(id, row.data, 'json');
  }
}

/**
 * Saves for one delegator take turns on this lock (the two-key form, apart from the migration's), so
 * each sees the delegation the one before made running. Two saves of one id for different delegators
 * still race on the id: the loser runs again and finds the winner's.
 */
const DELEGATOR_LOCK = 4_719_202;
const UNIQUE_VIOLATION = '23505';
const SAVE_ATTEMPTS = 3;

export class PgDelegations implements DelegationStore {
  constructor(private readonly db: PgAccess) {}

  async saveDelegation(delegation: Delegation): Promise<Delegation> {
    const d = newDelegation(delegation);
    const delegator = idKey(d.delegator.aadObjectId);
    for (let attempt = 1; ; attempt++) {
      try {
        return await storable('saveDelegation', () =>
          this.db.tx('saveDelegation', async (db) => {
            await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [DELEGATOR_LOCK, delegator]);
            const known = await storedDelegation(db, d.id);
            if (known) return known;
            // The one running before is replaced, in the same write: never two running for one person.
            const { rows: running } = await db.query<DelegationRow>(
              'SELECT id, data FROM delegations WHERE delegator_id = $1 AND ended_at IS NULL FOR UPDATE',
              [delegator],
            );
            for (const row of running)
              await writeEnd(db, toDelegation(row, 'json'), d.delegator, d.createdAt);
            await db.query(
              `INSERT INTO delegations (id, delegator_id, delegate_id, until, data)
               VALUES ($1, $2, $3, $4, $5::json)`,
              [d.id, delegator, idKey(d.delegate.aadObjectId), d.until, JSON.stringify(d)],
            );
            const saved = await storedDelegation(db, d.id);
            if (!saved) throw new Error(`delegation ${d.id} vanished while being saved`);
            return saved;
          }),
        );
      } catch (err) {
        // Another save committed this id first: the next attempt returns it.
        if (attempt < SAVE_ATTEMPTS && codeOf(err) === UNIQUE_VIOLATION) continue;
        throw err;
      }
    }
  }

  async endDelegation(id: string, by: Person, at: string): Promise<boolean> {
    nonEmpty(id, 'a delegation id');
    const { endedBy, endedAt } = delegationEnd(by, at);
    return storable('endDelegation', () =>
      this.db.tx('endDelegation', async (db) => {
        const { rows } = await db.query<DelegationRow>(
          'SELECT id, data FROM delegations WHERE id = $1 AND ended_at IS NULL FOR UPDATE',
          [id],
        );
        const row = rows[0];
        if (!row) return false;
        await writeEnd(db, toDelegation(row, 'json'), endedBy, endedAt);
        return true;
      }),
    );
  }

  async delegationsTo(delegateId: string, today: string): Promise<readonly Delegation[]> {
    const id = idKey(nonEmpty(delegateId, 'a delegate id'));
    if (!isIsoDate(today)) throw new RangeError(`not a date: ${today}`);
    const rows = await storable('delegationsTo', () =>
      this.db.rows<DelegationRow>(
        `SELECT id, data FROM delegations
         WHERE delegate_id = $1 AND ended_at IS NULL AND until >= $2 ORDER BY seq`,
        id,
        today,
      ),
    );
    return rows.map((row) => toDelegation(row, 'json'));
  }

  async delegationsBy(delegatorId: string): Promise<readonly Delegation[]> {
    const id = idKey(nonEmpty(delegatorId, 'a delegator id'));
    const rows = await storable('delegationsBy', () =>
      this.db.rows<DelegationRow>(
        `SELECT id, data FROM delegations WHERE delegator_id = $1
         ORDER BY ended_at IS NULL DESC, seq DESC LIMIT $2`,
        id,
        DELEGATIONS_LISTED,
      ),
    );
    return rows.map((row) => toDelegation(row, 'json'));
  }
}

async function storedDelegation(db: Queryable, id: string): Promise<Delegation | undefined> {
  const { rows } = await db.query<DelegationRow>('SELECT id, data FROM delegations WHERE id = $1', [id]);
  const row = rows[0];
  return row && toDelegation(row, 'json');
}

/** Marks a delegation ended; inside the transaction that locked its row. */
async function writeEnd(db: Queryable, d: Delegation, by: Person, at: string): Promise<void> {
  await db.query('UPDATE delegations SET ended_at = $1, data = $2::json WHERE id = $3', [
    at,
    JSON.stringify(endedDelegation(d, by, at)),
    d.id,
  ]);
}
