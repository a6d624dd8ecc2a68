import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { builtBot, Child, procStatus } from './process';
import { fieldsFromContent, fieldsOf, FORM_STEPS, type IntakeFields } from '../src/services/intake';
import type { Store } from '../src/services/store';
import { openPgStore } from '../src/stores/pg-store';
import { SqliteStore } from '../src/stores/sqlite-store';
import { actor, contentAt, newOpportunity } from '../test/contract/fixtures';
import { dropRunDatabase, freshSchema } from '../test/support/postgres';
import { type RoundRobin, startRoundRobin } from '../test/support/round-robin';
import { activity, CHECKED, PEOPLE, ROLE_ENV } from '../test/support/teams';

/**
 * `npm run bench -- load`: Microacq under load through POST /api/messages, against a bare botbuilder
 * echo bot on the same adapter and HTTP server, in the same run. Both run as child processes (so each
 * one's memory is its own), in local mode, with a capturing connector in this process standing in for
 * Teams' service URL: replies, and the outbox's cards and lines, are really sent and answered.
 *
 * Load: autocannon, at a fixed offered load (200 activities/s over 10 connections) and at saturation
 * (50 connections, no rate). Latency is timed per response from autocannon's own clock, 2xx only,
 * without its coordinated-omission correction (which assumes a 1 ms interval at these rates).
 * Targets: approval click p99 ≤ 1.5 × echo invoke p99 at 200/s, and ≤ 4 × at 50 connections; approval
 * throughput ≥ 33 % of echo invoke throughput at 50 connections; peak RSS of the bot ≤ 250 MB; no request
 * failed and every click's decision recorded. The bot runs as `npm start` runs it: the compiled build, with
 * the start script's Node options.
 *
 * The bot is measured as deployed three ways (BENCH_LOAD_STORES picks some: sqlite,pg,pg2): one process
 * on SQLite, one on PostgreSQL, and two on one PostgreSQL schema behind a round-robin proxy, each with its
 * own store seeded alike, all against the one echo bot of the run.
 */

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_LOAD_RATE ?? 200);
const RATE_CONNECTIONS = 10;
const SATURATION_CONNECTIONS = 50;
/** Records waiting for procurement's decision: each approval click decides a different one. */
const RECORDS = Number(process.env.BENCH_LOAD_RECORDS ?? 20_000);
/** Complete drafts waiting for their submit button: each submission sends a different one. */
const SUBMIT_DRAFTS = Number(process.env.BENCH_LOAD_DRAFTS ?? 10_000);
/** People filling in the form, one draft each, so that no two steps wait on the same draft. */
const INTAKE_PEOPLE = 1_000;
/**
 * The bots' log level: `info` logs every activity with the time it took inside the bot, which the run
 * then reports beside autocannon's, to tell time spent handling from time spent waiting to be read.
 */
const BOT_LOG_LEVEL = process.env.BENCH_LOAD_BOT_LOG_LEVEL ?? 'warn';
/** Some activities only, by row name, comma-separated, on every deployment (e.g. to profile one). */
const ONLY = (process.env.BENCH_LOAD_ONLY ?? '').split(',').filter(Boolean);
const BRANCHES = ['Benefits Delivery', ...Array.from({ length: 39 }, (_, i) => `Branch ${i + 1}`)];
const CHANNELS = {
  CHANNEL_PROCUREMENT: '19:procurement@thread.tacv2',
  CHANNEL_FINANCE: '19:finance@thread.tacv2',
  CHANNEL_UNION: '19:union@thread.tacv2',
  CHANNEL_UPDATES: '19:updates@thread.tacv2',
};

/** Each handled activity's `durationMs` from a bot's JSON log lines, sorted. */
function inBotDurations(lines: readonly string[]): number[] {
  const durations: number[] = [];
  for (const line of lines) {
    if (!line.includes('"durationMs"')) continue;
    const { msg, durationMs } = JSON.parse(line) as { msg?: string; durationMs?: number };
    if (msg === 'activity' && typeof durationMs === 'number') durations.push(durationMs);
  }
  return durations.sort((a, b) => a - b);
}

/** Stands in for the Bot Connector service: answers every send and update as Teams does, and counts. */
class CapturingConnector {
  readonly counts = { post: 0, put: 0, other: 0 };
  url = '';
  private readonly server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const kind = req.method === 'POST' ? 'post' : req.method === 'PUT' ? 'put' : 'other';
      this.counts[kind] += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `sent-${this.counts.post + this.counts.put + this.counts.other}` }));
    });
  });

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get total(): number {
    return this.counts.post + this.counts.put + this.counts.other;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** What a child wrote to its log, less Node's deprecation notices (restify reads a deprecated binding). */
function logLines(child: Child): string[] {
  return readFileSync(child.logFile ?? '', 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !/DeprecationWarning|--trace-deprecation/.test(line));
}

/** CPU time the process has used so far, in clock ticks (1/100 s). */
function cpuTicks(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Waits (up to a minute) until the servers have worked off what the last row left them — requests
 * autocannon stopped waiting for are still handled — so that the next row, often on another process,
 * does not share the CPU with them. Idle here means under a fifth of a core in all: the outbox senders
 * keep sending at Teams' pace.
 */
async function settle(children: readonly Child[]): Promise<void> {
  const used = () => children.reduce((sum, child) => sum + cpuTicks(child.pid), 0);
  const deadline = Date.now() + 60_000;
  let before = used();
  do {
    await new Promise((r) => setTimeout(r, 500));
    const now = used();
    if (now - before <= 10) return;
    before = now;
  } while (Date.now() < deadline);
}

interface Figures {
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
  readonly ok: number;
  /** Non-2xx answers, socket errors and timeouts. */
  readonly failed: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

type Load = { readonly connections: number; readonly rate?: number; readonly seconds?: number };

/** Posts the activities `next` builds, one new body per request, at the given load. */
async function drive(url: string, next: () => string, load: Load & { amount?: number }): Promise<Figures> {
  const latencies: number[] = [];
  let failed = 0;
  const options: autocannon.Options = {
    url,
    connections: load.connections,
    ...(load.rate ? { overallRate: load.rate } : {}),
    ...(load.amount ? { amount: load.amount } : { duration: load.seconds ?? SECONDS }),
    requests: [
      {
        method: 'POST',
        path: '/api/messages',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: next() }),
      },
    ],
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err: unknown, done) => (err ? reject(err) : resolve(done)));
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
      else failed += 1;
    });
  });
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    perSecond: latencies.length / result.duration,
    ok: latencies.length,
    failed: failed + result.errors + result.timeouts,
  };
}

/** Hands out `items` in turn (again from the first after the last), counting how many were taken. */
function pool<T>(items: readonly T[]): { next: () => T; readonly used: number } {
  let i = 0;
  return {
    next: () => items[i++ % items.length] as T,
    get used() {
      return i;
    },
  };
}

interface Seeded {
  readonly references: string[];
  readonly intakeDrafts: { owner: string; id: string }[];
  readonly submitDrafts: { owner: string; id: string }[];
  readonly fields: IntakeFields;
}

/** What departments ask for, the words of the seeded titles. */
const VOCABULARY = (
  'accessibility form export payroll search map api login report dashboard translation csv pdf upload ' +
  'calendar notification email archive scheduler importer parser validator chart table filter sort ' +
  'pagination cache queue retry webhook plugin theme layout keyboard screen reader contrast caption ' +
  'video audio transcript glossary terminology dictionary spelling grammar metadata catalogue dataset ' +
  'geospatial boundary postal address lookup geocoder weather forecast river flood wildfire permit ' +
  'licence inspection grant benefit pension claim appeal tribunal hearing docket registry passport ' +
  'visa border customs tariff invoice receipt ledger budget forecast audit procurement contract supplier ' +
  'inventory asset vehicle fleet maintenance ticket helpdesk chatbot survey feedback consent privacy ' +
  'retention records library museum collection heritage parks trails campground reservation booking'
).split(' ');

/**
 * A request's title, three words of the vocabulary drawn from its number: a branch's requests share a word
 * now and then and a title rarely, as real ones do. (Titles that all shared their words would make every
 * request of a branch "similar" and the look-back list all 500 of them: a worst case, not a department.)
 */
function titleOf(i: number): string {
  const pick = (k: number) =>
    VOCABULARY[(Math.imul(i + 1, 2654435761 + k * 40503) >>> 7) % VOCABULARY.length];
  return `${pick(1)} ${pick(2)} ${pick(3)} ${i}`;
}

/** The bot's store before it starts: requests waiting for procurement, drafts half and fully filled in. */
async function seed(store: Store): Promise<Seeded> {
  const at = new Date().toISOString();
  const fields = fieldsFromContent(contentAt(at));
  const references: string[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const requester = actor(`bench-requester-${i % 500}`, `Requester ${i % 500}`);
    const record = await store.create(
      newOpportunity({
        at,
        requester,
        branch: BRANCHES[i % BRANCHES.length],
        title: titleOf(i),
      }),
      {
        at,
        actor: { aadObjectId: requester.id, name: requester.name },
        action: 'submit',
        outcome: 'applied',
      },
      `seed-${i}`,
    );
    references.push(record.reference);
  }
  const drafts = async (prefix: string, count: number, step: string) => {
    const made: { owner: string; id: string }[] = [];
    for (let i = 0; i < count; i++) {
      const draft = { owner: `${prefix}-${i}`, id: randomUUID() };
      await store.saveDraft({ id: draft.id, ownerId: draft.owner, step, data: { fields }, updatedAt: at });
      made.push(draft);
    }
    return made;
  };
  const intakeDrafts = await drafts('bench-intake', INTAKE_PEOPLE, 'basics');
  const submitDrafts = await drafts('bench-submit', SUBMIT_DRAFTS, 'review');
  return { references, intakeDrafts, submitDrafts, fields };
}

/** Where a deployment's bots keep their state: their env for it, and the same store opened here. */
interface Site {
  readonly env: Record<string, string>;
  open(): Promise<Store>;
}

/** Replicas sharing PostgreSQL must sign forms alike; any secret will do for a run. */
const SITE_SECRET = randomBytes(32).toString('base64url');

const sqliteSite = async (dir: string): Promise<Site> => {
  const file = path.join(dir, 'bot.db');
  return { env: { STORE: 'sqlite', SQLITE_PATH: file }, open: async () => SqliteStore.open(file) };
};

/** A fresh schema in this run's own database (dropped at the end). */
const postgresSite = async (): Promise<Site> => {
  const { url, schema } = await freshSchema();
  return {
    env: { STORE: 'postgres', DATABASE_URL: url, DATABASE_SCHEMA: schema, SITE_SECRET },
    open: () => openPgStore({ connectionString: url, schema }),
  };
};

/** How the bot is deployed: `label` marks its rows; replicas share one store behind a round robin. */
const DEPLOYMENTS = [
  { key: 'sqlite', label: '', replicas: 1, site: sqliteSite },
  { key: 'pg', label: ' (pg)', replicas: 1, site: postgresSite },
  { key: 'pg2', label: ' (pg ×2)', replicas: 2, site: postgresSite, oneReplica: 'pg' },
] as const;
type Deployment = (typeof DEPLOYMENTS)[number];

const STORES = (process.env.BENCH_LOAD_STORES ?? DEPLOYMENTS.map((d) => d.key).join(','))
  .split(',')
  .filter(Boolean);

const person = (aadObjectId: string) => ({ id: `29:${aadObjectId}`, aadObjectId, name: aadObjectId });

function invoke(
  serviceUrl: string,
  from: ReturnType<typeof person>,
  verb: string,
  data: object,
  channel?: string,
) {
  return JSON.stringify(
    activity(
      'invoke',
      { serviceUrl, from, ...(channel ? { conversationType: 'channel' as const, channel } : {}) },
      { name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb, data } } },
    ),
  );
}

function message(serviceUrl: string, from: ReturnType<typeof person>, text: string) {
  return JSON.stringify(activity('message', { serviceUrl, from }, { text }));
}

/** The bot's activities on one seeded store, each call a new body; the pools count what was handed out. */
function botActivities(seeded: Seeded, serviceUrl: string) {
  const procurement = PEOPLE.procurement;
  const records = pool(seeded.references);
  const lookups = pool([...seeded.references].sort(() => Math.random() - 0.5));
  const submits = pool(seeded.submitDrafts);
  let intakeCount = 0;
  const kinds = {
    'intake step': () => {
      const i = intakeCount++;
      const draft = seeded.intakeDrafts[i % seeded.intakeDrafts.length] ?? { owner: '', id: '' };
      const step = FORM_STEPS[Math.floor(i / seeded.intakeDrafts.length) % FORM_STEPS.length] ?? 'basics';
      const values = Object.fromEntries(fieldsOf(step).map((f) => [f, seeded.fields[f] ?? '']));
      return invoke(serviceUrl, person(draft.owner), 'intake.next', { draftId: draft.id, step, ...values });
    },
    submission: () => {
      const draft = submits.next();
      return invoke(serviceUrl, person(draft.owner), 'intake.submit', { draftId: draft.id });
    },
    'approval click': () =>
      invoke(
        serviceUrl,
        procurement,
        'decide',
        { reference: records.next(), version: '1', action: 'vet_go', ...CHECKED },
        'procurement',
      ),
    'status <reference>': () => message(serviceUrl, procurement, `status ${lookups.next()}`),
    list: () => message(serviceUrl, procurement, 'list'),
  };
  return { kinds, records, submits };
}

/** A deployment running: its bot processes, the URL requests go to, and its activities. */
interface Running extends ReturnType<typeof botActivities> {
  readonly deployment: Deployment;
  readonly site: Site;
  readonly seeded: Seeded;
  readonly replicas: Child[];
  readonly balancer?: RoundRobin;
  readonly url: string;
}

/** A row of the table: one kind of activity sent to one server (`run` unless the echo bot's). */
interface Row {
  readonly name: string;
  readonly url: string;
  readonly next: () => string;
  readonly run?: Running;
}

/** How many times the store holds each of `items` (`count`): in all, and how many none or more than once. */
async function tally<T>(items: readonly T[], count: (item: T) => Promise<number>) {
  const found = { total: 0, none: 0, many: 0 };
  for (const item of items) {
    const n = await count(item);
    found.total += n;
    if (n === 0) found.none += 1;
    if (n > 1) found.many += 1;
  }
  return found;
}

/**
 * What the store holds after the run, read back through the Store interface so that every store is
 * checked alike: the decision of each request clicked, the request of each draft submitted, the outbox.
 */
async function readBack(run: Running) {
  const store = await run.site.open();
  try {
    const decisions = await tally(run.seeded.references.slice(0, run.records.used), async (reference) => {
      const trail = await store.auditTrail(reference);
      return trail.filter((e) => e.action === 'vet_go' && e.outcome === 'applied').length;
    });
    const submissions = await tally(
      run.seeded.submitDrafts.slice(0, run.submits.used),
      async ({ owner }) => (await store.query({ requesterId: owner }, { limit: 2 })).items.length,
    );
    return { decisions, submissions, pending: (await store.outboxCounts()).pending };
  } finally {
    await store.close();
  }
}

const fmt = (n: number, digits = 1) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-CA', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';

const BOT_KINDS = ['approval click', 'intake step', 'submission', 'status <reference>', 'list'] as const;
type BotKind = (typeof BOT_KINDS)[number];
const isBotKind = (kind: string): kind is BotKind => (BOT_KINDS as readonly string[]).includes(kind);

export async function benchLoad(): Promise<void> {
  const unknown = STORES.filter((key) => !DEPLOYMENTS.some((d) => d.key === key));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_LOAD_STORES: no ${unknown.join(', ')}; known: ${DEPLOYMENTS.map((d) => d.key).join(', ')}`,
    );
  }
  const loadAtStart = fmt(loadavg()[0] ?? NaN, 2);
  const dir = mkdtempSync(path.join(tmpdir(), 'microacq-bench-load-'));
  const deployments = DEPLOYMENTS.filter((d) => STORES.includes(d.key));
  const children: Child[] = [];
  const connector = new CapturingConnector();
  const running: Running[] = [];
  try {
    // One after the other: SQLite's writes are synchronous and would starve a PostgreSQL connection's I/O.
    const sites = [];
    for (const deployment of deployments) {
      const site = await deployment.site(dir);
      const store = await site.open();
      try {
        sites.push({ deployment, site, seeded: await seed(store) });
      } finally {
        await store.close();
      }
    }
    await connector.start();
    const started = await builtBot();
    const profile = process.env.BENCH_LOAD_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
    const start = async (name: string, script: string, env: Record<string, string>, args: string[] = []) => {
      const child = await Child.start({
        name,
        script,
        nodeArgs: args,
        env: { ...process.env, ...env },
        ready: '/healthz',
        logFile: path.join(dir, `${name}.log`),
      });
      children.push(child);
      return child;
    };
    const serviceUrl = connector.url;
    const botEnv = {
      MICROSOFT_APP_ID: '',
      LOG_LEVEL: BOT_LOG_LEVEL,
      TEAMS_SERVICE_URL: serviceUrl,
      ...ROLE_ENV,
      ...CHANNELS,
    };
    const echo = await start('echo-bot', path.join(__dirname, 'echo-bot.ts'), { LOG_LEVEL: 'warn' });
    for (const { deployment, site, seeded } of sites) {
      const replicas: Child[] = [];
      for (let i = 1; i <= deployment.replicas; i++) {
        const name = `microacq${deployment.key === 'sqlite' ? '' : `-${deployment.key}`}${deployment.replicas > 1 ? `-${i}` : ''}`;
        const env = { ...botEnv, ...site.env };
        replicas.push(await start(name, started.script, env, [...started.args, ...profile]));
      }
      const balancer = replicas.length > 1 ? await startRoundRobin(replicas.map((r) => r.url)) : undefined;
      const url = balancer?.url ?? replicas[0]?.url ?? '';
      running.push({
        deployment,
        site,
        seeded,
        replicas,
        url,
        ...(balancer ? { balancer } : {}),
        ...botActivities(seeded, serviceUrl),
      });
    }

    const procurement = PEOPLE.procurement;
    // The echo bot reads nothing: any invoke or message of the same shape will do.
    const echoKinds = {
      'echo: invoke': () =>
        invoke(serviceUrl, procurement, 'decide', {
          reference: 'MA-2026-0001',
          version: '1',
          action: 'vet_go',
          ...CHECKED,
        }),
      'echo: message': () => message(serviceUrl, procurement, 'status MA-2026-0001'),
    };
    // Each figure compared with the echo bot's is measured next to it, so that the machine's other work
    // moves both alike; each activity's rows on every deployment follow one another for the same reason.
    const rows = (
      [
        'echo: invoke',
        'approval click',
        'intake step',
        'submission',
        'echo: message',
        'status <reference>',
        'list',
      ] as const
    )
      .filter((kind) => ONLY.length === 0 || ONLY.includes(kind))
      .flatMap<Row>((kind) =>
        isBotKind(kind)
          ? running.map((run) => ({
              name: `${kind}${run.deployment.label}`,
              url: run.url,
              next: run.kinds[kind],
              run,
            }))
          : [{ name: kind, url: echo.url, next: echoKinds[kind] }],
      );

    // Warm-up, not measured: the first requests pay for compilation and the first store reads.
    for (const row of rows) {
      await drive(row.url, row.next, { connections: 10, amount: 200 });
      await settle(children);
    }

    const loads: [string, Load][] = [
      [`${RATE}/s`, { connections: RATE_CONNECTIONS, rate: RATE }],
      [`${SATURATION_CONNECTIONS} connections`, { connections: SATURATION_CONNECTIONS }],
    ];
    const figures = new Map<string, Figures>();
    const sectionRss = new Map<Child, string[]>(children.map((child) => [child, []]));
    for (const [loadName, load] of loads) {
      for (const child of children) child.resetSampled();
      for (const row of rows) {
        figures.set(`${row.name}@${loadName}`, await drive(row.url, row.next, load));
        await settle(children);
      }
      for (const child of children) sectionRss.get(child)?.push(fmt(child.peakSampledRss, 0));
    }
    const peak = new Map(children.map((child) => [child, child.samplePeak()]));
    // What each bot's resident memory is made of at the end: its heap and buffers, or mapped files.
    const parts = running.flatMap((run) =>
      run.replicas.map(
        (child) =>
          `${child.name} ${(['RssAnon', 'RssFile', 'RssShmem'] as const).map((f) => `${f} ${fmt(procStatus(child.pid, f), 0)}`).join(', ')}`,
      ),
    );
    const sentDuringRun = { ...connector.counts };
    for (const child of children) await child.stop();

    console.log(
      `\nLoad through POST /api/messages, ${SECONDS} s per row and load; each bot and the echo bot in child processes of their own (ms, requests/s)`,
    );
    const width = Math.max(20, ...rows.map((row) => row.name.length));
    const header = loads.map(([name]) => `${name.padStart(15)}: p50 |    p99 |   req/s | failed`).join(' | ');
    console.log(`${'activity'.padEnd(width)} | ${header}`);
    for (const row of rows) {
      const cells = loads.map(([loadName]) => {
        const f = figures.get(`${row.name}@${loadName}`);
        if (!f) return '';
        return `${fmt(f.p50, 2).padStart(20)} | ${fmt(f.p99, 2).padStart(6)} | ${fmt(f.perSecond, 0).padStart(7)} | ${String(f.failed).padStart(6)}`;
      });
      console.log(`${row.name.padEnd(width)} | ${cells.join(' | ')}`);
    }

    const at = (name: string, load: number) => figures.get(`${name}@${loads[load]?.[0]}`);
    const verdict = (ok: boolean | undefined) => (ok === undefined ? '-' : ok ? 'PASS' : 'FAIL');
    console.log(`\n${'target'.padEnd(72)} | measured | verdict`);
    const target = (name: string, measured: string, ok?: boolean) =>
      console.log(`${name.padEnd(72)} | ${measured.padStart(8)} | ${verdict(ok)}`);
    for (const { deployment, replicas } of running) {
      const click = `approval click${deployment.label}`;
      const p99Ratio = (at(click, 0)?.p99 ?? NaN) / (at('echo: invoke', 0)?.p99 ?? NaN);
      const throughputRatio = (at(click, 1)?.perSecond ?? NaN) / (at('echo: invoke', 1)?.perSecond ?? NaN);
      const tailRatio = (at(click, 1)?.p99 ?? NaN) / (at('echo: invoke', 1)?.p99 ?? NaN);
      target(`${click}: p99 ≤ 1.5 × echo invoke p99 at ${RATE}/s`, `${fmt(p99Ratio, 2)} ×`, p99Ratio <= 1.5);
      target(
        `${click}: p99 ≤ 4 × echo invoke p99 at ${SATURATION_CONNECTIONS} connections`,
        `${fmt(tailRatio, 2)} ×`,
        tailRatio <= 4,
      );
      target(
        `${click}: req/s ≥ 33 % of echo invoke req/s at ${SATURATION_CONNECTIONS} connections`,
        `${fmt(throughputRatio * 100, 0)} %`,
        throughputRatio >= 0.33,
      );
      if ('oneReplica' in deployment) {
        const one = `approval click${DEPLOYMENTS.find((d) => d.key === deployment.oneReplica)?.label ?? ''}`;
        // At both loads: at 200/s offered, a bot that cannot keep up serves what it can.
        loads.forEach(([loadName], i) => {
          const scaling = (at(click, i)?.perSecond ?? NaN) / (at(one, i)?.perSecond ?? NaN);
          target(`${click}: req/s ÷ one replica's (${one}) at ${loadName}`, `${fmt(scaling, 2)} ×`);
        });
      }
      for (const child of replicas) {
        const rss = peak.get(child) ?? NaN;
        target(`${child.name} peak RSS ≤ 250 MB`, `${fmt(rss, 0)} MB`, rss <= 250);
      }
    }

    console.log(
      '\nMemory (MB)        | at start | highest sampled at ' +
        loads.map(([n]) => n).join(' | ') +
        ' | peak (VmHWM)',
    );
    for (const child of children) {
      console.log(
        `${child.name.padEnd(18)} | ${fmt(child.startRss, 0).padStart(8)} | ${(sectionRss.get(child) ?? []).join(' | ')} | ${fmt(peak.get(child) ?? NaN, 0)}`,
      );
    }
    console.log(`Each bot's resident memory at the end (MB): ${parts.join('; ')}`);
    for (const run of running) {
      const back = await readBack(run);
      const failed = rows
        .filter((row) => row.run === run)
        .flatMap((row) => loads.map(([n]) => figures.get(`${row.name}@${n}`)?.failed ?? 0))
        .reduce((sum, n) => sum + n, 0);
      console.log(
        `Real work${run.deployment.label}: ${back.decisions.total} decisions recorded for ${run.records.used} approval clicks (${RECORDS} requests waiting; ` +
          `${back.decisions.many} requests decided more than once, ${back.decisions.none} clicked but not decided); ` +
          `${back.submissions.total} requests created by ${run.submits.used} submissions (${SUBMIT_DRAFTS} drafts ready; ` +
          `${back.submissions.many} drafts sent more than once, ${back.submissions.none} not sent); ` +
          `${failed} requests failed; ${back.pending} outbox messages still waiting for Teams' pacing at the end.`,
      );
      target(
        `every click decided once, every request answered${run.deployment.label}`,
        `${failed} failed`,
        failed === 0 && back.decisions.many === 0 && back.decisions.none === 0,
      );
      if (run.balancer) {
        const served = run.replicas.map(
          (child) => `${child.name} ${run.balancer?.served.get(child.url) ?? 0}`,
        );
        console.log(`Requests served through the round robin: ${served.join(', ')}`);
      }
      if (run.records.used > RECORDS || run.submits.used > SUBMIT_DRAFTS)
        console.log(
          'Some clicks or submissions reused a request or a draft: raise BENCH_LOAD_RECORDS / BENCH_LOAD_DRAFTS.',
        );
    }
    console.log(
      `The connector received ${sentDuringRun.post} posts and ${sentDuringRun.put} updates from all the bots.`,
    );
    console.log(
      `Machine load average (1 min) at the start and the end: ${loadAtStart} / ${fmt(loadavg()[0] ?? NaN, 2)}`,
    );
    for (const child of children) {
      const lines = logLines(child);
      const handled = inBotDurations(lines);
      if (handled.length > 0)
        console.log(
          `${child.name}: time inside the bot per activity (its log's durationMs, from the body read to the answer), ` +
            `${handled.length} activities: p50 ${fmt(percentile(handled, 50), 1)} ms, p99 ${fmt(percentile(handled, 99), 1)} ms, ` +
            `max ${fmt(handled.at(-1) ?? NaN, 1)} ms`,
        );
      else if (lines.length > 0)
        console.log(`${child.name} wrote ${lines.length} lines, the first: ${lines[0]}`);
    }
    if (profile.length > 0) console.log(`CPU profiles of the bots: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  } finally {
    for (const child of children) await child.stop();
    for (const run of running) await run.balancer?.close();
    await connector.close();
    await dropRunDatabase();
  }
}
