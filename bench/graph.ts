import { provision } from '../scripts/provision';
import type { Opportunity } from '../src/services/opportunity';
import type { Actor } from '../src/services/roles';
import { createGraphClient } from '../src/stores/graph';
import { itemFields, positionOf, openSharePoint } from '../src/stores/sharepoint-store';
import { SqliteStore } from '../src/stores/sqlite-store';
import { newOpportunity, step, submittedAudit } from '../test/contract/fixtures';
import { createGraphEmulation, emulatorConfig } from '../test/support/graph-emulation';
import { CHECKLIST } from '../test/support/opportunities';

/**
 * `npm run bench` (third part): the SharePoint store against the local Graph emulation. It counts the
 * Graph requests each operation makes (what a tenant's throttling budget pays for), and times the first
 * page of a status and of the whole list on 100,000 records, each against the one Graph request that page
 * would need were there no list view threshold, sent bare in the same run.
 */

const SITE =
  'contoso.sharepoint.com,11111111-2222-3333-4444-555555555555,66666666-7777-8888-9999-000000000000';
const RECORDS = Number(process.env.BENCH_GRAPH_RECORDS ?? 100_000);
const QUERIES = Number(process.env.BENCH_GRAPH_QUERIES ?? 200);

const config = emulatorConfig(SITE);

/** Who takes each step of the benchmark: the one who vets does not approve the funds. */
const VETTER: Actor = { id: 'bench-vetter', name: 'Bench vetter', roles: new Set(['procurement']) };
const OFFICER: Actor = { id: 'bench-officer', name: 'Bench officer', roles: new Set(['finance', 'union']) };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function benchGraph(): Promise<void> {
  const emulation = createGraphEmulation({ siteId: SITE });
  const client = createGraphClient(config, (url, init) => emulation.fetch(url, init));
  await provision(client, SITE, 'Microacq');
  const store = await openSharePoint(
    { client, siteId: SITE, listPrefix: 'Microacq' },
    SqliteStore.open(':memory:'),
  );

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
  for (const [action, payload, who] of [
    ['vet_go', CHECKLIST, VETTER],
    ['approve_funds', { fundReservationNumber: 'FR-1' }, OFFICER],
    ['acknowledge', {}, OFFICER],
  ] as const) {
    const { next, audit } = step(record, action, payload, who);
    const moved = await count(() => store.transition(next, record.version, audit));
    rows.push([`transition ${action} (after a read)`, moved.outer, moved.inner]);
    record = moved.result;
  }
  const query = await count(() => store.query({ statuses: ['in_approval'] }, { limit: 50 }));
  rows.push(['status query, a status in progress (one page)', query.outer, query.inner]);
  const trail = await count(() => store.auditTrail(record.reference));
  rows.push(['audit trail', trail.outer, trail.inner]);

  console.log('\nSharePoint store on the Graph emulation: Graph requests per operation');
  console.log('operation                                | HTTP requests | requests inside a $batch');
  for (const [name, outer, inner] of rows) {
    console.log(`${name.padEnd(40)} | ${String(outer).padStart(13)} | ${String(inner).padStart(24)}`);
  }

  // A list of 100,000 records over three years, one in 25 waiting for vetting (4,000: a status may lead).
  const template = newOpportunity();
  const perYear = Math.ceil(RECORDS / 3);
  emulation.seedItems('Microacq Opportunities', RECORDS, (i) => {
    const year = 2023 + Math.floor(i / perYear);
    const number = (i % perYear) + 1;
    const createdAt = new Date(Date.UTC(year, 0, 1) + number * 60_000).toISOString();
    const reference = `MA-${year}-${String(number).padStart(4, '0')}`;
    const status = i % 25 === 0 ? 'submitted' : 'paid';
    return itemFields({ ...template, reference, version: 1, createdAt, status } as Opportunity, `seed-${i}`);
  });
  emulation.seedItems('Microacq Counters', 3, (i) => ({
    Title: `opportunities-${2023 + i}`,
    CounterKey: `opportunities-${2023 + i}`,
    Value: i < 2 ? perYear : RECORDS - 2 * perYear,
  }));
  const lists = (await client.api(`/sites/${SITE}/lists`).get()) as {
    value: { id: string; displayName: string }[];
  };
  const listId = lists.value.find((l) => l.displayName === 'Microacq Opportunities')?.id ?? '';
  const time = async (work: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const t0 = process.hrtime.bigint();
      await work();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return times.sort((a, b) => a - b);
  };
  /** The one request a query's page would need if SharePoint had no threshold: the store's baseline. */
  const bare = (filter: string) => () =>
    client
      .api(`/sites/${SITE}/lists/${listId}/items`)
      .filter(encodeURIComponent(filter))
      .expand('fields($select=Reference,Serial,Record)')
      .orderby('fields/Serial desc')
      .top(51)
      .get();
  const top = `MA-2025-${String(RECORDS - 2 * perYear).padStart(4, '0')}`;
  const measured: [string, number[], number[]][] = [
    [
      'list submitted (led by the status)',
      await time(() => store.query({ statuses: ['submitted'] }, { limit: 50 })),
      await time(bare("fields/Status eq 'submitted'")),
    ],
    [
      'list (every record, by blocks)',
      await time(() => store.query({}, { limit: 50 })),
      await time(bare(`fields/Block eq '${positionOf(top).block}'`)),
    ],
  ];
  const firstPage = await count(() => store.query({}, { limit: 50 }));
  console.log(
    `\nFirst pages of 50 on ${RECORDS.toLocaleString('en-CA')} records, ${QUERIES} times each (ms); the baseline is the one Graph request the page needs, sent bare`,
  );
  console.log('query                               | store p50 | store p99 | bare p50 | bare p99');
  for (const [name, storeTimes, bareTimes] of measured) {
    console.log(
      `${name.padEnd(35)} | ${percentile(storeTimes, 50).toFixed(2).padStart(9)} | ${percentile(storeTimes, 99).toFixed(2).padStart(9)} | ${percentile(bareTimes, 50).toFixed(2).padStart(8)} | ${percentile(bareTimes, 99).toFixed(2).padStart(8)}`,
    );
  }
  console.log(
    `list's first page: ${firstPage.outer} HTTP requests (one reads the counters list, the others are $batches), ${firstPage.inner} block reads inside them`,
  );
  await store.close();
}
