import type { Config } from '../config';
import type { DocumentStore } from '../services/documents';
import type { Store } from '../services/store';
import { createGraphClient, type GraphFetch } from './graph';
import { LocalDocuments } from './local-documents';
import { SharePointDocuments } from './sharepoint-documents';
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

export type OpenedDocuments = DocumentStore & { close(): Promise<void> };

/**
 * Where requests' documents are kept, chosen as `openStore` chooses: the SharePoint site's document
 * library when records live in SharePoint, else files beside the SQLite file. Opened on first use and
 * again after a failed open, so an unreachable library makes each call fail, not the start-up.
 */
export function openDocuments(config: Config, graphFetch?: GraphFetch): OpenedDocuments {
  const sp = config.store.sharepoint;
  const connect = async (): Promise<OpenedDocuments> =>
    config.store.kind === 'sharepoint' && sp
      ? SharePointDocuments.open({
          client: createGraphClient(sp, graphFetch),
          siteId: sp.siteId,
          listPrefix: sp.listPrefix,
          send: graphFetch ?? fetch,
          timeoutMs: sp.timeoutMs,
        })
      : LocalDocuments.open(config.store.sqlitePath);
  let opened: Promise<OpenedDocuments> | undefined;
  const use = (): Promise<OpenedDocuments> =>
    (opened ??= connect().catch((err: unknown) => {
      opened = undefined;
      throw err;
    }));
  return {
    put: async (doc) => (await use()).put(doc),
    list: async (reference) => (await use()).list(reference),
    read: async (id) => (await use()).read(id),
    close: async () => (opened ? (await opened.catch(() => undefined))?.close() : undefined),
  };
}
