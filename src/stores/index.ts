import type { Config } from '../config';
import type { Store } from '../services/store';
import { createGraphClient, type GraphFetch } from './graph';
import { SharePointStore } from './sharepoint-store';
import { SqliteStore } from './sqlite-store';

/** The SQLite file always; the SharePoint lists too when records live there. */
async function open(config: Config, graphFetch?: GraphFetch): Promise<Store> {
  const state = SqliteStore.open(config.store.sqlitePath);
  const sp = config.store.sharepoint;
  if (config.store.kind !== 'sharepoint' || !sp) return state;
  try {
    return await SharePointStore.open({
      client: createGraphClient(sp, graphFetch),
      siteId: sp.siteId,
      listPrefix: sp.listPrefix,
      state,
    });
  } catch (err) {
    await state.close();
    throw err;
  }
}

/**
 * The configured store, opened on first use and again after a failed open: a store that cannot be
 * reached at start-up makes the bot answer "records unavailable" (and /healthz say 503) until it can,
 * instead of stopping the process. `graphFetch` sends Graph's requests elsewhere (tests).
 */
export function openStore(config: Config, graphFetch?: GraphFetch): Store {
  let opened: Promise<Store> | undefined;
  const connect = (): Promise<Store> =>
    (opened ??= open(config, graphFetch).catch((err: unknown) => {
      opened = undefined;
      throw err;
    }));
  return new Proxy({} as Store, {
    get(_target, method: keyof Store) {
      if (method === 'close')
        return async () => (opened ? (await opened.catch(() => undefined))?.close() : undefined);
      return async (...args: unknown[]) => {
        const store = await connect();
        return (store[method] as (...a: unknown[]) => Promise<unknown>).apply(store, args);
      };
    },
  });
}
