import type {
  Application,
  ApplicationFigures,
  NewApplication,
  SelfIdentification,
} from '../services/applications';
import type { Question } from '../services/questions';
import { ConcurrencyError } from '../services/store';
import type { Subscription } from '../services/subscriptions';
import { count, utc } from './rows';
import {
  bound,
  countAnswers,
  emailKey,
  newApplication,
  noAnswers,
  sameApplicant,
  sameAsking,
  selfIdentification,
  type SelfIdentificationCounts,
  storedApplication,
  storedQuestion,
  storedSelfIdentification,
  storedSubscription,
} from './site-records';

/**
 * What both SQL stores (the SQLite file and PostgreSQL) do alike with the public site's records: read
 * them back from their rows, the whole record in `data` (JSON text in the one, json in the other:
 * site-records.ts reads either) checked against the columns it is found by, and check a change against
 * the row it replaces, which both read in the transaction that writes.
 */

/** A question's or an application's row. */
export interface VersionedRow {
  readonly id: string;
  readonly version: number;
  readonly data: unknown;
}

export interface SubscriptionRow {
  readonly id: string;
  readonly data: unknown;
}

/** Corrupt rows fail loudly, naming the question, rather than reaching a page half-valid. */
export function toQuestion(row: VersionedRow): Question {
  const question = storedQuestion(row.data, row.id);
  if (question.id !== row.id || question.version !== row.version) {
    throw new Error(`stored question ${row.id} disagrees with its columns`);
  }
  return question;
}

/** The question a settlement replaces: at `expectedVersion`, asking what the settlement says it asked. */
export function questionToSettle(current: Question | undefined, settled: Question, expectedVersion: number) {
  if (current?.version !== expectedVersion) {
    throw new ConcurrencyError(settled.id, expectedVersion, current?.version);
  }
  if (!sameAsking(current, settled)) {
    throw new RangeError(`${settled.id}: a settlement cannot change what was asked, or where`);
  }
  return current;
}

export function toSubscription(row: SubscriptionRow): Subscription {
  const subscription = storedSubscription(row.data, row.id);
  if (subscription.id !== row.id) throw new Error(`stored subscription ${row.id} disagrees with its columns`);
  return subscription;
}

/** Corrupt rows fail loudly, naming the application, rather than reaching the evaluation half-valid. */
export function toApplication(row: VersionedRow): Application {
  const application = storedApplication(row.data, row.id);
  if (application.id !== row.id || application.version !== row.version) {
    throw new Error(`stored application ${row.id} disagrees with its columns`);
  }
  return application;
}

/** The columns of a new application's row given values by `submission`; it is also unconfirmed, at version 1. */
export const NEW_APPLICATION_COLUMNS =
  'id, reference, email_key, pending_token, created_at, data, pending_answers';

/**
 * A submission, checked, as its row keeps it: the application waiting for confirmation, the answers
 * waiting with it as JSON text, the bound on applications waiting, its address's key and its token,
 * and the values of NEW_APPLICATION_COLUMNS should it be the address's first.
 */
export function submission(application: NewApplication, answers: SelfIdentification, maxUnconfirmed: number) {
  const fresh = newApplication(application);
  const pendingAnswers = JSON.stringify(selfIdentification(answers));
  const max = bound(maxUnconfirmed, 'maxUnconfirmed');
  const key = emailKey(fresh.email);
  const token = fresh.pending.token;
  const values = [
    fresh.id,
    fresh.reference,
    key,
    token,
    utc(fresh.createdAt),
    JSON.stringify(fresh),
    pendingAnswers,
  ];
  return { fresh, pendingAnswers, max, key, token, values };
}

/** The application a save replaces: at `expectedVersion`, of the same opportunity and address. */
export function applicationToSave(
  current: Application | undefined,
  saved: Application,
  expectedVersion: number,
) {
  if (current?.version !== expectedVersion) {
    throw new ConcurrencyError(saved.id, expectedVersion, current?.version);
  }
  if (!sameApplicant(current, saved)) {
    throw new RangeError(`${saved.id}: a save cannot change the opportunity or the address applied with`);
  }
  return current;
}

/** A confirmed application's self-identification, as kept for the statistics. */
export interface AnswersRow {
  readonly application_id: string;
  readonly answers: unknown;
}

export function answerCounts(rows: readonly AnswersRow[]): SelfIdentificationCounts {
  const counts = noAnswers();
  for (const row of rows) {
    countAnswers(counts, storedSelfIdentification(row.answers, `of application ${row.application_id}`));
  }
  return counts;
}

/** One opportunity's figures; every row carries the bidders counted over all the opportunities asked for. */
export interface FiguresRow {
  readonly reference: string;
  readonly confirmed: number | string;
  readonly evaluated: number | string;
  readonly passed: number | string;
  readonly bidders: number | string;
}

export function figuresOf(rows: readonly FiguresRow[]): ApplicationFigures {
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
