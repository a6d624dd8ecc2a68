import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { fieldsFromContent, fieldsOf, FORM_STEPS, type IntakeFields } from '../src/services/intake';
import { SqliteStore } from '../src/stores/sqlite-store';
import { actor, contentAt, newOpportunity } from '../test/contract/fixtures';
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
 * Targets: approval click p99 ≤ 1.5 × echo invoke p99 at 200/s; approval throughput ≥ 50 % of echo
 * invoke throughput at 50 connections; peak RSS of the bot ≤ 250 MB.
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
/** Some rows only, by name, comma-separated (e.g. to profile one kind of activity). */
const ONLY = (process.env.BENCH_LOAD_ONLY ?? '').split(',').filter(Boolean);
const BRANCHES = ['Benefits Delivery', ...Array.from({ length: 39 }, (_, i) => `Branch ${i + 1}`)];
const CHANNELS = {
  CHANNEL_PROCUREMENT: '19:procurement@thread.tacv2',
  CHANNEL_FINANCE: '19:finance@thread.tacv2',
  CHANNEL_UNION: '19:union@thread.tacv2',
  CHANNEL_UPDATES: '19:updates@thread.tacv2',
};

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

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile' | 'RssShmem'): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

/** A server under test: a child process, its URL, its output in a file and its memory sampled. */
class Child {
  /** The highest VmRSS sampled (every 100 ms) since the last `resetSampled`. */
  peakSampledRss = 0;
  readonly startRss: number;
  private readonly sampler: NodeJS.Timeout;

  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly proc: ChildProcess,
    readonly logFile: string,
  ) {
    this.sampler = setInterval(() => {
      const rss = procStatus(this.pid, 'VmRSS');
      if (rss > this.peakSampledRss) this.peakSampledRss = rss;
    }, 100);
    this.startRss = procStatus(this.pid, 'VmRSS');
  }

  resetSampled(): void {
    this.peakSampledRss = 0;
  }

  /** What the child wrote, less Node's deprecation notices (restify reads a deprecated binding). */
  output(): string[] {
    return readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !/DeprecationWarning|--trace-deprecation/.test(line));
  }

  static async start(
    name: string,
    script: string,
    env: Record<string, string>,
    dir: string,
    nodeArgs: string[] = [],
  ): Promise<Child> {
    const port = await freePort();
    const logFile = path.join(dir, `${name}.log`);
    const out = createWriteStream(logFile);
    const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
      env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.pipe(out);
    proc.stderr?.pipe(out);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${name} exited (${proc.exitCode}); see ${logFile}`);
      if (Date.now() > deadline) throw new Error(`${name} did not start; see ${logFile}`);
      const ok = await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return new Child(name, url, proc, logFile);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Peak resident memory of the process so far (MB), as the kernel counts it. */
  get peakRss(): number {
    return procStatus(this.pid, 'VmHWM');
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    if (this.proc.exitCode !== null) return;
    this.proc.kill('SIGTERM');
    await once(this.proc, 'exit');
  }
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
  readonly file: string;
  readonly references: string[];
  readonly intakeDrafts: { owner: string; id: string }[];
  readonly submitDrafts: { owner: string; id: string }[];
  readonly fields: IntakeFields;
}

/** The bot's store before it starts: requests waiting for procurement, drafts half and fully filled in. */
async function seed(dir: string): Promise<Seeded> {
  const file = path.join(dir, 'bot.db');
  const store = SqliteStore.open(file);
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
        title: `Load test request ${i}`,
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
  await store.close();
  return { file, references, intakeDrafts, submitDrafts, fields };
}

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

const fmt = (n: number, digits = 1) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-CA', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';

export async function benchLoad(): Promise<void> {
  const loadAtStart = fmt(loadavg()[0] ?? NaN, 2);
  const dir = mkdtempSync(path.join(tmpdir(), 'microacq-bench-load-'));
  const seeded = await seed(dir);
  const connector = new CapturingConnector();
  await connector.start();
  const profile = process.env.BENCH_LOAD_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
  const echo = await Child.start('echo-bot', path.join(__dirname, 'echo-bot.ts'), { LOG_LEVEL: 'warn' }, dir);
  const bot = await Child.start(
    'microacq',
    path.join(__dirname, '..', 'src', 'index.ts'),
    {
      MICROSOFT_APP_ID: '',
      STORE: 'sqlite',
      SQLITE_PATH: seeded.file,
      LOG_LEVEL: 'warn',
      TEAMS_SERVICE_URL: connector.url,
      ...ROLE_ENV,
      ...CHANNELS,
    },
    dir,
    profile,
  );

  const serviceUrl = connector.url;
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
  // moves both alike.
  const rows = [
    { name: 'echo: invoke', child: echo, next: echoKinds['echo: invoke'] },
    { name: 'approval click', child: bot, next: kinds['approval click'] },
    { name: 'intake step', child: bot, next: kinds['intake step'] },
    { name: 'submission', child: bot, next: kinds.submission },
    { name: 'echo: message', child: echo, next: echoKinds['echo: message'] },
    { name: 'status <reference>', child: bot, next: kinds['status <reference>'] },
    { name: 'list', child: bot, next: kinds.list },
  ].filter((row) => ONLY.length === 0 || ONLY.includes(row.name));

  // Warm-up, not measured: the first requests pay for compilation and the first store reads.
  for (const row of rows) await drive(row.child.url, row.next, { connections: 10, amount: 200 });

  const loads: [string, Load][] = [
    [`${RATE}/s`, { connections: RATE_CONNECTIONS, rate: RATE }],
    [`${SATURATION_CONNECTIONS} connections`, { connections: SATURATION_CONNECTIONS }],
  ];
  const figures = new Map<string, Figures>();
  const sectionRss = new Map<string, { bot: number; echo: number }>();
  for (const [loadName, load] of loads) {
    bot.resetSampled();
    echo.resetSampled();
    for (const row of rows) {
      figures.set(`${row.name}@${loadName}`, await drive(row.child.url, row.next, load));
      await new Promise((r) => setTimeout(r, 500));
    }
    sectionRss.set(loadName, { bot: bot.peakSampledRss, echo: echo.peakSampledRss });
  }
  const peak = { bot: bot.peakRss, echo: echo.peakRss };
  // What the bot's resident memory is made of at the end: its heap and buffers, or mapped files.
  const parts = (['RssAnon', 'RssFile', 'RssShmem'] as const).map(
    (f) => `${f} ${fmt(procStatus(bot.pid, f), 0)}`,
  );
  const sentDuringRun = { ...connector.counts };
  await bot.stop();
  await echo.stop();
  await connector.close();

  const db = new Database(seeded.file, { readonly: true });
  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  const decided = count(
    `SELECT count(*) AS n FROM audit_entries WHERE action = 'vet_go' AND outcome = 'applied'`,
  );
  const created = count(
    `SELECT count(*) AS n FROM audit_entries WHERE action = 'submit' AND actor_id LIKE 'bench-submit-%'`,
  );
  const pending = count(`SELECT count(*) AS n FROM outbox WHERE state = 'pending'`);
  db.close();

  console.log(
    `\nLoad through POST /api/messages, ${SECONDS} s per row and load; bot and echo bot each in a child process (ms, requests/s)`,
  );
  const header = loads.map(([name]) => `${name.padStart(15)}: p50 |    p99 |   req/s | failed`).join(' | ');
  console.log(`${'activity'.padEnd(20)} | ${header}`);
  for (const row of rows) {
    const cells = loads.map(([loadName]) => {
      const f = figures.get(`${row.name}@${loadName}`);
      if (!f) return '';
      return `${fmt(f.p50, 2).padStart(20)} | ${fmt(f.p99, 2).padStart(6)} | ${fmt(f.perSecond, 0).padStart(7)} | ${String(f.failed).padStart(6)}`;
    });
    console.log(`${row.name.padEnd(20)} | ${cells.join(' | ')}`);
  }

  const at = (name: string, load: number) => figures.get(`${name}@${loads[load]?.[0]}`);
  const p99Ratio = (at('approval click', 0)?.p99 ?? NaN) / (at('echo: invoke', 0)?.p99 ?? NaN);
  const throughputRatio =
    (at('approval click', 1)?.perSecond ?? NaN) / (at('echo: invoke', 1)?.perSecond ?? NaN);
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  console.log(`\n${'target'.padEnd(62)} | measured | verdict`);
  const target = (name: string, measured: string, ok: boolean) =>
    console.log(`${name.padEnd(62)} | ${measured.padStart(8)} | ${verdict(ok)}`);
  target(`approval p99 ≤ 1.5 × echo invoke p99 at ${RATE}/s`, `${fmt(p99Ratio, 2)} ×`, p99Ratio <= 1.5);
  target(
    `approval req/s ≥ 50 % of echo invoke req/s at ${SATURATION_CONNECTIONS} connections`,
    `${fmt(throughputRatio * 100, 0)} %`,
    throughputRatio >= 0.5,
  );
  target('bot peak RSS ≤ 250 MB', `${fmt(peak.bot, 0)} MB`, peak.bot <= 250);

  console.log(
    '\nMemory (MB)        | at start | highest sampled at ' +
      loads.map(([n]) => n).join(' | ') +
      ' | peak (VmHWM)',
  );
  for (const [name, child] of [
    ['bot', bot],
    ['echo bot', echo],
  ] as const) {
    const sections = loads.map(([n]) => fmt(sectionRss.get(n)?.[name === 'bot' ? 'bot' : 'echo'] ?? NaN, 0));
    console.log(
      `${name.padEnd(18)} | ${fmt(child.startRss, 0).padStart(8)} | ${sections.join(' | ')} | ${fmt(peak[name === 'bot' ? 'bot' : 'echo'], 0)}`,
    );
  }
  console.log(`The bot's resident memory at the end (MB): ${parts.join(', ')}`);
  console.log(
    `Real work: ${decided} decisions recorded for ${records.used} approval clicks (${RECORDS} requests waiting); ` +
      `${created} requests created by ${submits.used} submissions (${SUBMIT_DRAFTS} drafts ready).`,
  );
  console.log(
    `The connector received ${sentDuringRun.post} posts and ${sentDuringRun.put} updates; ${pending} outbox messages were still waiting for Teams' pacing at the end.`,
  );
  if (records.used > RECORDS || submits.used > SUBMIT_DRAFTS)
    console.log(
      'Some clicks or submissions reused a request or a draft: raise BENCH_LOAD_RECORDS / BENCH_LOAD_DRAFTS.',
    );
  console.log(
    `Machine load average (1 min) at the start and the end: ${loadAtStart} / ${fmt(loadavg()[0] ?? NaN, 2)}`,
  );
  for (const child of [bot, echo]) {
    const lines = child.output();
    if (lines.length > 0) console.log(`${child.name} wrote ${lines.length} lines, the first: ${lines[0]}`);
  }
  if (profile.length > 0) console.log(`CPU profile of the bot: ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
