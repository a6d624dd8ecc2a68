import type {
  Application,
  ApplicationFigures,
  ApplicationStore,
  NewApplication,
  SelfIdentification,
  SubmitOutcome,
} from '../services/applications';
import { ConcurrencyError } from '../services/store';
import { followsVersion, pageOf, seqCursor, seqPage } from './rows';
import {
  APPLICATIONS_PAGE_MAX,
  changedApplication,
  confirmedApplication,
  instant,
  referenceList,
  savedApplication,
  type SelfIdentificationCounts,
  storedSelfIdentification,
} from './site-records';
import {
  type AnswersRow,
  answerCounts,
  applicationToSave,
  figuresOf,
  type FiguresRow,
  NEW_APPLICATION_COLUMNS,
  submission,
  toApplication,
  type VersionedRow,
} from './site-rows';
import type { SqliteAccess } from './sqlite-access';

/**
 * Suppliers' applications in the SQLite file (tables `applications` and `self_identification`, migration
 * 10). One row per address per opportunity: (reference, email_key) is unique. Counting the applications
 * that wait for their first confirmation and storing a new one is one IMMEDIATE transaction, so two
 * processes on the file can neither pass the bound nor both add one address. The self-identification
 * that waits with a change lives in its application's row until the change is confirmed, then moves to
 * its own table, where only counts are read from it.
 */
export class SqliteApplications implements ApplicationStore {
  constructor(private readonly access: SqliteAccess) {}

  async submitApplication(
    application: NewApplication,
    answers: SelfIdentification,
    maxUnconfirmed: number,
  ): Promise<SubmitOutcome> {
    const { fresh, pendingAnswers, max, key, token, values } = submission(
      application,
      answers,
      maxUnconfirmed,
    );
    return this.access.write<SubmitOutcome>('submitApplication', () => {
      const existing = this.access.row<VersionedRow>(
        'SELECT id, version, data FROM applications WHERE reference = ? AND email_key = ?',
        fresh.reference,
        key,
      );
      if (existing) {
        const current = toApplication(existing);
        if (
          this.access.row('SELECT 1 FROM applications WHERE pending_token = ? AND id <> ?', token, current.id)
        ) {
          throw new RangeError(`application ${current.id}: its new token is already in use`);
        }
        const changed = changedApplication(current, fresh);
        this.access
          .sql(
            `UPDATE applications SET pending_token = ?, version = ?, data = ?, pending_answers = ?
             WHERE id = ?`,
          )
          .run(token, changed.version, JSON.stringify(changed), pendingAnswers, changed.id);
        return { outcome: 'changed', application: changed };
      }
      const waiting = this.access.row<{ n: number }>(
        'SELECT COUNT(*) AS n FROM applications WHERE confirmed = 0 AND pending_token IS NOT NULL',
      );
      if ((waiting?.n ?? 0) >= max) return { outcome: 'full' };
      if (this.access.row('SELECT 1 FROM applications WHERE id = ? OR pending_token = ?', fresh.id, token)) {
        throw new RangeError(`application ${fresh.id}: its id or token is already in use`);
      }
      this.access
        .sql(
          `INSERT INTO applications (${NEW_APPLICATION_COLUMNS}, confirmed, version)
           VALUES (?, ?, ?, ?, ?, ?, ?, 0, 1)`,
        )
        .run(...values);
      return { outcome: 'created', application: fresh };
    });
  }

  async applicationByToken(token: string): Promise<Application | undefined> {
    if (typeof token !== 'string' || token === '') return undefined;
    return this.access.guard('applicationByToken', () => {
      const row = this.access.row<VersionedRow>(
        'SELECT id, version, data FROM applications WHERE pending_token = ?',
        token,
      );
      return row && toApplication(row);
    });
  }

  async confirmApplication(id: string, expectedVersion: number, at: string): Promise<Application> {
    instant(at, 'the time of confirmation');
    return this.access.write('confirmApplication', () => {
      const row = this.access.row<VersionedRow & { reference: string; pending_answers: string | null }>(
        'SELECT id, reference, version, data, pending_answers FROM applications WHERE id = ?',
        id,
      );
      const current = row && toApplication(row);
      if (!row || current?.version !== expectedVersion) {
        throw new ConcurrencyError(id, expectedVersion, current?.version);
      }
      const confirmed = confirmedApplication(current, at);
      this.access
        .sql(
          `UPDATE applications
           SET pending_token = NULL, pending_answers = NULL, confirmed = 1, version = ?, data = ?
           WHERE id = ? AND version = ?`,
        )
        .run(confirmed.version, JSON.stringify(confirmed), id, expectedVersion);
      // The answers that came with this change replace any earlier ones, even with none at all.
      const answers = storedSelfIdentification(row.pending_answers ?? '{}', `waiting with application ${id}`);
      this.access
        .sql(
          `INSERT INTO self_identification (application_id, reference, answers) VALUES (?, ?, ?)
           ON CONFLICT (application_id) DO UPDATE SET answers = excluded.answers`,
        )
        .run(id, row.reference, JSON.stringify(answers));
      return confirmed;
    });
  }

  async getApplication(id: string): Promise<Application | undefined> {
    return this.access.guard('getApplication', () => this.find(id));
  }

  async saveApplication(next: Application, expectedVersion: number): Promise<Application> {
    followsVersion(next.id, next.version, expectedVersion);
    const saved = savedApplication(next);
    return this.access.write('saveApplication', () => {
      const current = applicationToSave(this.find(saved.id), saved, expectedVersion);
      const token = saved.pending?.token ?? null;
      if (
        token !== null &&
        this.access.row('SELECT 1 FROM applications WHERE pending_token = ? AND id <> ?', token, saved.id)
      ) {
        throw new RangeError(`application ${saved.id}: its token is already in use`);
      }
      // Answers wait with the change they came with, and go if it does.
      const keepAnswers = token !== null && token === current.pending?.token ? 1 : 0;
      this.access
        .sql(
          `UPDATE applications
           SET pending_token = ?, confirmed = ?, version = ?, data = ?,
               pending_answers = CASE WHEN ? THEN pending_answers END
           WHERE id = ? AND version = ?`,
        )
        .run(
          token,
          saved.confirmedAt === undefined ? 0 : 1,
          saved.version,
          JSON.stringify(saved),
          keepAnswers,
          saved.id,
          expectedVersion,
        );
      return saved;
    });
  }

  async applicationsOf(
    reference: string,
    options: { readonly confirmedOnly?: boolean },
    page: { readonly limit: number; readonly cursor?: string },
  ): Promise<{ readonly items: readonly Application[]; readonly nextCursor?: string }> {
    const { limit, after } = seqPage(page, APPLICATIONS_PAGE_MAX);
    const confirmed = options.confirmedOnly ? 'AND confirmed = 1' : '';
    return this.access.guard('applicationsOf', () => {
      // In the order they were first stored; seq is never reused, so a cursor stays good across deletions.
      const rows = this.access.rows<VersionedRow & { seq: number }>(
        `SELECT seq, id, version, data FROM applications
         WHERE reference = ? AND seq > ? ${confirmed} ORDER BY seq LIMIT ?`,
        reference,
        after,
        limit + 1,
      );
      return pageOf(rows, limit, toApplication, (last) => seqCursor(last.seq));
    });
  }

  async deleteApplications(reference: string): Promise<number> {
    return this.access.write('deleteApplications', () => {
      this.access.sql('DELETE FROM self_identification WHERE reference = ?').run(reference);
      return this.access.sql('DELETE FROM applications WHERE reference = ?').run(reference).changes;
    });
  }

  async selfIdentificationCounts(references: readonly string[]): Promise<SelfIdentificationCounts> {
    const wanted = JSON.stringify(referenceList(references));
    return this.access.guard('selfIdentificationCounts', () =>
      answerCounts(
        this.access.rows<AnswersRow>(
          `SELECT application_id, answers FROM self_identification
           WHERE reference IN (SELECT value FROM json_each(?))`,
          wanted,
        ),
      ),
    );
  }

  async applicationFigures(references: readonly string[]): Promise<ApplicationFigures> {
    const wanted = JSON.stringify(referenceList(references));
    return this.access.guard('applicationFigures', () => {
      // One row per opportunity asked for, 0s when nobody applied; every row carries the bidders, counted
      // by email_key (the address in lower case) over all of them together.
      const rows = this.access.rows<FiguresRow>(
        `SELECT wanted.value AS reference,
                COUNT(a.id) AS confirmed,
                COUNT(json_extract(a.data, '$.evaluation.result')) AS evaluated,
                COALESCE(SUM(json_extract(a.data, '$.evaluation.result') = 'pass'), 0) AS passed,
                (SELECT COUNT(DISTINCT b.email_key) FROM applications b
                 WHERE b.confirmed = 1 AND b.reference IN (SELECT value FROM json_each(?))) AS bidders
         FROM (SELECT DISTINCT value FROM json_each(?)) AS wanted
         LEFT JOIN applications a ON a.reference = wanted.value AND a.confirmed = 1
         GROUP BY wanted.value`,
        wanted,
        wanted,
      );
      return figuresOf(rows);
    });
  }

  private find(id: string): Application | undefined {
    const row = this.access.row<VersionedRow>('SELECT id, version, data FROM applications WHERE id = ?', id);
    return row && toApplication(row);
  }
}
