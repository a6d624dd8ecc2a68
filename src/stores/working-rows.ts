import { z } from 'zod';
import { type Delegation, StoredDelegation } from '../services/delegation';
import { RATE_KEPT_MS, type RateWindow } from '../services/rate';
import type { Draft, HandledActivity, Person, Preferences } from '../services/store';
import { type JsonColumn, jsonOf, storedObject } from './rows';

/**
 * The working state as both SQL stores check what comes in and read it back: drafts, preferences,
 * delegations, handled activities and rate windows, with the same columns in the SQLite file and in
 * PostgreSQL. Their JSON is text in the one and json in the other; each reader takes a JsonColumn.
 */

/** What a draft is read with. */
export const DRAFT_COLUMNS = 'id, owner_id, step, data, version, updated_at';

const DraftRow = z.object({
  id: z.string(),
  owner_id: z.string(),
  step: z.string(),
  data: z.unknown(),
  version: z.number().int().positive(),
  updated_at: z.string(),
});

export function toDraft(raw: unknown, column: JsonColumn): Draft {
  const row = DraftRow.parse(raw);
  return {
    id: row.id,
    ownerId: row.owner_id,
    step: row.step,
    data: storedObject(row.data, column),
    version: row.version,
    updatedAt: row.updated_at,
  };
}

/**
 * Stored preferences are read leniently (a setting this release does not know is dropped, so what a
 * later release wrote still reads) but saved strictly: an unknown setting is a caller's mistake.
 */
const StoredPreferences = z.object({ locale: z.enum(['en', 'fr']).optional() });
const NewPreferences = z.strictObject(StoredPreferences.shape);

export function userIdOf(userId: string): string {
  if (typeof userId !== 'string' || userId.trim() === '') {
    throw new RangeError('preferences need the id of the person they belong to');
  }
  return userId;
}

/** Preferences to save, as JSON text; RangeError for a setting this release does not know. */
export function preferencesJson(preferences: Preferences): string {
  const parsed = NewPreferences.safeParse(preferences);
  if (!parsed.success) {
    throw new RangeError(`not valid preferences: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return JSON.stringify(parsed.data);
}

/** Like records, unreadable preferences fail loudly, naming the person, rather than being guessed at. */
export function toPreferences(userId: string, data: unknown, column: JsonColumn): Preferences {
  let stored: z.infer<typeof StoredPreferences>;
  try {
    stored = StoredPreferences.parse(jsonOf(data, column));
  } catch (cause) {
    throw new Error(`stored preferences of ${userId} are unreadable`, { cause });
  }
  return stored.locale === undefined ? {} : { locale: stored.locale };
}

export interface DelegationRow {
  readonly id: string;
  readonly data: unknown;
}

/** A delegation to save, checked: RangeError when it is not one, or is already ended. */
export function newDelegation(input: Delegation): Delegation {
  const parsed = StoredDelegation.safeParse(input);
  if (!parsed.success) {
    throw new RangeError(`not a valid delegation: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  const d = parsed.data;
  if (d.endedAt !== undefined || d.endedBy !== undefined)
    throw new RangeError(`delegation ${d.id} is saved running, and ended with endDelegation`);
  return d;
}

/** Who ends a delegation and when, checked; RangeError when either is missing or not one. */
export function delegationEnd(
  by: Person,
  at: string,
): { readonly endedBy: Person; readonly endedAt: string } {
  const who = StoredDelegation.shape.endedBy.safeParse(by);
  const when = StoredDelegation.shape.endedAt.safeParse(at);
  if (!who.success || !who.data || !when.success || !when.data)
    throw new RangeError('a delegation is ended by someone, at an ISO time');
  return { endedBy: who.data, endedAt: when.data };
}

/** A delegation as its end leaves it. */
export function endedDelegation(d: Delegation, by: Person, at: string): Delegation {
  return { ...d, endedAt: at, endedBy: { aadObjectId: by.aadObjectId, name: by.name } };
}

/** Like records, an unreadable delegation fails loudly rather than granting roles half-read. */
export function toDelegation(row: DelegationRow, column: JsonColumn): Delegation {
  try {
    return StoredDelegation.parse(jsonOf(row.data, column));
  } catch (cause) {
    throw new Error(`stored delegation ${row.id} is unreadable`, { cause });
  }
}

/** A handled activity's row: with `running_until`, a claim not yet answered; without, an answer. */
export interface ActivityRow {
  readonly key: string;
  readonly response: unknown;
  readonly at: string;
  readonly running_until: string | null;
}

/** An activity's response as JSON text, or null when it has none. */
export function responseJson(activity: HandledActivity): string | null {
  return activity.response === undefined ? null : JSON.stringify(activity.response);
}

export function toActivity(row: ActivityRow, column: JsonColumn): HandledActivity {
  return {
    key: row.key,
    at: row.at,
    ...(row.response === null ? {} : { response: storedObject(row.response, column) }),
  };
}

/**
 * Windows as given, checked; RangeError for a limit or a length that is not a positive whole number, or
 * a window longer than the store keeps operations.
 */
export function rateWindows(windows: readonly RateWindow[]): readonly RateWindow[] {
  for (const w of windows) {
    const length = Number.isSafeInteger(w.ms) && w.ms >= 1 && w.ms <= RATE_KEPT_MS;
    if (!Number.isSafeInteger(w.limit) || w.limit < 1 || !length)
      throw new RangeError(`not a rate window: ${JSON.stringify(w)}`);
  }
  return windows;
}
