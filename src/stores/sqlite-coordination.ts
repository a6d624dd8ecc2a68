import { horizonMs, type RateWindow, rateWaitMs } from '../services/rate';
import type { Coordination } from '../services/store';
import { nonEmpty, utc } from './rows';
import type { SqliteAccess } from './sqlite-access';
import { rateWindows } from './working-rows';

/**
 * What replicas sharing the SQLite file agree on (tables `leases` and `rate_events`, migration 13): each
 * call is one IMMEDIATE write, so processes on the file take their turns and never both win.
 */
export class SqliteCoordination implements Coordination {
  constructor(private readonly access: SqliteAccess) {}

  async holdLease(name: string, owner: string, now: string, until: string): Promise<boolean> {
    nonEmpty(name, 'a lease name');
    nonEmpty(owner, 'a lease owner');
    const [at, to] = [utc(now), utc(until)];
    return this.access.write(
      'holdLease',
      () =>
        // Taken when free, renewed by its owner, taken over once passed; else left to its owner.
        this.access.row(
          `INSERT INTO leases (name, owner, until) VALUES (@name, @owner, @until)
           ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
           WHERE leases.owner = excluded.owner OR leases.until <= @now
           RETURNING owner`,
          { name, owner, until: to, now: at },
        ) !== undefined,
    );
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.access.write('releaseLease', () =>
      this.access.sql('DELETE FROM leases WHERE name = ? AND owner = ?').run(name, owner),
    );
  }

  async takeRate(key: string, now: string, windows: readonly RateWindow[]): Promise<number> {
    nonEmpty(key, 'a rate key');
    const nowMs = Date.parse(utc(now));
    const horizon = horizonMs(rateWindows(windows));
    return this.access.write('takeRate', () => {
      const times = this.access
        .rows<{ at_ms: number }>(
          'SELECT at_ms FROM rate_events WHERE key = ? AND at_ms > ? ORDER BY at_ms',
          key,
          nowMs - horizon,
        )
        .map((r) => r.at_ms);
      const wait = rateWaitMs(times, windows, nowMs);
      if (wait > 0) return wait;
      this.access.sql('INSERT INTO rate_events (key, at_ms) VALUES (?, ?)').run(key, nowMs);
      // Operations past the longest window no longer count: the key keeps only its recent ones.
      this.access.sql('DELETE FROM rate_events WHERE key = ? AND at_ms <= ?').run(key, nowMs - horizon);
      return 0;
    });
  }

  async forgetRates(before: string): Promise<void> {
    const beforeMs = Date.parse(utc(before));
    this.access.write('forgetRates', () =>
      this.access.sql('DELETE FROM rate_events WHERE at_ms < ?').run(beforeMs),
    );
  }
}
