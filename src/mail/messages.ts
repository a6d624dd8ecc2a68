import { createHash } from 'node:crypto';
import { t } from '../i18n';
import { formatClosing, formatMoney } from '../i18n/format';
import type { NewMail } from '../services/mail';
import { formPath, type PublicOpportunity, sitePath } from '../services/publication';
import type { Application } from '../services/applications';
import type { Question } from '../services/questions';
import type { Subscription } from '../services/subscriptions';

/**
 * Each e-mail the site sends, built from what it is about. Ids name the occasion, so the same e-mail is
 * never queued twice however often its producer runs; links point to the public site's address.
 */

type Calendar = Parameters<typeof formatClosing>[2];

const tokenLink = (origin: string, s: Subscription, form: 'confirm' | 'unsubscribe') =>
  `${origin}${formPath(s.locale, form)}?token=${encodeURIComponent(s.token)}`;

export function unsubscribeLink(origin: string, s: Subscription): string {
  return tokenLink(origin, s, 'unsubscribe');
}

export function confirmationMail(origin: string, s: Subscription): NewMail {
  return {
    id: `confirm:${s.id}:${s.confirmationSentAt}`,
    kind: 'subscription-confirm',
    locale: s.locale,
    to: s.email,
    personalisation: {
      confirm_url: tokenLink(origin, s, 'confirm'),
      unsubscribe_url: tokenLink(origin, s, 'unsubscribe'),
    },
    createdAt: s.confirmationSentAt,
  };
}

/** A newly posted opportunity, for one subscriber, in their language (`view` is in it). */
export function newOpportunityMail(
  origin: string,
  view: PublicOpportunity,
  s: Subscription,
  calendar: Calendar,
  at: string,
): NewMail {
  return {
    id: `posted:${view.reference}:${s.id}`,
    kind: 'new-opportunity',
    locale: s.locale,
    to: s.email,
    reference: view.reference,
    personalisation: {
      title: view.texts.title,
      short_description: view.texts.shortDescription,
      reference: view.reference,
      value: formatMoney(view.valueCents, view.locale),
      closing: formatClosing(view.deadline, view.locale, calendar),
      url: `${origin}${sitePath(view.locale, view.reference)}`,
      unsubscribe_url: unsubscribeLink(origin, s),
    },
    createdAt: at,
  };
}

/**
 * The asker told how their question was settled, in the language they asked in (`view` is in it);
 * `to` is the address the question held before it was settled.
 */
export function settlementMail(origin: string, view: PublicOpportunity, q: Question, to: string): NewMail {
  const common = {
    title: view.texts.title,
    reference: view.reference,
    question: q.text,
    url: `${origin}${sitePath(view.locale, view.reference)}`,
  };
  return {
    id: `question:${q.id}:v${q.version}`,
    ...(q.state === 'answered'
      ? {
          kind: 'question-answered' as const,
          personalisation: { ...common, answer: q.answer?.answer[view.locale] ?? '' },
        }
      : {
          kind: 'question-declined' as const,
          personalisation: {
            ...common,
            reason: t(view.locale, `mail.reasons.${q.declined ?? 'out_of_scope'}`),
          },
        }),
    locale: view.locale,
    to,
    reference: view.reference,
    createdAt: q.settledAt ?? q.askedAt,
  };
}

/**
 * The link that makes an application (or its change) count, in the language it was sent from (`view` is
 * in it); named after the change it confirms, so a repeated form sends one e-mail for it.
 */
export function applicationConfirmationMail(
  origin: string,
  view: PublicOpportunity,
  a: Application,
  calendar: Calendar,
): NewMail {
  const pending = a.pending;
  if (!pending) throw new RangeError(`${a.id} has nothing to confirm`);
  return {
    // One e-mail per change, named by a digest of its token (the token itself is a secret; ids are logged).
    id: `apply:${a.id}:${createHash('sha256').update(pending.token).digest('hex').slice(0, 16)}`,
    kind: 'application-confirm',
    locale: view.locale,
    to: a.email,
    reference: view.reference,
    personalisation: {
      title: view.texts.title,
      reference: view.reference,
      closing: formatClosing(view.deadline, view.locale, calendar),
      confirm_url: `${origin}${formPath(view.locale, 'confirm', view.reference)}?token=${encodeURIComponent(pending.token)}`,
      url: `${origin}${sitePath(view.locale, view.reference)}`,
    },
    createdAt: pending.at,
  };
}

/**
 * An e-mail to an applicant after the close, in the language they applied in (`view` is in it), named
 * by its kind and the application so it goes once; every one greets them by name and links the page.
 */
function applicantMail(
  kind: 'application-selected' | 'application-not-selected' | 'debrief',
  origin: string,
  view: PublicOpportunity,
  a: Application,
  at: string,
  fill: (number: number) => Readonly<Record<string, string>>,
): NewMail {
  if (a.number === undefined || !a.content) throw new RangeError(`${a.id} was not numbered at the close`);
  return {
    id: `${kind.replace('application-', '')}:${a.id}`,
    kind,
    locale: view.locale,
    to: a.email,
    reference: view.reference,
    personalisation: {
      name: a.content.name,
      title: view.texts.title,
      reference: view.reference,
      ...fill(a.number),
      url: `${origin}${sitePath(view.locale, view.reference)}`,
    },
    createdAt: at,
  };
}

/** The drawn applicant told: procurement will send the terms. */
export function selectedMail(origin: string, view: PublicOpportunity, a: Application, at: string): NewMail {
  return applicantMail('application-selected', origin, view, a, at, (number) => ({
    number: String(number),
  }));
}

/** Where a not-selected applicant asks for a debrief: their application and its secret. */
export function debriefLink(origin: string, a: Application): string {
  if (!a.debriefToken) throw new RangeError(`${a.id} has no debrief link`);
  const query = `application=${encodeURIComponent(a.id)}&token=${encodeURIComponent(a.debriefToken)}`;
  return `${origin}${formPath(a.locale, 'debrief', a.reference)}?${query}`;
}

/**
 * An applicant not awarded the work, told why (failed, passed but not drawn, or the opportunity
 * cancelled), with the link to ask for a debrief.
 */
export function notSelectedMail(
  origin: string,
  view: PublicOpportunity,
  a: Application,
  at: string,
): NewMail {
  const outcome = a.evaluation?.result === 'pass' ? 'passed' : a.evaluation ? 'failed' : 'cancelled';
  return applicantMail('application-not-selected', origin, view, a, at, (number) => ({
    outcome: t(view.locale, `mail.application-not-selected.${outcome}`, { number }),
    debrief_url: debriefLink(origin, a),
  }));
}

/** Procurement's debrief, e-mailed to the applicant who asked for it. */
export function debriefMail(
  origin: string,
  view: PublicOpportunity,
  a: Application,
  text: string,
  at: string,
): NewMail {
  return applicantMail('debrief', origin, view, a, at, () => ({ debrief: text }));
}
