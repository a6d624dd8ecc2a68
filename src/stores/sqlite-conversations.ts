import type { ConversationReferenceJson, ConversationStore, Person } from '../services/store';
import { nonEmpty, objectJson, storedObject } from './rows';
import type { SqliteAccess } from './sqlite-access';

/**
 * Where the bot can write, in the SQLite file: conversation references (table `conversations`) and the
 * ids of the messages it posted (table `message_ids`).
 */
export class SqliteConversations implements ConversationStore {
  constructor(private readonly access: SqliteAccess) {}

  async saveConversation(key: string, reference: ConversationReferenceJson): Promise<void> {
    const data = objectJson(reference);
    this.access.guard('saveConversation', () =>
      this.access
        .sql(
          'INSERT INTO conversations (key, data) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET data = excluded.data',
        )
        .run(key, data),
    );
  }

  async getConversation(key: string): Promise<ConversationReferenceJson | undefined> {
    return this.access.guard('getConversation', () => {
      const row = this.access.row<{ data: string }>('SELECT data FROM conversations WHERE key = ?', key);
      return row && storedObject(row.data, 'text');
    });
  }

  async deleteConversation(key: string): Promise<boolean> {
    return this.access.guard(
      'deleteConversation',
      () => this.access.sql('DELETE FROM conversations WHERE key = ?').run(key).changes > 0,
    );
  }

  async peopleInChat(limit: number): Promise<readonly Person[]> {
    return this.access.guard('peopleInChat', () =>
      this.access
        .rows<{ id: unknown; name: unknown }>(
          `SELECT json_extract(data, '$.user.aadObjectId') AS id, json_extract(data, '$.user.name') AS name
           FROM conversations
           WHERE key LIKE 'user:%' AND json_extract(data, '$.user.aadObjectId') IS NOT NULL
           ORDER BY json_extract(data, '$.user.name') IS NULL, lower(json_extract(data, '$.user.name')), key
           LIMIT ?`,
          limit,
        )
        .flatMap((r) =>
          typeof r.id === 'string' && r.id !== ''
            ? [{ aadObjectId: r.id, name: typeof r.name === 'string' && r.name !== '' ? r.name : r.id }]
            : [],
        ),
    );
  }

  async saveMessageId(key: string, activityId: string): Promise<void> {
    nonEmpty(key, 'a message key');
    nonEmpty(activityId, 'a message id');
    this.access.guard('saveMessageId', () =>
      this.access
        .sql(
          `INSERT INTO message_ids (key, activity_id, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET activity_id = excluded.activity_id, updated_at = excluded.updated_at`,
        )
        .run(key, activityId, new Date().toISOString()),
    );
  }

  async getMessageId(key: string): Promise<string | undefined> {
    return this.access.guard(
      'getMessageId',
      () =>
        this.access.row<{ activity_id: string }>('SELECT activity_id FROM message_ids WHERE key = ?', key)
          ?.activity_id,
    );
  }
}
