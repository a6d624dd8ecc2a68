import { z } from 'zod';
import {
  type Application,
  APPLICANT_KINDS,
  type NewApplication,
  SELF_IDENTIFICATION,
  type SelfIdentification,
  type SelfIdentificationAnswer,
  type SelfIdentificationQuestion,
} from '../services/applications';
import {
  DECLINE_REASONS,
  type NewQuestion,
  type Question,
  type QuestionLimits,
  QUESTION_STATES,
} from '../services/questions';
import type { NewSubscription, Subscription } from '../services/subscriptions';
import { nonEmpty } from './rows';

/**
 * The public site's records as every store checks them: strictly on the way in (a caller's mistake is a
 * RangeError, whichever store it meets), leniently on the way out (a member a later release adds is
 * dropped, so its data still opens), and loudly, naming the record, when what is stored is unreadable.
 */

/** SharePoint's single line of text: ids, tokens and addresses are kept in such columns there. */
const KEY_MAX = 255;
/** The longest address SMTP carries. */
const EMAIL_MAX = 254;

const Instant = z.iso.datetime({ offset: true });
const Key = z
  .string()
  .max(KEY_MAX)
  .refine((v) => v.trim() !== '', 'must not be empty');
const Locale = z.enum(['en', 'fr']);
const Bilingual = z.object({ en: z.string(), fr: z.string() });

const questionShape = {
  id: Key,
  reference: Key,
  locale: Locale,
  text: z.string(),
  email: z.string().max(EMAIL_MAX).optional(),
  askedAt: Instant,
  state: z.enum(QUESTION_STATES),
  version: z.number().int().positive(),
  answer: z.object({ question: Bilingual, answer: Bilingual }).optional(),
  declined: z.enum(DECLINE_REASONS).optional(),
  settledBy: z.object({ aadObjectId: z.string(), name: z.string() }).optional(),
  settledAt: Instant.optional(),
};
const StoredQuestion = z.object(questionShape);
const QuestionIn = z.strictObject(questionShape);
const NewQuestionIn = z.strictObject({
  id: questionShape.id,
  reference: questionShape.reference,
  locale: questionShape.locale,
  text: questionShape.text,
  email: questionShape.email,
  askedAt: questionShape.askedAt,
});
const Limit = z.number().int().nonnegative();
const LimitsIn = z.object({ perOpportunity: Limit, total: Limit });

const subscriptionShape = {
  id: Key,
  email: z
    .string()
    .transform((v) => v.trim())
    .pipe(z.string().min(1).max(EMAIL_MAX)),
  locale: Locale,
  token: Key,
  createdAt: Instant,
  confirmedAt: Instant.optional(),
  confirmationSentAt: Instant,
};
const StoredSubscription = z.object(subscriptionShape);
const { confirmedAt: _confirmedAt, ...unconfirmedShape } = subscriptionShape;
const NewSubscriptionIn = z.strictObject(unconfirmedShape);

const Email = z
  .string()
  .transform((v) => v.trim())
  .pipe(z.string().min(1).max(EMAIL_MAX));

const contentShape = {
  name: z.string(),
  kind: z.enum(APPLICANT_KINDS),
  federalEmployee: z.boolean(),
  answer: z.string(),
  links: z.array(z.string()),
  publicLink: z.string().optional(),
};
const pendingShape = { token: Key, at: Instant };
const byShape = { aadObjectId: z.string(), name: z.string() };
const evaluationShape = { result: z.enum(['pass', 'fail']), rationale: z.string(), at: Instant };
const applicationShape = {
  id: Key,
  reference: Key,
  email: Email,
  locale: Locale,
  createdAt: Instant,
  confirmedAt: Instant.optional(),
  number: z.number().int().positive().optional(),
  debriefToken: Key.optional(),
  version: z.number().int().positive(),
};
// Stored records are read leniently at every depth; what a caller gives is checked strictly at every depth.
const StoredContent = z.object(contentShape);
const ContentIn = z.strictObject(contentShape);
const StoredDebrief = z.object({
  requestedAt: Instant,
  answer: z.object({ text: z.string(), by: z.object(byShape), at: Instant }).optional(),
});
const DebriefIn = z.strictObject({
  requestedAt: Instant,
  answer: z.strictObject({ text: z.string(), by: z.strictObject(byShape), at: Instant }).optional(),
});
const StoredApplication = z.object({
  ...applicationShape,
  debrief: StoredDebrief.optional(),
  content: StoredContent.optional(),
  pending: z.object({ ...pendingShape, content: StoredContent }).optional(),
  evaluation: z.object({ ...evaluationShape, by: z.object(byShape) }).optional(),
});
const PendingIn = z.strictObject({ ...pendingShape, content: ContentIn });
const ApplicationIn = z.strictObject({
  ...applicationShape,
  debrief: DebriefIn.optional(),
  content: ContentIn.optional(),
  pending: PendingIn.optional(),
  evaluation: z.strictObject({ ...evaluationShape, by: z.strictObject(byShape) }).optional(),
});
const NewApplicationIn = z
  .strictObject({
    id: applicationShape.id,
    reference: applicationShape.reference,
    email: applicationShape.email,
    locale: applicationShape.locale,
    createdAt: applicationShape.createdAt,
    pending: PendingIn,
  })
  // SharePoint keeps the opportunity and address together in one single line of text, its unique key.
  .refine((a) => addressKey(a.reference, a.email).length <= KEY_MAX, {
    message: `the reference and address together must fit in ${KEY_MAX} characters`,
    path: ['email'],
  });

const ANSWERS = ['yes', 'no', 'unsaid'] as const satisfies readonly SelfIdentificationAnswer[];
const Answer = z.enum(ANSWERS);
const selfIdentificationShape = {
  newToGovernment: Answer.optional(),
  outsideNcr: Answer.optional(),
  equityGroup: Answer.optional(),
} satisfies Record<SelfIdentificationQuestion, unknown>;
const SelfIdentificationIn = z.strictObject(selfIdentificationShape);
const StoredSelfIdentification = z.object(selfIdentificationShape);
const References = z.array(Key);

/** A page of an opportunity's applications is at most this long. */
export const APPLICATIONS_PAGE_MAX = 500;

/** A page of subscribers is at most this long: enough for a mailing batch, short enough for one read. */
export const SUBSCRIBERS_PAGE_MAX = 1_000;

/** Plain JSON: what a store hands back never carries `undefined` members. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function valid<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new RangeError(`not a valid ${what}: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return plain(parsed.data);
}

function stored<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  try {
    return plain(schema.parse(typeof json === 'string' ? JSON.parse(json) : json));
  } catch (cause) {
    throw new Error(`stored ${what} is unreadable`, { cause });
  }
}

/** A question as first stored: waiting for an answer, at version 1. */
export function askedQuestion(question: NewQuestion): Question {
  return { ...valid(NewQuestionIn, question, 'question'), state: 'asked', version: 1 };
}

export function settledQuestion(question: Question): Question {
  return valid(QuestionIn, question, 'question');
}

export function storedQuestion(json: unknown, where: string): Question {
  return stored(StoredQuestion, json, `question ${where}`);
}

export function questionLimits(limits: QuestionLimits): QuestionLimits {
  return valid(LimitsIn, limits, 'bound on questions');
}

/** Another settlement may be refused as stale, never change what was asked or on which request. */
export function sameAsking(a: Question, b: Question): boolean {
  return a.id === b.id && a.reference === b.reference && a.askedAt === b.askedAt && a.locale === b.locale;
}

export function newSubscription(subscription: NewSubscription): Subscription {
  return valid(NewSubscriptionIn, subscription, 'subscription');
}

export function storedSubscription(json: unknown, where: string): Subscription {
  return stored(StoredSubscription, json, `subscription ${where}`);
}

/** One subscription per address whatever its case: the address as every store compares it. */
export function emailKey(address: string): string {
  return String(address).trim().toLowerCase();
}

/** An instant a caller gives, checked as the records' own are. */
export function instant(value: string, what: string): string {
  if (!Instant.safeParse(value).success)
    throw new RangeError(`${what} must be an ISO timestamp, not ${value}`);
  return value;
}

/** What a publication log notes, checked: RangeError for an empty name or digest, or a time not ISO. */
export function publicationNote(target: string, reference: string, digest: string, at: string): void {
  for (const [value, what] of [
    [target, 'a publication target'],
    [reference, 'a reference'],
    [digest, 'a digest'],
  ] as const) {
    nonEmpty(value, what);
  }
  instant(at, 'the time of publication');
}

export function bound(max: number, what: string): number {
  if (!Number.isInteger(max) || max < 0) throw new RangeError(`${what} must be a whole number, 0 or more`);
  return max;
}

/** An application as first stored: its pending content waiting for confirmation, at version 1. */
export function newApplication(application: NewApplication): WaitingApplication {
  return { ...valid(NewApplicationIn, application, 'application'), version: 1 };
}

export type WaitingApplication = Application & { readonly pending: NonNullable<Application['pending']> };

export function savedApplication(application: Application): Application {
  return valid(ApplicationIn, application, 'application');
}

export function storedApplication(json: unknown, where: string): Application {
  return stored(StoredApplication, json, `application ${where}`);
}

/**
 * An application a new submission from its address changes: what was confirmed stays; the change (and
 * the language to answer it in) replaces any earlier one.
 */
export function changedApplication(current: Application, fresh: WaitingApplication): Application {
  return { ...current, locale: fresh.locale, pending: fresh.pending, version: current.version + 1 };
}

/**
 * An application as its confirmation leaves it: the change waiting becomes its content, and the first
 * confirmation's time stays. RangeError when no change waits.
 */
export function confirmedApplication(current: Application, at: string): Application {
  const { pending, ...rest } = current;
  if (!pending) throw new RangeError(`application ${current.id} has no change waiting for confirmation`);
  return {
    ...rest,
    content: pending.content,
    confirmedAt: current.confirmedAt ?? at,
    version: current.version + 1,
  };
}

/** A later save may number, evaluate or change an application, never move it to another opportunity or address. */
export function sameApplicant(a: Application, b: Application): boolean {
  return a.id === b.id && a.reference === b.reference && a.email === b.email;
}

/** One application per address per opportunity, whatever the address's case: the key every store compares. */
export function addressKey(reference: string, email: string): string {
  return `${reference}|${emailKey(email)}`;
}

export function selfIdentification(answers: SelfIdentification): SelfIdentification {
  return valid(SelfIdentificationIn, answers, 'self-identification');
}

export function storedSelfIdentification(json: unknown, where: string): SelfIdentification {
  return stored(StoredSelfIdentification, json, `self-identification ${where}`);
}

export function referenceList(references: readonly string[]): string[] {
  return valid(References, references, 'list of references');
}

export type SelfIdentificationCounts = Record<
  SelfIdentificationQuestion,
  Record<SelfIdentificationAnswer, number>
>;

/** Every question with every answer, each counted 0: what is reported when nobody said anything. */
export function noAnswers(): SelfIdentificationCounts {
  const zero = (): Record<SelfIdentificationAnswer, number> => ({ yes: 0, no: 0, unsaid: 0 });
  return { newToGovernment: zero(), outsideNcr: zero(), equityGroup: zero() };
}

/** Adds one person's answers to `counts`; a question left unanswered counts under no answer. */
export function countAnswers(counts: SelfIdentificationCounts, answers: SelfIdentification): void {
  for (const question of SELF_IDENTIFICATION) {
    const answer = answers[question];
    if (answer !== undefined) counts[question][answer] += 1;
  }
}
