import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type CardNote, historyCard, noticeCard, opportunityCard } from '../../cards';
import { actionName } from '../../cards/opportunity';
import { t } from '../../i18n';
import { formatDateTime } from '../../i18n/format';
import { DECISION_INPUTS, payloadFromCard } from '../../services/decisions';
import { ACTIONS, type ActionName, decide, type Refusal, specOf } from '../../services/lifecycle';
import { type Opportunity, REFERENCE_PATTERN } from '../../services/opportunity';
import { type AuditEntry, ConcurrencyError, lastApplied } from '../../services/store';
import type { Deps, Handler, Reply, TurnRequest } from '../turn';

/**
 * Decisions from cards. The card says only which request, which version the person saw and which
 * action; identity and roles come from the activity, the record from the store. A click on a stale card,
 * or the loser of two simultaneous clicks, gets the card as it is now with who decided: never a second
 * decision.
 */

const DecideData = z.object({
  reference: z.string().regex(REFERENCE_PATTERN),
  // Cards carry the version as digits; anything else (a list, blanks, 1e309) is not a version we gave.
  version: z.union([
    z.int().positive(),
    z
      .string()
      .regex(/^[1-9]\d{0,8}$/)
      .transform(Number),
  ]),
  action: z.enum(ACTIONS as [ActionName, ...ActionName[]]),
});
const RefreshData = z.object({ reference: z.string().regex(REFERENCE_PATTERN) });

async function cardFor(
  req: TurnRequest,
  deps: Deps,
  o: Opportunity,
  note?: CardNote,
  typed: Readonly<Record<string, unknown>> = {},
): Promise<Reply> {
  const last = await lastApplied(deps.store, o.reference);
  const today = deps.now().toISOString().slice(0, 10);
  return {
    card: opportunityCard(
      req.locale,
      o,
      { actor: req.actor },
      { last, today, typed, ...(note ? { note } : {}) },
    ),
  };
}

function notFound(req: TurnRequest, reference: string): Reply {
  return {
    card: noticeCard({
      title: t(req.locale, 'decisions.refusals.notFound', { reference }),
      lines: [],
      style: 'warning',
    }),
  };
}

async function staleNote(req: TurnRequest, deps: Deps, o: Opportunity): Promise<CardNote> {
  const last = await lastApplied(deps.store, o.reference);
  return {
    style: 'warning',
    text: t(req.locale, 'decisions.refusals.stale', {
      who: last?.actor.name ?? '',
      what: last ? actionName(req.locale, last.action) : '',
      when: last ? formatDateTime(last.at, req.locale) : '',
    }),
  };
}

/** Why an attempt was turned down, in the person's words. */
function refusalText(req: TurnRequest, o: Opportunity, action: ActionName, refusal: Refusal): string {
  switch (refusal.code) {
    case 'role':
      return t(req.locale, 'decisions.refusals.role', {
        roles: specOf(action)
          .roles.map((r) => t(req.locale, `roles.${r}`))
          .join(' / '),
      });
    case 'own_request':
      return t(req.locale, 'decisions.refusals.own_request');
    case 'wrong_state':
      return t(req.locale, 'decisions.refusals.wrong_state', {
        status: t(req.locale, `statuses.${o.status}`),
      });
    case 'invalid_input': {
      const labels = (refusal.fields ?? [])
        .map((f) => DECISION_INPUTS[action].find((i) => i.id === f.split('.')[0]))
        .filter((i) => i !== undefined)
        .map((i) => t(req.locale, `decisions.inputs.${i.id}`));
      return t(req.locale, 'decisions.refusals.invalid_input', { fields: labels.join(', ') });
    }
    case 'guard':
      return t(req.locale, `decisions.guards.${refusal.guard ?? 'content_rules'}`, {
        problems: (refusal.problems ?? []).map((p) => p.code).join(', '),
      });
  }
}

/**
 * The same person's same action, applied since the version their card showed: a second click on one card,
 * or the same click delivered again. Each applied change moves the version by one, so the changes since
 * the card are the applied entries after the first `version`.
 */
async function appliedSinceCard(
  deps: Deps,
  reference: string,
  version: number,
  action: ActionName,
  actorId: string,
): Promise<AuditEntry | undefined> {
  const applied = (await deps.store.auditTrail(reference)).filter((e) => e.outcome === 'applied');
  return applied.slice(version).find((e) => e.action === action && e.actor.aadObjectId === actorId);
}

/** Attempts before giving the person the card as it is: each lost race re-reads and decides again. */
const ATTEMPTS = 3;

export const decideFromCard: Handler = async (req, deps) => {
  const parsed = DecideData.safeParse(req.data);
  if (!parsed.success) return { card: noticeCard({ title: t(req.locale, 'unknownAction.text'), lines: [] }) };
  const { reference, version, action } = parsed.data;
  const actor = { aadObjectId: req.actor.id, name: req.actor.name };
  const payload = payloadFromCard(action, req.data, randomUUID());
  const comment = ['reason', 'comment'].map((k) => payload[k]).find((v) => typeof v === 'string');

  for (let attempt = 1; ; attempt++) {
    const o = await deps.store.get(reference);
    if (!o) return notFound(req, reference);
    // Finance and the union decide side by side, so a card one version behind may still be acted on; what
    // was already decided shows as such, whoever's card it was.
    const stale = o.version !== version;
    const now = deps.now().toISOString();
    /** Every attempt is on record, those turned down with why. */
    const refused = (reason: string) =>
      deps.store.appendAudit(reference, {
        at: now,
        actor,
        action,
        from: o.status,
        outcome: 'refused',
        reason,
      });
    const twice = stale ? await appliedSinceCard(deps, reference, version, action, req.actor.id) : undefined;
    if (twice) {
      await refused('duplicate');
      return cardFor(req, deps, o, {
        style: 'good',
        text: t(req.locale, 'decisions.already', {
          what: actionName(req.locale, action),
          when: formatDateTime(twice.at, req.locale),
        }),
      });
    }
    const outcome = decide(o, action, payload, req.actor, {
      now,
      consultationDays: deps.config.consultationBusinessDays,
    });
    if (!outcome.ok) {
      const { code } = outcome.refusal;
      const decidedMeanwhile = stale && (code === 'wrong_state' || code === 'guard');
      await refused(decidedMeanwhile ? 'stale' : (outcome.refusal.guard ?? code));
      if (decidedMeanwhile) return cardFor(req, deps, o, await staleNote(req, deps, o));
      const note = { style: 'attention' as const, text: refusalText(req, o, action, outcome.refusal) };
      // What was typed stays in the form, to be corrected rather than typed again.
      return cardFor(req, deps, o, note, req.data);
    }
    try {
      const next = await deps.store.transition(
        outcome.next,
        o.version,
        {
          at: now,
          actor,
          action,
          from: o.status,
          to: outcome.next.status,
          outcome: 'applied',
          ...(typeof comment === 'string' ? { comment } : {}),
        },
        outcome.events,
      );
      await deps.notifier.notify(next, outcome.events);
      for (const event of outcome.events) deps.events.publish(event);
      return cardFor(req, deps, next, {
        style: 'good',
        text: t(req.locale, 'decisions.done', { what: t(req.locale, `decisions.actions.${action}`) }),
      });
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= ATTEMPTS) throw err;
      // Someone else changed the record between our read and our write: read again and decide again.
    }
  }
};

/** Teams asks for the current card when someone opens it (Universal Actions refresh). */
export const refreshCard: Handler = async (req, deps) => {
  const parsed = RefreshData.safeParse(req.data);
  if (!parsed.success) return { card: noticeCard({ title: t(req.locale, 'unknownAction.text'), lines: [] }) };
  const o = await deps.store.get(parsed.data.reference);
  if (!o) return notFound(req, parsed.data.reference);
  return cardFor(req, deps, o);
};

/** `history MA-2026-0007`: who did what, when, from which state to which, with what comment. */
export const showHistory: Handler = async (req, deps) => {
  const reference = req.args.trim().toUpperCase();
  if (!REFERENCE_PATTERN.test(reference)) {
    return { card: noticeCard({ title: t(req.locale, 'history.usage'), lines: [], style: 'warning' }) };
  }
  const o = await deps.store.get(reference);
  if (!o) return notFound(req, reference);
  const mayRead = o.requester.aadObjectId === req.actor.id || req.actor.roles.size > 0;
  if (!mayRead)
    return { card: noticeCard({ title: t(req.locale, 'history.notAllowed'), lines: [], style: 'warning' }) };
  return { card: historyCard(req.locale, o, await deps.store.auditTrail(reference)) };
};
