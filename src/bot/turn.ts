import { z } from 'zod';
import { type Card, noticeCard } from '../cards';
import type { Replica } from './replica';
import type { Config } from '../config';
import type { Locale } from '../i18n';
import type { Actor } from '../services/roles';
import type { DepartmentClock } from '../services/calendar';
import type { ChangeOutcome, ChangeRequest } from '../services/change';
import type { ConversationReferenceJson, Store } from '../services/store';
import type { Notifier } from './notify';
import type { RoleDirectory } from './directory';
import type { DocumentStore } from '../services/documents';
import type { Logger } from '../log';

/** What a handler needs to know about one turn; built once at the edge from the authenticated activity. */
export interface TurnRequest {
  readonly actor: Actor;
  /** The language to answer in: the person's choice (`language`), else their Teams language. */
  readonly locale: Locale;
  /** The language Teams reports for the person, whatever they chose. */
  readonly teamsLocale: Locale;
  readonly conversation: { readonly id: string; readonly type: 'personal' | 'groupChat' | 'channel' };
  /** The words after the command word, for commands. */
  readonly args: string;
  /** The people @mentioned in the message (the bot aside), as Teams names them. */
  readonly mentions: readonly { readonly id: string; readonly name: string }[];
  /** Files sent with the message (Teams' download info, or a file's URL); untrusted. */
  readonly attachments: readonly Readonly<Record<string, unknown>>[];
  /** The card's data, for verbs; untrusted: each handler validates what it reads. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly correlationId: string;
  /** Where this turn happened, for messages sent later (status updates to the requester). */
  readonly conversationReference: ConversationReferenceJson;
}

/** The ports every handler may use. */
export interface Deps {
  readonly store: Store;
  readonly config: Config;
  readonly log: Logger;
  /** The one clock: now, and today where the department works, on its calendar. */
  readonly clock: DepartmentClock;
  /** Queues the messages a change causes (cards to teams, lines to the requester) in the durable outbox. */
  readonly notifier: Notifier;
  /** Every change to a request goes through here (services/change.ts). */
  readonly change: (request: ChangeRequest) => Promise<ChangeOutcome>;
  /** Wakes the e-mail sender after e-mails are queued. */
  readonly mail: { kick(): void };
  /** Who holds which role: the roles file and ROLE_* variables, with group membership from Entra ID. */
  readonly directory: Pick<RoleDirectory, 'lookup' | 'grants'>;
  /** The documents kept with requests: signed terms, invoices. */
  readonly documents: DocumentStore;
  /** This process among the replicas sharing the store: whose leases and claims are whose. */
  readonly replica: Replica;
}

/**
 * How a handler answers: a card, or plain text. A card answering a button replaces the clicked card,
 * unless it starts something new (`placement: 'new'`): then it is posted below and the clicked card
 * stays, so a confirmation or a welcome is never wiped out by one of its own buttons.
 */
export type Reply =
  | {
      readonly card: Card;
      readonly placement?: 'replace' | 'new';
      /** Sent with the card in one message: a file to accept, or the file now saved. */
      readonly attachments?: readonly Readonly<Record<string, unknown>>[];
    }
  | { readonly text: string };

export type Handler = (req: TurnRequest, deps: Deps) => Promise<Reply>;

/** A button's handler: its card data has passed the schema its route declares. */
export type ActionHandler<D> = (req: TurnRequest, deps: Deps, data: D) => Promise<Reply>;

/**
 * The version a card was built from, as its buttons send it back: digits, or a number from clients that
 * keep types. Anything else (a list, blanks, 1e309) is not a version the bot gave.
 */
export const CardVersion = z.union([
  z.int().positive(),
  z
    .string()
    .regex(/^[1-9]\d{0,8}$/)
    .transform(Number),
]);

/** A one-line answer that something could not be done, in a warning card. */
export const warning = (title: string): Reply => ({
  card: noticeCard({ title, lines: [], style: 'warning' }),
});
