import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type CardNote, historyCard, opportunityCard } from '../../cards';
import { actionName, personIn } from '../../cards/opportunity';
import { problemText } from '../../cards/intake';
import { type Locale, t } from '../../i18n';
import { formatDateTime, formatList } from '../../i18n/format';
import { mayRead } from '../../services/access';
import { DECISION_INPUTS, payloadFromCard } from '../../services/decisions';
import {
  ACTIONS,
  type ActionName,
  actingRoles,
  type Refusal,
  specOf,
  TEAM_OF,
} from '../../services/lifecycle';
import {
  type Assignable,
  ASSIGNABLE,
  type DocumentRef,
  type Opportunity,
  REFERENCE_PATTERN,
} from '../../services/opportunity';
import type { DocumentKind } from '../../services/documents';
import { actorOf } from '../actor';
import { lastApplied } from '../../services/store';
import { evidenceFor } from '../lookback';
import { confirmedApplications } from '../../services/applications';
import { evaluationFor, openEvaluation, reachablePerson } from './evaluation';
import {
  CardVersion,
  type ActionHandler,
  type Deps,
  type Handler,
  type Reply,
  type TurnRequest,
  warning,
} from '../turn';

/**
 * Decisions from cards. The card says only which request, which version the person saw and which
 * action; identity and roles come from the activity, the record from the store, and the change takes the
 * one path every change takes (services/change.ts): the first decision wins, a repeated click counts once.
 */

const Reference = z.string().regex(REFERENCE_PATTERN);

export const DecideData = z.object({
  reference: Reference,
  version: CardVersion,
  action: z.enum(ACTIONS as [ActionName, ...ActionName[]]),
});
export const RefreshData = z.object({ reference: Reference });

/**
 * The request's card as this person may see it now, with a note on what just happened; someone who may
 * not read the request learns only that.
 */
export async function requestCard(
  req: TurnRequest,
  deps: Deps,
  o: Opportunity,
  note?: CardNote,
  typed: Readonly<Record<string, unknown>> = {},
): Promise<Reply> {
  if (!mayRead(o, req.actor)) return warning(t(req.locale, 'statusCard.notAllowed'));
  const last = await lastApplied(deps.store, o.reference);
  const today = deps.clock.today();
  const reader = { actor: req.actor };
  const evidence = await evidenceFor(deps, o, reader);
  const evaluation = await evaluationFor(deps, o);
  return {
    card: opportunityCard(req.locale, o, reader, {
      last,
      today,
      typed,
      calendar: deps.clock.calendar,
      site: deps.config.site.publicUrl,
      ...(note ? { note } : {}),
      ...(evidence ? { evidence } : {}),
      ...(evaluation ? { evaluation } : {}),
    }),
  };
}

const notFound = (req: TurnRequest, reference: string) =>
  warning(t(req.locale, 'decisions.refusals.notFound', { reference }));

/** Who may take `action`, in a sentence: "Only the procurement team can do that." */
function onlyWho(locale: Locale, action: ActionName): string {
  const who = formatList(
    specOf(action).roles.map((r) => t(locale, `decisions.refusals.who.${r}`)),
    locale,
    'disjunction',
  );
  return t(locale, 'decisions.refusals.role', { who });
}

/** Why an attempt was turned down, in the person's words. */
function refusalText(req: TurnRequest, o: Opportunity, action: ActionName, refusal: Refusal): string {
  switch (refusal.code) {
    case 'role':
      // Roles that come from groups could not be read: say so rather than "only finance can".
      return req.actor.directoryUnavailable
        ? t(req.locale, 'errors.directoryUnavailable')
        : onlyWho(req.locale, action);
    case 'own_request':
      return t(req.locale, 'decisions.refusals.own_request');
    case 'separation_of_duties':
      return t(req.locale, `decisions.refusals.separation.${refusal.duty ?? 'vetted'}`);
    case 'assigned':
      return t(req.locale, 'decisions.refusals.assigned', { name: refusal.assignee?.name ?? '' });
    case 'wrong_state':
      return t(req.locale, 'decisions.refusals.wrong_state', {
        status: t(req.locale, `statuses.${o.status}`),
      });
    case 'invalid_input': {
      const labels = (refusal.fields ?? [])
        .map((f) => DECISION_INPUTS[action].find((i) => i.id === f.split('.')[0]))
        .filter((i) => i !== undefined)
        .map((i) => t(req.locale, `decisions.inputs.${i.id}`));
      return t(req.locale, 'decisions.refusals.invalid_input', { fields: formatList(labels, req.locale) });
    }
    case 'guard': {
      const rule = t(req.locale, `decisions.guards.${refusal.guard ?? 'content_rules'}`);
      // The rules the values broke, in the words the intake uses for them.
      const problems = (refusal.problems ?? []).map((p) => problemText(req.locale, p));
      return [rule, ...problems].join(' ');
    }
  }
}

/** The newest document of `kind` kept with a request, as the record refers to it. */
export async function latestDocument(
  deps: Pick<Deps, 'documents'>,
  reference: string,
  kind: DocumentKind,
): Promise<DocumentRef | undefined> {
  const last = (await deps.documents.list(reference)).filter((d) => d.kind === kind).at(-1);
  return last && { id: last.id, name: last.name, location: last.location };
}

/**
 * A decision is given only to someone who holds the team's role for the request's branch (in their own
 * right or as a delegate): anyone else could not take it.
 */
async function assigneeRefusal(
  req: TurnRequest,
  deps: Deps,
  reference: string,
  payload: Record<string, unknown>,
): Promise<Reply | undefined> {
  const { assignee, decision } = payload as {
    assignee?: { aadObjectId?: unknown; name?: unknown };
    decision?: unknown;
  };
  const o = await deps.store.get(reference);
  if (!o || typeof assignee?.aadObjectId !== 'string' || !ASSIGNABLE.includes(decision as Assignable))
    return undefined;
  const them = await actorOf(deps, assignee.aadObjectId, String(assignee.name ?? ''));
  const team = TEAM_OF[decision as Assignable];
  if (actingRoles(o, them).has(team)) return undefined;
  return warning(
    t(req.locale, 'decisions.refusals.assigneeWithoutRole', {
      name: them.name,
      role: t(req.locale, `roles.${team}`),
      branch: o.client.branch,
    }),
  );
}

/** The applicants who passed, by number, with the name and link each agreed to publish. */
async function passersOf(deps: Deps, reference: string) {
  return (await confirmedApplications(deps.store, reference)).flatMap((a) =>
    a.evaluation?.result === 'pass' && a.number !== undefined && a.content
      ? [
          {
            number: a.number,
            name: a.content.name,
            ...(a.content.publicLink ? { link: a.content.publicLink } : {}),
          },
        ]
      : [],
  );
}

export const decideFromCard: ActionHandler<z.output<typeof DecideData>> = async (req, deps, data) => {
  const { reference, version, action } = data;
  // The draw's seed is never typed: it is given here, so nobody can choose the winner; who passed is read
  // from the applicants' marks.
  const payload = payloadFromCard(action, req.data, randomUUID());
  if (action === 'select_supplier') payload.passers = await passersOf(deps, reference);
  // A person chosen on a card is the one the bot can reach under that id, named as their chat names them.
  for (const input of DECISION_INPUTS[action].filter((i) => i.kind === 'person')) {
    payload[input.id] = (await reachablePerson(deps, payload[input.id])) ?? payload[input.id];
  }
  // The terms are signed on paper: the document is the one kept with the request, never a card's.
  if (action === 'sign_terms') {
    const signed = await latestDocument(deps, reference, 'terms');
    if (signed) payload.document = signed;
  }
  if (action === 'reassign_decision') {
    const refused = await assigneeRefusal(req, deps, reference, payload);
    if (refused) return refused;
  }
  const outcome = await deps.change({
    kind: 'decide',
    actor: req.actor,
    reference,
    action,
    payload,
    seenVersion: version,
  });
  switch (outcome.kind) {
    case 'not_found':
      return notFound(req, reference);
    case 'applied':
      // The new evaluator gets the cards still to mark at once, rather than on the clock's next tick.
      if (action === 'reassign_evaluation') await openEvaluation(deps, outcome.record);
      return requestCard(req, deps, outcome.record, {
        style: 'good',
        text: t(req.locale, 'decisions.done', { what: t(req.locale, `decisions.actions.${action}`) }),
      });
    case 'duplicate':
      return requestCard(req, deps, outcome.record, {
        style: 'good',
        text: t(req.locale, 'decisions.already', {
          what: actionName(req.locale, action),
          when: formatDateTime(outcome.first.at, req.locale, deps.clock.calendar.timeZone),
        }),
      });
    case 'decided':
      return requestCard(req, deps, outcome.record, {
        style: 'warning',
        text: t(req.locale, 'decisions.refusals.stale', {
          who: personIn(req.locale, outcome.first.actor),
          what: actionName(req.locale, outcome.first.action),
          when: formatDateTime(outcome.first.at, req.locale, deps.clock.calendar.timeZone),
        }),
      });
    case 'refused': {
      const o = outcome.record as Opportunity;
      if (!mayRead(o, req.actor)) {
        deps.log.warn(
          { action, code: outcome.refusal.code },
          'refused a click by someone who may not read the request',
        );
      }
      const note = { style: 'attention' as const, text: refusalText(req, o, action, outcome.refusal) };
      // What was typed stays in the form, to be corrected rather than typed again.
      return requestCard(req, deps, o, note, req.data);
    }
  }
};

/** Teams asks for the current card when someone opens it (Universal Actions refresh). */
export const refreshCard: ActionHandler<z.output<typeof RefreshData>> = async (req, deps, { reference }) => {
  const o = await deps.store.get(reference);
  return o ? requestCard(req, deps, o) : notFound(req, reference);
};

/** `history MA-2026-0007`: who did what, when, from which state to which, with what comment. */
export const showHistory: Handler = async (req, deps) => {
  const reference = req.args.trim().toUpperCase();
  if (!REFERENCE_PATTERN.test(reference)) return warning(t(req.locale, 'history.usage'));
  const o = await deps.store.get(reference);
  if (!o) return notFound(req, reference);
  if (!mayRead(o, req.actor)) return warning(t(req.locale, 'statusCard.notAllowed'));
  return {
    card: historyCard(req.locale, o, await deps.store.auditTrail(reference), deps.clock.calendar.timeZone),
  };
};
