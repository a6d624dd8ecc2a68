import type { FormRules } from './forms';

/**
 * The mailing list of new opportunities: a person subscribes on the public site with an e-mail address
 * and a language, confirms by the link e-mailed to them (double opt-in), and leaves in one click from
 * any e-mail. Addresses are personal information: deleted on unsubscribe, never logged.
 */

export interface Subscription {
  /** `s-` and a random UUID. */
  readonly id: string;
  /** As typed, trimmed; one subscription per address whatever its case. */
  readonly email: string;
  readonly locale: 'en' | 'fr';
  /** A random secret (base64url, 32 bytes) in the confirm and unsubscribe links: whoever holds it owns it. */
  readonly token: string;
  readonly createdAt: string;
  /** Absent until the person confirms: only confirmed subscriptions are e-mailed opportunities. */
  readonly confirmedAt?: string;
  /** When the last confirmation e-mail was queued, so a repeated form re-sends it at a bounded pace. */
  readonly confirmationSentAt: string;
}

export type NewSubscription = Omit<Subscription, 'confirmedAt'>;

export type SubscribeOutcome =
  /** Stored as given, unconfirmed. */
  | { readonly outcome: 'created'; readonly subscription: Subscription }
  /** The address was already on the list (confirmed or not): the stored one, unchanged. */
  | { readonly outcome: 'exists'; readonly subscription: Subscription }
  /** `maxUnconfirmed` unconfirmed subscriptions wait already: nothing was stored. */
  | { readonly outcome: 'full' };

export interface SubscriptionStore {
  subscribe(subscription: NewSubscription, maxUnconfirmed: number): Promise<SubscribeOutcome>;
  /** Notes that a confirmation e-mail was queued again at `at`. */
  confirmationResent(id: string, at: string): Promise<void>;
  /** Confirms the subscription holding this token (the first confirmation's time stays); undefined if none. */
  confirmSubscription(token: string, at: string): Promise<Subscription | undefined>;
  /**
   * Deletes the subscription holding this token, address and all; returns what was deleted (so the
   * caller can drop e-mails still queued to it), undefined when there was none.
   */
  unsubscribe(token: string): Promise<Subscription | undefined>;
  /** Confirmed subscriptions, oldest first, by pages (the cursor is opaque). */
  subscribers(page: { readonly limit: number; readonly cursor?: string }): Promise<{
    readonly items: readonly Subscription[];
    readonly nextCursor?: string;
  }>;
  /** Deletes subscriptions never confirmed, created before `before` (ISO); returns how many. */
  forgetUnconfirmed(before: string): Promise<number>;
  /** How many are confirmed and how many wait: for procurement, never the addresses. */
  subscriptionCounts(): Promise<{ readonly confirmed: number; readonly unconfirmed: number }>;
}

/** The public subscription form: an address, and the language of the e-mails. */
export const SUBSCRIBE_FORM = {
  email: { kind: 'email', max: 254 },
  language: { kind: 'choice', max: 2, choices: ['en', 'fr'] },
} as const satisfies FormRules;
