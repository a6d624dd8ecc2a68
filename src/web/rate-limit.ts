const WINDOW_MS = 60_000;

/**
 * Page requests counted per key in fixed windows of a minute, in this process, with a bound on how many
 * keys are remembered, so that a flood from many addresses costs memory no more than it costs answers.
 * (Forms are counted in the store instead, shared by replicas: web/respond.ts.)
 */
export class RateLimiter {
  private readonly counts = new Map<string, { window: number; count: number }>();

  constructor(
    private readonly perWindow: number,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request; returns the seconds to wait when over the limit, else 0. */
  take(key: string): number {
    const at = this.now();
    const window = Math.floor(at / WINDOW_MS);
    const entry = this.counts.get(key);
    if (!entry || entry.window !== window) {
      if (!entry && this.counts.size >= this.maxKeys) {
        // The key quiet longest goes: Maps keep insertion order, and each request moves its key last.
        const oldest = this.counts.keys().next().value;
        if (oldest !== undefined) this.counts.delete(oldest);
      }
      this.counts.delete(key);
      this.counts.set(key, { window, count: 1 });
      return 0;
    }
    entry.count += 1;
    // Most recently seen last: the key forgotten first is the one quiet longest.
    this.counts.delete(key);
    this.counts.set(key, entry);
    return entry.count > this.perWindow ? Math.ceil(((window + 1) * WINDOW_MS - at) / 1000) : 0;
  }
}
