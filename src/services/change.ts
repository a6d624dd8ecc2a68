import { mayRead } from './access';
import {
  actingFor,
  type ActionName,
  type Clock,
  decide,
  type Refusal,
  sinceCard,
  submit,
  type WorkflowEvent,
} from './lifecycle';
import type { Opportunity } from './opportunity';
import type { Actor } from './roles';
import {
  type AuditEntry,
  changedTheRecord,
  ConcurrencyError,
  type NewAuditEntry,
  type OpportunityStore,
} from './store';

/**
 * The one path every change to a request takes, whoever asks (a card, the intake, the clock): read the
 * record, judge a click from an older card, decide, save the change with its audit entry and pending
 * notification, decide again if someone wrote first, then queue the messages it causes. The ports are
 * given, so this stays free of any I/O of its own.
 */

export interface ChangePorts {
  readonly store: Pick<OpportunityStore, 'get' | 'create' | 'transition' | 'appendAudit' | 'auditTrail'>;
  /** Queues the messages a saved change causes; a failure leaves them to the pending notification. */
  readonly notify: (record: Opportunity, events: readonly WorkflowEvent[]) => Promise<void>;
  /** The moment of the change and the consultation's length. */
  readonly clock: () => Clock;
}

export type ChangeRequest =
  | {
      readonly kind: 'create';
      readonly actor: Actor;
      /** Complete intake content; checked again here. */
      readonly content: unknown;
      readonly locale: 'en' | 'fr';
      /** When the draft it comes from was started. */
      readonly draftStartedAt?: string;
      /** The same key gives back the first record rather than a second one. */
      readonly idempotencyKey: string;
    }
  | {
      readonly kind: 'decide';
      readonly actor: Actor;
      readonly reference: string;
      readonly action: ActionName;
      readonly payload: unknown;
      /** The version the person's card showed; absent when nothing was shown (the clock, a revision). */
      readonly seenVersion?: number;
    };

export type ChangeOutcome =
  | { readonly kind: 'applied'; readonly record: Opportunity; readonly events: readonly WorkflowEvent[] }
  /** The same person's same action was applied since their card: it counts once. */
  | { readonly kind: 'duplicate'; readonly record: Opportunity; readonly first: AuditEntry }
  /** Someone decided first on what the click decides on. */
  | { readonly kind: 'decided'; readonly record: Opportunity; readonly first: AuditEntry }
  | { readonly kind: 'refused'; readonly record?: Opportunity; readonly refusal: Refusal }
  | { readonly kind: 'not_found' };

/** Attempts before a lost race is given up: each re-reads the record and decides again. */
const ATTEMPTS = 3;

/** The reason or comment an action carries, kept on its audit entry. */
function commentOf(payload: unknown): string | undefined {
  const { reason, comment } = (payload ?? {}) as { reason?: unknown; comment?: unknown };
  return [reason, comment].find((v): v is string => typeof v === 'string');
}

const personOf = (actor: Actor) => ({ aadObjectId: actor.id, name: actor.name });

export async function applyChange(ports: ChangePorts, request: ChangeRequest): Promise<ChangeOutcome> {
  return request.kind === 'create' ? create(ports, request) : transition(ports, request);
}

async function create(
  ports: ChangePorts,
  request: Extract<ChangeRequest, { kind: 'create' }>,
): Promise<ChangeOutcome> {
  const clock = ports.clock();
  const result = submit(request.content, request.actor, request.locale, clock, request.draftStartedAt);
  if (!result.ok) return { kind: 'refused', refusal: result.refusal };
  const actor = personOf(request.actor);
  const event = { type: 'submitted', at: clock.now, actor, from: 'draft', to: 'submitted' } as const;
  const record = await ports.store.create(
    result.record,
    { at: clock.now, actor, action: 'submit', from: 'draft', to: 'submitted', outcome: 'applied' },
    request.idempotencyKey,
    [event],
  );
  const events = [{ ...event, reference: record.reference }];
  await ports.notify(record, events);
  return { kind: 'applied', record, events };
}

async function transition(
  ports: ChangePorts,
  request: Extract<ChangeRequest, { kind: 'decide' }>,
): Promise<ChangeOutcome> {
  const { actor, reference, action } = request;
  for (let attempt = 1; ; attempt++) {
    const o = await ports.store.get(reference);
    if (!o) return { kind: 'not_found' };
    const clock = ports.clock();
    // A delegate acts for a colleague: the entry says for whom.
    const forWhom = actingFor(o, action, actor);
    const audit = (entry: Omit<NewAuditEntry, 'at' | 'actor' | 'action' | 'from'>): NewAuditEntry => ({
      at: clock.now,
      actor: { ...personOf(actor), ...(forWhom ? { onBehalfOf: forWhom } : {}) },
      action,
      from: o.status,
      ...entry,
    });
    // Attempts by the people a request concerns are on its record, with why they were turned down; the
    // clock's, and strangers', are not (the edge logs them), so nobody can flood a request's history.
    const refused = async (reason: string) => {
      if (actor.roles.has('system') || !mayRead(o, actor)) return;
      await ports.store.appendAudit(reference, audit({ outcome: 'refused', reason }));
    };

    const seen = request.seenVersion ?? o.version;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a card of the current version has no change since to read
    if (seen < o.version) {
      // The n-th change made version n + 1: what happened since the card is what came after it.
      const since = (await ports.store.auditTrail(reference)).filter(changedTheRecord).slice(seen);
      const verdict = sinceCard(
        action,
        actor.id,
        since.map((e) => ({ ...e, actorId: e.actor.aadObjectId })),
      );
      if (verdict.kind === 'duplicate') {
        await refused('duplicate');
        return { kind: 'duplicate', record: o, first: verdict.change };
      }
      if (verdict.kind === 'decided') {
        await refused('stale');
        return { kind: 'decided', record: o, first: verdict.change };
      }
    }

    const outcome = decide(o, action, request.payload, actor, clock);
    if (!outcome.ok) {
      await refused(outcome.refusal.guard ?? outcome.refusal.code);
      return { kind: 'refused', record: o, refusal: outcome.refusal };
    }
    const comment = commentOf(request.payload);
    try {
      const record = await ports.store.transition(
        outcome.next,
        o.version,
        audit({ to: outcome.next.status, outcome: 'applied', ...(comment ? { comment } : {}) }),
        outcome.events,
      );
      await ports.notify(record, outcome.events);
      return { kind: 'applied', record, events: outcome.events };
    } catch (err) {
      // Someone else wrote between our read and our write: read again and decide again.
      if (!(err instanceof ConcurrencyError) || attempt >= ATTEMPTS) throw err;
    }
  }
}
