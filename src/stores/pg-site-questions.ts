import type {
  AskOutcome,
  NewQuestion,
  Question,
  QuestionLimits,
  QuestionState,
  QuestionStore,
} from '../services/questions';
import { type PgAccess, type Queryable, storable } from './pg-access';
import { holdBound } from './pg-site-shared';
import { count, followsVersion, utc } from './rows';
import { askedQuestion, questionLimits, settledQuestion } from './site-records';
import { questionToSettle, toQuestion, type VersionedRow } from './site-rows';

/** Timestamps are ISO text in UTC; the "C" collation keeps text order exactly time order. */
export const QUESTIONS_SCHEMA = `
  CREATE TABLE questions (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    reference text NOT NULL,
    state text NOT NULL CHECK (state IN ('asked', 'answered', 'declined')),
    version integer NOT NULL CHECK (version >= 1),
    asked_at text COLLATE "C" NOT NULL,
    data json NOT NULL CHECK (json_typeof(data) = 'object')
  );
  CREATE INDEX questions_reference ON questions (reference, asked_at, seq);
  -- The bounds count the questions still waiting, on one request and in all, never the settled ones.
  CREATE INDEX questions_unanswered ON questions (reference) WHERE state = 'asked';
`;

/**
 * Suppliers' questions in PostgreSQL (table `questions`, migration 3). Every ask locks the questions'
 * bound row before it counts the questions that wait and stores its own, so two replicas cannot both
 * take the last place under a bound; a settlement locks the question's row.
 */
export class PgQuestions implements QuestionStore {
  constructor(private readonly db: PgAccess) {}

  async askQuestion(question: NewQuestion, limits: QuestionLimits): Promise<AskOutcome> {
    const fresh = askedQuestion(question);
    const bounds = questionLimits(limits);
    return storable('askQuestion', () =>
      this.db.tx<AskOutcome>('askQuestion', async (db) => {
        await holdBound(db, 'questions');
        const first = await find(db, fresh.id);
        if (first) return { ok: true, question: first };
        const { rows } = await db.query<{ here: string; total: string }>(
          `SELECT count(*) FILTER (WHERE reference = $1) AS here, count(*) AS total
           FROM questions WHERE state = 'asked'`,
          [fresh.reference],
        );
        if (count(rows[0]?.here) >= bounds.perOpportunity) return { ok: false, full: 'opportunity' };
        if (count(rows[0]?.total) >= bounds.total) return { ok: false, full: 'total' };
        await db.query(
          `INSERT INTO questions (id, reference, state, version, asked_at, data)
           VALUES ($1, $2, 'asked', 1, $3, $4::json)`,
          [fresh.id, fresh.reference, utc(fresh.askedAt), JSON.stringify(fresh)],
        );
        return { ok: true, question: fresh };
      }),
    );
  }

  async getQuestion(id: string): Promise<Question | undefined> {
    return find(this.db, id);
  }

  async questionsOf(
    reference: string,
    states?: readonly QuestionState[],
    limit?: number,
  ): Promise<readonly Question[]> {
    // An empty list of states matches nothing.
    if (states?.length === 0) return [];
    // LIMIT NULL is no limit at all.
    const max = limit === undefined ? null : Math.max(0, Math.trunc(limit) || 0);
    const rows = await this.db.rows<VersionedRow>(
      `SELECT id, version, data FROM questions
       WHERE reference = $1 AND ($2::text[] IS NULL OR state = ANY ($2::text[]))
       ORDER BY asked_at, seq LIMIT $3`,
      reference,
      states ? [...states] : null,
      max,
    );
    return rows.map(toQuestion);
  }

  async settleQuestion(next: Question, expectedVersion: number): Promise<Question> {
    followsVersion(next.id, next.version, expectedVersion);
    const settled = settledQuestion(next);
    return storable('settleQuestion', () =>
      this.db.tx('settleQuestion', async (db) => {
        questionToSettle(await find(db, settled.id, true), settled, expectedVersion);
        await db.query(
          'UPDATE questions SET state = $1, version = $2, data = $3::json WHERE id = $4 AND version = $5',
          [settled.state, settled.version, JSON.stringify(settled), settled.id, expectedVersion],
        );
        return settled;
      }),
    );
  }
}

/** With `lock`, the row stays locked until the transaction ends: a second settlement waits, then reads the first's. */
async function find(db: Queryable, id: string, lock = false): Promise<Question | undefined> {
  const { rows } = await db.query<VersionedRow>(
    `SELECT id, version, data FROM questions WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] && toQuestion(rows[0]);
}
