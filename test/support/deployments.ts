import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import type { Store } from '../../src/services/store';
import { openPgStore } from '../../src/stores/pg-store';
import { SqliteStore } from '../../src/stores/sqlite-store';
import { freshSchema } from './postgres';
import { type BotProcess, readyUrl, startProcess } from './process';
import { type RoundRobin, startRoundRobin } from './round-robin';

/**
 * The bot as it is deployed, for the suites that kill it: one process on the embedded SQLite file, or
 * two replicas on one PostgreSQL database behind a round-robin proxy. The suite sees one URL, kills "a
 * process", and reads what the bot kept through the store and its outbox table.
 */
export interface Deployment {
  /** Starts the bot; resolves with the one URL Teams' requests go to. */
  start(env: Record<string, string>): Promise<string>;
  /** SIGKILLs one process (the first replica) while it works; resolves once it is dead. */
  kill(): Promise<void>;
  /** Brings the killed process back (a restart, or the replica rejoining); resolves with the URL. */
  recover(): Promise<string>;
  /** Opens the bot's store from the test's side; the caller closes it. */
  openStore(): Promise<Store>;
  /** Every outbox message: what was queued, in what state. */
  outbox(): Promise<readonly OutboxRow[]>;
  /** How many saved changes still wait for their messages to be queued (the scheduler's catch-up). */
  changesUntold(): Promise<number>;
  /** Stops every process (SIGTERM, SIGKILL after a while) and the proxy. */
  stop(): Promise<void>;
}

export interface OutboxRow {
  readonly id: string;
  readonly kind: string;
  readonly state: string;
  readonly activity: Record<string, unknown>;
  /**
   * The message may have been in the killed process's hands: leased to it, or (one process) pending at
   * all. Only such a message may reach Teams twice; a surviving replica's sends are its own to mark.
   */
  readonly heldByKilled: boolean;
}

export interface DeploymentKind {
  readonly name: string;
  make(): Promise<Deployment>;
}

async function stopProcess(bot: BotProcess | undefined): Promise<void> {
  if (!bot || bot.child.exitCode !== null || bot.child.signalCode !== null) return;
  bot.child.kill('SIGTERM');
  const timer = setTimeout(() => bot.child.kill('SIGKILL'), 10_000);
  await bot.exited;
  clearTimeout(timer);
}

async function killProcess(bot: BotProcess | undefined): Promise<void> {
  if (!bot) return;
  bot.child.kill('SIGKILL');
  await bot.exited;
}

export const ON_SQLITE: DeploymentKind = {
  name: 'one process on SQLite',
  make: async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'microacq-deploy-')), 'bot.db');
    let env: Record<string, string> = {};
    let bot: BotProcess | undefined;
    const launch = () => {
      bot = startProcess({ PORT: '0', SQLITE_PATH: file, LOG_LEVEL: 'info', ...env });
      return readyUrl(bot);
    };
    /** The bot's file opened read-only beside it, for one look. */
    const reading = <T>(look: (db: Database.Database) => T): T => {
      const db = new Database(file, { readonly: true });
      try {
        return look(db);
      } finally {
        db.close();
      }
    };
    return {
      start: (e) => {
        env = e;
        return launch();
      },
      kill: () => killProcess(bot),
      recover: launch,
      openStore: async () => SqliteStore.open(file),
      outbox: async () =>
        reading((db) =>
          (
            db.prepare('SELECT id, kind, state, activity FROM outbox').all() as (Omit<
              OutboxRow,
              'activity' | 'heldByKilled'
            > & {
              activity: string;
            })[]
          ).map((r) => ({
            ...r,
            activity: JSON.parse(r.activity) as Record<string, unknown>,
            heldByKilled: r.state === 'pending',
          })),
        ),
      changesUntold: async () =>
        reading(
          (db) => (db.prepare('SELECT count(*) AS n FROM pending_notifications').get() as { n: number }).n,
        ),
      stop: () => stopProcess(bot),
    };
  },
};

/** Replicas on one database, as production runs them; the site's form secret is shared, as it must be. */
export const ON_POSTGRES_REPLICAS: DeploymentKind = {
  name: 'two replicas on PostgreSQL behind a round-robin proxy',
  make: async () => {
    // The schema goes with the run database at the end of the run.
    const { url, schema } = await freshSchema();
    const secret = randomBytes(32).toString('base64url');
    let env: Record<string, string> = {};
    const replicas: (BotProcess | undefined)[] = [undefined, undefined];
    const urls: string[] = ['', ''];
    let proxy: RoundRobin | undefined;
    // A replica's lease owner is `host:pid:random` (src/bot/replica.ts).
    let killedPid: number | undefined;
    const launch = async (i: number): Promise<void> => {
      const bot = startProcess({
        PORT: '0',
        STORE: 'postgres',
        DATABASE_URL: url,
        DATABASE_SCHEMA: schema,
        SITE_SECRET: secret,
        LOG_LEVEL: 'info',
        ...env,
      });
      replicas[i] = bot;
      urls[i] = await readyUrl(bot);
    };
    const withPool = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
      const client = new Client({ connectionString: url, options: `-c search_path=${schema}` });
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end();
      }
    };
    return {
      start: async (e) => {
        env = e;
        // One after the other: the first migrates the schema, as a rolling deploy would.
        await launch(0);
        await launch(1);
        proxy = await startRoundRobin(urls);
        return proxy.url;
      },
      kill: () => {
        killedPid = replicas[0]?.child.pid;
        return killProcess(replicas[0]);
      },
      recover: async () => {
        await launch(0);
        proxy?.route(urls);
        return proxy?.url ?? '';
      },
      openStore: () => openPgStore({ connectionString: url, schema }),
      outbox: () =>
        withPool(async (client) => {
          const { rows } = await client.query<{
            id: string;
            kind: string;
            state: string;
            activity: unknown;
            lease_owner: string | null;
          }>('SELECT id, kind, state, activity, lease_owner FROM outbox');
          return rows.map(({ lease_owner, ...r }) => ({
            ...r,
            activity: (typeof r.activity === 'string' ? JSON.parse(r.activity) : r.activity) as Record<
              string,
              unknown
            >,
            heldByKilled:
              r.state === 'pending' && killedPid !== undefined && !!lease_owner?.includes(`:${killedPid}:`),
          }));
        }),
      changesUntold: () =>
        withPool(async (client) => {
          const { rows } = await client.query<{ n: string }>(
            'SELECT count(*) AS n FROM pending_notifications',
          );
          return Number(rows[0]?.n ?? 0);
        }),
      stop: async () => {
        await Promise.all(replicas.map(stopProcess));
        await proxy?.close();
        proxy = undefined;
      },
    };
  },
};
