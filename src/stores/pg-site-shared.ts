import type { Queryable } from './pg-access';

/** What the public site's PostgreSQL adapters share: the rows that serialise each bound. */

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
