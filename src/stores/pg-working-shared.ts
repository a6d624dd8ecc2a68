/** What the working state's PostgreSQL adapters share. */

/** The SQLSTATE of a server error, if it is one. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * NUL in text (22021) or in JSON (22P05) cannot be kept by PostgreSQL at all, where SQLite keeps it: the
 * input is refused as the caller's mistake rather than reported as a fault of the store.
 */
const UNSTORABLE = new Set(['22021', '22P05']);

export async function storable<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (UNSTORABLE.has(codeOf(err) ?? '')) {
      throw new RangeError(`${what}: the text holds a character the store cannot keep`, { cause: err });
    }
    throw err;
  }
}

/** PostgreSQL counts in bigint, which arrives as text. */
export function count(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}
