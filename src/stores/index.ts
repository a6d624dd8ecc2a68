import type { Config } from '../config';
import type { OpportunityStore } from '../services/store';
import { SqliteStore } from './sqlite-store';

/**
 * The configured store, opened on first use and again after a failed open: a store that cannot be
 * reached at start-up makes the bot answer "records unavailable" (and /healthz say 503) until it can,
 * instead of stopping the process.
 */
export function openStore(config: Config): OpportunityStore {
  let opened: OpportunityStore | undefined;
  const connect = (): OpportunityStore => (opened ??= SqliteStore.open(config.store.sqlitePath));
  return new Proxy({} as OpportunityStore, {
    get(_target, method: keyof OpportunityStore) {
      if (method === 'close') return async () => opened?.close();
      return async (...args: unknown[]) => {
        const store = connect();
        return (store[method] as (...a: unknown[]) => Promise<unknown>).apply(store, args);
      };
    },
  });
}
