import { z } from 'zod';
import { addBusinessDays, type DaysOff, isWeekend } from './business-days';
import { DEFAULT_LICENCE, licenceFrom } from './licences';
import { cutToLength, MAX_SKILLS, type OpportunityContent, TEXT_LIMITS } from './opportunity';
import {
  ADMIN_HOURS,
  fixedPriceCents,
  parseDecimal,
  SUGGESTED_RATE_CENTS,
  totalWithHighestTaxCents,
} from './pricing';
import { checkAttestations, checkDates, checkPricing, type Problem } from './rules';

/**
 * The intake conversation as pure functions: which fields each step asks for, how what a person typed
 * becomes an opportunity, and which problems to show next to which field. Drafts keep the text as typed,
 * so a mistake never costs the person what they wrote.
 */

export const STEPS = ['basics', 'work', 'pricing', 'attestations', 'review'] as const;
export type Step = (typeof STEPS)[number];
export type FormStep = Exclude<Step, 'review'>;
export const FORM_STEPS: readonly FormStep[] = ['basics', 'work', 'pricing', 'attestations'];

export type FieldKind =
  'text' | 'longText' | 'email' | 'url' | 'list' | 'money' | 'number' | 'date' | 'toggle' | 'choice';

interface FieldSpec {
  readonly step: FormStep;
  readonly kind: FieldKind;
  /** The longest value kept: longer text is cut to it, with a word (see mergeStep). */
  readonly max: number;
  readonly optional?: boolean;
}

/**
 * The card inputs' own length bound, far above any field's kept length (2,000 at most), so that a paste
 * reaches the bot whole and is cut here with a word rather than silently by Teams; still a bound, so a
 * pasted document stays well within what one invoke may carry.
 */
export const INPUT_MAX_LENGTH = 20_000;

const NUMBER_MAX = 20;
const DATE_MAX = 10;
/** The skills list is typed as one text, comma or line separated. */
const SKILLS_TEXT_MAX = MAX_SKILLS * (TEXT_LIMITS.skill + 2);

export const FIELDS = {
  title: { step: 'basics', kind: 'text', max: TEXT_LIMITS.title },
  shortDescription: { step: 'basics', kind: 'longText', max: TEXT_LIMITS.shortDescription },
  department: { step: 'basics', kind: 'text', max: TEXT_LIMITS.client },
  branch: { step: 'basics', kind: 'text', max: TEXT_LIMITS.client },
  team: { step: 'basics', kind: 'text', max: TEXT_LIMITS.client },
  contactName: { step: 'basics', kind: 'text', max: TEXT_LIMITS.client },
  contactEmail: { step: 'basics', kind: 'email', max: TEXT_LIMITS.client },
  background: { step: 'work', kind: 'longText', max: TEXT_LIMITS.background },
  deliverables: { step: 'work', kind: 'longText', max: TEXT_LIMITS.deliverables },
  requiredSkills: { step: 'work', kind: 'list', max: SKILLS_TEXT_MAX },
  evaluationCriterion: { step: 'work', kind: 'longText', max: TEXT_LIMITS.evaluationCriterion },
  acceptanceCriteria: { step: 'work', kind: 'longText', max: TEXT_LIMITS.acceptanceCriteria },
  licence: { step: 'work', kind: 'choice', max: TEXT_LIMITS.licence },
  repositoryUrl: { step: 'work', kind: 'url', max: 500, optional: true },
  hourlyRate: { step: 'pricing', kind: 'money', max: NUMBER_MAX },
  estimatedHours: { step: 'pricing', kind: 'number', max: NUMBER_MAX },
  applicationDeadline: { step: 'pricing', kind: 'date', max: DATE_MAX },
  supplierSelectionDate: { step: 'pricing', kind: 'date', max: DATE_MAX },
  deliveryDate: { step: 'pricing', kind: 'date', max: DATE_MAX },
  unclassified: { step: 'attestations', kind: 'toggle', max: 5 },
  standalone: { step: 'attestations', kind: 'toggle', max: 5 },
  noInternalCapacity: { step: 'attestations', kind: 'toggle', max: 5 },
  notContractSplitting: { step: 'attestations', kind: 'toggle', max: 5 },
} as const satisfies Record<string, FieldSpec>;
export type FieldName = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

/** What the person typed, field by field, exactly as typed (toggles as "true" / "false"). */
export type IntakeFields = Partial<Record<FieldName, string>>;

export function fieldsOf(step: FormStep): FieldName[] {
  return FIELD_NAMES.filter((f) => FIELDS[f].step === step);
}

export function stepNumber(step: Step): number {
  return STEPS.indexOf(step) + 1;
}

/** The step after `step`; the review is the last. */
export function nextStep(step: Step): Step {
  return STEPS[STEPS.indexOf(step) + 1] ?? 'review';
}

/** The step before `step`; the basics are the first. */
export function previousStep(step: Step): Step {
  return STEPS[STEPS.indexOf(step) - 1] ?? 'basics';
}

export function isStep(value: unknown): value is Step {
  return typeof value === 'string' && (STEPS as readonly string[]).includes(value);
}

/** A new draft: the licence defaults to MIT (a new repository), the contact to the person themselves. */
export function initialFields(seed: IntakeFields = {}): IntakeFields {
  return { licence: DEFAULT_LICENCE, ...seed };
}

/**
 * Takes this step's inputs from card data into the draft. Card data is untrusted: fields of other steps
 * and unknown keys are ignored, anything that is not text is refused, and text longer than a field holds
 * is cut to fit (the card must stay small) with a problem saying so, so the person checks what was kept.
 */
export function mergeStep(
  fields: IntakeFields,
  step: FormStep,
  data: Readonly<Record<string, unknown>>,
): { fields: IntakeFields; problems: Problem[] } {
  const merged: IntakeFields = { ...fields };
  const problems: Problem[] = [];
  for (const name of fieldsOf(step)) {
    const raw = data[name];
    const spec: FieldSpec = FIELDS[name];
    if (raw === undefined || raw === null) {
      // An unticked toggle may be absent from the data; a text input sends "" when cleared.
      if (spec.kind === 'toggle') merged[name] = 'false';
      continue;
    }
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      problems.push({ field: name, code: 'wrong_type' });
      continue;
    }
    const text = String(raw);
    const { kept, length } = cutToLength(text, spec.max);
    if (length > spec.max) {
      merged[name] = kept;
      // At the card's own bound Teams may have cut the paste already: what was typed is then at least this.
      const params = { length, max: spec.max };
      problems.push({
        field: name,
        code: 'truncated',
        params: text.length >= INPUT_MAX_LENGTH ? { ...params, atLeast: 1 } : params,
      });
    } else {
      merged[name] = text;
    }
  }
  return { fields: merged, problems };
}

/*
 * A value missing, empty or the wrong shape is "required": the codes below name every other problem, and
 * anything zod reports without one of them is read as required (see parseStep).
 */
const text = (max: number) => z.string().trim().min(1).max(max, { error: 'too_long' });

const decimal = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .transform((s, ctx) => {
      const n = parseDecimal(s);
      if (n === undefined) {
        ctx.addIssue({ code: 'custom', message: 'not_a_number' });
        return z.NEVER;
      }
      return n;
    })
    .pipe(z.number().positive({ error: 'not_positive' }).max(max, { error: 'too_large' }));

const date = z
  .string()
  .trim()
  .min(1)
  .pipe(z.iso.date({ error: 'invalid_date' }));

const toggle = z
  .string()
  .optional()
  .transform((s) => s === 'true');

const skills = text(SKILLS_TEXT_MAX)
  .transform((s) =>
    s
      .split(/[,;\n]/)
      .map((x) => x.trim())
      .filter((x) => x !== ''),
  )
  .pipe(
    z
      .array(z.string().max(TEXT_LIMITS.skill, { error: 'too_long' }))
      .min(1)
      .max(MAX_SKILLS, { error: 'too_many_items' }),
  );

/** A listed licence, by its SPDX id or another spelling of it (a draft from before the list): read as its id. */
// Stryker disable next-line MethodExpression: the trim is the list's own too, which ignores spaces
const licence = z
  .string()
  .trim()
  .min(1)
  .transform((s, ctx) => {
    const id = licenceFrom(s);
    if (id === undefined) {
      ctx.addIssue({ code: 'custom', message: 'not_a_licence' });
      return z.NEVER;
    }
    return id;
  });

/** Blank, or an http(s) address: a blank one is left out of the opportunity. */
const optionalUrl = z
  .string()
  .trim()
  .optional()
  .pipe(
    z.union([
      z.literal(''),
      z.undefined(),
      z.url({ protocol: /^https?$/, hostname: z.regexes.domain, error: 'invalid_url' }),
    ]),
  );

/** Largest hourly rate and hours worth reading: anything above is a typing slip, and over the ceiling anyway. */
const MAX_RATE_DOLLARS = 10_000;
const MAX_HOURS = 10_000;

const STEP_SCHEMAS = {
  basics: z.object({
    title: text(FIELDS.title.max),
    shortDescription: text(FIELDS.shortDescription.max),
    department: text(FIELDS.department.max),
    branch: text(FIELDS.branch.max),
    team: text(FIELDS.team.max),
    contactName: text(FIELDS.contactName.max),
    contactEmail: text(FIELDS.contactEmail.max).pipe(z.email({ error: 'invalid_email' })),
  }),
  work: z.object({
    background: text(FIELDS.background.max),
    deliverables: text(FIELDS.deliverables.max),
    requiredSkills: skills,
    evaluationCriterion: text(FIELDS.evaluationCriterion.max),
    acceptanceCriteria: text(FIELDS.acceptanceCriteria.max),
    licence,
    repositoryUrl: optionalUrl,
  }),
  pricing: z.object({
    hourlyRate: decimal(MAX_RATE_DOLLARS),
    estimatedHours: decimal(MAX_HOURS),
    applicationDeadline: date,
    supplierSelectionDate: date,
    deliveryDate: date,
  }),
  attestations: z.object({
    unclassified: toggle,
    standalone: toggle,
    noInternalCapacity: toggle,
    notContractSplitting: toggle,
  }),
} as const;

type Parsed<S extends FormStep> = z.infer<(typeof STEP_SCHEMAS)[S]>;

function parseStep<S extends FormStep>(
  step: S,
  fields: IntakeFields,
): { ok: true; value: Parsed<S> } | { ok: false; problems: Problem[] } {
  const result = STEP_SCHEMAS[step].safeParse(fields);
  if (result.success) return { ok: true, value: result.data as Parsed<S> };
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const issue of result.error.issues) {
    // The schemas' keys are the field names.
    const field = issue.path[0] as FieldName;
    // One problem per field: the first is what the person must fix first.
    if (seen.has(field)) continue;
    seen.add(field);
    const code = (PROBLEM_CODES as readonly string[]).includes(issue.message)
      ? (issue.message as Problem['code'])
      : 'required';
    problems.push({ field, code, params: { max: limitOf(field, code) } });
  }
  return { ok: false, problems };
}

/** The limit a problem names: how many skills, or one skill's length; else the field's length. */
function limitOf(field: FieldName, code: Problem['code']): number {
  // The skills are the one list.
  if (code === 'too_many_items') return MAX_SKILLS;
  if (field === 'requiredSkills' && code === 'too_long') return TEXT_LIMITS.skill;
  return FIELDS[field].max;
}

/** The codes the schemas above give; any other problem zod finds is a value still required. */
const PROBLEM_CODES = [
  'too_long',
  'invalid_email',
  'invalid_url',
  'not_a_number',
  'not_positive',
  'too_large',
  'invalid_date',
  'too_many_items',
  'not_a_licence',
] as const;

/** The price the figures typed so far give, for the card to show before anything is submitted. */
export interface PriceQuote {
  readonly hourlyRateCents: number;
  readonly estimatedHours: number;
  readonly adminHours: number;
  readonly fixedPriceCents: number;
  readonly totalWithTaxCents: number;
  readonly rateOutsideSuggestion: boolean;
}

export function priceQuote(fields: IntakeFields): PriceQuote | undefined {
  const rate = parseDecimal(fields.hourlyRate);
  const hours = parseDecimal(fields.estimatedHours);
  if (rate === undefined || hours === undefined || rate <= 0 || hours <= 0) return undefined;
  if (rate > MAX_RATE_DOLLARS || hours > MAX_HOURS) return undefined;
  const hourlyRateCents = Math.round(rate * 100);
  const fixed = fixedPriceCents(hourlyRateCents, hours, ADMIN_HOURS);
  return {
    hourlyRateCents,
    estimatedHours: hours,
    adminHours: ADMIN_HOURS,
    fixedPriceCents: fixed,
    totalWithTaxCents: totalWithHighestTaxCents(fixed),
    rateOutsideSuggestion:
      hourlyRateCents < SUGGESTED_RATE_CENTS.min || hourlyRateCents > SUGGESTED_RATE_CENTS.max,
  };
}

/**
 * Every problem on one step, in field order: what cannot be read first, then the rules (price ceiling,
 * dates in order and in the future, hours per week, attestations). `today` is an ISO date.
 */
export function checkStep(step: Step, fields: IntakeFields, today: string): Problem[] {
  if (step === 'review') return [];
  const parsed = parseStep(step, fields);
  const unreadable = parsed.ok ? [] : parsed.problems;
  const rules = step === 'pricing' ? pricingRules(fields, today) : [];
  if (step === 'attestations' && parsed.ok) {
    rules.push(
      ...checkAttestations(parsed.value as Parsed<'attestations'>).map((problem) => ({
        ...problem,
        field: problem.field.slice('attestations.'.length),
      })),
    );
  }
  // The rules judge only figures that can be read, so no field has a problem of both kinds.
  return [...unreadable, ...rules];
}

/** The price and date rules, each run as soon as the figures it needs can be read. */
function pricingRules(fields: IntakeFields, today: string): Problem[] {
  const shape = STEP_SCHEMAS.pricing.shape;
  const rate = shape.hourlyRate.safeParse(fields.hourlyRate);
  const hours = shape.estimatedHours.safeParse(fields.estimatedHours);
  const deadline = shape.applicationDeadline.safeParse(fields.applicationDeadline);
  const selection = shape.supplierSelectionDate.safeParse(fields.supplierSelectionDate);
  const delivery = shape.deliveryDate.safeParse(fields.deliveryDate);
  const problems: Problem[] = [];
  if (rate.success && hours.success) {
    const hourlyRateCents = Math.round(rate.data * 100);
    const pricing = {
      hourlyRateCents,
      estimatedHours: hours.data,
      adminHours: ADMIN_HOURS,
      fixedPriceCents: fixedPriceCents(hourlyRateCents, hours.data, ADMIN_HOURS),
    };
    problems.push(...checkPricing(pricing).map((problem) => ({ ...problem, field: 'estimatedHours' })));
  }
  if (deadline.success && selection.success && delivery.success) {
    const dates = {
      applicationDeadline: deadline.data,
      supplierSelectionDate: selection.data,
      deliveryDate: delivery.data,
    };
    // Without readable hours the weekly load cannot be judged yet; the order and the future still can.
    problems.push(
      ...checkDates(dates, hours.success ? hours.data : 0, hours.success ? ADMIN_HOURS : 0, today),
    );
  } else if (deadline.success && deadline.data <= today) {
    problems.push({ field: 'applicationDeadline', code: 'date_not_future' });
  }
  return problems;
}

/** The first step that still has a problem, with its problems; undefined when the draft is complete. */
export function firstIncompleteStep(
  fields: IntakeFields,
  today: string,
): { step: FormStep; problems: Problem[] } | undefined {
  for (const step of FORM_STEPS) {
    const problems = checkStep(step, fields, today);
    if (problems.length > 0) return { step, problems };
  }
  return undefined;
}

/** The opportunity a complete draft describes; undefined while any step has a problem. */
export function toContent(fields: IntakeFields, today: string): OpportunityContent | undefined {
  if (firstIncompleteStep(fields, today)) return undefined;
  const basics = parseStep('basics', fields);
  const work = parseStep('work', fields);
  const pricing = parseStep('pricing', fields);
  const attestations = parseStep('attestations', fields);
  if (!basics.ok || !work.ok || !pricing.ok || !attestations.ok) return undefined;
  const hourlyRateCents = Math.round(pricing.value.hourlyRate * 100);
  const { repositoryUrl, ...work_ } = work.value;
  return {
    title: basics.value.title,
    shortDescription: basics.value.shortDescription,
    ...work_,
    ...(repositoryUrl ? { repositoryUrl } : {}),
    client: {
      department: basics.value.department,
      branch: basics.value.branch,
      team: basics.value.team,
      contactName: basics.value.contactName,
      contactEmail: basics.value.contactEmail,
    },
    pricing: {
      hourlyRateCents,
      estimatedHours: pricing.value.estimatedHours,
      adminHours: ADMIN_HOURS,
      fixedPriceCents: fixedPriceCents(hourlyRateCents, pricing.value.estimatedHours, ADMIN_HOURS),
    },
    dates: {
      applicationDeadline: pricing.value.applicationDeadline,
      supplierSelectionDate: pricing.value.supplierSelectionDate,
      deliveryDate: pricing.value.deliveryDate,
    },
    attestations: attestations.value,
  };
}

/** What must fit before applications close: vetting, the union consultation, and a time posted. */
export interface PostingRoom {
  readonly vettingDays: number;
  readonly consultationDays: number;
  readonly postingDays: number;
}

/**
 * The earliest deadline that leaves room for vetting, the consultation and the posting window, in business
 * days from today; undefined when the deadline typed leaves that room, or cannot be read yet.
 */
export function earliestDeadline(
  fields: IntakeFields,
  today: string,
  room: PostingRoom,
  daysOff: DaysOff,
): string | undefined {
  // Stryker disable next-line StringLiteral: no deadline, or any text in its place, is not a date
  const deadline = fields.applicationDeadline?.trim() ?? '';
  if (!z.iso.date().safeParse(deadline).success) return undefined;
  const days = room.vettingDays + room.consultationDays + room.postingDays;
  const earliest = addBusinessDays(today, days, daysOff);
  return deadline < earliest ? earliest : undefined;
}

/** Dates typed that fall on a weekend, a holiday or a closure: allowed, but worth a second look. */
export function datesOff(fields: IntakeFields, daysOff: DaysOff): FieldName[] {
  return (['applicationDeadline', 'supplierSelectionDate', 'deliveryDate'] as const).filter((f) => {
    const value = fields[f];
    return (
      value !== undefined && z.iso.date().safeParse(value).success && (isWeekend(value) || daysOff.has(value))
    );
  });
}

/**
 * The fields of a draft that would give this content: how a submitted record is shown like its review. A
 * stored record's licence may be text from before the list: kept, so the person sees it and picks one.
 */
export function fieldsFromContent(
  c: Omit<OpportunityContent, 'licence'> & { readonly licence: string },
): IntakeFields {
  return {
    title: c.title,
    shortDescription: c.shortDescription,
    department: c.client.department,
    branch: c.client.branch,
    team: c.client.team,
    contactName: c.client.contactName,
    contactEmail: c.client.contactEmail,
    background: c.background,
    deliverables: c.deliverables,
    requiredSkills: c.requiredSkills.join(', '),
    evaluationCriterion: c.evaluationCriterion,
    acceptanceCriteria: c.acceptanceCriteria,
    licence: c.licence,
    repositoryUrl: c.repositoryUrl ?? '',
    hourlyRate: String(c.pricing.hourlyRateCents / 100),
    estimatedHours: String(c.pricing.estimatedHours),
    applicationDeadline: c.dates.applicationDeadline,
    supplierSelectionDate: c.dates.supplierSelectionDate,
    deliveryDate: c.dates.deliveryDate,
    unclassified: String(c.attestations.unclassified),
    standalone: String(c.attestations.standalone),
    noInternalCapacity: String(c.attestations.noInternalCapacity),
    notContractSplitting: String(c.attestations.notContractSplitting),
  };
}
