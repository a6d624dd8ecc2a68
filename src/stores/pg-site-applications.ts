import type {
  Application,
  ApplicationFigures,
  ApplicationStore,
  NewApplication,
  SelfIdentification,
  SubmitOutcome,
} from '../services/applications';
import { ConcurrencyError } from '../services/store';
import { type PgAccess, type Queryable, storable } from './pg-access';
import { holdBound } from './pg-site-shared';
import { count, followsVersion, pageOf, seqCursor, seqPage } from './rows';
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

/**
 * One row per address per opportunity: email_key is the address in lower case as JavaScript folds it.
 * confirmed says the application was confirmed once; pending_token is the secret of the change waiting
 * for its link (NULL when none), pending_answers the self-identification waiting with it. seq is never
 * reused, so page cursors stay good across deletions. The self-identification confirmed is kept apart,
 * for the program's statistics: one row per confirmed application, gone with it.
 */
export const APPLICATIONS_SCHEMA = `
  CREATE TABLE applications (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    reference text NOT NULL,
    email_key text NOT NULL,
    pending_token text UNIQUE,
    confirmed boolean NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    created_at text COLLATE "C" NOT NULL,
    data json NOT NULL CHECK (json_typeof(data) = 'object'),
    pending_answers json CHECK (pending_answers IS NULL OR json_typeof(pending_answers) = 'object'),
    UNIQUE (reference, email_key)
  );
  CREATE INDEX applications_reference ON applications (reference, seq);
  -- The bound counts applications never confirmed that wait for their link.
  CREATE INDEX applications_unconfirmed ON applications (seq) WHERE NOT confirmed AND pending_token IS NOT NULL;

  CREATE TABLE self_identification (
    application_id text PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
    reference text NOT NULL,
    answers json NOT NULL CHECK (json_typeof(answers) = 'object')
  );
  CREATE INDEX self_identification_reference ON self_identification (reference);
`;

/**
 * Suppliers' applications in PostgreSQL (tables `applications` and `self_identification`, migration 3).
 * A submission from an address that applied already locks that application's row and changes it; a
 * first one locks the applications' bound row, looks for the address again (another replica may have
 * stored it meanwhile), counts the applications waiting and inserts, so replicas can neither pass the
 * bound nor both add one address ((reference, email_key) is unique besides). Confirmations and saves
 * lock the application's row.
 */
export class PgApplications implements ApplicationStore {
  constructor(private readonly db: PgAccess) {}

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
    return storable('submitApplication', () =>
      this.db.tx<SubmitOutcome>('submitApplication', async (db) => {
        const byAddress = async () =>
          (
            await db.query<VersionedRow>(
              `SELECT id, version, data FROM applications WHERE reference = $1 AND email_key = $2 FOR UPDATE`,
              [fresh.reference, key],
            )
          ).rows[0];
        let existing = await byAddress();
        if (!existing) {
          await holdBound(db, 'applications');
          existing = await byAddress();
        }
        if (existing) {
          const current = toApplication(existing);
          if (await tokenTaken(db, token, current.id)) {
            throw new RangeError(`application ${current.id}: its new token is already in use`);
          }
          const changed = changedApplication(current, fresh);
          await db.query(
            `UPDATE applications SET pending_token = $1, version = $2, data = $3::json, pending_answers = $4::json
             WHERE id = $5`,
            [token, changed.version, JSON.stringify(changed), pendingAnswers, changed.id],
          );
          return { outcome: 'changed', application: changed };
        }
        const { rows: waiting } = await db.query<{ n: string }>(
          'SELECT count(*) AS n FROM applications WHERE NOT confirmed AND pending_token IS NOT NULL',
        );
        if (count(waiting[0]?.n) >= max) return { outcome: 'full' };
        const { rowCount: taken } = await db.query(
          'SELECT 1 FROM applications WHERE id = $1 OR pending_token = $2',
          [fresh.id, token],
        );
        if (taken) throw new RangeError(`application ${fresh.id}: its id or token is already in use`);
        await db.query(
          `INSERT INTO applications (${NEW_APPLICATION_COLUMNS}, confirmed, version)
           VALUES ($1, $2, $3, $4, $5, $6::json, $7::json, false, 1)`,
          values,
        );
        return { outcome: 'created', application: fresh };
      }),
    );
  }

  async applicationByToken(token: string): Promise<Application | undefined> {
    if (typeof token !== 'string' || token === '') return undefined;
    const row = await this.db.row<VersionedRow>(
      'SELECT id, version, data FROM applications WHERE pending_token = $1',
      token,
    );
    return row && toApplication(row);
  }

  async confirmApplication(id: string, expectedVersion: number, at: string): Promise<Application> {
    instant(at, 'the time of confirmation');
    return this.db.tx('confirmApplication', async (db) => {
      const { rows } = await db.query<VersionedRow & { reference: string; pending_answers: unknown }>(
        'SELECT id, reference, version, data, pending_answers FROM applications WHERE id = $1 FOR UPDATE',
        [id],
      );
      const row = rows[0];
      const current = row && toApplication(row);
      if (!row || current?.version !== expectedVersion) {
        throw new ConcurrencyError(id, expectedVersion, current?.version);
      }
      const confirmed = confirmedApplication(current, at);
      await db.query(
        `UPDATE applications
         SET pending_token = NULL, pending_answers = NULL, confirmed = true, version = $1, data = $2::json
         WHERE id = $3 AND version = $4`,
        [confirmed.version, JSON.stringify(confirmed), id, expectedVersion],
      );
      // The answers that came with this change replace any earlier ones, even with none at all.
      const answers = storedSelfIdentification(row.pending_answers ?? {}, `waiting with application ${id}`);
      await db.query(
        `INSERT INTO self_identification (application_id, reference, answers) VALUES ($1, $2, $3::json)
         ON CONFLICT (application_id) DO UPDATE SET answers = excluded.answers`,
        [id, row.reference, JSON.stringify(answers)],
      );
      return confirmed;
    });
  }

  async getApplication(id: string): Promise<Application | undefined> {
    return find(this.db, id);
  }

  async saveApplication(next: Application, expectedVersion: number): Promise<Application> {
    followsVersion(next.id, next.version, expectedVersion);
    const saved = savedApplication(next);
    return storable('saveApplication', () =>
      this.db.tx('saveApplication', async (db) => {
        const current = applicationToSave(await find(db, saved.id, true), saved, expectedVersion);
        const token = saved.pending?.token ?? null;
        if (token !== null && (await tokenTaken(db, token, saved.id))) {
          throw new RangeError(`application ${saved.id}: its token is already in use`);
        }
        // Answers wait with the change they came with, and go if it does.
        const keepAnswers = token !== null && token === current.pending?.token;
        await db.query(
          `UPDATE applications
           SET pending_token = $1, confirmed = $2, version = $3, data = $4::json,
               pending_answers = CASE WHEN $5::boolean THEN pending_answers END
           WHERE id = $6 AND version = $7`,
          [
            token,
            saved.confirmedAt !== undefined,
            saved.version,
            JSON.stringify(saved),
            keepAnswers,
            saved.id,
            expectedVersion,
          ],
        );
        return saved;
      }),
    );
  }

  async applicationsOf(
    reference: string,
    options: { readonly confirmedOnly?: boolean },
    page: { readonly limit: number; readonly cursor?: string },
  ): Promise<{ readonly items: readonly Application[]; readonly nextCursor?: string }> {
    const { limit, after } = seqPage(page, APPLICATIONS_PAGE_MAX);
    // In the order they were first stored; seq is never reused, so a cursor stays good across deletions.
    const rows = await this.db.rows<VersionedRow & { seq: string }>(
      `SELECT seq, id, version, data FROM applications
       WHERE reference = $1 AND seq > $2 AND (confirmed OR NOT $3::boolean)
       ORDER BY seq LIMIT $4`,
      reference,
      after,
      options.confirmedOnly === true,
      limit + 1,
    );
    return pageOf(rows, limit, toApplication, (last) => seqCursor(Number(last.seq)));
  }

  async deleteApplications(reference: string): Promise<number> {
    // The self-identification goes with its application (ON DELETE CASCADE): rows are locked application
    // first, as a confirmation locks them, so the two cannot deadlock.
    const { rowCount } = await this.db.query('DELETE FROM applications WHERE reference = $1', [reference]);
    return rowCount ?? 0;
  }

  async selfIdentificationCounts(references: readonly string[]): Promise<SelfIdentificationCounts> {
    const wanted = referenceList(references);
    return answerCounts(
      await this.db.rows<AnswersRow>(
        'SELECT application_id, answers FROM self_identification WHERE reference = ANY ($1::text[])',
        wanted,
      ),
    );
  }

  async applicationFigures(references: readonly string[]): Promise<ApplicationFigures> {
    const wanted = referenceList(references);
    // One row per opportunity asked for, 0s when nobody applied; every row carries the bidders, counted
    // by email_key (the address in lower case) over all of them together.
    const rows = await this.db.rows<FiguresRow>(
      `SELECT wanted.reference,
              count(a.id) AS confirmed,
              count(a.data -> 'evaluation' ->> 'result') AS evaluated,
              count(*) FILTER (WHERE a.data -> 'evaluation' ->> 'result' = 'pass') AS passed,
              (SELECT count(DISTINCT b.email_key) FROM applications b
               WHERE b.confirmed AND b.reference = ANY ($1::text[])) AS bidders
       FROM (SELECT DISTINCT unnest($1::text[]) AS reference) AS wanted
       LEFT JOIN applications a ON a.reference = wanted.reference AND a.confirmed
       GROUP BY wanted.reference`,
      wanted,
    );
    return figuresOf(rows);
  }
}

async function tokenTaken(db: Queryable, token: string, by: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM applications WHERE pending_token = $1 AND id <> $2', [
    token,
    by,
  ]);
  return (rowCount ?? 0) > 0;
}

/** With `lock`, the row stays locked until the transaction ends: a second writer waits, then reads the first's. */
async function find(db: Queryable, id: string, lock = false): Promise<Application | undefined> {
  const { rows } = await db.query<VersionedRow>(
    `SELECT id, version, data FROM applications WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] && toApplication(rows[0]);
}
