/**
 * Sliding-window rate limits, as Teams publishes its own ("7 messages a second, 8 in 2 seconds…"): at
 * most `limit` operations in any `ms` milliseconds. Pure, so the same rule paces one process in memory
 * and replicas through their shared store.
 */
export interface RateWindow {
  readonly limit: number;
  readonly ms: number;
}

/** How long a store keeps an operation taken (Coordination.forgetRates): longer than any window. */
export const RATE_KEPT_MS = 24 * 3_600_000;

/** The longest window: older operations no longer count. */
export function horizonMs(windows: readonly RateWindow[]): number {
  return Math.max(0, ...windows.map((w) => w.ms));
}

/**
 * Milliseconds until one more operation fits every window, given the times (ms) of the recent ones in
 * ascending order; 0 when it fits now.
 */
export function rateWaitMs(times: readonly number[], windows: readonly RateWindow[], now: number): number {
  let wait = 0;
  for (const { limit, ms } of windows) {
    const inWindow = times.filter((t) => t > now - ms);
    if (inWindow.length < limit) continue;
    // The oldest operations must leave the window until one slot is free.
    const freeing = inWindow[inWindow.length - limit] ?? now;
    wait = Math.max(wait, freeing + ms - now);
  }
  return Math.max(0, wait);
}
