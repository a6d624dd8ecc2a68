/**
 * Lets the event loop take the requests waiting for it. A store that answers synchronously (SQLite)
 * resolves every await at once, so a long walk over records would otherwise run as one unbroken chain
 * and hold every request behind it.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Lets at most `perTurn` callers start in each turn of the event loop, the rest in later turns in the
 * order they came. Node accepts one new connection per turn, and a turn in which fifty activities run
 * synchronously one after the other lasts a few hundred milliseconds: under load, the tenth new connection
 * waited ten such turns before its first activity was even read. Short turns keep new connections and
 * timers moving, without changing how much work gets done.
 */
export class TurnGate {
  private started = 0;
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly perTurn: number) {}

  /** Resolves when the caller may start. */
  pass(): Promise<void> {
    this.schedule();
    if (this.waiting.length === 0 && this.started < this.perTurn) {
      this.started++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Each turn starts a fresh count and lets the next waiting callers through; idle, it stops. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.started = 0;
      while (this.started < this.perTurn && this.waiting.length > 0) {
        this.started++;
        this.waiting.shift()?.();
      }
      if (this.waiting.length > 0) this.schedule();
    });
  }
}
