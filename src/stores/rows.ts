import { z } from 'zod';

/**
 * What the tables of both SQL stores (the SQLite file and PostgreSQL) share in checking what comes in
 * and reading what comes back: timestamps in UTC, page sizes, JSON columns, text that must not be
 * empty, versions, error text kept to a size, and page cursors.
 */

export const JsonObject = z.record(z.string(), z.unknown());

/**
 * Timestamps may carry any offset; columns hold them as UTC so that text order is time order for
 * sorting, paging and bounds, and what a caller stored comes back exactly.
 */
export function utc(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO timestamp: ${iso}`);
  return new Date(ms).toISOString();
}

/** A page size the caller asked for, kept between 1 and `max`. */
export function clamp(limit: number, max: number): number {
  if (Number.isNaN(limit)) return 1;
  return Math.min(max, Math.max(1, Math.trunc(limit)));
}

/**
 * How a column of JSON arrives: as the text written (SQLite, and PostgreSQL's text columns), or already
 * parsed (PostgreSQL's json columns, which the driver parses). The row readers take either.
 */
export type JsonColumn = 'text' | 'json';

/** The value a JSON column holds, whichever way it arrived. */
export function jsonOf(value: unknown, column: JsonColumn): unknown {
  return column === 'text' ? JSON.parse(z.string().parse(value)) : value;
}

/** An object to keep in a JSON column, as its text; ZodError when it is not one. */
export function objectJson(value: unknown): string {
  return JSON.stringify(JsonObject.parse(value));
}

/** A JSON column that must hold an object. */
export function storedObject(value: unknown, column: JsonColumn): Record<string, unknown> {
  return JsonObject.parse(jsonOf(value, column));
}

export const NonEmpty = z.string().refine((v) => v.trim() !== '', 'must not be empty');

/** The value itself; RangeError when it is not text or only blanks. */
export function nonEmpty(value: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new RangeError(`${what} must not be empty`);
  return value;
}

/** A count as the database gives it: a number in SQLite, bigint as text in PostgreSQL; none is 0. */
export function count(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

/** A save moves what it saves one version on; RangeError for any other version. */
export function followsVersion(name: string, version: number, expectedVersion: number): void {
  if (version !== expectedVersion + 1) {
    throw new RangeError(`${name}: the next version must be ${expectedVersion + 1}, not ${version}`);
  }
}

/** Errors are kept for operators, not as a log: a stack trace of any length fits in this. */
const MAX_ERROR_CHARS = 2_000;

export function errorText(error: string): string {
  const text = String(error);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
}

/** Where a page stopped, opaque to the caller. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** The position a cursor holds; RangeError for one this store did not issue. */
export function decodeCursor<T>(schema: z.ZodType<T>, cursor: string): T {
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch (cause) {
    throw new RangeError('not a page cursor this store issued', { cause });
  }
}

/** Tables whose seq is never reused page by it: a cursor holds the last seq given. */
const AfterSeq = z.object({ after: z.number().int().nonnegative() });

export function seqCursor(seq: number): string {
  return encodeCursor({ after: seq });
}

/** The seq a cursor of `seqCursor` holds; RangeError for one this store did not issue. */
export function afterSeq(cursor: string): number {
  return decodeCursor(AfterSeq, cursor).after;
}

/** A page request on rows paged by seq: its size kept between 1 and `max`, and the seq it starts after. */
export function seqPage(page: { readonly limit: number; readonly cursor?: string }, max: number) {
  return { limit: clamp(page.limit, max), after: page.cursor === undefined ? 0 : afterSeq(page.cursor) };
}

/**
 * A page from a query that read one row more than asked: the extra row says another page follows, from
 * where the last row given stops.
 */
export function pageOf<R, T>(
  rows: readonly R[],
  limit: number,
  item: (row: R) => T,
  cursor: (last: R) => string,
): { readonly items: readonly T[]; readonly nextCursor?: string } {
  const given = rows.slice(0, limit);
  const last = given.at(-1);
  return {
    items: given.map((row) => item(row)),
    ...(rows.length > limit && last !== undefined ? { nextCursor: cursor(last) } : {}),
  };
}
