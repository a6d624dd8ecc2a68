import type { EvaluationProgress } from '../services/evaluation';
import type { Person } from '../services/store';
import { inEach, type Locale, localesOf, type MessageKey, say, t, type Voice } from '../i18n';
import en from '../i18n/en.json';
import {
  formatClosing,
  formatDate,
  formatDateTime,
  formatDayOf,
  formatList,
  formatMoney,
} from '../i18n/format';
import { type Reader, type RequestView, viewOf } from '../services/access';
import type { Calendar } from '../services/calendar';
import {
  CONFIRMED,
  DECISION_INPUTS,
  decidableFromCard,
  type DecisionInput,
  inputId,
  nextActors,
  SHARED_FORMS,
} from '../services/decisions';
import type { SplittingEvidence } from '../services/lookback';
import {
  ACTIONS,
  type ActionName,
  availableActions,
  type Guard,
  offeredNow,
  specOf,
  type WorkflowEvent,
} from '../services/lifecycle';
import {
  ASSIGNABLE,
  deadlineInForce,
  deliveryDueOn,
  evaluatorOf,
  type Opportunity,
  selectionInForce,
  cutToLength,
  textsIn,
  type TextSource,
  translationLocale,
} from '../services/opportunity';
import { totalWithHighestTaxCents } from '../services/pricing';
import { isPublished, sitePath } from '../services/publication';
import { type ActingRole, sameId } from '../services/roles';
import type { AuditEntry } from '../services/store';
import type { Party, Wait } from '../services/waits';
import { type CardAction, cardAction } from './actions';
import { licenceCriterion, licenceText } from './licences';
import { type Card, expand } from './template';

/**
 * The card of one request, as one viewer may act on it. Card data carries only the reference, the
 * version the viewer saw and the action: everything else is read from the store when a button is pressed.
 */

/** A person (a click or a refresh), or a channel whose team acts on the card posted there. */
export type Viewer = Reader;

export interface CardNote {
  readonly text: string;
  readonly style: 'good' | 'warning' | 'attention' | 'accent';
}

/** What the viewer may do from the card now; guards are checked when they try. */
export function actionsFor(o: Opportunity, viewer: Viewer): ActionName[] {
  const possible =
    'actor' in viewer
      ? availableActions(o, viewer.actor)
      : ACTIONS.filter((a) => specOf(a).from.includes(o.status) && specOf(a).roles.includes(viewer.channel));
  // Procurement vets before it translates: its card keeps to the five buttons a card shows, and the
  // translation waits for the go; the requester may propose one from the start.
  const requester = 'actor' in viewer && sameId(viewer.actor.id, o.requester.aadObjectId);
  return possible.filter(
    (a) =>
      decidableFromCard(a) &&
      offeredNow(o, a) &&
      (a !== 'translate' || requester || o.status !== 'submitted'),
  );
}

/** The longest text each kind of input keeps; a longer paste is shown back cut, with a note saying so. */
const MAX_LENGTH: Partial<Record<DecisionInput['kind'], number>> = {
  text: 255,
  longText: 4000,
  url: 500,
};

/**
 * A card's size bound, below Teams' 28 KB message limit with room for the activity around it: the
 * request's texts are shortened to fit, and say so, rather than the card failing to send.
 */
export const CARD_BUDGET_BYTES = 27 * 1024;

/** Card data that makes a button post its answer below instead of replacing the card it is on. */
const BELOW = { placement: 'new' } as const;

const yesNo = (locale: Locale, value: boolean) => t(locale, value ? 'decisions.yes' : 'decisions.no');

/** Facts a label of a decision's form names: the checklist shows what the officer is confirming. */
function inputParams(locale: Locale, o: Opportunity) {
  return {
    licence: licenceText(locale, o.licence),
    standalone: yesNo(locale, o.attestations.standalone),
    unclassified: yesNo(locale, o.attestations.unclassified),
    withTax: formatMoney(totalWithHighestTaxCents(o.pricing.fixedPriceCents), locale),
  };
}

/** What the form shows in an input: what was typed when a decision was refused, else the record's value. */
function shownValue(input: DecisionInput, o: Opportunity, typedValue: unknown): string {
  if (typeof typedValue === 'string' || typeof typedValue === 'boolean') return String(typedValue);
  return input.current?.(o) ?? (input.kind === 'toggle' ? 'false' : '');
}

function formInputs(
  voice: Voice,
  o: Opportunity,
  action: ActionName,
  typed: Readonly<Record<string, unknown>>,
  people: readonly Person[],
) {
  return DECISION_INPUTS[action].map((input) => {
    const id = inputId(action, input);
    const value = shownValue(input, o, typed[id]);
    const max = input.max ?? MAX_LENGTH[input.kind] ?? 255;
    const { kept, length } = cutToLength(value, max);
    const cut = input.kind !== 'toggle' && length > max;
    return {
      id,
      // Counts are typed as text, so that whatever was typed can be shown back when it cannot be read.
      kind:
        input.kind === 'choice'
          ? 'choice'
          : input.kind === 'person'
            ? 'person'
            : input.kind === 'date'
              ? 'date'
              : input.kind === 'toggle'
                ? 'toggle'
                : 'text',
      value: cut ? kept : value,
      note: cut ? say(voice, 'decisions.inputCut', { max, length }) : '',
      label: inEach(voice, (l) => t(l, `decisions.inputs.${input.id}`, inputParams(l, o))),
      multiline: input.kind === 'longText',
      style: input.kind === 'url' ? 'url' : 'text',
      choices:
        input.kind === 'person'
          ? people.map((p) => ({ title: p.name, value: p.aadObjectId }))
          : (input.choices ?? []).map((value) => ({
              title: say(voice, `decisions.choices.${input.id}.${value}` as MessageKey),
              value,
            })),
    };
  });
}

function buttonStyle(action: ActionName): 'positive' | undefined {
  return action === 'vet_go' || action === 'approve_funds' || action === 'accept' ? 'positive' : undefined;
}

/** What a form says above its inputs: what the decision will do, or which language the texts are in. */
function formIntro(voice: Voice, o: Opportunity, action: ActionName, also: readonly ActionName[]): string {
  const language = (l: Locale) => t(l, `languages.${o.locale === 'en' ? 'fr' : 'en'}`);
  if (action === 'translate') {
    const key = also.includes('confirm_translation')
      ? 'decisions.translationForm.confirmIntro'
      : 'decisions.translationForm.intro';
    return inEach(voice, (l) => t(l, key, { language: language(l) }), '\n\n');
  }
  if (CONFIRMED.has(action)) {
    return say(
      voice,
      `decisions.confirmations.${action as ConfirmedAction}`,
      { reference: o.reference },
      '\n\n',
    );
  }
  return '';
}
type ConfirmedAction = 'vet_go' | 'post' | 'countersign_terms' | 'accept' | 'certify' | 'pay';

/**
 * A decision's button: one click when it asks nothing and can be taken back; otherwise a form under the
 * button (its inputs, or a sentence saying what the decision does) with the button that sends it.
 */
function decisionAction(
  voice: Voice,
  o: Opportunity,
  action: ActionName,
  typed: Readonly<Record<string, unknown>>,
  extra: Readonly<Record<string, string>> = {},
  also: readonly ActionName[] = [],
  people: readonly Person[] = [],
): CardAction {
  const title = say(voice, `decisions.actions.${action}`);
  const data = (a: ActionName) => ({
    reference: o.reference,
    version: String(o.version),
    action: a,
    ...extra,
  });
  const style = buttonStyle(action);
  const intro = formIntro(voice, o, action, also);
  if (DECISION_INPUTS[action].length === 0 && intro === '') {
    return cardAction({ title, verb: 'decide', data: data(action), ...(style ? { style } : {}) });
  }
  const send = (a: ActionName, label: MessageKey) =>
    cardAction({
      title: say(voice, label),
      verb: 'decide',
      data: data(a),
      inputs: 'auto',
      ...(buttonStyle(a) ? { style: buttonStyle(a) } : {}),
    });
  const form = expand('decision', {
    intro,
    inputs: formInputs(voice, o, action, typed, people),
    actions: [
      send(action, action === 'translate' ? 'decisions.translationForm.save' : 'decisions.inputs.confirm'),
      ...also.map((a) => send(a, `decisions.actions.${a}`)),
    ],
  });
  return { type: 'Action.ShowCard', title, card: form };
}

/** A date in force, and the one it replaced when it was extended: published dates stay in sight. */
function extended(locale: Locale, inForce: string, original: string | undefined): string {
  return original ? t(locale, 'decisions.card.extendedFrom', { date: inForce, original }) : inForce;
}

/** The roles someone may be waiting on, in words. */
export function rolesInWords(locale: Locale, roles: Iterable<ActingRole>): string {
  return formatList(
    [...roles].map((r) => t(locale, `roles.${r}`)),
    locale,
  );
}

/** The request's title in the voice's languages, once when it is not translated yet. */
export function titleFor(voice: Voice, o: Opportunity): string {
  return [...new Set(localesOf(voice).map((l) => textsIn(o, l).texts.title))].join(' / ');
}

/** An attestation as the person who attested it said it, and whether they did. */
function attestation(locale: Locale, o: Opportunity, name: keyof Opportunity['attestations']): string {
  return t(locale, o.attestations[name] ? 'decisions.details.attested' : 'decisions.details.notAttested', {
    statement: t(locale, `intake.fields.${name}.label`),
  });
}

function translationState(locale: Locale, o: Opportunity): string {
  const other = translationLocale(o);
  // The other language is never the request's own: its texts are missing, proposed or confirmed.
  const source = textsIn(o, other).source as Exclude<TextSource, 'original'>;
  return t(locale, `decisions.card.translationValue.${source}`, {
    language: t(locale, `languages.${other}`),
  });
}

function dateRow(locale: Locale, o: Opportunity, calendar: Calendar): string {
  return t(locale, 'decisions.card.datesValue', {
    deadline: extended(
      locale,
      formatClosing(deadlineInForce(o), locale, calendar),
      o.dates.extendedApplicationDeadline && formatClosing(o.dates.applicationDeadline, locale, calendar),
    ),
    selection: extended(
      locale,
      formatDate(selectionInForce(o), locale),
      o.dates.extendedSupplierSelectionDate && formatDate(o.dates.supplierSelectionDate, locale),
    ),
    delivery: extended(
      locale,
      formatDate(deliveryDueOn(o), locale),
      o.dates.extendedDeliveryDate && formatDate(o.dates.deliveryDate, locale),
    ),
  });
}

function rows(
  voice: Voice,
  o: Opportunity,
  view: RequestView,
  calendar: Calendar,
  today: string | undefined,
  evaluation: EvaluationProgress | undefined,
) {
  const row = (label: string, value: string) => ({ label, value });
  const each = (text: (l: Locale) => string) => inEach(voice, text, '\n');
  const out = [
    row(
      say(voice, 'decisions.card.price'),
      each((l) =>
        t(l, 'decisions.card.priceValue', {
          fixed: formatMoney(o.pricing.fixedPriceCents, l),
          withTax: formatMoney(totalWithHighestTaxCents(o.pricing.fixedPriceCents), l),
        }),
      ),
    ),
    row(
      say(voice, 'decisions.card.dates'),
      each((l) => dateRow(l, o, calendar)),
    ),
    row(
      say(voice, 'decisions.card.funds'),
      each((l) =>
        o.finance.fundsStatus === 'approved'
          ? t(l, 'decisions.card.fundsApproved', {
              name: personIn(l, o.finance.section32Approver),
              number: view.fundReservation ? (o.finance.fundReservationNumber ?? '') : '—',
            })
          : t(l, 'decisions.card.fundsPending'),
      ),
    ),
    row(
      say(voice, 'decisions.card.consultation'),
      each((l) =>
        t(l, `decisions.card.consultationStatus.${o.consultation.status}`, {
          closesOn: o.consultation.closesOn ? formatDate(o.consultation.closesOn, l) : '',
        }),
      ),
    ),
  ];
  if (o.consultation.concern) out.push(row('', o.consultation.concern));
  // The union is consulted on two attestations: its card shows them, not only behind the details.
  const consulted = view.consultedOn;
  if (consulted.length > 0) {
    out.push(
      row(
        say(voice, 'decisions.card.consultedOn'),
        each((l) => consulted.map((a) => attestation(l, o, a)).join('\n')),
      ),
    );
  }
  if (o.status === 'submitted' || o.status === 'in_approval' || o.status === 'changes_requested') {
    out.push(
      row(
        say(voice, 'decisions.card.translation'),
        each((l) => translationState(l, o)),
      ),
    );
  }
  if (o.vettedBy && o.vettingChecklist) {
    out.push(
      row(
        say(voice, 'decisions.card.vetted'),
        each((l) => t(l, 'decisions.card.vettedValue', { name: personIn(l, o.vettedBy) })),
      ),
    );
  }
  // While the team marks applications, its progress; once recorded, the counts the draw rests on.
  const counts =
    o.selection.passed !== undefined
      ? { applications: o.selection.applications ?? 0, marked: undefined, passed: o.selection.passed }
      : evaluation;
  if (counts) {
    out.push(
      row(
        say(voice, 'decisions.card.evaluation'),
        each((l) =>
          counts.marked === undefined
            ? t(l, 'decisions.card.evaluationRecorded', { ...counts, marked: 0 })
            : t(l, 'decisions.card.evaluationProgress', { ...counts }),
        ),
      ),
    );
  }
  if (evaluation && o.selection.passed === undefined) {
    out.push(row(say(voice, 'decisions.card.evaluator'), evaluatorOf(o).name));
  }
  if (o.selection.supplierName)
    out.push(row(say(voice, 'decisions.card.supplier'), o.selection.supplierName));
  for (const [label, value] of financeRows(o, calendar)) out.push(row(say(voice, label), each(value)));
  if (today) {
    const next = nextActors(o);
    out.push(
      row(
        say(voice, 'statusCard.waitingOn'),
        each((l) => (next.size > 0 ? rolesInWords(l, next) : t(l, 'statusCard.nobody'))),
      ),
    );
    const entered = o.timeline[o.status];
    if (entered && next.size > 0) {
      const since = calendar.dateOf(entered);
      const count = calendar.businessDaysBetween(since, today);
      out.push(
        row(
          say(voice, 'statusCard.inStatus'),
          each((l) => t(l, 'statusCard.days', { count })),
        ),
      );
    }
  }
  return out;
}

/** A person as a decision records them: a delegate's name says whom they acted for. */
export function personIn(
  locale: Locale,
  p: { readonly name: string; readonly onBehalfOf?: { readonly name: string } } | undefined,
): string {
  if (!p) return '';
  return p.onBehalfOf ? t(locale, 'people.onBehalfOf', { name: p.name, for: p.onBehalfOf.name }) : p.name;
}

/**
 * What the contract and its payment have recorded, row by row: the terms and their countersignature, a
 * termination, the invoice, the certification, the payment, and who was given a pending decision.
 */
function financeRows(
  o: Opportunity,
  calendar: { dateOf(instant: string): string },
): [MessageKey, (l: Locale) => string][] {
  const rows: [MessageKey, (l: Locale) => string][] = [];
  const terms = o.terms;
  if (terms) {
    rows.push([
      'decisions.card.terms',
      (l) =>
        [
          t(l, 'decisions.card.termsValue', {
            contractor: terms.contractor,
            start: formatDate(terms.startDate, l),
            end: formatDate(terms.endDate, l),
            licence: licenceText(l, terms.licence),
          }),
          terms.document ? t(l, 'decisions.card.termsDocument', { name: terms.document.name }) : '',
          terms.countersignedBy
            ? t(l, 'decisions.card.termsCountersigned', {
                name: personIn(l, terms.countersignedBy),
                date: formatDayOf(terms.countersignedAt, l, calendar),
              })
            : t(l, 'decisions.card.termsAwaiting'),
        ]
          .filter(Boolean)
          .join(' — '),
    ]);
  }
  if (o.delivery.reviewOpenedOn && o.status === 'in_progress') {
    rows.push([
      'decisions.card.review',
      (l) => t(l, 'decisions.card.reviewValue', { date: formatDate(o.delivery.reviewOpenedOn ?? '', l) }),
    ]);
  }
  const termination = o.delivery.termination;
  if (termination) {
    rows.push([
      'decisions.card.termination',
      (l) =>
        termination.kind === 'default'
          ? t(l, 'decisions.card.terminationDefault', { reason: o.delivery.terminationReason ?? '' })
          : t(
              l,
              termination.agreedBy
                ? 'decisions.card.terminationAgreed'
                : 'decisions.card.terminationProposed',
              {
                percent: termination.percentComplete ?? 0,
                amount: formatMoney(termination.amountCents ?? 0, l),
                name: personIn(l, termination.agreedBy),
              },
            ),
    ]);
  }
  const invoice = o.finance.invoice;
  if (invoice) {
    rows.push([
      'decisions.card.invoice',
      (l) =>
        t(l, 'decisions.card.invoiceValue', {
          number: invoice.number,
          date: formatDate(invoice.date, l),
          amount: formatMoney(invoice.amountCents, l),
          taxes: formatMoney(invoice.taxCents, l),
          total: formatMoney(invoice.totalCents, l),
        }),
    ]);
  }
  if (o.finance.section34Certifier) {
    rows.push([
      'decisions.card.certified',
      (l) =>
        t(l, 'decisions.card.certifiedValue', {
          name: personIn(l, o.finance.section34Certifier),
          date: formatDayOf(o.finance.section34At, l, calendar),
        }),
    ]);
  }
  if (o.finance.paymentDate) {
    rows.push([
      'decisions.card.payment',
      (l) =>
        t(l, 'decisions.card.paymentValue', {
          method: t(l, `decisions.choices.method.${o.finance.paymentMethod ?? 'credit_card'}`),
          amount: formatMoney(o.finance.paymentAmountCents ?? 0, l),
          date: formatDate(o.finance.paymentDate ?? '', l),
          name: personIn(l, o.finance.paidBy),
        }),
    ]);
  }
  for (const decision of ASSIGNABLE) {
    const to = o.assignments?.[decision];
    if (to)
      rows.push([
        'decisions.card.assigned',
        (l) =>
          t(l, 'decisions.card.assignedValue', {
            decision: t(l, `decisions.choices.decision.${decision}`),
            name: to.name,
          }),
      ]);
  }
  return rows;
}

/** An audited action in words: a lifecycle action, the submission, or the stored name as a last resort. */
export function actionName(locale: Locale, action: string): string {
  if (ACTIONS.includes(action as ActionName)) return t(locale, `decisions.actions.${action as ActionName}`);
  if (action in en.history.actions)
    return t(locale, `history.actions.${action as keyof typeof en.history.actions}`);
  return action === 'submit' ? t(locale, 'decisions.submit') : action;
}

/**
 * The request's web addresses as buttons (checked to be http(s) when recorded), never as Markdown links:
 * once posted, its public page first, in each language the card speaks.
 */
function linksOf(voice: Voice, o: Opportunity, site: string | undefined) {
  const links: [string, string | undefined][] = [
    [say(voice, 'decisions.links.repository'), o.repositoryUrl],
    [say(voice, 'decisions.links.supplier'), o.selection.supplierLink],
    [say(voice, 'decisions.links.delivered'), o.delivery.deliveredLink],
  ];
  return [
    ...publicPageLinks(voice, o, site),
    ...links
      .filter((l): l is [string, string] => l[1] !== undefined)
      .map(([title, url]) => ({ type: 'Action.OpenUrl', title, url })),
  ];
}

/** A posted request's public page, in each language the card speaks. */
function publicPageLinks(voice: Voice, o: Opportunity, site: string | undefined): CardAction[] {
  if (!site || !isPublished(o)) return [];
  return localesOf(voice).map((l) => ({
    type: 'Action.OpenUrl',
    title: t(l, 'decisions.links.publicPage'),
    url: `${site}${sitePath(l, o.reference)}`,
  }));
}

/** The last applied change, in words, for "who decided, when, with what comment". */
export function lastChange(locale: Locale, entry: AuditEntry | undefined, timeZone: string): string {
  if (!entry) return '';
  const params = {
    what: actionName(locale, entry.action),
    who: personIn(locale, entry.actor),
    when: formatDateTime(entry.at, locale, timeZone),
  };
  return entry.comment
    ? t(locale, 'decisions.card.lastDecisionComment', { ...params, comment: entry.comment })
    : t(locale, 'decisions.card.lastDecisionValue', params);
}

interface Section {
  readonly label: string;
  readonly value: string;
  readonly note: string;
}

/** The whole request in one language, as far as the reader's view goes; long texts cut to `limit`. */
function detailsIn(locale: Locale, o: Opportunity, view: RequestView, limit: number, bilingual: boolean) {
  const { texts, source } = textsIn(o, locale);
  // Untranslated texts are the original's, already under the other language's details: not twice.
  const skipped = bilingual && source === 'missing';
  const sections: Section[] = [];
  const add = (label: string, value: string, cuttable = false) => {
    const { kept, length } = cutToLength(value, limit);
    const cut = cuttable && length > limit;
    const shown = cut ? `${kept}…` : value;
    sections.push({
      label,
      value: cut && limit === 0 ? '' : shown,
      note: !cut
        ? ''
        : limit === 0
          ? t(locale, 'decisions.details.omitted', { length, reference: o.reference })
          : t(locale, 'decisions.details.cut', {
              shown: limit,
              length,
              reference: o.reference,
            }),
    });
  };
  if (!skipped) {
    add(t(locale, 'intake.fields.background.label'), texts.background, true);
    add(t(locale, 'intake.fields.deliverables.label'), texts.deliverables, true);
  }
  add(t(locale, 'decisions.details.skills'), o.requiredSkills.join(', '));
  if (!skipped) {
    add(t(locale, 'decisions.details.evaluationCriterion'), texts.evaluationCriterion, true);
    add(t(locale, 'decisions.details.acceptanceCriteria'), texts.acceptanceCriteria, true);
  }
  // Every request's acceptance includes its licence, in both languages, whatever the requester typed.
  add(
    skipped
      ? t(locale, 'decisions.details.acceptanceCriteria')
      : t(locale, 'decisions.details.licenceCriterion'),
    licenceCriterion(locale, o.licence),
  );
  add(t(locale, 'decisions.details.licence'), licenceText(locale, o.licence));
  add(
    t(locale, 'decisions.details.repository'),
    o.repositoryUrl ?? t(locale, 'decisions.details.newRepository'),
  );
  if (view.contact) {
    add(
      t(locale, 'decisions.details.contact'),
      t(locale, 'decisions.details.contactValue', {
        name: o.client.contactName,
        email: o.client.contactEmail,
        team: o.client.team,
        branch: o.client.branch,
        department: o.client.department,
      }),
    );
  }
  if (view.attestations.length > 0) {
    add(
      t(locale, 'decisions.details.attestations'),
      view.attestations.map((a) => attestation(locale, o, a)).join('\n'),
    );
  }
  const other = o.locale;
  return {
    id: `details-${locale}`,
    heading: t(locale, 'decisions.details.heading'),
    source:
      source === 'proposed'
        ? t(locale, 'decisions.details.source.proposed')
        : skipped
          ? t(locale, 'decisions.details.source.missingElsewhere', {
              button: t(other, 'decisions.details.show'),
              language: t(locale, `languages.${other}`),
            })
          : source === 'missing'
            ? t(locale, 'decisions.details.source.missing', { language: t(locale, `languages.${other}`) })
            : '',
    sections,
  };
}

/** The branch's last 12 months, for the officer who vets, flagged where the ceiling would be passed. */
function evidenceLines(voice: Voice, evidence: SplittingEvidence | undefined) {
  if (!evidence) return [];
  const line = (text: string, flagged = false) => ({ text, flagged });
  const each = (text: (l: Locale) => string) => inEach(voice, text, '\n');
  if (evidence.similar.length === 0 && evidence.suppliers.length === 0) {
    return [line(say(voice, 'decisions.evidence.none', {}, '\n'))];
  }
  const out = evidence.similar.slice(0, 5).map((s) =>
    line(
      each((l) =>
        t(l, 'decisions.evidence.similar', {
          reference: s.reference,
          title: s.title,
          amount: formatMoney(s.fixedPriceCents, l),
          status: t(l, `statuses.${s.status}`),
        }),
      ),
    ),
  );
  if (evidence.similar.length > 0) {
    out.push(
      line(
        each((l) =>
          t(l, 'decisions.evidence.total', {
            count: evidence.similar.length,
            amount: formatMoney(evidence.similarTotalCents, l),
            together: formatMoney(evidence.togetherWithTaxCents, l),
          }),
        ),
      ),
    );
  }
  if (evidence.overCeiling) out.push(line(say(voice, 'decisions.evidence.overCeiling', {}, '\n'), true));
  for (const s of evidence.suppliers.slice(0, 5)) {
    out.push(
      line(
        each((l) =>
          t(l, 'intake.lookback.supplier', {
            supplier: s.supplier,
            count: s.contracts,
            amount: formatMoney(s.totalCents, l),
          }),
        ),
      ),
    );
  }
  for (const s of evidence.suppliersOver.slice(0, 5)) {
    out.push(
      line(
        each((l) =>
          t(l, 'decisions.evidence.supplierOver', {
            supplier: s.supplier,
            together: formatMoney(s.togetherWithTaxCents, l),
          }),
        ),
        true,
      ),
    );
  }
  return out;
}

/** The decisions the card offers, a shared form's actions folded into the form they share. */
function decisionActions(
  voice: Voice,
  o: Opportunity,
  actions: readonly ActionName[],
  typed: Readonly<Record<string, unknown>>,
  people: readonly Person[],
) {
  const folded = actions.filter((a) => !(SHARED_FORMS[a] && actions.includes(SHARED_FORMS[a])));
  return folded.map((a) =>
    decisionAction(
      voice,
      o,
      a,
      typed,
      {},
      actions.filter((b) => SHARED_FORMS[b] === a),
      people,
    ),
  );
}

export function opportunityCard(
  voice: Voice,
  o: Opportunity,
  viewer: Viewer,
  options: {
    /** Where the department works: dates are read and shown there. */
    readonly calendar: Calendar;
    /** The public site's address: a posted request's card links to its pages there. */
    readonly site?: string;
    readonly last?: AuditEntry;
    readonly note?: CardNote;
    /** With today's date, the card also says who the request waits on, and for how long. */
    readonly today?: string;
    /** What the person typed in the card's forms, shown back in them when a decision was refused. */
    readonly typed?: Readonly<Record<string, unknown>>;
    /** The branch's last 12 months, for a reader who vets (the access rule decides who sees it). */
    readonly evidence?: SplittingEvidence;
    /**
     * While the requester's team marks applications: how far it is, and the people the marking can be
     * given to (those the bot can reach).
     */
    readonly evaluation?: EvaluationProgress & { readonly people?: readonly Person[] };
  },
): Card {
  const actions = actionsFor(o, viewer);
  const view = viewOf(viewer, o);
  const locales = localesOf(voice);
  const texts = locales.map((l) => textsIn(o, l));
  const shown = (pick: (t: (typeof texts)[number]['texts']) => string) =>
    [...new Set(texts.filter((x, i) => i === 0 || x.source !== 'missing').map((x) => pick(x.texts)))].join(
      '\n\n',
    );
  const buttons = [
    ...('actor' in viewer && availableActions(o, viewer.actor).includes('resubmit')
      ? [reviseAction(voice, o)]
      : []),
    ...decisionActions(voice, o, actions, options.typed ?? {}, options.evaluation?.people ?? []),
  ];
  // Everything but the details is built once; only they are shortened when the card is too large.
  const data = {
    refresh: {
      action: {
        type: 'Action.Execute',
        title: 'refresh',
        verb: 'card.refresh',
        data: { reference: o.reference },
      },
    },
    heading: `${o.reference} · ${say(voice, `statuses.${o.status}`)}`,
    title: shown((x) => x.title),
    requestedBy: say(voice, 'decisions.card.requestedByValue', {
      name: o.requester.name,
      branch: o.client.branch,
    }),
    banner: options.note?.text ?? '',
    bannerStyle: options.note?.style ?? 'default',
    summary: shown((x) => x.shortDescription),
    rows: [
      ...rows(voice, o, view, options.calendar, options.today, options.evaluation),
      ...(options.last
        ? [
            {
              label: say(voice, 'decisions.card.lastDecision'),
              value: inEach(voice, (l) => lastChange(l, options.last, options.calendar.timeZone), '\n'),
            },
          ]
        : []),
    ],
    evidenceHeading: say(voice, 'decisions.evidence.heading'),
    evidence: view.splittingEvidence ? evidenceLines(voice, options.evidence) : [],
    links: linksOf(voice, o, options.site),
    note: inEach(
      voice,
      (l) =>
        t(l, actions.length === 0 ? 'decisions.card.readOnlyHistory' : 'decisions.card.history', {
          reference: o.reference,
        }),
      '\n\n',
    ),
    // Two languages make long buttons: in a channel each gets its own line rather than being cut short.
    ...(locales.length > 1
      ? { stacked: buttons.map((b) => ({ actions: [b] })), actions: [] }
      : { stacked: [], actions: buttons }),
  };
  const build = (limit: number) =>
    expand('opportunity', {
      ...data,
      // Details open below their button, in each language the card speaks.
      toggles: locales.map((l) => ({
        type: 'Action.ShowCard',
        title: t(l, 'decisions.details.show'),
        card: expand('details', detailsIn(l, o, view, limit, locales.length > 1)),
      })),
    });
  // Most requests fit whole; a long one has its longest texts shortened until the card fits, and in the
  // end left to the person's own card (`status`), where one language leaves room for them.
  let card = build(Infinity);
  for (const limit of CUT_LIMITS) {
    if (byteSize(card) <= CARD_BUDGET_BYTES) break;
    card = build(limit);
  }
  return card;
}

/** The lengths long texts are cut to, in turn, until a card fits. */
const CUT_LIMITS = [1500, 1000, 600, 300, 100, 0] as const;

function byteSize(card: Card): number {
  return Buffer.byteLength(JSON.stringify(card));
}

function reviseAction(voice: Voice, o: Opportunity, extra: Readonly<Record<string, string>> = {}) {
  return cardAction({
    title: say(voice, 'decisions.revise'),
    verb: 'intake.revise',
    data: { reference: o.reference, ...extra },
    style: 'positive',
  });
}

/** What answers a wait on the requester: a line telling them it is their turn carries these buttons. */
const REQUESTER_TURN: readonly ActionName[] = ['accept', 'request_revisions'];

/**
 * The buttons of a line to the requester: their turn's decisions, if it is their turn, and the request's
 * card. All post their answer below, so the line stays in the chat's history.
 */
function lineActions(voice: Voice, o: Opportunity): CardAction[] {
  const requester: Viewer = {
    actor: { id: o.requester.aadObjectId, name: o.requester.name, roles: new Set() },
  };
  const own = availableActions(o, requester.actor);
  return [
    ...(own.includes('resubmit') ? [reviseAction(voice, o, BELOW)] : []),
    ...actionsFor(o, requester)
      .filter((a) => REQUESTER_TURN.includes(a))
      .map((a) => decisionAction(voice, o, a, {}, BELOW)),
    openAction(voice, o.reference),
  ];
}

/**
 * The short card that tells the requester, or the updates channel, what just happened; the requester's
 * carries the buttons of their turn when the request waits on them; the updates channel reads it in both
 * official languages.
 */
export function statusCard(
  voice: Voice,
  o: Opportunity,
  event: WorkflowEvent,
  timeZone: string,
  to: 'requester' | 'updates' = 'updates',
  site?: string,
): Card {
  const bad = event.type === 'rejected' || event.type === 'cancelled' || event.type === 'terminated';
  return expand('status', {
    heading: inEach(
      voice,
      (l) =>
        t(l, 'decisions.status.heading', {
          reference: o.reference,
          what: t(l, `decisions.events.${event.type}`),
        }),
      '\n',
    ),
    // Teams draws Good and Warning text too pale to read: the words say the status, red only for bad news.
    color: bad ? 'Attention' : 'Default',
    title: titleFor(voice, o),
    by: inEach(
      voice,
      (l) =>
        t(l, 'decisions.status.by', {
          who: personIn(l, event.actor),
          when: formatDateTime(event.at, l, timeZone),
        }),
      '\n',
    ),
    comment: event.comment ?? '',
    mentions: '',
    entities: [],
    actions: [
      ...(to === 'requester' ? lineActions(voice, o) : [openAction(voice, o.reference)]),
      // The news that it is posted comes with where suppliers read it.
      ...(event.type === 'posted' ? publicPageLinks(voice, o, site) : []),
    ],
  });
}

/** Posts the request's card below the line, with the buttons the person clicking may use. */
function openAction(voice: Voice, reference: string): CardAction {
  return cardAction({
    title: say(voice, 'decisions.open'),
    verb: 'card.refresh',
    data: { reference, ...BELOW },
  });
}

const GUARD_KEYS = en.decisions.guards;
const REASONS = ['role', 'own_request', 'wrong_state', 'invalid_input', 'stale'] as const;

/** Why an attempt was refused, in words: a refusal code, or the rule (guard) it broke. */
function reasonText(locale: Locale, reason: string | undefined): string {
  if (!reason) return '';
  if ((REASONS as readonly string[]).includes(reason)) {
    return t(locale, `history.reasons.${reason as (typeof REASONS)[number]}`);
  }
  if (reason in GUARD_KEYS) return t(locale, `decisions.guards.${reason as Guard}`);
  return reason;
}

export function historyCard(
  locale: Locale,
  o: Opportunity,
  entries: readonly AuditEntry[],
  timeZone: string,
): Card {
  return expand('history', {
    heading: t(locale, 'history.heading', { reference: o.reference }),
    title: titleFor(locale, o),
    entries: entries.map((e) => {
      const action = actionName(locale, e.action);
      const what =
        e.outcome === 'refused'
          ? t(locale, 'history.refusedAction', { action, reason: reasonText(locale, e.reason) })
          : e.from && e.to && e.from !== e.to
            ? t(locale, 'history.moved', {
                action,
                from: t(locale, `statuses.${e.from}`),
                to: t(locale, `statuses.${e.to}`),
              })
            : action;
      return {
        when: formatDateTime(e.at, locale, timeZone),
        who: personIn(locale, e.actor),
        what,
        color: e.outcome === 'refused' ? 'Attention' : 'Default',
        comment: e.comment ?? '',
      };
    }),
  });
}

/** Who a wait is on, in words. */
export function partiesInWords(locale: Locale, on: readonly Party[]): string {
  return formatList(
    on.map((p) => t(locale, `waits.on.${p}`)),
    locale,
  );
}

/** A person a reminder calls on: Teams notifies whoever is mentioned. */
export interface Mentioned {
  readonly id: string;
  readonly name: string;
}

/**
 * A reminder of a wait: to the team's channel (mentioning the people who hold the role), to the requester
 * when it is their turn, or to a manager when it has waited too long.
 */
export function reminderCard(
  voice: Voice,
  o: Opportunity,
  wait: Wait,
  options: {
    readonly to: 'team' | 'requester' | 'manager';
    readonly calendar: Calendar;
    readonly businessDays: number;
    readonly mentions?: readonly Mentioned[];
  },
): Card {
  const heading = (l: Locale) => {
    const since = formatDayOf(wait.since, l, options.calendar);
    const what = t(l, `waits.kinds.${wait.kind}`);
    return options.to === 'manager'
      ? t(l, 'waits.escalation', {
          reference: o.reference,
          what,
          who: partiesInWords(l, wait.on),
          since,
          count: options.businessDays,
        })
      : t(l, options.to === 'requester' ? 'waits.yourTurn' : 'waits.reminder', {
          reference: o.reference,
          what,
          since,
        });
  };
  const mentions = options.mentions ?? [];
  return expand('status', {
    heading: inEach(voice, heading, '\n'),
    color: 'Default',
    title: titleFor(voice, o),
    by: inEach(
      voice,
      (l) => t(l, 'decisions.card.history', { reference: o.reference }).replace(/\*\*/g, ''),
      '\n',
    ),
    comment:
      wait.kind === 'late_delivery'
        ? inEach(voice, (l) => t(l, 'waits.lateDelivery', { due: formatDate(deliveryDueOn(o), l) }), '\n')
        : '',
    // Names come from Teams; a mention's text must match its entity's for Teams to notify the person.
    mentions: mentions.map((m) => `<at>${m.name}</at>`).join(', '),
    entities: mentions.map((m) => ({
      type: 'mention',
      text: `<at>${m.name}</at>`,
      mentioned: { id: m.id, name: m.name },
    })),
    actions: options.to === 'requester' ? lineActions(voice, o) : [openAction(voice, o.reference)],
  });
}
