import type { Logger } from '../log';
import { AFTER_POSTING, publicOpportunity, type PublicationLog } from '../services/publication';
import type { OpportunityStore } from '../services/store';
import { type Publisher, PublishError } from './publisher';

/**
 * Keeps an outside site (the pilot's Jekyll repository) in step with the published requests. Each tick
 * compares every published request's public views with what was last published there (by digest) and
 * publishes what differs, so posting, extensions, closing, the award, cancellation and delivery reach it
 * without a message of their own, and a failure or a restart only delays them to a later tick.
 */

/** Open opportunities and the most recently closed: what can still change in public. */
const OPEN_SCANNED = 200;
const CLOSED_SCANNED = 100;

export class PublicationSync {
  /** GitHub asked to wait until then (rate limit), or a failure backs off until then. */
  private notBefore = 0;

  constructor(
    private readonly publisher: Publisher,
    private readonly store: Pick<OpportunityStore, 'query'> & PublicationLog,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {}

  /** Publishes what changed since the last tick; returns how many requests were published. */
  async tick(): Promise<number> {
    if (this.now().getTime() < this.notBefore) return 0;
    const open = await this.store.query({ statuses: ['posted'] }, { limit: OPEN_SCANNED });
    const closed = await this.store.query({ statuses: AFTER_POSTING }, { limit: CLOSED_SCANNED });
    let published = 0;
    for (const o of [...open.items, ...closed.items]) {
      const en = publicOpportunity(o, 'en');
      const fr = publicOpportunity(o, 'fr');
      if (!en || !fr) continue;
      const digest = this.publisher.digest({ en, fr });
      if ((await this.store.lastPublished(this.publisher.target, o.reference)) === digest) continue;
      try {
        const result = await this.publisher.publish(o.reference, { en, fr });
        await this.store.notePublished(this.publisher.target, o.reference, digest, this.now().toISOString());
        this.log.info(
          { reference: o.reference, pullRequest: result.pullRequestUrl, changed: result.changed },
          'published to GitHub',
        );
        published += 1;
      } catch (err) {
        if (!(err instanceof PublishError)) throw err;
        const waitMs = err.retryable ? (err.retryAfterMs ?? 60_000) : 15 * 60_000;
        this.notBefore = this.now().getTime() + waitMs;
        this.log.warn(
          { reference: o.reference, err: err.message, retryable: err.retryable, waitMs },
          'GitHub publication failed; trying again later',
        );
        return published;
      }
    }
    return published;
  }
}
