import { z } from 'zod';
import { type FormRules, type FormValues, readForm } from './forms';
import type { Problem } from './rules';
import { deadlineInForce, type Opportunity, TERMINAL_STATUSES } from './opportunity';

/**
 * Suppliers' applications to a posted opportunity. An application counts once its address is confirmed
 * by the e-mailed link; one per address per opportunity, changeable (and confirmed again) until the
 * deadline. At the close each confirmed one gets an applicant number, the requester's team marks it pass
 * or fail without names, and the draw picks among those who passed.
 */

/** An application's id as the site makes it: `a-` and a UUID. */
export const ApplicationId = z.string().regex(/^a-[0-9a-f-]{36}$/);

export const APPLICANT_KINDS = ['individual', 'student', 'business'] as const;
export type ApplicantKind = (typeof APPLICANT_KINDS)[number];

/** What the pilot's user guide asks an applicant to confirm, each required. */
export const DECLARATIONS = [
  'adult',
  'mayWorkInCanada',
  'repositoryAccount',
  'git',
  'acceptsCardOrPaypal',
  'completesOnTime',
] as const;
export type Declaration = (typeof DECLARATIONS)[number];

/** Optional questions for the program's statistics: kept apart from the applications, reported in aggregate. */
export const SELF_IDENTIFICATION = ['newToGovernment', 'outsideNcr', 'equityGroup'] as const;
export type SelfIdentificationQuestion = (typeof SELF_IDENTIFICATION)[number];
export type SelfIdentificationAnswer = 'yes' | 'no' | 'unsaid';

/** What an applicant sends: the application proper. */
export interface ApplicationContent {
  readonly name: string;
  readonly kind: ApplicantKind;
  /** A federal public servant's application raises a conflict of interest procurement must weigh. */
  readonly federalEmployee: boolean;
  /** The answer to the evaluation criterion. */
  readonly answer: string;
  /** Past work, each an http(s) address. */
  readonly links: readonly string[];
  /** Where the name is published if the work is awarded (the supplier's own choice). */
  readonly publicLink?: string;
}

export interface Application {
  /** `a-` and a random UUID. */
  readonly id: string;
  readonly reference: string;
  readonly email: string;
  readonly locale: 'en' | 'fr';
  /** The application as last confirmed; absent until the first confirmation. */
  readonly content?: ApplicationContent;
  /** A change (or the first application) waiting for its confirmation link, and that link's secret. */
  readonly pending?: { readonly content: ApplicationContent; readonly token: string; readonly at: string };
  readonly createdAt: string;
  readonly confirmedAt?: string;
  /** Given at the close, among confirmed applications. */
  readonly number?: number;
  readonly evaluation?: Evaluation;
  /** A secret for the debrief link of the not-selected e-mail. */
  readonly debriefToken?: string;
  /** The applicant asked for a debrief (from that link), and procurement's answer once sent. */
  readonly debrief?: {
    readonly requestedAt: string;
    readonly answer?: { readonly text: string; readonly by: Evaluation['by']; readonly at: string };
  };
  readonly version: number;
}

export interface Evaluation {
  readonly result: 'pass' | 'fail';
  readonly rationale: string;
  readonly by: { readonly aadObjectId: string; readonly name: string };
  readonly at: string;
}

/** The public application form, in the order it is shown. */
export const APPLY_FORM = {
  name: { kind: 'text', max: 200 },
  email: { kind: 'email', max: 254 },
  kind: { kind: 'choice', max: 10, choices: APPLICANT_KINDS },
  federalEmployee: { kind: 'choice', max: 3, choices: ['yes', 'no'] },
  answer: { kind: 'text', max: 4_000 },
  links: { kind: 'text', max: 2_000 },
  publicLink: { kind: 'text', max: 500, optional: true },
  ...Object.fromEntries(DECLARATIONS.map((d) => [d, { kind: 'choice', max: 3, choices: ['yes'] }])),
  terms: { kind: 'choice', max: 3, choices: ['yes'] },
  ...Object.fromEntries(
    SELF_IDENTIFICATION.map((q) => [
      q,
      { kind: 'choice', max: 6, choices: ['yes', 'no', 'unsaid'], optional: true },
    ]),
  ),
} as const satisfies FormRules;

/** Applications are taken until 23:59:59 on the deadline in force, where the department works. */
export function applicationsOpen(
  o: Pick<Opportunity, 'status' | 'dates'>,
  now: string,
  calendar: { endOf(date: string): string },
): boolean {
  return o.status === 'posted' && now <= calendar.endOf(deadlineInForce(o));
}

/** Past work an application may link to. */
export const MAX_LINKS = 5;
/** How long a confirmation link works: an application (or its change) not confirmed by then is not. */
export const CONFIRMATION_MS = 48 * 3_600_000;

const httpAddress = (text: string): boolean => {
  try {
    return ['https:', 'http:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
};

export type ApplicationReading =
  | {
      readonly ok: true;
      readonly content: ApplicationContent;
      readonly selfIdentification: SelfIdentification;
    }
  | {
      readonly ok: false;
      readonly problems: readonly Problem[];
      readonly kept: Readonly<Record<string, string>>;
    };

/**
 * Reads the public application form: every field by its rule, then the links (one per line or separated
 * by spaces, each an http(s) address, at most MAX_LINKS) and the optional link to publish.
 */
export function readApplication(fields: Readonly<Record<string, unknown>>): ApplicationReading {
  const read = readForm(APPLY_FORM, fields);
  const values: Readonly<Record<string, string>> & FormValues<typeof APPLY_FORM> = read.ok
    ? read.values
    : read.kept;
  const problems: Problem[] = read.ok ? [] : [...read.problems];
  // Once the text itself passed (not empty, not too long), each of its links is checked.
  const links = values.links.split(/\s+/);
  const named = (field: string) => problems.some((p) => p.field === field);
  if (!named('links')) {
    if (links.length > MAX_LINKS)
      problems.push({ field: 'links', code: 'too_many_links', params: { max: MAX_LINKS } });
    else if (!links.every(httpAddress)) problems.push({ field: 'links', code: 'invalid_url' });
  }
  if (!named('publicLink') && values.publicLink !== '' && !httpAddress(values.publicLink)) {
    problems.push({ field: 'publicLink', code: 'invalid_url' });
  }
  if (problems.length > 0) return { ok: false, problems, kept: values };
  const selfIdentification = Object.fromEntries(
    SELF_IDENTIFICATION.flatMap((q) =>
      values[q] === '' ? [] : [[q, values[q] as SelfIdentificationAnswer]],
    ),
  ) as SelfIdentification;
  return {
    ok: true,
    content: {
      name: values.name,
      kind: values.kind as ApplicantKind,
      federalEmployee: values.federalEmployee === 'yes',
      answer: values.answer,
      links,
      ...(values.publicLink !== '' ? { publicLink: values.publicLink } : {}),
    },
    selfIdentification,
  };
}

/** Whether an e-mailed confirmation link may still confirm: within its 48 hours, while applications are open. */
export function confirmationState(
  a: Pick<Application, 'pending'>,
  o: Pick<Opportunity, 'status' | 'dates'>,
  now: string,
  calendar: { endOf(date: string): string },
): 'usable' | 'expired' | 'closed' | 'nothing_pending' {
  if (!a.pending) return 'nothing_pending';
  if (!applicationsOpen(o, now, calendar)) return 'closed';
  return Date.parse(now) - Date.parse(a.pending.at) > CONFIRMATION_MS ? 'expired' : 'usable';
}

/**
 * When an opportunity's applications are deleted: `days` after it ended (paid, terminated, rejected or
 * cancelled; its last change), never while it runs.
 */
export function applicationsKeptUntil(
  o: Pick<Opportunity, 'status' | 'updatedAt'>,
  days: number,
): string | undefined {
  if (!TERMINAL_STATUSES.includes(o.status)) return undefined;
  return new Date(Date.parse(o.updatedAt) + days * 86_400_000).toISOString();
}

export type NewApplication = Pick<Application, 'id' | 'reference' | 'email' | 'locale' | 'createdAt'> & {
  readonly pending: NonNullable<Application['pending']>;
};

/** Optional answers for the program's statistics, stored apart from the application they came with. */
export type SelfIdentification = Readonly<
  Partial<Record<SelfIdentificationQuestion, SelfIdentificationAnswer>>
>;

export type SubmitOutcome =
  /** A first application from this address: stored unconfirmed. */
  | { readonly outcome: 'created'; readonly application: Application }
  /**
   * The address applied already: its pending change, token and language replaced, one version later;
   * what was confirmed stays.
   */
  | { readonly outcome: 'changed'; readonly application: Application }
  /** `maxUnconfirmed` applications wait for confirmation in all: nothing was stored. */
  | { readonly outcome: 'full' };

export interface ApplicationStore {
  /**
   * Stores an application with its pending content, or, when the address (whatever its case) applied to
   * this opportunity already, replaces that application's pending content, token and language (a new
   * version; its id, address and creation time stay). `selfIdentification` waits with the pending content
   * and is kept, apart, once it is confirmed. `maxUnconfirmed` bounds the applications never confirmed
   * that wait for their link, in all: a new one past it is `full`; a change never is. RangeError for
   * invalid input, or an id or token already in use.
   */
  submitApplication(
    application: NewApplication,
    selfIdentification: SelfIdentification,
    maxUnconfirmed: number,
  ): Promise<SubmitOutcome>;
  /** The application whose pending change holds this token (compared exactly), if any. */
  applicationByToken(token: string): Promise<Application | undefined>;
  /**
   * Makes the pending change the application (its first confirmation time stays), drops the token, and
   * keeps the self-identification that came with it in place of any earlier one; ConcurrencyError (from
   * store.ts) when the application is no longer at `expectedVersion` (or is not stored: no actual
   * version); RangeError when nothing is pending.
   */
  confirmApplication(id: string, expectedVersion: number, at: string): Promise<Application>;
  getApplication(id: string): Promise<Application | undefined>;
  /**
   * Replaces the application if it is still at `expectedVersion` (numbers, evaluations, the debrief token);
   * `next.version` must be `expectedVersion + 1` and its id, reference and address unchanged (else
   * RangeError); ConcurrencyError as for `confirmApplication`.
   */
  saveApplication(next: Application, expectedVersion: number): Promise<Application>;
  /**
   * An opportunity's applications (only the confirmed ones if told), oldest first (in the order they were
   * first stored: a change keeps an application's place), by pages; the cursor is opaque.
   */
  applicationsOf(
    reference: string,
    options: { readonly confirmedOnly?: boolean },
    page: { readonly limit: number; readonly cursor?: string },
  ): Promise<{ readonly items: readonly Application[]; readonly nextCursor?: string }>;
  /** Deletes an opportunity's applications and their self-identification; returns how many (retention). */
  deleteApplications(reference: string): Promise<number>;
  /**
   * The confirmed self-identification answers in aggregate, over the given opportunities: per question,
   * how many said each answer (every question and answer present, 0 when none; a question left
   * unanswered counts under none); never who.
   */
  selfIdentificationCounts(references: readonly string[]): Promise<SelfIdentificationTotals>;
  /**
   * The applications in aggregate, over the given opportunities (each counted once however often it is
   * named): how many different addresses (whatever their case) have a confirmed application, and per
   * opportunity asked for (0s when nobody applied) its confirmed applications, how many of those were
   * evaluated and how many passed. Never an address. RangeError for a list that is not one.
   */
  applicationFigures(references: readonly string[]): Promise<ApplicationFigures>;
}

/** Per self-identification question, how many gave each answer. */
export type SelfIdentificationTotals = Readonly<
  Record<SelfIdentificationQuestion, Readonly<Record<SelfIdentificationAnswer, number>>>
>;

/** One opportunity's applications, counted: the confirmed ones, and of those the evaluated and the passed. */
export interface OpportunityApplicationCounts {
  readonly confirmed: number;
  readonly evaluated: number;
  readonly passed: number;
}

/** What `applicationFigures` reads: counts only, never who. */
export interface ApplicationFigures {
  /** Different addresses, compared in lower case, with a confirmed application to any opportunity asked for. */
  readonly uniqueBidders: number;
  /** Every opportunity asked for, by reference. */
  readonly perOpportunity: Readonly<Record<string, OpportunityApplicationCounts>>;
}

/**
 * `applicationFigures` worked out from the applications themselves (a store that reads them whole uses
 * it): only the confirmed applications to the opportunities asked for (their reference exactly) count,
 * each address once whatever its case, across all of them.
 */
export function applicationFiguresOf(
  references: readonly string[],
  applications: Iterable<Pick<Application, 'reference' | 'email' | 'confirmedAt' | 'evaluation'>>,
): ApplicationFigures {
  const perOpportunity = new Map<string, { confirmed: number; evaluated: number; passed: number }>(
    references.map((reference) => [reference, { confirmed: 0, evaluated: 0, passed: 0 }]),
  );
  const bidders = new Set<string>();
  for (const a of applications) {
    const counts = perOpportunity.get(a.reference);
    if (!counts || a.confirmedAt === undefined) continue;
    // The address as the stores key it: in lower case, without the spaces around it.
    // Stryker disable next-line MethodExpression: upper case would tell the same addresses apart alike
    bidders.add(a.email.trim().toLowerCase());
    counts.confirmed += 1;
    if (a.evaluation) counts.evaluated += 1;
    if (a.evaluation?.result === 'pass') counts.passed += 1;
  }
  return { uniqueBidders: bidders.size, perOpportunity: Object.fromEntries(perOpportunity) };
}

/** Every confirmed application of an opportunity, page by page (oldest first). */
export async function confirmedApplications(
  store: Pick<ApplicationStore, 'applicationsOf'>,
  reference: string,
  pageSize = 200,
): Promise<Application[]> {
  const all: Application[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.applicationsOf(
      reference,
      { confirmedOnly: true },
      { limit: pageSize, ...(cursor ? { cursor } : {}) },
    );
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}
