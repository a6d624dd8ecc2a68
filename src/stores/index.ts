import type { Config } from '../config';
import type { DocumentStore } from '../services/documents';
import { type Store, StoreUnavailableError } from '../services/store';
import type { GraphFetch } from './graph';

/**
 * The back ends, each loaded when it is first opened: a process holds in memory only the code and the
 * drivers of its own deployment (pg, the Graph client). `module.require` rather than `import()`: the
 * compiled bot is CommonJS either way, and the tests load TypeScript through tsx's require hook, which
 * Node's own `import()` does not go through. The bot's server takes the Graph client from here too.
 */
export const load = {
  sqliteStore: () => module.require('./sqlite-store') as typeof import('./sqlite-store'),
  localDocuments: () => module.require('./local-documents') as typeof import('./local-documents'),
  pgStore: () => module.require('./pg-store') as typeof import('./pg-store'),
  pgDocuments: () => module.require('./pg-documents') as typeof import('./pg-documents'),
  graph: () => module.require('./graph') as typeof import('./graph'),
  sharePointStore: () => module.require('./sharepoint-store') as typeof import('./sharepoint-store'),
  sharePointDocuments: () =>
    module.require('./sharepoint-documents') as typeof import('./sharepoint-documents'),
};

/**
 * The three deployments: everything in the SQLite file (one process); everything in PostgreSQL
 * (replicas); records and the public site in SharePoint lists with the working state in SQLite or, for
 * replicas, PostgreSQL.
 */
async function open(config: Config, graphFetch?: GraphFetch): Promise<Store> {
  const pg = config.store.postgres;
  const working = async (): Promise<Store> => {
    if (config.store.working !== 'postgres') {
      const { SqliteStore } = load.sqliteStore();
      return SqliteStore.open(config.store.sqlitePath);
    }
    if (!pg) throw new StoreUnavailableError('DATABASE_URL is not set');
    const { openPgStore } = load.pgStore();
    return openPgStore({
      connectionString: pg.url,
      poolSize: pg.poolSize,
      ...(pg.schema ? { schema: pg.schema } : {}),
    });
  };
  const state = await working();
  const sp = config.store.sharepoint;
  if (config.store.kind !== 'sharepoint' || !sp) return state;
  try {
    const { createGraphClient } = load.graph();
    const { openSharePoint } = load.sharePointStore();
    return await openSharePoint(
      { client: createGraphClient(sp, graphFetch), siteId: sp.siteId, listPrefix: sp.listPrefix },
      state,
    );
  } catch (err) {
    await state.close();
    throw err;
  }
}

/**
 * The configured store, opened on first use and again after a failed open: a store that cannot be
 * reached at start-up makes the bot answer "records unavailable" (and /readyz say 503) until it can,
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
 * library when records live in SharePoint; the PostgreSQL database when the working state lives there,
 * since replicas each have their own disk and files beside one would be seen by it alone; else files
 * beside the SQLite file. Opened on first use and again after a failed open, so an unreachable library
 * or database makes each call fail, not the start-up.
 */
export function openDocuments(config: Config, graphFetch?: GraphFetch): OpenedDocuments {
  const sp = config.store.sharepoint;
  const pg = config.store.postgres;
  const connect = async (): Promise<OpenedDocuments> => {
    if (config.store.kind === 'sharepoint' && sp) {
      const { createGraphClient } = load.graph();
      const { SharePointDocuments } = load.sharePointDocuments();
      return SharePointDocuments.open({
        client: createGraphClient(sp, graphFetch),
        siteId: sp.siteId,
        listPrefix: sp.listPrefix,
        send: graphFetch ?? fetch,
        timeoutMs: sp.timeoutMs,
      });
    }
    if (config.store.working !== 'postgres' && config.store.kind !== 'postgres') {
      const { LocalDocuments } = load.localDocuments();
      return LocalDocuments.open(config.store.sqlitePath);
    }
    if (!pg) throw new StoreUnavailableError('DATABASE_URL is not set');
    const { PgDocuments } = load.pgDocuments();
    return PgDocuments.open({
      connectionString: pg.url,
      // A pool beside the store's: documents come seldom, so a few connections of the server's budget.
      poolSize: Math.min(pg.poolSize, 4),
      ...(pg.schema ? { schema: pg.schema } : {}),
    });
  };
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
