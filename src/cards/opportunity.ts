import { type Locale, t } from '../i18n';
import en from '../i18n/en.json';
import { formatClosing, formatDate, formatDateTime, formatMoney } from '../i18n/format';
import { type Reader, seesFundReservation } from '../services/access';
import type { Calendar } from '../services/calendar';
import {
  DECISION_INPUTS,
  decidableFromCard,
  type DecisionInput,
  inputId,
  nextActors,
} from '../services/decisions';
import {
  ACTIONS,
  type ActionName,
  availableActions,
  type Guard,
  offeredNow,
  specOf,
  type WorkflowEvent,
} from '../services/lifecycle';
import { deadlineInForce, deliveryDueOn, type Opportunity, selectionInForce } from '../services/opportunity';
import { totalWithHighestTaxCents } from '../services/pricing';
import type { ActingRole } from '../services/roles';
import type { AuditEntry } from '../services/store';
import type { Party, Wait } from '../services/waits';
import { type CardAction, cardAction } from './actions';
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
  return possible.filter((a) => decidableFromCard(a) && offeredNow(o, a));
}

const MAX_LENGTH: Partial<Record<DecisionInput['kind'], number>> = {
  text: 255,
  longText: 4000,
  url: 500,
  lines: 20_000,
};

/** Card data that makes a button post its answer below instead of replacing the card it is on. */
const BELOW = { placement: 'new' } as const;

function decisionAction(
  locale: Locale,
  o: Opportunity,
  action: ActionName,
  typed: Readonly<Record<string, unknown>>,
  extra: Readonly<Record<string, string>> = {},
): CardAction {
  const title = t(locale, `decisions.actions.${action}`);
  const data = { reference: o.reference, version: String(o.version), action, ...extra };
  const inputs = DECISION_INPUTS[action];
  const style =
    action === 'vet_go' || action === 'approve_funds' || action === 'accept' ? 'positive' : undefined;
  if (inputs.length === 0) return cardAction({ title, verb: 'decide', data, ...(style ? { style } : {}) });
  const form = expand('decision', {
    inputs: inputs.map((input) => ({
      id: inputId(action, input),
      // Counts are typed as text, so that whatever was typed can be shown back when it cannot be read.
      kind: input.kind === 'payment' ? 'choice' : input.kind === 'date' ? 'date' : 'text',
      value: typeof typed[inputId(action, input)] === 'string' ? typed[inputId(action, input)] : '',
      label: t(locale, `decisions.inputs.${input.id}`),
      multiline: input.kind === 'longText' || input.kind === 'lines',
      style: input.kind === 'url' ? 'url' : 'text',
      maxLength: MAX_LENGTH[input.kind] ?? 255,
      choices: [
        { title: t(locale, 'decisions.payment.credit_card'), value: 'credit_card' },
        { title: t(locale, 'decisions.payment.paypal'), value: 'paypal' },
      ],
    })),
    actions: [
      cardAction({
        title: t(locale, 'decisions.inputs.confirm'),
        verb: 'decide',
        data,
        inputs: 'auto',
        ...(style ? { style } : {}),
      }),
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
  return [...roles].map((r) => t(locale, `roles.${r}`)).join(', ');
}

function rows(locale: Locale, o: Opportunity, viewer: Viewer, calendar: Calendar, today: string | undefined) {
  const row = (label: string, value: string) => ({ label, value });
  const out = [
    row(
      t(locale, 'decisions.card.price'),
      t(locale, 'decisions.card.priceValue', {
        fixed: formatMoney(o.pricing.fixedPriceCents, locale),
        withTax: formatMoney(totalWithHighestTaxCents(o.pricing.fixedPriceCents), locale),
      }),
    ),
    row(
      t(locale, 'decisions.card.dates'),
      t(locale, 'decisions.card.datesValue', {
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
      }),
    ),
    row(
      t(locale, 'decisions.card.funds'),
      o.finance.fundsStatus === 'approved'
        ? t(locale, 'decisions.card.fundsApproved', {
            name: o.finance.section32Approver?.name ?? '',
            number: seesFundReservation(viewer) ? (o.finance.fundReservationNumber ?? '') : '—',
          })
        : t(locale, 'decisions.card.fundsPending'),
    ),
    row(
      t(locale, 'decisions.card.consultation'),
      t(locale, `decisions.card.consultationStatus.${o.consultation.status}`, {
        closesOn: o.consultation.closesOn ? formatDate(o.consultation.closesOn, locale) : '',
      }),
    ),
  ];
  if (o.consultation.concern) out.push(row('', o.consultation.concern));
  if (o.selection.supplierName) out.push(row(t(locale, 'decisions.card.supplier'), o.selection.supplierName));
  if (today) {
    const next = nextActors(o);
    out.push(
      row(
        t(locale, 'statusCard.waitingOn'),
        next.size > 0 ? rolesInWords(locale, next) : t(locale, 'statusCard.nobody'),
      ),
    );
    const entered = o.timeline[o.status];
    if (entered && next.size > 0) {
      const since = calendar.dateOf(entered);
      out.push(
        row(
          t(locale, 'statusCard.inStatus'),
          t(locale, 'statusCard.days', { count: calendar.businessDaysBetween(since, today) }),
        ),
      );
    }
  }
  return out;
}

/** An audited action in words: a lifecycle action, the submission, or the stored name as a last resort. */
export function actionName(locale: Locale, action: string): string {
  if (ACTIONS.includes(action as ActionName)) return t(locale, `decisions.actions.${action as ActionName}`);
  return action === 'submit' ? t(locale, 'decisions.submit') : action;
}

/** The request's web addresses as buttons (checked to be http(s) when recorded), never as Markdown links. */
function linksOf(locale: Locale, o: Opportunity) {
  const links: [string, string | undefined][] = [
    [t(locale, 'decisions.links.repository'), o.repositoryUrl],
    [t(locale, 'decisions.links.supplier'), o.selection.supplierLink],
    [t(locale, 'decisions.links.delivered'), o.delivery.deliveredLink],
  ];
  return links
    .filter((l): l is [string, string] => l[1] !== undefined)
    .map(([title, url]) => ({ type: 'Action.OpenUrl', title, url }));
}

/** The last applied change, in words, for "who decided, when, with what comment". */
export function lastChange(locale: Locale, entry: AuditEntry | undefined, timeZone: string): string {
  if (!entry) return '';
  const what = actionName(locale, entry.action);
  const line = t(locale, 'decisions.card.lastDecisionValue', {
    what,
    who: entry.actor.name,
    when: formatDateTime(entry.at, locale, timeZone),
  });
  return entry.comment ? `${line}: ${entry.comment}` : line;
}

export function opportunityCard(
  locale: Locale,
  o: Opportunity,
  viewer: Viewer,
  options: {
    /** Where the department works: dates are read and shown there. */
    readonly calendar: Calendar;
    readonly last?: AuditEntry;
    readonly note?: CardNote;
    /** With today's date, the card also says who the request waits on, and for how long. */
    readonly today?: string;
    /** What the person typed in the card's forms, shown back in them when a decision was refused. */
    readonly typed?: Readonly<Record<string, unknown>>;
  },
): Card {
  const actions = actionsFor(o, viewer);
  const last = lastChange(locale, options.last, options.calendar.timeZone);
  return expand('opportunity', {
    refresh: {
      action: {
        type: 'Action.Execute',
        title: 'refresh',
        verb: 'card.refresh',
        data: { reference: o.reference },
      },
    },
    heading: `${o.reference} · ${t(locale, `statuses.${o.status}`)}`,
    title: o.title,
    requestedByLabel: t(locale, 'decisions.card.requestedBy'),
    requestedBy: `${o.requester.name} · ${o.client.branch}`,
    banner: options.note?.text ?? '',
    bannerStyle: options.note?.style ?? 'default',
    summary: o.shortDescription,
    rows: [
      ...rows(locale, o, viewer, options.calendar, options.today),
      ...(last ? [{ label: t(locale, 'decisions.card.lastDecision'), value: last }] : []),
    ],
    links: linksOf(locale, o),
    note:
      actions.length === 0
        ? `${t(locale, 'decisions.card.readOnly')} ${t(locale, 'decisions.card.history', { reference: o.reference })}`
        : t(locale, 'decisions.card.history', { reference: o.reference }),
    actions: [
      ...('actor' in viewer && availableActions(o, viewer.actor).includes('resubmit')
        ? [reviseAction(locale, o)]
        : []),
      ...actions.map((a) => decisionAction(locale, o, a, options.typed ?? {})),
    ],
  });
}

function reviseAction(locale: Locale, o: Opportunity, extra: Readonly<Record<string, string>> = {}) {
  return cardAction({
    title: t(locale, 'decisions.revise'),
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
function lineActions(locale: Locale, o: Opportunity): CardAction[] {
  const requester: Viewer = {
    actor: { id: o.requester.aadObjectId, name: o.requester.name, roles: new Set() },
  };
  const own = availableActions(o, requester.actor);
  return [
    ...(own.includes('resubmit') ? [reviseAction(locale, o, BELOW)] : []),
    ...actionsFor(o, requester)
      .filter((a) => REQUESTER_TURN.includes(a))
      .map((a) => decisionAction(locale, o, a, {}, BELOW)),
    openAction(locale, o.reference),
  ];
}

/**
 * The short card that tells the requester, or the updates channel, what just happened; the requester's
 * carries the buttons of their turn when the request waits on them.
 */
export function statusCard(
  locale: Locale,
  o: Opportunity,
  event: WorkflowEvent,
  timeZone: string,
  to: 'requester' | 'updates' = 'updates',
): Card {
  const bad = event.type === 'rejected' || event.type === 'cancelled' || event.type === 'terminated';
  return expand('status', {
    heading: t(locale, 'decisions.status.heading', {
      reference: o.reference,
      what: t(locale, `decisions.events.${event.type}`),
    }),
    color: bad ? 'Attention' : event.type === 'paid' || event.type === 'posted' ? 'Good' : 'Default',
    title: o.title,
    by: t(locale, 'decisions.status.by', {
      who: event.actor.name,
      when: formatDateTime(event.at, locale, timeZone),
    }),
    comment: event.comment ?? '',
    mentions: '',
    entities: [],
    actions: to === 'requester' ? lineActions(locale, o) : [openAction(locale, o.reference)],
  });
}

/** Posts the request's card below the line, with the buttons the person clicking may use. */
function openAction(locale: Locale, reference: string): CardAction {
  return cardAction({
    title: t(locale, 'decisions.open'),
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
    title: o.title,
    entries: entries.map((e) => {
      const name = actionName(locale, e.action);
      const move =
        e.from && e.to && e.from !== e.to
          ? ` (${t(locale, 'history.fromTo', { from: t(locale, `statuses.${e.from}`), to: t(locale, `statuses.${e.to}`) })})`
          : '';
      const refused =
        e.outcome === 'refused'
          ? ` — ${t(locale, 'history.refused', { reason: reasonText(locale, e.reason) })}`
          : '';
      return {
        when: formatDateTime(e.at, locale, timeZone),
        who: e.actor.name,
        what: `${name}${move}${refused}`,
        color: e.outcome === 'refused' ? 'Attention' : 'Default',
        comment: e.comment ?? '',
      };
    }),
  });
}

/** Who a wait is on, in words. */
export function partiesInWords(locale: Locale, on: readonly Party[]): string {
  return on.map((p) => t(locale, `waits.on.${p}`)).join(', ');
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
  locale: Locale,
  o: Opportunity,
  wait: Wait,
  options: {
    readonly to: 'team' | 'requester' | 'manager';
    readonly calendar: Calendar;
    readonly businessDays: number;
    readonly mentions?: readonly Mentioned[];
  },
): Card {
  const since = formatDate(options.calendar.dateOf(wait.since), locale);
  const what = t(locale, `waits.kinds.${wait.kind}`);
  const heading =
    options.to === 'manager'
      ? t(locale, 'waits.escalation', {
          reference: o.reference,
          what,
          who: partiesInWords(locale, wait.on),
          since,
          count: options.businessDays,
        })
      : t(locale, options.to === 'requester' ? 'waits.yourTurn' : 'waits.reminder', {
          reference: o.reference,
          what,
          since,
        });
  const mentions = options.mentions ?? [];
  return expand('status', {
    heading,
    color: 'Warning',
    title: o.title,
    by: t(locale, 'decisions.card.history', { reference: o.reference }).replace(/\*\*/g, ''),
    comment:
      wait.kind === 'late_delivery'
        ? t(locale, 'waits.lateDelivery', { due: formatDate(deliveryDueOn(o), locale) })
        : '',
    // Names come from Teams; a mention's text must match its entity's for Teams to notify the person.
    mentions: mentions.map((m) => `<at>${m.name}</at>`).join(', '),
    entities: mentions.map((m) => ({
      type: 'mention',
      text: `<at>${m.name}</at>`,
      mentioned: { id: m.id, name: m.name },
    })),
    actions: options.to === 'requester' ? lineActions(locale, o) : [openAction(locale, o.reference)],
  });
}
