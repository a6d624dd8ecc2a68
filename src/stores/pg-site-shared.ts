import { z } from 'zod';
import type { Queryable } from './pg-access';

/**
 * What the public site's PostgreSQL adapters share: the rows that serialise each bound, page cursors,
 * and text PostgreSQL cannot keep reported as the caller's mistake.
 */

/** One row per bound in `site_bounds`: counting under it and inserting happen while it is locked. */
export type Bound = 'questions' | 'subscriptions' | 'applications';

/** Created by migration 3, never written afterwards: each row exists only to be locked. */
export const BOUNDS_SCHEMA = `
  CREATE TABLE site_bounds (
    name text PRIMARY KEY
  );
  INSERT INTO site_bounds (name) VALUES ('questions'), ('subscriptions'), ('applications');
`;

/**
 * Locks the bound's row until the transaction ends, so a second transaction counting under the same
 * bound waits for the first to commit and then counts what it stored (READ COMMITTED takes a new
 * snapshot for each statement). Inserts are thereby also committed in the order of their `seq`.
 */
export async function holdBound(db: Queryable, bound: Bound): Promise<void> {
  const { rowCount } = await db.query('SELECT name FROM site_bounds WHERE name = $1 FOR UPDATE', [bound]);
  if (rowCount !== 1) throw new Error(`the row of bound ${bound} is missing from site_bounds`);
}

/** PostgreSQL counts in bigint, which arrives as text. */
export function count(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

const Cursor = z.object({ after: z.number().int().nonnegative() });

export function encodeCursor(seq: number | string): string {
  return Buffer.from(JSON.stringify({ after: Number(seq) }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).after;
  } catch (cause) {
    throw new RangeError('not a page cursor this store issued', { cause });
  }
}

/**
 * PostgreSQL's text cannot hold NUL (22021; 22P05 where it meets JSON as jsonb): such input is refused
 * as the caller's mistake rather than reported as a fault of the store. JSON kept in json columns holds
 * it escaped, so only the plain text columns (addresses, ids, the mailbox) can meet this.
 */
const UNSTORABLE = new Set(['22021', '22P05']);

export async function storing<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && UNSTORABLE.has(code)) {
      throw new RangeError(`${what}: the text holds a character the store cannot keep`, { cause: err });
    }
    throw err;
  }
}
