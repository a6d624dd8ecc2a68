import { z } from 'zod';

/**
 * What several of the SQLite file's tables share in checking what comes in and reading what comes
 * back: JSON objects, text that must not be empty, error text kept to a size, and page cursors.
 */

export const JsonObject = z.record(z.string(), z.unknown());

export const NonEmpty = z.string().refine((v) => v.trim() !== '', 'must not be empty');

/** The value itself; RangeError when it is not text or only blanks. */
export function nonEmpty(value: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new RangeError(`${what} must not be empty`);
  return value;
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
