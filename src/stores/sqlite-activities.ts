import type { ActivityClaim, ActivityLog, HandledActivity } from '../services/store';
import { nonEmpty, utc } from './rows';
import type { SqliteAccess } from './sqlite-access';
import { type ActivityRow, responseJson, toActivity } from './working-rows';

/**
 * Activities the bot has answered or is answering, in the SQLite file (table `handled_activities`,
 * migrations 5 and 13). A row with `running_until` is a claim not yet answered; without, an answer.
 * Claims are taken in an IMMEDIATE write, so two replicas on the file never both run an activity.
 */
export class SqliteActivities implements ActivityLog {
  constructor(private readonly access: SqliteAccess) {}

  async claimActivity(key: string, at: string, until: string): Promise<ActivityClaim> {
    nonEmpty(key, 'an activity key');
    const [from, to] = [utc(at), utc(until)];
    return this.access.write<ActivityClaim>('claimActivity', () => {
      const row = this.access.row<ActivityRow>(
        'SELECT key, response, at, running_until FROM handled_activities WHERE key = ?',
        key,
      );
      if (row?.running_until === null) return { kind: 'answered', activity: toActivity(row, 'text') };
      // A claim runs until its moment comes; then its replica is taken for dead and the claim taken over.
      if (row && row.running_until > from) return { kind: 'running', until: row.running_until };
      this.access
        .sql(
          `INSERT INTO handled_activities (key, response, at, running_until) VALUES (?, NULL, ?, ?)
           ON CONFLICT (key) DO UPDATE SET at = excluded.at, running_until = excluded.running_until`,
        )
        .run(key, from, to);
      return { kind: 'claimed' };
    });
  }

  async rememberActivity(activity: HandledActivity): Promise<void> {
    nonEmpty(activity.key, 'an activity key');
    const response = responseJson(activity);
    this.access.guard('rememberActivity', () =>
      // Answers a claim; an activity already answered keeps its first answer.
      this.access
        .sql(
          `INSERT INTO handled_activities (key, response, at, running_until) VALUES (?, ?, ?, NULL)
           ON CONFLICT (key) DO UPDATE
           SET response = excluded.response, at = excluded.at, running_until = NULL
           WHERE handled_activities.running_until IS NOT NULL`,
        )
        .run(activity.key, response, utc(activity.at)),
    );
  }

  async recallActivity(key: string): Promise<HandledActivity | undefined> {
    return this.access.guard('recallActivity', () => {
      const row = this.access.row<ActivityRow>(
        `SELECT key, response, at, running_until FROM handled_activities
         WHERE key = ? AND running_until IS NULL`,
        key,
      );
      return row && toActivity(row, 'text');
    });
  }

  async forgetActivities(before: string): Promise<number> {
    const at = utc(before);
    // Each delete reads its own index: answers by when they were given, claims by when they pass.
    return this.access.write(
      'forgetActivities',
      () =>
        this.access.sql('DELETE FROM handled_activities WHERE at < ? AND running_until IS NULL').run(at)
          .changes +
        this.access.sql('DELETE FROM handled_activities WHERE running_until < ?').run(at).changes,
    );
  }
}
