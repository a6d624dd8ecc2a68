import type {
  Application,
  ApplicationFigures,
  ApplicationStore,
  NewApplication,
  SelfIdentification,
  SubmitOutcome,
} from '../services/applications';
import { ConcurrencyError } from '../services/store';
import { clamp, type PgAccess, type Queryable, utc } from './pg-access';
import { count, decodeCursor, encodeCursor, holdBound, storing } from './pg-site-shared';
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
    const fresh = newApplication(application);
    const pendingAnswers = JSON.stringify(selfIdentification(answers));
    const max = bound(maxUnconfirmed, 'maxUnconfirmed');
    const key = emailKey(fresh.email);
    const token = fresh.pending.token;
    return storing('submitApplication', () =>
      this.db.tx<SubmitOutcome>('submitApplication', async (db) => {
        const byAddress = async () =>
          (
            await db.query<ApplicationRow>(
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
          // What was confirmed stays; the change (and the language to answer it in) replaces any earlier one.
          const changed: Application = {
            ...current,
            locale: fresh.locale,
            pending: fresh.pending,
            version: current.version + 1,
          };
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
          `INSERT INTO applications
             (id, reference, email_key, pending_token, confirmed, version, created_at, data, pending_answers)
           VALUES ($1, $2, $3, $4, false, 1, $5, $6::json, $7::json)`,
          [
            fresh.id,
            fresh.reference,
            key,
            token,
            utc(fresh.createdAt),
            JSON.stringify(fresh),
            pendingAnswers,
          ],
        );
        return { outcome: 'created', application: fresh };
      }),
    );
  }

  async applicationByToken(token: string): Promise<Application | undefined> {
    if (typeof token !== 'string' || token === '') return undefined;
    const row = await this.db.row<ApplicationRow>(
      'SELECT id, version, data FROM applications WHERE pending_token = $1',
      token,
    );
    return row && toApplication(row);
  }

  async confirmApplication(id: string, expectedVersion: number, at: string): Promise<Application> {
    instant(at, 'the time of confirmation');
    return this.db.tx('confirmApplication', async (db) => {
      const { rows } = await db.query<ApplicationRow & { reference: string; pending_answers: unknown }>(
        'SELECT id, reference, version, data, pending_answers FROM applications WHERE id = $1 FOR UPDATE',
        [id],
      );
      const row = rows[0];
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
    if (next.version !== expectedVersion + 1) {
      throw new RangeError(
        `${next.id}: the next version must be ${expectedVersion + 1}, not ${next.version}`,
      );
    }
    const saved = savedApplication(next);
    return storing('saveApplication', () =>
      this.db.tx('saveApplication', async (db) => {
        const current = await find(db, saved.id, true);
        if (current?.version !== expectedVersion) {
          throw new ConcurrencyError(saved.id, expectedVersion, current?.version);
        }
        if (!sameApplicant(current, saved)) {
          throw new RangeError(
            `${saved.id}: a save cannot change the opportunity or the address applied with`,
          );
        }
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
    const limit = clamp(page.limit, APPLICATIONS_PAGE_MAX);
    const after = page.cursor === undefined ? 0 : decodeCursor(page.cursor);
    // In the order they were first stored; seq is never reused, so a cursor stays good across deletions.
    const rows = await this.db.rows<ApplicationRow & { seq: string }>(
      `SELECT seq, id, version, data FROM applications
       WHERE reference = $1 AND seq > $2 AND (confirmed OR NOT $3::boolean)
       ORDER BY seq LIMIT $4`,
      reference,
      after,
      options.confirmedOnly === true,
      limit + 1,
    );
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items: items.map(toApplication),
      ...(rows.length > limit && last ? { nextCursor: encodeCursor(last.seq) } : {}),
    };
  }

  async deleteApplications(reference: string): Promise<number> {
    // The self-identification goes with its application (ON DELETE CASCADE): rows are locked application
    // first, as a confirmation locks them, so the two cannot deadlock.
    const { rowCount } = await this.db.query('DELETE FROM applications WHERE reference = $1', [reference]);
    return rowCount ?? 0;
  }

  async selfIdentificationCounts(references: readonly string[]): Promise<SelfIdentificationCounts> {
    const wanted = referenceList(references);
    const counts = noAnswers();
    const rows = await this.db.rows<{ application_id: string; answers: unknown }>(
      'SELECT application_id, answers FROM self_identification WHERE reference = ANY ($1::text[])',
      wanted,
    );
    for (const row of rows) {
      countAnswers(counts, storedSelfIdentification(row.answers, `of application ${row.application_id}`));
    }
    return counts;
  }

  async applicationFigures(references: readonly string[]): Promise<ApplicationFigures> {
    const wanted = referenceList(references);
    // One row per opportunity asked for, 0s when nobody applied; every row carries the bidders, counted
    // by email_key (the address in lower case) over all of them together.
    const rows = await this.db.rows<{
      reference: string;
      confirmed: string;
      evaluated: string;
      passed: string;
      bidders: string;
    }>(
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
    return {
      uniqueBidders: count(rows[0]?.bidders),
      perOpportunity: Object.fromEntries(
        rows.map((row) => [
          row.reference,
          { confirmed: count(row.confirmed), evaluated: count(row.evaluated), passed: count(row.passed) },
        ]),
      ),
    };
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
  const { rows } = await db.query<ApplicationRow>(
    `SELECT id, version, data FROM applications WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] && toApplication(rows[0]);
}

interface ApplicationRow {
  readonly id: string;
  readonly version: number;
  readonly data: unknown;
}

/** Corrupt rows fail loudly, naming the application, rather than reaching the evaluation half-valid. */
function toApplication(row: ApplicationRow): Application {
  const application = storedApplication(row.data, row.id);
  if (application.id !== row.id || application.version !== row.version) {
    throw new Error(`stored application ${row.id} disagrees with its columns`);
  }
  return application;
}
