import type {
  Application,
  ApplicationFigures,
  ApplicationStore,
  NewApplication,
  SelfIdentification,
  SubmitOutcome,
} from '../services/applications';
import { ConcurrencyError } from '../services/store';
import {
  APPLICATIONS_PAGE_MAX,
  bound,
  countAnswers,
  emailKey,
  instant,
  newApplication,
  noAnswers,
  referenceList,
  sameApplicant,
  savedApplication,
  selfIdentification,
  type SelfIdentificationCounts,
  storedApplication,
  storedSelfIdentification,
} from './site-records';
import { clamp, type SqliteAccess, utc } from './sqlite-access';
import { afterSeq, pageOf, seqCursor } from './sqlite-rows';

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
    const fresh = newApplication(application);
    const pendingAnswers = JSON.stringify(selfIdentification(answers));
    const max = bound(maxUnconfirmed, 'maxUnconfirmed');
    const key = emailKey(fresh.email);
    const token = fresh.pending.token;
    return this.access.write<SubmitOutcome>('submitApplication', () => {
      const existing = this.access.row<ApplicationRow>(
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
        // What was confirmed stays; the change (and the language to answer it in) replaces any earlier one.
        const changed: Application = {
          ...current,
          locale: fresh.locale,
          pending: fresh.pending,
          version: current.version + 1,
        };
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
          `INSERT INTO applications
             (id, reference, email_key, pending_token, confirmed, version, created_at, data, pending_answers)
           VALUES (?, ?, ?, ?, 0, 1, ?, ?, ?)`,
        )
        .run(
          fresh.id,
          fresh.reference,
          key,
          token,
          utc(fresh.createdAt),
          JSON.stringify(fresh),
          pendingAnswers,
        );
      return { outcome: 'created', application: fresh };
    });
  }

  async applicationByToken(token: string): Promise<Application | undefined> {
    if (typeof token !== 'string' || token === '') return undefined;
    return this.access.guard('applicationByToken', () => {
      const row = this.access.row<ApplicationRow>(
        'SELECT id, version, data FROM applications WHERE pending_token = ?',
        token,
      );
      return row && toApplication(row);
    });
  }

  async confirmApplication(id: string, expectedVersion: number, at: string): Promise<Application> {
    instant(at, 'the time of confirmation');
    return this.access.write('confirmApplication', () => {
      const row = this.access.row<ApplicationRow & { reference: string; pending_answers: string | null }>(
        'SELECT id, reference, version, data, pending_answers FROM applications WHERE id = ?',
        id,
      );
      const current = row && toApplication(row);
      if (!row || current?.version !== expectedVersion) {
        throw new ConcurrencyError(id, expectedVersion, current?.version);
      }
      const { pending, ...rest } = current;
      if (!pending) throw new RangeError(`application ${id} has no change waiting for confirmation`);
      const confirmed: Application = {
        ...rest,
        content: pending.content,
        confirmedAt: current.confirmedAt ?? at,
        version: current.version + 1,
      };
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
    if (next.version !== expectedVersion + 1) {
      throw new RangeError(
        `${next.id}: the next version must be ${expectedVersion + 1}, not ${next.version}`,
      );
    }
    const saved = savedApplication(next);
    return this.access.write('saveApplication', () => {
      const current = this.find(saved.id);
      if (current?.version !== expectedVersion) {
        throw new ConcurrencyError(saved.id, expectedVersion, current?.version);
      }
      if (!sameApplicant(current, saved)) {
        throw new RangeError(`${saved.id}: a save cannot change the opportunity or the address applied with`);
      }
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
    const limit = clamp(page.limit, APPLICATIONS_PAGE_MAX);
    const after = page.cursor === undefined ? 0 : afterSeq(page.cursor);
    const confirmed = options.confirmedOnly ? 'AND confirmed = 1' : '';
    return this.access.guard('applicationsOf', () => {
      // In the order they were first stored; seq is never reused, so a cursor stays good across deletions.
      const rows = this.access.rows<ApplicationRow & { seq: number }>(
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
    return this.access.guard('selfIdentificationCounts', () => {
      const counts = noAnswers();
      const rows = this.access.rows<{ application_id: string; answers: string }>(
        `SELECT application_id, answers FROM self_identification
         WHERE reference IN (SELECT value FROM json_each(?))`,
        wanted,
      );
      for (const row of rows) {
        countAnswers(counts, storedSelfIdentification(row.answers, `of application ${row.application_id}`));
      }
      return counts;
    });
  }

  async applicationFigures(references: readonly string[]): Promise<ApplicationFigures> {
    const wanted = JSON.stringify(referenceList(references));
    return this.access.guard('applicationFigures', () => {
      // One row per opportunity asked for, 0s when nobody applied; every row carries the bidders, counted
      // by email_key (the address in lower case) over all of them together.
      const rows = this.access.rows<{
        reference: string;
        confirmed: number;
        evaluated: number;
        passed: number;
        bidders: number;
      }>(
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
      return {
        uniqueBidders: rows[0]?.bidders ?? 0,
        perOpportunity: Object.fromEntries(
          rows.map((row) => [
            row.reference,
            { confirmed: row.confirmed, evaluated: row.evaluated, passed: row.passed },
          ]),
        ),
      };
    });
  }

  private find(id: string): Application | undefined {
    const row = this.access.row<ApplicationRow>(
      'SELECT id, version, data FROM applications WHERE id = ?',
      id,
    );
    return row && toApplication(row);
  }
}

interface ApplicationRow {
  readonly id: string;
  readonly version: number;
  readonly data: string;
}

/** Corrupt rows fail loudly, naming the application, rather than reaching the evaluation half-valid. */
function toApplication(row: ApplicationRow): Application {
  const application = storedApplication(row.data, row.id);
  if (application.id !== row.id || application.version !== row.version) {
    throw new Error(`stored application ${row.id} disagrees with its columns`);
  }
  return application;
}
