import { horizonMs, rateWaitMs, type RateWindow } from '../services/rate';
import type { ActivityClaim, ActivityLog, Coordination, HandledActivity } from '../services/store';
import { type PgAccess, storable } from './pg-access';
import { nonEmpty, utc } from './rows';
import { type ActivityRow, rateWindows, responseJson, toActivity } from './working-rows';

/**
 * What replicas share in PostgreSQL to act as one: the activities answered (and claimed while being
 * answered), named leases on scheduled jobs, and the recent operations on rate-limited keys. Every
 * decision two replicas may race for is one upsert, or made under the row's lock.
 */

/**
 * An activity claimed and not yet answered has running_until; an answered one has none (its response
 * may be empty: a message was answered in its conversation).
 */
export const ACTIVITIES_SCHEMA = `
  CREATE TABLE handled_activities (
    key text PRIMARY KEY,
    response json CHECK (response IS NULL OR json_typeof(response) = 'object'),
    at text COLLATE "C" NOT NULL,
    running_until text COLLATE "C"
  );
  CREATE INDEX handled_activities_at ON handled_activities (at) WHERE running_until IS NULL;
  CREATE INDEX handled_activities_running ON handled_activities (running_until) WHERE running_until IS NOT NULL;
`;

/**
 * A named lease says which replica runs a job until when. A rate key keeps the times (ms since the
 * epoch) of its operations within its longest window, ascending.
 */
export const COORDINATION_SCHEMA = `
  CREATE TABLE leases (
    name text PRIMARY KEY,
    owner text NOT NULL,
    until text COLLATE "C" NOT NULL
  );
  CREATE TABLE rate_operations (
    key text PRIMARY KEY,
    times bigint[] NOT NULL
  );
`;

/** A claim that finds the row gone (forgotten meanwhile) tries again; more would be a fault. */
const CLAIM_ATTEMPTS = 3;

export class PgActivities implements ActivityLog {
  constructor(private readonly db: PgAccess) {}

  async claimActivity(key: string, at: string, until: string): Promise<ActivityClaim> {
    nonEmpty(key, 'an activity key');
    const [from, to] = [utc(at), utc(until)];
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
      // Concurrent claims meet on the key: the first inserts, the others wait for it to commit and then
      // find its claim, so exactly one is told `claimed`. A claim whose time has passed is taken over by
      // whichever update gets the row's lock first; the others then see the new claim.
      const claimed = await storable('claimActivity', () =>
        this.db.row(
          `INSERT INTO handled_activities (key, response, at, running_until) VALUES ($1, NULL, $2, $3)
           ON CONFLICT (key) DO UPDATE SET at = excluded.at, running_until = excluded.running_until
           WHERE handled_activities.running_until IS NOT NULL AND handled_activities.running_until <= $2
           RETURNING key`,
          key,
          from,
          to,
        ),
      );
      if (claimed) return { kind: 'claimed' };
      const row = await this.db.row<ActivityRow>(
        'SELECT key, response, at, running_until FROM handled_activities WHERE key = $1',
        key,
      );
      if (!row) continue;
      return row.running_until === null
        ? { kind: 'answered', activity: toActivity(row, 'json') }
        : { kind: 'running', until: row.running_until };
    }
    throw new Error(`activity ${key} could not be claimed: its row kept vanishing`);
  }

  async rememberActivity(activity: HandledActivity): Promise<void> {
    nonEmpty(activity.key, 'an activity key');
    const response = responseJson(activity);
    // The first answer stays; a claim (answered or not by the replica that made it) becomes the answer.
    await storable('rememberActivity', () =>
      this.db.query(
        `INSERT INTO handled_activities (key, response, at, running_until) VALUES ($1, $2::json, $3, NULL)
         ON CONFLICT (key) DO UPDATE SET response = excluded.response, at = excluded.at, running_until = NULL
         WHERE handled_activities.running_until IS NOT NULL`,
        [activity.key, response, utc(activity.at)],
      ),
    );
  }

  async recallActivity(key: string): Promise<HandledActivity | undefined> {
    const row = await storable('recallActivity', () =>
      this.db.row<ActivityRow>(
        `SELECT key, response, at, running_until FROM handled_activities
         WHERE key = $1 AND running_until IS NULL`,
        key,
      ),
    );
    return row && toActivity(row, 'json');
  }

  async forgetActivities(before: string): Promise<number> {
    const at = utc(before);
    const { rowCount } = await this.db.query(
      `DELETE FROM handled_activities
       WHERE (running_until IS NULL AND at < $1) OR (running_until IS NOT NULL AND running_until < $1)`,
      [at],
    );
    return rowCount ?? 0;
  }
}

export class PgCoordination implements Coordination {
  constructor(private readonly db: PgAccess) {}

  async holdLease(name: string, owner: string, now: string, until: string): Promise<boolean> {
    nonEmpty(name, 'a lease name');
    nonEmpty(owner, 'a lease owner');
    const [from, to] = [utc(now), utc(until)];
    // One statement: of replicas racing for a free or passed lease, the first to lock the row takes it,
    // and the others find it held by an owner not theirs, its time not passed.
    const row = await storable('holdLease', () =>
      this.db.row(
        `INSERT INTO leases (name, owner, until) VALUES ($1, $2, $4)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
         WHERE leases.owner = excluded.owner OR leases.until <= $3
         RETURNING owner`,
        name,
        owner,
        from,
        to,
      ),
    );
    return row !== undefined;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await storable('releaseLease', () =>
      this.db.query('DELETE FROM leases WHERE name = $1 AND owner = $2', [name, owner]),
    );
  }

  async takeRate(key: string, now: string, windows: readonly RateWindow[]): Promise<number> {
    nonEmpty(key, 'a rate key');
    const at = Date.parse(utc(now));
    const rules = rateWindows(windows);
    const horizon = horizonMs(rules);
    return storable('takeRate', () =>
      this.db.tx('takeRate', async (db) => {
        // The key's row is locked until the end: replicas taking on one key count one after another.
        await db.query(
          `INSERT INTO rate_operations (key, times) VALUES ($1, '{}') ON CONFLICT (key) DO NOTHING`,
          [key],
        );
        const { rows } = await db.query<{ times: string[] }>(
          'SELECT times FROM rate_operations WHERE key = $1 FOR UPDATE',
          [key],
        );
        const recent = (rows[0]?.times ?? [])
          .map(Number)
          .filter((t) => t > at - horizon)
          .sort((a, b) => a - b);
        const wait = rateWaitMs(recent, rules, at);
        if (wait > 0) return wait;
        recent.push(at);
        recent.sort((a, b) => a - b);
        await db.query('UPDATE rate_operations SET times = $2::bigint[] WHERE key = $1', [key, recent]);
        return 0;
      }),
    );
  }

  async forgetRates(before: string): Promise<void> {
    const beforeMs = Date.parse(utc(before));
    // Only keys idle since `before` go, so a take racing with this forgets at most one idle key's operation.
    await storable('forgetRates', () =>
      this.db.query(
        'DELETE FROM rate_operations WHERE NOT EXISTS (SELECT 1 FROM unnest(times) t WHERE t >= $1)',
        [beforeMs],
      ),
    );
  }
}
