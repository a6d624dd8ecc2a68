import type { PublicationLog } from '../services/publication';
import { publicationNote } from './site-records';
import type { SqliteAccess } from './sqlite-access';

/** What was last published of each request, per target, in the SQLite file (migration 9). */
export class SqlitePublicationLog implements PublicationLog {
  constructor(private readonly access: SqliteAccess) {}

  async lastPublished(target: string, reference: string): Promise<string | undefined> {
    return this.access.guard(
      'lastPublished',
      () =>
        this.access.row<{ digest: string }>(
          'SELECT digest FROM publication_log WHERE target = ? AND reference = ?',
          target,
          reference,
        )?.digest,
    );
  }

  async notePublished(target: string, reference: string, digest: string, at: string): Promise<void> {
    publicationNote(target, reference, digest, at);
    this.access.guard('notePublished', () =>
      this.access
        .sql(
          `INSERT INTO publication_log (target, reference, digest, published_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (target, reference) DO UPDATE
           SET digest = excluded.digest, published_at = excluded.published_at`,
        )
        .run(target, reference, digest, at),
    );
  }
}
