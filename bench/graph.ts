import { provision } from '../scripts/provision';
import type { Opportunity } from '../src/services/opportunity';
import type { Actor } from '../src/services/roles';
import { createGraphClient } from '../src/stores/graph';
import { SharePointStore } from '../src/stores/sharepoint-store';
import { SqliteStore } from '../src/stores/sqlite-store';
import { newOpportunity, step, submittedAudit } from '../test/contract/fixtures';
import { createGraphEmulation, emulatorConfig } from '../test/support/graph-emulation';
import { CHECKLIST } from '../test/support/opportunities';

/**
 * `npm run bench` (third part): the SharePoint store against the local Graph emulation. It counts the
 * Graph requests each operation makes (what a tenant's throttling budget pays for), and times a status
 * query on a list of 100,000 records, against the same Graph request sent bare in the same run.
 */

const SITE =
  'contoso.sharepoint.com,11111111-2222-3333-4444-555555555555,66666666-7777-8888-9999-000000000000';
const RECORDS = Number(process.env.BENCH_GRAPH_RECORDS ?? 100_000);
const QUERIES = Number(process.env.BENCH_GRAPH_QUERIES ?? 200);

const config = emulatorConfig(SITE);

/** One person who may take each step of the benchmark, none of them on their own request. */
const EVERY_ROLE: Actor = { id: 'bench', name: 'Bench', roles: new Set(['procurement', 'finance', 'union']) };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function benchGraph(): Promise<void> {
  const emulation = createGraphEmulation({ siteId: SITE });
  const client = createGraphClient(config, (url, init) => emulation.fetch(url, init));
  await provision(client, SITE, 'Microacq');
  const store = await SharePointStore.open({
    client,
    siteId: SITE,
    listPrefix: 'Microacq',
    state: SqliteStore.open(':memory:'),
  });

  /** Graph requests made by `work`, each request inside a batch counted apart. */
  const count = async <T>(work: () => Promise<T>): Promise<{ result: T; outer: number; inner: number }> => {
    emulation.resetLog();
    const result = await work();
    const outer = emulation.requests.filter((r) => r.batchedIn === undefined).length;
    const inner = emulation.requests.filter((r) => r.batchedIn !== undefined).length;
    return { result, outer, inner };
  };

  const rows: [string, number, number][] = [];
  const input = newOpportunity();
  await store.create(input, submittedAudit(input), 'warm-up'); // the year's counter exists from here
  const created = await count(() => {
    const o = newOpportunity();
    return store.create(o, submittedAudit(o), 'counted');
  });
  rows.push(['create (new submission)', created.outer, created.inner]);
  const read = await count(() => store.get(created.result.reference));
  rows.push(['get (one record)', read.outer, read.inner]);
  let record = created.result;
  for (const [action, payload] of [
    ['vet_go', CHECKLIST],
    ['approve_funds', { fundReservationNumber: 'FR-1' }],
    ['acknowledge', {}],
  ] as const) {
    const { next, audit } = step(record, action, payload, EVERY_ROLE);
    const moved = await count(() => store.transition(next, record.version, audit));
    rows.push([`transition ${action} (after a read)`, moved.outer, moved.inner]);
    record = moved.result;
  }
  const query = await count(() => store.query({ statuses: ['in_approval'] }, { limit: 50 }));
  rows.push(['status query (one page)', query.outer, query.inner]);
  const trail = await count(() => store.auditTrail(record.reference));
  rows.push(['audit trail', trail.outer, trail.inner]);

  console.log('\nSharePoint store on the Graph emulation: Graph requests per operation');
  console.log('operation                                | HTTP requests | requests inside a $batch');
  for (const [name, outer, inner] of rows) {
    console.log(`${name.padEnd(40)} | ${String(outer).padStart(13)} | ${String(inner).padStart(24)}`);
  }

  // A list of 100,000 records, one in ten waiting for vetting.
  const template = newOpportunity();
  emulation.seedItems('Microacq Opportunities', RECORDS, (i) => {
    const createdAt = new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString();
    const reference = `MA-2024-${String(i + 1).padStart(6, '0')}`;
    const status = i % 10 === 0 ? 'submitted' : 'paid';
    const o: Opportunity = { ...template, reference, version: 1, createdAt, status };
    return {
      Title: o.title,
      Reference: reference,
      Status: status,
      RequesterId: o.requester.aadObjectId,
      Branch: o.client.branch,
      CreatedAt: createdAt,
      CreatedKey: createdAt,
      Version: 1,
      IdempotencyKey: `seed-${i}`,
      Record: JSON.stringify(o),
    };
  });
  const lists = (await client.api(`/sites/${SITE}/lists`).get()) as {
    value: { id: string; displayName: string }[];
  };
  const listId = lists.value.find((l) => l.displayName === 'Microacq Opportunities')?.id ?? '';
  const filter = encodeURIComponent("fields/Status eq 'submitted'");
  const time = async (work: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const t0 = process.hrtime.bigint();
      await work();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return times.sort((a, b) => a - b);
  };
  const storeTimes = await time(() => store.query({ statuses: ['submitted'] }, { limit: 50 }));
  const bareTimes = await time(() =>
    client
      .api(`/sites/${SITE}/lists/${listId}/items`)
      .filter(filter)
      .expand('fields($select=Reference,CreatedKey,Record)')
      .orderby('fields/CreatedKey desc,fields/Reference desc')
      .top(51)
      .get(),
  );
  console.log(
    `\nStatus query ("submitted", first page of 50) on ${RECORDS.toLocaleString('en-CA')} records, ${QUERIES} times (ms)`,
  );
  console.log('                                   |    p50 |    p99');
  console.log(
    `store.query                        | ${percentile(storeTimes, 50).toFixed(2).padStart(6)} | ${percentile(storeTimes, 99).toFixed(2).padStart(6)}`,
  );
  console.log(
    `baseline: the same Graph request   | ${percentile(bareTimes, 50).toFixed(2).padStart(6)} | ${percentile(bareTimes, 99).toFixed(2).padStart(6)}`,
  );
  await store.close();
}
