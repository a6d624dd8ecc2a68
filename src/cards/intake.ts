import { parseDecimal } from '../services/pricing';
import { type Locale, type MessageKey, t } from '../i18n';
import { formatClosing, formatDate, formatDayOf, formatMoney, formatNumber } from '../i18n/format';
import type { Calendar } from '../services/calendar';
import {
  FIELDS,
  type FieldName,
  fieldsOf,
  FORM_STEPS,
  type FormStep,
  INPUT_MAX_LENGTH,
  type IntakeFields,
  priceQuote,
  type Step,
  STEPS,
  stepNumber,
  datesOff,
  earliestDeadline,
  type PostingRoom,
} from '../services/intake';
import type { Lookback } from '../services/lookback';
import type { Opportunity } from '../services/opportunity';
import { CEILING_INCL_TAX_CENTS } from '../services/pricing';
import type { Problem } from '../services/rules';
import { type CardAction, cardAction } from './actions';
import { licenceCriterion, licenceInput, licenceText } from './licences';
import { type Card, expand } from './template';

/** What the intake card shows: one draft at one step, with the problems to show next to its fields. */
export interface IntakeView {
  readonly locale: Locale;
  readonly draftId: string;
  readonly step: Step;
  readonly fields: IntakeFields;
  readonly problems: readonly Problem[];
  /** The contract-splitting look-back, shown with the attestations. */
  readonly lookback?: { readonly branch: string; readonly result: Lookback };
  /** Said above everything else: the step could not be saved, say. */
  readonly warning?: string;
  /** Someone's words shown under the warning as plain text: the changes a reviewer asked for. */
  readonly quote?: string;
  /** Where the department works: its days off are pointed out, its closing times shown. */
  readonly calendar: Calendar;
  /** With today's date, a deadline too soon for vetting, the consultation and posting is pointed out. */
  readonly room?: { readonly today: string; readonly needs: PostingRoom };
}

/** Long texts are shortened on the review so the card stays small; each step's own card shows them whole. */
const REVIEW_EXCERPT = 280;
/** Look-back lines of each kind on the card: the closest matches; the rest are counted. */
const LOOKBACK_SHOWN = 10;

const INPUT_STYLE: Partial<Record<string, string>> = { email: 'email', url: 'url' };

function label(locale: Locale, field: FieldName): string {
  return t(locale, `intake.fields.${field}.label`);
}

/** A problem in words, next to the field it concerns. */
export function problemText(locale: Locale, p: Problem): string {
  const params = p.params ?? {};
  const num = (k: string) => formatNumber(Number(params[k] ?? 0), locale);
  switch (p.code) {
    case 'dates_out_of_order':
      return t(
        locale,
        p.field === 'deliveryDate'
          ? 'intake.problems.delivery_before_selection'
          : 'intake.problems.selection_before_deadline',
      );
    case 'over_ceiling':
      return t(locale, 'intake.problems.over_ceiling', {
        total: formatMoney(Number(params.totalCents ?? 0), locale),
        ceiling: formatMoney(CEILING_INCL_TAX_CENTS, locale),
      });
    case 'price_mismatch':
      return t(locale, 'intake.problems.price_mismatch', {
        expected: formatMoney(Number(params.expectedCents ?? 0), locale),
      });
    case 'too_many_hours_per_week':
      return t(locale, 'intake.problems.too_many_hours_per_week', { hoursPerWeek: num('hoursPerWeek') });
    case 'truncated':
      return t(locale, params.atLeast ? 'intake.problems.truncatedAtLeast' : 'intake.problems.truncated', {
        length: num('length'),
        max: num('max'),
      });
    case 'too_long':
    case 'too_large':
    case 'too_many_items':
      return t(locale, `intake.problems.${p.code}`, { max: num('max') });
    default:
      return t(locale, `intake.problems.${p.code}`);
  }
}

function formFields(v: IntakeView, step: FormStep) {
  return fieldsOf(step).map((name) => {
    const spec = FIELDS[name];
    const problem = v.problems.find((p) => p.field === name);
    const kind =
      spec.kind === 'date' || spec.kind === 'toggle' || spec.kind === 'choice' ? spec.kind : 'text';
    const value = v.fields[name] ?? (spec.kind === 'toggle' ? 'false' : '');
    const choice = spec.kind === 'choice' ? licenceInput(v.locale, value) : { value, choices: [] };
    return {
      id: name,
      kind,
      label: label(v.locale, name),
      value: choice.value,
      choices: choice.choices,
      placeholder: t(v.locale, `intake.fields.${name}.placeholder`),
      hint: t(v.locale, `intake.fields.${name}.hint`),
      // Not the kept length: Teams would cut a paste silently; the bot cuts it and says so (mergeStep).
      maxLength: INPUT_MAX_LENGTH,
      multiline: spec.kind === 'longText',
      style: INPUT_STYLE[spec.kind] ?? 'text',
      // Said as an error in words, not only in red.
      error: problem ? t(v.locale, 'intake.fieldError', { problem: problemText(v.locale, problem) }) : '',
    };
  });
}

function quoteOf(locale: Locale, fields: IntakeFields) {
  const q = priceQuote(fields);
  if (!q) return { heading: '', facts: [], notes: [], style: 'default' };
  const within = q.totalWithTaxCents <= CEILING_INCL_TAX_CENTS;
  const formula = t(locale, 'intake.quote.formula', {
    rate: formatMoney(q.hourlyRateCents, locale),
    hours: formatNumber(q.estimatedHours, locale),
    admin: formatNumber(q.adminHours, locale),
  });
  return {
    heading: t(locale, 'intake.quote.heading'),
    style: within ? 'good' : 'attention',
    facts: [
      {
        title: t(locale, 'intake.quote.fixed'),
        value: `${formatMoney(q.fixedPriceCents, locale)} = ${formula}`,
      },
      { title: t(locale, 'intake.quote.withTax'), value: formatMoney(q.totalWithTaxCents, locale) },
      { title: t(locale, 'intake.quote.ceiling'), value: formatMoney(CEILING_INCL_TAX_CENTS, locale) },
    ],
    notes: [
      within ? t(locale, 'intake.quote.within') : t(locale, 'intake.quote.over'),
      ...(q.rateOutsideSuggestion ? [t(locale, 'intake.quote.outsideSuggestion')] : []),
    ],
  };
}

/** A deadline that leaves too little time before it for vetting, the consultation and posting. */
function roomWarnings(locale: Locale, v: IntakeView): string[] {
  if (!v.room) return [];
  const earliest = earliestDeadline(v.fields, v.room.today, v.room.needs, v.calendar);
  if (!earliest) return [];
  return [
    t(locale, 'intake.tooSoon', {
      vetting: v.room.needs.vettingDays,
      consultation: v.room.needs.consultationDays,
      posting: v.room.needs.postingDays,
      earliest: formatDate(earliest, locale),
    }),
  ];
}

/** A date on a weekend, a holiday or a closure: said with its weekday, or the day off it is. */
function dayOffWarnings(locale: Locale, fields: IntakeFields, calendar: Calendar): string[] {
  return datesOff(fields, calendar).map((f) => {
    const date = fields[f] ?? '';
    const holiday = calendar.dayOffName(date, locale);
    return holiday
      ? t(locale, 'intake.dayOff', { field: label(locale, f), day: holiday })
      : t(locale, 'intake.weekend', {
          field: label(locale, f),
          day: new Intl.DateTimeFormat(locale === 'fr' ? 'fr-CA' : 'en-CA', {
            weekday: 'long',
            timeZone: 'UTC',
          }).format(new Date(`${date}T00:00:00Z`)),
        });
  });
}

function lookbackOf(locale: Locale, lb: IntakeView['lookback'], calendar: Calendar) {
  if (!lb) return { heading: '', branch: '', intro: '', items: [] };
  const { similar, suppliers } = lb.result;
  const items = [
    ...similar.slice(0, LOOKBACK_SHOWN).map((s) =>
      t(locale, 'intake.lookback.similar', {
        reference: s.reference,
        title: s.title,
        amount: formatMoney(s.fixedPriceCents, locale),
        status: t(locale, `statuses.${s.status}`),
        date: formatDayOf(s.createdAt, locale, calendar),
      }),
    ),
    ...suppliers.slice(0, LOOKBACK_SHOWN).map((s) =>
      t(locale, 'intake.lookback.supplier', {
        supplier: s.supplier,
        count: s.contracts,
        amount: formatMoney(s.totalCents, locale),
      }),
    ),
  ];
  const hidden =
    Math.max(0, similar.length - LOOKBACK_SHOWN) + Math.max(0, suppliers.length - LOOKBACK_SHOWN);
  if (hidden > 0) items.push(t(locale, 'intake.lookback.more', { count: hidden }));
  return {
    heading: t(locale, 'intake.lookback.heading'),
    // Typed by a person: shown in a TextRun, where no Markdown is read.
    branch: lb.branch,
    intro: items.length > 0 ? t(locale, 'intake.lookback.intro') : t(locale, 'intake.lookback.none'),
    items,
  };
}

function excerpt(text: string): string {
  const chars = [...text];
  return chars.length > REVIEW_EXCERPT ? `${chars.slice(0, REVIEW_EXCERPT).join('').trimEnd()}…` : text;
}

/** A field's value as the review shows it: dates and money in the person's format, toggles in words. */
function displayValue(locale: Locale, name: FieldName, fields: IntakeFields): string {
  const raw = fields[name]?.trim() ?? '';
  const spec = FIELDS[name];
  if (spec.kind === 'toggle') {
    return t(locale, raw === 'true' ? 'intake.review.attested' : 'intake.review.notAttested');
  }
  if (raw === '') return t(locale, 'intake.review.empty');
  if (spec.kind === 'choice') return licenceText(locale, raw);
  if (spec.kind === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(raw)) return formatDate(raw, locale);
  const amount = spec.kind === 'money' || spec.kind === 'number' ? parseDecimal(raw) : undefined;
  if (amount !== undefined) {
    return spec.kind === 'money'
      ? formatMoney(Math.round(amount * 100), locale)
      : formatNumber(amount, locale);
  }
  return excerpt(raw);
}

function reviewSections(locale: Locale, fields: IntakeFields, editFor?: string) {
  return FORM_STEPS.map((step) => {
    const rows = fieldsOf(step).flatMap((name) => [
      { label: label(locale, name), value: displayValue(locale, name, fields) },
      // Every request's acceptance includes its licence: shown where it will be added, once one is chosen.
      ...(name === 'acceptanceCriteria' && (fields.licence ?? '').trim() !== ''
        ? [
            {
              label: t(locale, 'intake.review.licenceCriterion'),
              value: licenceCriterion(locale, fields.licence ?? ''),
            },
          ]
        : []),
    ]);
    const q = step === 'pricing' ? priceQuote(fields) : undefined;
    if (q) {
      rows.push({
        label: t(locale, 'intake.quote.heading'),
        value: t(locale, 'intake.review.price', {
          fixed: formatMoney(q.fixedPriceCents, locale),
          withTax: formatMoney(q.totalWithTaxCents, locale),
        }),
      });
    }
    return {
      heading: t(locale, `intake.steps.${step}`),
      actions: editFor
        ? [
            cardAction({
              title: t(locale, 'intake.buttons.edit'),
              verb: 'intake.edit',
              data: { draftId: editFor, target: step },
            }),
          ]
        : [],
      rows,
    };
  });
}

function stepActions(locale: Locale, draftId: string, step: Step): CardAction[] {
  const data = { draftId, step };
  const button = (key: MessageKey, verb: string, extra: Partial<Parameters<typeof cardAction>[0]> = {}) =>
    cardAction({ title: t(locale, key), verb, data, ...extra });
  const back = step !== 'basics' ? [button('intake.buttons.back', 'intake.back', { inputs: 'auto' })] : [];
  const discard = button('intake.buttons.discard', 'intake.discard', { style: 'destructive' });
  // Focus stays where the pressed button was when the card is replaced: on the review, Submit comes
  // first, so Enter pressed twice on "Review" lands on Back, never submits unread.
  if (step === 'review') {
    return [button('intake.buttons.submit', 'intake.submit', { style: 'positive' }), ...back, discard];
  }
  return [
    ...back,
    button(step === 'attestations' ? 'intake.buttons.review' : 'intake.buttons.next', 'intake.next', {
      inputs: 'auto',
      style: 'positive',
    }),
    discard,
  ];
}

export function intakeCard(v: IntakeView): Card {
  const { locale, step } = v;
  const form = step === 'review' ? undefined : step;
  const problems = v.problems.length;
  return expand('intake', {
    heading: t(locale, 'intake.heading'),
    progress: t(locale, 'intake.progress', {
      n: stepNumber(step),
      total: STEPS.length,
      step: t(locale, `intake.steps.${step}`),
    }),
    title: v.fields.title?.trim() ?? '',
    banner: v.warning ?? (problems > 0 ? t(locale, 'intake.banner.problems', { count: problems }) : ''),
    bannerStyle: v.warning ? 'warning' : 'attention',
    asked: v.quote ?? '',
    intro: t(locale, `intake.intro.${step}`),
    fields: form ? formFields(v, form) : [],
    quote: step === 'pricing' ? quoteOf(locale, v.fields) : quoteOf(locale, {}),
    warnings:
      step === 'pricing' || step === 'review'
        ? [...roomWarnings(locale, v), ...dayOffWarnings(locale, v.fields, v.calendar)]
        : [],
    lookback: lookbackOf(locale, step === 'attestations' ? v.lookback : undefined, v.calendar),
    sections: step === 'review' ? reviewSections(locale, v.fields, v.draftId) : [],
    nextSteps: [],
    nextStepsHeading: '',
    actions: stepActions(locale, v.draftId, step),
  });
}

/** The same card once submitted: read-only, with the reference and what happens next. */
export function submittedCard(
  locale: Locale,
  record: Opportunity,
  fields: IntakeFields,
  consultationDays: number,
  calendar: Calendar,
): Card {
  const steps = ['vetting', 'approvals', 'posting', 'updates'] as const;
  return expand('intake', {
    heading: t(locale, 'intake.submitted.heading', { reference: record.reference }),
    progress: '',
    title: record.title,
    banner: t(locale, 'intake.submitted.banner', { reference: record.reference }),
    bannerStyle: 'good',
    asked: '',
    intro: '',
    fields: [],
    quote: quoteOf(locale, {}),
    warnings: [],
    lookback: lookbackOf(locale, undefined, calendar),
    sections: reviewSections(locale, fields),
    nextStepsHeading: t(locale, 'intake.submitted.nextStepsHeading'),
    nextSteps: steps.map(
      (s, i) =>
        `${i + 1}. ${t(locale, `intake.submitted.nextSteps.${s}`, {
          days: consultationDays,
          deadline: formatClosing(record.dates.applicationDeadline, locale, calendar),
        })}`,
    ),
    actions: [cardAction({ title: t(locale, 'intake.buttons.newRequest'), verb: 'intake.new' })],
  });
}
