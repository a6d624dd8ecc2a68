import type { PublicViews } from './jekyll';

/**
 * What the bot asks of a place that publishes its public views, apart from how it does so: the GitHub
 * publisher (./github.ts, loaded only where one is configured, for its client) and the sync that drives it.
 */

export interface PublishResult {
  /**
   * The pull request that carries the views, or carried them when they are published already; when no
   * pull request ever did (the base branch got them another way), the English post on the base branch.
   */
  readonly pullRequestUrl: string;
  /** Whether this call wrote anything. */
  readonly changed: boolean;
}

export interface Publisher {
  /** What the publication log keys this publisher's digests by. */
  readonly target: string;
  digest(views: PublicViews): string;
  publish(reference: string, views: PublicViews): Promise<PublishResult>;
}

/** Why a publication did not happen, and whether trying again later can help. */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly details: {
      readonly status?: number;
      readonly retryAfterMs?: number;
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'PublishError';
  }

  get status(): number | undefined {
    return this.details.status;
  }

  /** How long to wait before trying again, when GitHub said. */
  get retryAfterMs(): number | undefined {
    return this.details.retryAfterMs;
  }
}
