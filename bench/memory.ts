import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { builtBot, Child, procStatus, START_SCRIPT } from './process';
import { type ActionName, decide } from '../src/services/lifecycle';
import type { NewOpportunity, Opportunity } from '../src/services/opportunity';
import type { Actor } from '../src/services/roles';
import { SqliteStore } from '../src/stores/sqlite-store';
import { actor, clockAt, newOpportunity, submittedAudit } from '../test/contract/fixtures';
import { PAYLOAD, TERMS } from '../test/support/opportunities';
import { probeArgs, readProbe } from '../test/support/startup';
import { activity, Connector, PEOPLE, ROLE_ENV } from '../test/support/teams';

/**
 * `npm run bench -- memory`: the compiled bot's memory, built into a directory of its own (once per run, by
 * bench/process.ts) and run as `npm start` runs it (`node <options> dist/index.js`), in local mode on
 * SQLite. About six minutes.
 *
 * 1. Start-up: resident memory once /readyz answers, as built now (the chart's renderer, the export's
 *    writer and the store back ends not in use load when first used) and as before (the same modules
 *    required ahead of dist/index.js, as the static imports loaded them), started in turn, median of
 *    BENCH_MEMORY_STARTS (3); then the heap and the packages loaded, through test/support/startup-probe.mjs.
 * 2. Heap size: BENCH_MEMORY_RECORDS (100,000) records created through the store, nine in ten taken
 *    through the whole workflow to their payment. Then one bot per heap size and per operation: the size
 *    `npm start` sets and BENCH_MEMORY_CAPS (MB, comma separated; `none` for Node's own limit; default
 *    512), and procurement's export (the CSV offered, then written again and uploaded once accepted) or a
 *    manager's summary with its chart, each over every record. Whether it completes within
 *    BENCH_MEMORY_TIMEOUT_S (300), its peak RSS (VmHWM), and the heap's peak and largest live size, from
 *    V8's own trace of each collection (--trace-gc).
 *
 * A size fits comfortably when both operations complete and the largest live heap is at most three
 * quarters of it: room for the requests served meanwhile, and for records longer than the benchmark's.
 */

const RECORDS = Number(process.env.BENCH_MEMORY_RECORDS ?? 100_000);
const STARTS = Number(process.env.BENCH_MEMORY_STARTS ?? 3);
const CAPS = (process.env.BENCH_MEMORY_CAPS ?? '512').split(',').map((c) => c.trim());
const TIMEOUT_MS = Number(process.env.BENCH_MEMORY_TIMEOUT_S ?? 300) * 1000;
/** Live heap over heap size above which a size that works is not comfortable. */
const COMFORT = 0.75;

/** What the modules made lazy used to load at start-up, through the static imports. */
const EAGER = [
  'vega',
  'vega-lite',
  '@resvg/resvg-js',
  'pg',
  '@microsoft/microsoft-graph-client',
  '@azure/identity',
  './dist/services/export',
  './dist/stores/sqlite-store',
  './dist/stores/local-documents',
  './dist/stores/pg-store',
  './dist/stores/pg-documents',
  './dist/stores/graph',
  './dist/stores/sharepoint-store',
  './dist/stores/sharepoint-documents',
];

/** The cap `npm start` gives, if any. */
const CONFIGURED = Number(/--max-old-space-size=(\d+)/.exec(START_SCRIPT)?.[1] ?? NaN);

const mb = (bytes: number) => bytes / 1024 / 1024;
const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-CA', { maximumFractionDigits: digits }) : '-';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Heap figures from V8's --trace-gc lines: "Mark-Compact 180.1 (200.3) -> 150.2 (190.0) MB, …". */
class GcTrace {
  /** The most the heap held, just before a collection. */
  peakUsed = 0;
  /** The most the heap held after a full collection: what was alive. */
  peakLive = 0;
  fullCollections = 0;
  private partial = '';

  feed(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const m =
        /(Scavenge|Mark-Compact|Mark-sweep)[^:]*?\s([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/.exec(line);
      if (!m) continue;
      this.peakUsed = Math.max(this.peakUsed, Number(m[2]));
      if (m[1] !== 'Scavenge') {
        this.fullCollections += 1;
        this.peakLive = Math.max(this.peakLive, Number(m[3]));
      }
    }
  }
}

/**
 * The compiled bot in a child process, once /readyz answers: from the build's directory, which has no `.env`
 * to pick up, with none of this process's environment but PATH.
 */
async function startBot(nodeArgs: string[], env: Record<string, string>, gc?: GcTrace): Promise<Child> {
  const built = await builtBot();
  return Child.start({
    name: 'the bot',
    script: built.script,
    nodeArgs,
    cwd: built.dir,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', LOG_LEVEL: 'warn', ...env },
    ready: '/readyz',
    ...(gc ? { onOutput: (text: string) => gc.feed(text) } : {}),
  });
}

interface Startup {
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly packages: number;
}

/** Start-up memory of the bot, with `nodeArgs` before its entry point. */
async function startupRun(nodeArgs: string[], probe: boolean): Promise<Partial<Startup>> {
  const data = mkdtempSync(path.join(tmpdir(), 'microacq-bench-memory-start-'));
  const out = path.join(data, 'probe.json');
  const bot = await startBot([...(probe ? probeArgs() : []), ...nodeArgs], {
    SQLITE_PATH: path.join(data, 'bot.db'),
    STARTUP_PROBE_OUT: out,
  });
  try {
    // The first timers and the store's first statements run right after readiness.
    await new Promise((r) => setTimeout(r, 1_000));
    if (!probe) {
      return {
        rss: procStatus(bot.pid, 'VmRSS'),
        anon: procStatus(bot.pid, 'RssAnon'),
        file: procStatus(bot.pid, 'RssFile'),
      };
    }
    const reading = await readProbe(bot.proc, out);
    return {
      heapUsed: mb(reading.memory.heapUsed),
      heapTotal: mb(reading.memory.heapTotal),
      packages: reading.packages.length,
    };
  } finally {
    await bot.stop();
    rmSync(data, { recursive: true, force: true });
  }
}

async function startups(): Promise<void> {
  const variants = [
    { name: 'before: chart, export and every store loaded at start', args: EAGER.flatMap((m) => ['-r', m]) },
    { name: 'now: loaded when first used', args: [] as string[] },
    ...(Number.isFinite(CONFIGURED)
      ? [{ name: `now, as npm start (--max-old-space-size=${CONFIGURED})`, args: [capArg(CONFIGURED)] }]
      : []),
  ];
  const runs = variants.map(() => [] as Partial<Startup>[]);
  // Alternately, so that the machine's other work weighs on each alike.
  for (let i = 0; i < STARTS; i++) {
    for (const [v, variant] of variants.entries()) runs[v]?.push(await startupRun(variant.args, false));
  }
  const probed = [];
  for (const variant of variants) probed.push(await startupRun(variant.args, true));

  console.log(
    `\nStart-up of the compiled bot (local mode, SQLite), once /readyz answers; RSS median of ${STARTS} starts (MB)`,
  );
  console.log(
    'variant                                                | RSS   | anon  | file  | heap used | heap total | packages',
  );
  for (const [v, variant] of variants.entries()) {
    const of = (k: 'rss' | 'anon' | 'file') => median((runs[v] ?? []).map((r) => r[k] ?? NaN));
    const p = probed[v] ?? {};
    console.log(
      `${variant.name.padEnd(54)} | ${fmt(of('rss')).padStart(5)} | ${fmt(of('anon')).padStart(5)} | ${fmt(of('file')).padStart(5)} | ${fmt(p.heapUsed ?? NaN).padStart(9)} | ${fmt(p.heapTotal ?? NaN).padStart(10)} | ${fmt(p.packages ?? NaN).padStart(8)}`,
    );
  }
}

const capArg = (cap: number) => `--max-old-space-size=${cap}`;

const PROCUREMENT = actor('bench-procurement', 'Priya Raman', 'procurement');
const FINANCE = actor('bench-finance', 'Farah Haddad', 'finance');
const FINANCE_2 = actor('bench-finance-2', 'Dana Cho', 'finance');
const SYSTEM: Actor = { id: 'system', name: 'Microacq', roles: new Set(['system']) };
const UNION: Actor = { id: 'bench-union', name: 'Samuel Okafor', roles: new Set(['union']) };

/**
 * A request taken through the whole workflow to its payment, by the workflow's own decisions: the largest
 * a record gets (about 5 KB of JSON, three times a new one), and the state most of a department's records
 * end in. Its dates are in the past, and a paid request is past the scheduler's reach.
 */
function paidRequest(): NewOpportunity {
  const at = '2026-03-02T14:00:00.000Z';
  const first = newOpportunity({ at });
  let o: Opportunity = { ...first, reference: 'MA-2026-0001', version: 1 };
  const requester: Actor = { id: first.requester.aadObjectId, name: first.requester.name, roles: new Set() };
  const steps: [ActionName, unknown, Actor, string][] = [
    ['vet_go', PAYLOAD.vet_go, PROCUREMENT, '2026-03-02T15:00:00.000Z'],
    ['approve_funds', PAYLOAD.approve_funds, FINANCE, '2026-03-02T16:00:00.000Z'],
    ['acknowledge', {}, UNION, '2026-03-02T17:00:00.000Z'],
    ['translate', PAYLOAD.translate, PROCUREMENT, '2026-03-02T18:00:00.000Z'],
    ['confirm_translation', PAYLOAD.confirm_translation, PROCUREMENT, '2026-03-02T19:00:00.000Z'],
    ['post', {}, PROCUREMENT, '2026-03-02T20:00:00.000Z'],
    ['close_applications', PAYLOAD.close_applications, SYSTEM, '2026-03-17T14:00:00.000Z'],
    ['record_evaluation', PAYLOAD.record_evaluation, SYSTEM, '2026-03-17T15:00:00.000Z'],
    ['select_supplier', PAYLOAD.select_supplier, PROCUREMENT, '2026-03-18T15:00:00.000Z'],
    [
      'sign_terms',
      { ...(PAYLOAD.sign_terms as object), startDate: '2026-03-20', endDate: '2026-04-30' },
      PROCUREMENT,
      '2026-03-19T15:00:00.000Z',
    ],
    ['countersign_terms', {}, FINANCE, '2026-03-19T16:00:00.000Z'],
    ['deliver', PAYLOAD.deliver, PROCUREMENT, '2026-04-20T15:00:00.000Z'],
    ['accept', {}, requester, '2026-04-21T15:00:00.000Z'],
    [
      'record_invoice',
      {
        ...(PAYLOAD.record_invoice as object),
        invoiceDate: '2026-04-22',
        fundReservationNumber: 'FR-2026-117',
      },
      FINANCE,
      '2026-04-22T15:00:00.000Z',
    ],
    ['certify', {}, FINANCE_2, '2026-04-23T15:00:00.000Z'],
    ['pay', { ...(PAYLOAD.pay as object), paymentDate: '2026-04-24' }, FINANCE, '2026-04-24T15:00:00.000Z'],
  ];
  for (const [action, payload, by, when] of steps) {
    // Countersigning needs the signed terms kept: the document the upload would have attached.
    if (action === 'countersign_terms' && o.terms)
      o = { ...o, terms: { ...o.terms, document: TERMS.document } };
    const outcome = decide(o, action, payload, by, clockAt(when));
    if (!outcome.ok) throw new Error(`the workflow refused ${action}: ${JSON.stringify(outcome.refusal)}`);
    o = { ...outcome.next, updatedAt: when };
  }
  const { reference: _reference, version: _version, ...record } = o;
  return { ...record, referenceYear: first.referenceYear };
}

/**
 * Creates the records through the store: nine in ten paid (see `paidRequest`), one in ten submitted
 * today, spread over 500 requesters and 40 branches.
 */
async function seed(file: string): Promise<void> {
  const store = SqliteStore.open(file);
  const paid = paidRequest();
  const now = new Date().toISOString();
  const started = Date.now();
  for (let i = 0; i < RECORDS; i++) {
    const requester = actor(`bench-requester-${i % 500}`, `Requester ${i % 500}`);
    const title = `Memory benchmark request ${i}`;
    const branch = `Branch ${i % 40}`;
    const record: NewOpportunity =
      i % 10 === 0
        ? newOpportunity({ at: now, requester, branch, title })
        : {
            ...paid,
            title,
            requester: { aadObjectId: requester.id, name: requester.name },
            client: { ...paid.client, branch },
          };
    await store.create(record, submittedAudit(record), `memory-seed-${i}`);
  }
  await store.close();
  console.log(
    `\nSeeded ${fmt(RECORDS)} records through the store (9 in 10 paid, 1 in 10 just submitted) in ${fmt((Date.now() - started) / 1000, 1)} s`,
  );
}

type Operation = 'export' | 'chart';

interface Outcome {
  readonly done: boolean;
  readonly why: string;
  readonly seconds: number;
}

const person = (who: (typeof PEOPLE)[keyof typeof PEOPLE], connector: Connector) => ({
  serviceUrl: connector.url,
  from: who,
  conversationType: 'personal' as const,
});

/** Sends one activity and returns what the bot sent back to the connector for it. */
async function exchange(bot: Child, connector: Connector, body: unknown): Promise<Record<string, unknown>> {
  const before = connector.sent.length;
  const res = await fetch(`${bot.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`answered ${res.status}`);
  return (await connector.waitFor(before + 1, 10_000))[before]?.body ?? {};
}

async function perform(op: Operation, bot: Child, connector: Connector): Promise<void> {
  if (op === 'chart') {
    const sent = JSON.stringify(
      await exchange(
        bot,
        connector,
        activity('message', person(PEOPLE.manager, connector), { text: 'summary' }),
      ),
    );
    if (!sent.includes('data:image/png;base64,')) throw new Error('the summary came without its chart');
    return;
  }
  const where = person(PEOPLE.procurement, connector);
  const offer = JSON.stringify(
    await exchange(bot, connector, activity('message', where, { text: 'export' })),
  );
  if (!offer.includes('file.consent')) throw new Error('no consent card for the export');
  const uploads = connector.uploads.length;
  await exchange(
    bot,
    connector,
    activity('invoke', where, {
      name: 'fileConsent/invoke',
      value: {
        type: 'fileUpload',
        action: 'accept',
        context: { kind: 'microacq.export' },
        uploadInfo: {
          contentUrl: 'https://contoso-my.sharepoint.com/personal/priya/Documents/microacq.csv',
          name: 'microacq.csv',
          uploadUrl: `${connector.url}/upload/memory`,
          fileType: 'csv',
          uniqueId: 'memory-benchmark',
        },
      },
    }),
  );
  const csv = connector.uploads[uploads]?.body;
  if (csv === undefined) throw new Error('nothing was uploaded');
  const rows = csv.split('\r\n').length - 2; // the header, and the empty string after the last line
  if (rows !== RECORDS) throw new Error(`the CSV holds ${rows} records, not ${RECORDS}`);
  connector.uploads.length = 0;
}

interface CapResult extends Outcome {
  readonly cap: number | undefined;
  readonly op: Operation;
  readonly peakRss: number;
  readonly peakHeap: number;
  readonly peakLive: number;
}

async function underCap(
  file: string,
  cap: number | undefined,
  op: Operation,
  connector: Connector,
): Promise<CapResult> {
  const gc = new GcTrace();
  const bot = await startBot(
    [...(cap ? [capArg(cap)] : []), '--trace-gc'],
    { SQLITE_PATH: file, ...ROLE_ENV },
    gc,
  );
  const started = Date.now();
  let outcome: Outcome;
  try {
    const crashed = bot.exited.then(({ code, signal }) => {
      throw new Error(`the bot exited (${signal ?? code})`);
    });
    crashed.catch(() => undefined); // it exits when stopped below, too
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not done in ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
    });
    try {
      await Promise.race([perform(op, bot, connector), crashed, late]);
    } finally {
      clearTimeout(timer);
    }
    outcome = { done: true, why: '', seconds: (Date.now() - started) / 1000 };
  } catch (err) {
    // A request that failed because the process died says so better than its own error.
    await new Promise((r) => setTimeout(r, 200));
    const died = /heap out of memory/i.test(bot.lastOutput) ? 'out of memory' : undefined;
    outcome = {
      done: false,
      why: died ?? (err instanceof Error ? err.message : String(err)),
      seconds: (Date.now() - started) / 1000,
    };
  }
  const peakRss = bot.samplePeak();
  await bot.stop();
  return { ...outcome, cap, op, peakRss, peakHeap: gc.peakUsed, peakLive: gc.peakLive };
}

async function caps(): Promise<void> {
  const data = mkdtempSync(path.join(tmpdir(), 'microacq-bench-memory-'));
  const file = path.join(data, 'bot.db');
  const connector = await Connector.start();
  try {
    await seed(file);
    const sizes = CAPS.map(Number).filter((n) => n > 0);
    const tried = [...new Set([...sizes, ...(Number.isFinite(CONFIGURED) ? [CONFIGURED] : [])])].sort(
      (a, b) => a - b,
    );
    const results: CapResult[] = [];
    for (const cap of [...tried, ...(CAPS.includes('none') ? [undefined] : [])]) {
      for (const op of ['export', 'chart'] as const) {
        results.push(await underCap(file, cap, op, connector));
      }
    }
    const defaultLimit = mb(getHeapStatistics().heap_size_limit);
    console.log(
      `\n${fmt(RECORDS)} records: export (offered, then uploaded) and summary chart, one bot each (MB, s)`,
    );
    console.log(
      'heap size         | operation | completes          | time (s) | peak RSS | peak heap | live heap max',
    );
    for (const r of results) {
      const cap = r.cap ? `${r.cap}` : `none (~${fmt(defaultLimit)})`;
      console.log(
        `${cap.padEnd(17)} | ${r.op.padEnd(9)} | ${(r.done ? 'yes' : `no: ${r.why}`).padEnd(18)} | ${fmt(r.seconds, 1).padStart(8)} | ${fmt(r.peakRss).padStart(8)} | ${fmt(r.peakHeap).padStart(9)} | ${fmt(r.peakLive).padStart(13)}`,
      );
    }
    const verdictOf = (cap: number) => {
      const rows = results.filter((r) => r.cap === cap);
      if (!rows.every((r) => r.done)) return 'does not fit';
      const live = Math.max(...rows.map((r) => r.peakLive));
      return live <= COMFORT * cap ? 'fits comfortably' : 'fits without margin';
    };
    const comfortable = tried.filter((cap) => verdictOf(cap) === 'fits comfortably');
    console.log(
      `\nSmallest heap size tried where ${fmt(RECORDS)}-record exports and charts fit with a quarter of it to spare: ${comfortable[0] ? `${comfortable[0]} MB` : 'none'}`,
    );
    if (Number.isFinite(CONFIGURED)) {
      const verdict = verdictOf(CONFIGURED);
      const ok = verdict === 'fits comfortably' && comfortable[0] === CONFIGURED;
      console.log(
        `npm start's heap size, ${CONFIGURED} MB: ${verdict}${ok ? ', the smallest tried that does: keep it' : ''}`,
      );
    } else {
      console.log('npm start sets no heap size');
    }
  } finally {
    await connector.close();
    rmSync(data, { recursive: true, force: true });
  }
}

export async function benchMemory(): Promise<void> {
  await builtBot();
  await startups();
  await caps();
}
