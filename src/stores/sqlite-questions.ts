import type {
  AskOutcome,
  NewQuestion,
  Question,
  QuestionLimits,
  QuestionState,
  QuestionStore,
} from '../services/questions';
import { followsVersion, utc } from './rows';
import { askedQuestion, questionLimits, settledQuestion } from './site-records';
import { questionToSettle, toQuestion, type VersionedRow } from './site-rows';
import type { SqliteAccess } from './sqlite-access';

/**
 * Suppliers' questions in the SQLite file (table `questions`, migration 9). Counting the questions that
 * wait and storing a new one is one IMMEDIATE transaction, so two processes on the file cannot both
 * take the last place under a bound.
 */
export class SqliteQuestions implements QuestionStore {
  constructor(private readonly access: SqliteAccess) {}

  async askQuestion(question: NewQuestion, limits: QuestionLimits): Promise<AskOutcome> {
    const fresh = askedQuestion(question);
    const bounds = questionLimits(limits);
    return this.access.write<AskOutcome>('askQuestion', () => {
      const first = this.find(fresh.id);
      if (first) return { ok: true, question: first };
      // Both counts read the partial index of waiting questions, never the answered ones.
      const waiting = this.access.row<{ here: number; total: number }>(
        `SELECT (SELECT COUNT(*) FROM questions WHERE state = 'asked' AND reference = ?) AS here,
                (SELECT COUNT(*) FROM questions WHERE state = 'asked') AS total`,
        fresh.reference,
      );
      if ((waiting?.here ?? 0) >= bounds.perOpportunity) return { ok: false, full: 'opportunity' };
      if ((waiting?.total ?? 0) >= bounds.total) return { ok: false, full: 'total' };
      this.access
        .sql(
          `INSERT INTO questions (id, reference, state, version, asked_at, data)
           VALUES (?, ?, 'asked', 1, ?, ?)`,
        )
        .run(fresh.id, fresh.reference, utc(fresh.askedAt), JSON.stringify(fresh));
      return { ok: true, question: fresh };
    });
  }

  async getQuestion(id: string): Promise<Question | undefined> {
    return this.access.guard('getQuestion', () => this.find(id));
  }

  async questionsOf(
    reference: string,
    states?: readonly QuestionState[],
    limit?: number,
  ): Promise<readonly Question[]> {
    // An empty list of states matches nothing, as "state IN ()" would.
    if (states?.length === 0) return [];
    const max = limit === undefined ? -1 : Math.max(0, Math.trunc(limit) || 0);
    const only = states ? `AND state IN (${states.map(() => '?').join(', ')})` : '';
    return this.access.guard('questionsOf', () =>
      this.access
        .rows<VersionedRow>(
          `SELECT id, version, data FROM questions WHERE reference = ? ${only}
           ORDER BY asked_at, seq LIMIT ?`,
          reference,
          ...(states ?? []),
          max,
        )
        .map(toQuestion),
    );
  }

  async settleQuestion(next: Question, expectedVersion: number): Promise<Question> {
    followsVersion(next.id, next.version, expectedVersion);
    const settled = settledQuestion(next);
    return this.access.write('settleQuestion', () => {
      questionToSettle(this.find(settled.id), settled, expectedVersion);
      this.access
        .sql('UPDATE questions SET state = ?, version = ?, data = ? WHERE id = ? AND version = ?')
        .run(settled.state, settled.version, JSON.stringify(settled), settled.id, expectedVersion);
      return settled;
    });
  }

  private find(id: string): Question | undefined {
    const row = this.access.row<VersionedRow>('SELECT id, version, data FROM questions WHERE id = ?', id);
    return row && toQuestion(row);
  }
}
