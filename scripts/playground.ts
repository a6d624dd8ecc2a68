import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { parse, stringify } from 'yaml';
import { createGraphClient } from '../src/stores/graph';
import { createGraphEmulation, emulatorConfig, type GraphEmulation } from '../test/support/graph-emulation';
import { provision } from './provision';

/**
 * `npm run playground`: the bot in local mode on the embedded store, and the Microsoft 365 Agents
 * Playground (the local Teams client) pointed at it. `--as <role>` opens the client as the person who
 * holds that role in playground.env. The end-to-end tests start the same pair through `startPlayground`.
 */

const ROOT = path.resolve(__dirname, '..');
const PLAYGROUND_CLI = require.resolve('@microsoft/m365agentsplayground/cli.js');
export const PERSONAS = ['requester', 'finance', 'union', 'procurement', 'manager', 'colleague'] as const;
export type Persona = (typeof PERSONAS)[number];

interface PlaygroundUser {
  id: string;
  name: string;
  aadObjectId: string;
  [key: string]: unknown;
}
interface PlaygroundConfig {
  currentUser: PlaygroundUser;
  users: PlaygroundUser[];
  team: { channels: { id: string; name: string }[]; [key: string]: unknown };
  [key: string]: unknown;
}

/** The Playground shows a single channel besides General, so each persona gets the one it works in. */
const CHANNELS: Partial<Record<Persona, { id: string; name: string }>> = {
  finance: { id: '19:microacq-finance@thread.tacv2', name: 'Finance' },
  union: { id: '19:microacq-union@thread.tacv2', name: 'Union consultation' },
};

export interface PlaygroundOptions {
  readonly as?: Persona;
  readonly botPort?: number;
  readonly clientPort?: number;
  /** Where the store, logs and generated client config go. */
  readonly dataDir?: string;
  readonly quiet?: boolean;
  /**
   * Use the bot already running on `botPort` instead of starting one: a second client, acting as another
   * person, in the same tenant and on the same records.
   */
  readonly attach?: boolean;
  /**
   * Keep the records in SharePoint lists on a Graph emulation served on this machine (in memory: the
   * records go when it stops), to see the bot on its production store without a tenant.
   */
  readonly sharepoint?: boolean;
  /**
   * Run the bot on a moved clock (libfaketime, Debian's `faketime` package): the file holds its offset
   * (`+0d`, `+15d`), read at every clock call, so a test can let days pass for the bot alone.
   */
  readonly clockFile?: string;
  /** Seconds between the bot's scheduler ticks (closing consultations and applications, reminders). */
  readonly schedulerSeconds?: number;
}

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/** The environment that moves the bot's wall clock by the file's offset; timers keep real time. */
function movedClock(clockFile: string | undefined): Record<string, string> {
  if (!clockFile) return {};
  if (!existsSync(LIBFAKETIME)) throw new Error(`a moved clock needs libfaketime (${LIBFAKETIME})`);
  return {
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME_TIMESTAMP_FILE: clockFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

export interface RunningPlayground {
  readonly url: string;
  readonly botUrl: string;
  /** With `sharepoint`: where the Graph emulation answers, its site, and the emulation (for tests). */
  readonly graph?: { readonly endpoint: string; readonly siteId: string; readonly emulation: GraphEmulation };
  readonly user: PlaygroundUser;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** The person the client acts as: the file's current user for "requester", else the role holder. */
export function configFor(
  persona: Persona,
  yml: PlaygroundConfig,
  env: Record<string, string>,
): PlaygroundConfig {
  const everyone = [yml.currentUser, ...yml.users];
  const roleIds = (role: string) => (env[`ROLE_${role.toUpperCase()}`] ?? '').split(',').map((s) => s.trim());
  const holdsRole = (u: PlaygroundUser) =>
    ['finance', 'union', 'procurement', 'manager'].some((r) => roleIds(r).includes(u.aadObjectId));
  const pick: Record<Persona, () => PlaygroundUser | undefined> = {
    requester: () => yml.currentUser,
    colleague: () => yml.users.find((u) => !holdsRole(u)),
    finance: () => everyone.find((u) => roleIds('finance').includes(u.aadObjectId)),
    union: () => everyone.find((u) => roleIds('union').includes(u.aadObjectId)),
    procurement: () => everyone.find((u) => roleIds('procurement').includes(u.aadObjectId)),
    manager: () => everyone.find((u) => roleIds('manager').includes(u.aadObjectId)),
  };
  const user = pick[persona]();
  if (!user) throw new Error(`no one in .m365agentsplayground.yml plays ${persona} (see playground.env)`);
  const channel = CHANNELS[persona];
  return {
    ...yml,
    currentUser: user,
    users: everyone.filter((u) => u !== user),
    team: channel ? { ...yml.team, channels: [channel] } : yml.team,
  };
}

/** The Graph emulation of the tests, served on loopback, with the bot's lists provisioned on it. */
async function startGraphEmulation(): Promise<{
  endpoint: string;
  siteId: string;
  emulation: GraphEmulation;
  close(): Promise<void>;
}> {
  const emulation = createGraphEmulation();
  const served = await emulation.serve();
  await provision(
    createGraphClient(emulatorConfig(emulation.siteId, served.url)),
    emulation.siteId,
    'Microacq',
  );
  return { endpoint: served.url, siteId: emulation.siteId, emulation, close: served.close };
}

async function waitUntilUp(
  url: string,
  child: ChildProcess | undefined,
  what: string,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not answer at ${url} within ${ms / 1000} s`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startPlayground(options: PlaygroundOptions = {}): Promise<RunningPlayground> {
  const persona = options.as ?? 'requester';
  const dataDir = path.resolve(options.dataDir ?? path.join(ROOT, 'data'));
  mkdirSync(dataDir, { recursive: true });
  const env = parseEnv(readFileSync(path.join(ROOT, 'playground.env'), 'utf8')) as Record<string, string>;
  const botPort = options.botPort ?? Number(env.PORT ?? 3978);
  const clientPort = options.clientPort ?? 56150;
  const yml = parse(readFileSync(path.join(ROOT, '.m365agentsplayground.yml'), 'utf8')) as PlaygroundConfig;
  const config = configFor(persona, yml, env);
  const configPath = path.join(dataDir, `playground-${persona}.yml`);
  writeFileSync(configPath, stringify(config));
  const output = options.quiet ? 'ignore' : 'inherit';
  const graph = options.sharepoint && !options.attach ? await startGraphEmulation() : undefined;

  const bot = options.attach
    ? undefined
    : spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/index.ts')], {
        cwd: ROOT,
        env: {
          ...process.env,
          ...env,
          PORT: String(botPort),
          HOST: '127.0.0.1',
          SQLITE_PATH: path.join(dataDir, path.basename(env.SQLITE_PATH ?? 'playground.db')),
          MICROSOFT_APP_ID: '',
          ...(options.schedulerSeconds
            ? { SCHEDULER_INTERVAL_SECONDS: String(options.schedulerSeconds) }
            : {}),
          ...movedClock(options.clockFile),
          ...(graph
            ? {
                STORE: 'sharepoint',
                SHAREPOINT_SITE_ID: graph.siteId,
                GRAPH_AUTH: 'emulator',
                GRAPH_ENDPOINT: graph.endpoint,
              }
            : {}),
        },
        stdio: ['ignore', output, output],
      });
  const botUrl = `http://127.0.0.1:${botPort}`;
  // The client exits at once when started in the background with an open stdin: give it none.
  const client = spawn(
    process.execPath,
    [
      PLAYGROUND_CLI,
      'start',
      '-e',
      `${botUrl}/api/messages`,
      '-c',
      'msteams',
      '--dt',
      '-p',
      String(clientPort),
    ],
    {
      cwd: dataDir,
      env: {
        ...process.env,
        TEAMSAPPTESTER_BROWSER: 'none',
        M365_AGENTS_PLAYGROUND_CONFIG_PATH: configPath,
        M365_AGENTS_PLAYGROUND_LOGFILE: path.join(dataDir, `playground-client-${persona}.log`),
      },
      stdio: ['ignore', output, output],
    },
  );
  const stop = async () => {
    await Promise.all([stopChild(client), ...(bot ? [stopChild(bot)] : [])]);
    await graph?.close();
  };
  try {
    await waitUntilUp(`${botUrl}/readyz`, bot, 'The bot');
    await waitUntilUp(`http://127.0.0.1:${clientPort}/_debug/ping`, client, 'The Playground');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `http://localhost:${clientPort}`,
    botUrl,
    user: config.currentUser,
    dataDir,
    stop,
    ...(graph
      ? { graph: { endpoint: graph.endpoint, siteId: graph.siteId, emulation: graph.emulation } }
      : {}),
  };
}

function parseArgs(argv: readonly string[]): PlaygroundOptions {
  const options: {
    as?: Persona;
    clientPort?: number;
    botPort?: number;
    attach?: boolean;
    sharepoint?: boolean;
  } = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--attach' || flag === '--sharepoint') {
      options[flag === '--attach' ? 'attach' : 'sharepoint'] = true;
      continue;
    }
    if (flag === '--as' && PERSONAS.includes(value as Persona)) options.as = value as Persona;
    else if (flag === '--port' && value) options.clientPort = Number(value);
    else if (flag === '--bot-port' && value) options.botPort = Number(value);
    else
      throw new Error(
        `usage: npm run playground -- [--as ${PERSONAS.join('|')}] [--port N] [--bot-port N] [--attach] [--sharepoint]`,
      );
    i++;
  }
  return options;
}

async function main(): Promise<void> {
  const running = await startPlayground(parseArgs(process.argv.slice(2)));
  console.log(
    running.graph
      ? `\nMicroacq keeps its records in SharePoint lists on a Graph emulation at ${running.graph.endpoint} (in memory).`
      : `\nMicroacq is running on the embedded store (${running.dataDir}).`,
  );
  console.log(`Open the local Teams client: ${running.url}`);
  console.log(
    `Posted requests' public pages: ${running.botUrl}/en/opportunities and ${running.botUrl}/fr/possibilites`,
  );
  console.log(`E-mails to suppliers and subscribers (local mailbox): ${running.botUrl}/mailbox`);
  console.log(
    `You are ${running.user.name}. Say "new" to request work, or "help" to see every command ("langue français" for French). Press Ctrl+C to stop.\n`,
  );
  const shutdown = () => void running.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
