import { z } from 'zod';
import type { PreferenceStore, Preferences } from '../services/store';
import type { SqliteAccess } from './sqlite-access';

/** What each person chose for themselves, in the SQLite file (table `preferences`). */
export class SqlitePreferences implements PreferenceStore {
  constructor(private readonly access: SqliteAccess) {}

  async getPreferences(userId: string): Promise<Preferences> {
    const id = userIdOf(userId);
    return this.access.guard('getPreferences', () => {
      const row = this.access.row<{ data: string }>('SELECT data FROM preferences WHERE user_id = ?', id);
      return row ? toPreferences(id, row.data) : {};
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
      return toPreferences(id, row.data);
    });
  }
}

/**
 * Stored preferences are read leniently (a setting this release does not know is dropped, so a file
 * written by a later release still opens) but saved strictly: an unknown setting is a caller's mistake.
 */
const StoredPreferences = z.object({ locale: z.enum(['en', 'fr']).optional() });
const NewPreferences = z.strictObject(StoredPreferences.shape);

function userIdOf(userId: string): string {
  if (typeof userId !== 'string' || userId.trim() === '') {
    throw new RangeError('preferences need the id of the person they belong to');
  }
  return userId;
}

function preferencesJson(preferences: Preferences): string {
  const parsed = NewPreferences.safeParse(preferences);
  if (!parsed.success) {
    throw new RangeError(`not valid preferences: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return JSON.stringify(parsed.data);
}

/** Like records, unreadable preferences fail loudly, naming the person, rather than being guessed at. */
function toPreferences(userId: string, data: string): Preferences {
  let stored: z.infer<typeof StoredPreferences>;
  try {
    stored = StoredPreferences.parse(JSON.parse(data));
  } catch (cause) {
    throw new Error(`stored preferences of ${userId} are unreadable`, { cause });
  }
  return stored.locale === undefined ? {} : { locale: stored.locale };
}
