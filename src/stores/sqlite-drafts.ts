import { ConcurrencyError, type Draft, type DraftStore } from '../services/store';
import { objectJson } from './rows';
import type { SqliteAccess } from './sqlite-access';
import { DRAFT_COLUMNS, toDraft } from './working-rows';

/** Intake forms being filled in, per person, in the SQLite file (table `drafts`). */
export class SqliteDrafts implements DraftStore {
  constructor(private readonly access: SqliteAccess) {}

  async saveDraft(draft: Omit<Draft, 'version'>, expectedVersion?: number): Promise<Draft> {
    const values = {
      owner_id: draft.ownerId,
      id: draft.id,
      step: draft.step,
      data: objectJson(draft.data),
      updated_at: draft.updatedAt,
    };
    return this.access.write('saveDraft', () => {
      if (expectedVersion === undefined) {
        this.access
          .sql(
            `INSERT INTO drafts (owner_id, id, step, data, version, updated_at)
             VALUES (@owner_id, @id, @step, @data, 1, @updated_at)
             ON CONFLICT (owner_id, id) DO UPDATE
             SET step = excluded.step, data = excluded.data, version = drafts.version + 1,
                 updated_at = excluded.updated_at`,
          )
          .run(values);
      } else {
        const { changes } = this.access
          .sql(
            `UPDATE drafts SET step = @step, data = @data, version = version + 1, updated_at = @updated_at
             WHERE owner_id = @owner_id AND id = @id AND version = @expected`,
          )
          .run({ ...values, expected: expectedVersion });
        if (changes === 0) {
          throw new ConcurrencyError(draft.id, expectedVersion, this.draft(draft.ownerId, draft.id)?.version);
        }
      }
      const saved = this.draft(draft.ownerId, draft.id);
      if (!saved) throw new Error(`draft ${draft.id} vanished while being saved`);
      return saved;
    });
  }

  async getDraft(ownerId: string, id: string): Promise<Draft | undefined> {
    return this.access.guard('getDraft', () => this.draft(ownerId, id));
  }

  async listDrafts(ownerId: string): Promise<readonly Draft[]> {
    return this.access.guard('listDrafts', () =>
      this.access
        .rows(
          `SELECT ${DRAFT_COLUMNS} FROM drafts WHERE owner_id = ? ORDER BY updated_at DESC, id DESC`,
          ownerId,
        )
        .map((row) => toDraft(row, 'text')),
    );
  }

  async deleteDraft(ownerId: string, id: string): Promise<boolean> {
    return this.access.guard(
      'deleteDraft',
      () => this.access.sql('DELETE FROM drafts WHERE owner_id = ? AND id = ?').run(ownerId, id).changes > 0,
    );
  }

  private draft(ownerId: string, id: string): Draft | undefined {
    const row = this.access.row(
      `SELECT ${DRAFT_COLUMNS} FROM drafts WHERE owner_id = ? AND id = ?`,
      ownerId,
      id,
    );
    return row === undefined ? undefined : toDraft(row, 'text');
  }
}
