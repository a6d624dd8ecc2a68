import type { PreferenceStore, Preferences } from '../services/store';
import type { SqliteAccess } from './sqlite-access';
import { preferencesJson, toPreferences, userIdOf } from './working-rows';

/** What each person chose for themselves, in the SQLite file (table `preferences`). */
export class SqlitePreferences implements PreferenceStore {
  constructor(private readonly access: SqliteAccess) {}

  async getPreferences(userId: string): Promise<Preferences> {
    const id = userIdOf(userId);
    return this.access.guard('getPreferences', () => {
      const row = this.access.row<{ data: string }>('SELECT data FROM preferences WHERE user_id = ?', id);
      return row ? toPreferences(id, row.data, 'text') : {};
    });
  }

  async savePreferences(userId: string, preferences: Preferences): Promise<Preferences> {
    const id = userIdOf(userId);
    const data = preferencesJson(preferences);
    return this.access.guard('savePreferences', () => {
      // One statement, so the write and what it returns cannot be split by another writer.
      const row = this.access.row<{ data: string }>(
        `INSERT INTO preferences (user_id, data, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
         RETURNING data`,
        id,
        data,
        new Date().toISOString(),
      );
      if (!row) throw new Error(`preferences of ${id} vanished while being saved`);
      return toPreferences(id, row.data, 'text');
    });
  }
}
