import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Coordination } from '../services/store';

/**
 * One running bot process among the replicas sharing a store. Work that must happen once (a scheduled
 * job, an activity, an outbox message) is held under a lease in the store, in this replica's name and
 * for a bounded time: a replica killed mid-work leaves leases that pass, and another replica takes over.
 * Leases count in wall time, not the department clock (tests move that clock; processes live in real time).
 */

/** How long an activity is this replica's to answer: about as long as Teams waits for the answer. */
export const ACTIVITY_CLAIM_MS = 20_000;
/** How long outbox messages taken in one drain are this replica's to send. */
export const OUTBOX_LEASE_MS = 30_000;

export class Replica {
  /** Held jobs, to give them up at shutdown. */
  private readonly held = new Set<string>();

  constructor(
    private readonly store: Coordination,
    /** Unique among live replicas: the host, the process and a random part (a restarted pid is another replica). */
    readonly id: string = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    private readonly wallClock: () => number = Date.now,
  ) {}

  /** The moment `ms` from now, as the store's leases compare it. */
  until(ms: number): string {
    return new Date(this.wallClock() + ms).toISOString();
  }

  now(): string {
    return new Date(this.wallClock()).toISOString();
  }

  /**
   * Whether this replica runs the named job now: it takes (or renews) the job's lease for `ttlMs`. A job
   * run every interval renews its lease every run, so another replica takes over only when it stops.
   */
  async holds(job: string, ttlMs: number): Promise<boolean> {
    const held = await this.store.holdLease(job, this.id, this.now(), this.until(ttlMs));
    if (held) this.held.add(job);
    else this.held.delete(job);
    return held;
  }

  /** At shutdown: the others need not wait for our leases to pass. */
  async release(): Promise<void> {
    const jobs = [...this.held];
    this.held.clear();
    await Promise.all(jobs.map((job) => this.store.releaseLease(job, this.id).catch(() => undefined)));
  }
}
