import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { decide } from '../src/services/lifecycle';
import type { Opportunity } from '../src/services/opportunity';
import { SqliteStore } from '../src/stores/sqlite-store';
import { benchGraph } from './graph';
import { benchIntake } from './intake';
import { benchLoad } from './load';
import { benchMemory } from './memory';
import { benchStatus } from './status';
import { newOpportunity } from '../test/contract/fixtures';
import { CHECKLIST, clock, person } from '../test/support/opportunities';

/**
 * `npm run bench`: every section below in turn; `npm run bench -- load status` runs only those named.
 * First section: the embedded store's cost per operation, against a baseline measured in the same run —
 * the same JSON written and read with bare better-sqlite3 statements (no schema checks, no audit, no
 * concurrency check). The ratio is what the store's guarantees cost.
 */

const N = Number(process.env.BENCH_N ?? 5_000);
const PROCUREMENT = person('proc-1', 'procurement');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(fn: (i: number) => unknown): Promise<{ p50: number; p99: number; perSecond: number }> {
  const times: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), perSecond: (N / totalMs) * 1000 };
}

async function benchStore(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'microacq-bench-'));
  const store = SqliteStore.open(path.join(dir, 'store.db'));
  const raw = new Database(path.join(dir, 'baseline.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.exec('CREATE TABLE t (reference TEXT PRIMARY KEY, version INTEGER, data TEXT)');
  const insert = raw.prepare('INSERT INTO t VALUES (?, 1, ?)');
  const update = raw.prepare('UPDATE t SET version = version + 1, data = ? WHERE reference = ?');
  const select = raw.prepare('SELECT data FROM t WHERE reference = ?');
  const audit = {
    at: '2026-11-23T15:00:00.000Z',
    actor: { aadObjectId: 'a', name: 'A' },
    action: 'bench',
    outcome: 'applied' as const,
  };
  const record = newOpportunity();
  const json = JSON.stringify(record);

  const created: Opportunity[] = [];
  const rows = [
    [
      'create',
      await measure(async (i) => created.push(await store.create(record, audit, `k${i}`))),
      await measure((i) => insert.run(`R${i}`, json)),
    ],
    [
      'transition',
      await measure(async (i) => {
        const o = created[i] as Opportunity;
        const outcome = decide(o, 'vet_go', CHECKLIST, PROCUREMENT, clock());
        if (!outcome.ok) throw new Error(`bench record refused: ${outcome.refusal.code}`);
        await store.transition(outcome.next, o.version, audit);
      }),
      await measure((i) => update.run(json, `R${i}`)),
    ],
    [
      'get',
      await measure((i) => store.get((created[i] as Opportunity).reference)),
      await measure((i) => JSON.parse((select.get(`R${i}`) as { data: string }).data)),
    ],
  ] as const;

  console.log(
    `Embedded store, ${N} operations each (ms; baseline = bare better-sqlite3 on the same machine, same run)`,
  );
  console.log(
    'operation   | store p50 | store p99 | store ops/s | baseline p50 | baseline p99 | baseline ops/s | p99 ratio',
  );
  for (const [name, s, b] of rows) {
    console.log(
      `${name.padEnd(11)} | ${s.p50.toFixed(3).padStart(9)} | ${s.p99.toFixed(3).padStart(9)} | ${s.perSecond.toFixed(0).padStart(11)} | ${b.p50.toFixed(3).padStart(12)} | ${b.p99.toFixed(3).padStart(12)} | ${b.perSecond.toFixed(0).padStart(14)} | ${(s.p99 / b.p99).toFixed(1).padStart(9)}`,
    );
  }
  await store.close();
  raw.close();
}

const SECTIONS: Readonly<Record<string, () => Promise<void>>> = {
  store: benchStore,
  intake: benchIntake,
  graph: benchGraph,
  status: benchStatus,
  load: benchLoad,
  memory: benchMemory,
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in SECTIONS));
  if (unknown.length > 0) {
    console.error(
      `No benchmark section named ${unknown.join(', ')}; sections: ${Object.keys(SECTIONS).join(', ')}`,
    );
    process.exit(2);
  }
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (asked.length === 0 || asked.includes(name)) await run();
  }
}

void main();
