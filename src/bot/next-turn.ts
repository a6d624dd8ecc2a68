/**
 * Lets the event loop take the requests waiting for it. A store that answers synchronously (SQLite)
 * resolves every await at once, so a long walk over records would otherwise run as one unbroken chain
 * and hold every request behind it.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
