import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Opportunity } from '../src/services/opportunity';
import { SqliteStore } from '../src/stores/sqlite-store';
import { newOpportunity } from '../test/contract/fixtures';
import { activity, Connector, PEOPLE, post, startTestBot } from '../test/support/teams';

/**
 * `npm run bench` (last part): the status commands on the embedded store holding 100,000 records, timed
 * inside the bot (from the activity's arrival to the answer sent), against the help command, which
 * reads nothing, in the same run. Target: p99 ≤ 20 ms for status, mine, waiting, a list page and search.
 */

const RECORDS = Number(process.env.BENCH_STATUS_RECORDS ?? 100_000);
const RUNS = Number(process.env.BENCH_STATUS_RUNS ?? 200);
const STATUSES = [
  'submitted',
  'in_approval',
  'posted',
  'closed',
  'in_progress',
  'delivered',
  'paid',
] as const;
const WORDS = ['accessible', 'payroll', 'export', 'calendar', 'benefits', 'search', 'dashboard', 'import'];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Writes the records straight into the file (the store's own create would take minutes for 100,000). */
function seed(file: string): string[] {
  const store = SqliteStore.open(file);
  void store.close();
  const db = new Database(file);
  const template = newOpportunity();
  const insert = db.prepare(
    `INSERT INTO opportunities (reference, year, seq, version, status, requester_id, branch, created_at, updated_at, title, data)
     VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const references: string[] = [];
  db.transaction(() => {
    for (let i = 0; i < RECORDS; i++) {
      const year = 2020 + Math.floor(i / 20_000);
      const seq = (i % 20_000) + 1;
      const reference = `MA-${year}-${String(seq).padStart(4, '0')}`;
      const createdAt = new Date(Date.UTC(year, 0, 1) + seq * 1_000_000).toISOString();
      const requester = i % 50 === 0 ? PEOPLE.requester.aadObjectId : `person-${i % 5_000}`;
      const status = STATUSES[i % STATUSES.length] ?? 'submitted';
      const title = `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} tool ${i}`;
      const record: Opportunity = {
        ...template,
        reference,
        version: 1,
        status,
        title,
        createdAt,
        updatedAt: createdAt,
        requester: { aadObjectId: requester, name: `Person ${i}` },
        client: { ...template.client, branch: `Branch ${i % 40}` },
        timeline: { submitted: createdAt, ...(status === 'submitted' ? {} : { [status]: createdAt }) },
      };
      insert.run(
        reference,
        year,
        seq,
        status,
        requester,
        record.client.branch,
        createdAt,
        createdAt,
        title,
        JSON.stringify(record),
      );
      references.push(reference);
    }
  })();
  db.close();
  return references;
}

export async function benchStatus(): Promise<void> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'microacq-bench-status-')), 'bot.db');
  const references = seed(file);
  const connector = await Connector.start();
  const bot = await startTestBot(
    { SQLITE_PATH: file },
    { now: () => new Date('2024-06-01T15:00:00Z'), background: false },
  );

  const timeOf = async (from: (typeof PEOPLE)[keyof typeof PEOPLE], text: (i: number) => string) => {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const before = connector.sent.length;
      const t0 = process.hrtime.bigint();
      await post(bot, activity('message', { serviceUrl: connector.url, from }, { text: text(i) }));
      await connector.waitFor(before + 1);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return times.sort((a, b) => a - b);
  };

  const rows: [string, number[]][] = [
    ['baseline: help', await timeOf(PEOPLE.requester, () => 'help')],
    [
      'status <reference>',
      await timeOf(PEOPLE.procurement, (i) => `status ${references[(i * 997) % references.length]}`),
    ],
    ['mine (requester, 2,000 records)', await timeOf(PEOPLE.requester, () => 'mine')],
    ['waiting (finance)', await timeOf(PEOPLE.finance, () => 'waiting')],
    ['waiting (procurement)', await timeOf(PEOPLE.procurement, () => 'waiting')],
    ['list posted', await timeOf(PEOPLE.procurement, () => 'list posted')],
    ['search (two words)', await timeOf(PEOPLE.procurement, (i) => `search ${WORDS[i % WORDS.length]} tool`)],
  ];
  console.log(
    `\nStatus commands on ${RECORDS.toLocaleString('en-CA')} records, ${RUNS} each, from the activity to the answer sent (ms)`,
  );
  console.log('command                          |    p50 |    p99 | p99 − baseline p99');
  const baseline = percentile(rows[0]?.[1] ?? [], 99);
  for (const [name, times] of rows) {
    console.log(
      `${name.padEnd(32)} | ${percentile(times, 50).toFixed(2).padStart(6)} | ${percentile(times, 99).toFixed(2).padStart(6)} | ${(percentile(times, 99) - baseline).toFixed(2).padStart(8)}`,
    );
  }
  await bot.server.stop();
  await connector.close();
}
