import { randomUUID } from 'node:crypto';
import type { Client } from '@microsoft/microsoft-graph-client';
import { existsSync, writeFileSync } from 'node:fs';
import { ConfigError, parseConfig } from '../src/config';
import { submit } from '../src/services/lifecycle';
import type { NewOpportunity, Opportunity, OpportunityContent, Status } from '../src/services/opportunity';
import type { OpportunityFilter } from '../src/services/store';
import { createGraphClient, type GraphFetch } from '../src/stores/graph';
import { columnType, LISTS, type ListDefinition } from '../src/stores/sharepoint-schema';
import { itemFields, odataString, openSharePoint } from '../src/stores/sharepoint-store';
import { SqliteStore } from '../src/stores/sqlite-store';
import { provision } from './provision';

/**
 * `npm run live-check`: asks a real SharePoint, on throw-away lists, exactly what the bot's SharePoint
 * store relies on and Microsoft does not document, prints the answers as a report to send back, and
 * deletes the lists. It writes nothing outside its own lists.
 */

export interface Finding {
  /** What was asked of SharePoint. */
  readonly question: string;
  /** What it answered. */
  readonly answer: string;
  /** Whether the store copes with that answer as it is built (see the README, "Records in SharePoint"). */
  readonly copes: boolean;
}

export interface LiveCheckOptions {
  /** Items in the large list (6,000), and how many of them wait in one status (5,500). */
  readonly largeItems?: number;
  readonly inOneStatus?: number;
  /** Progress lines, as the check goes. */
  readonly progress?: (line: string) => void;
}

/** Throttling answers seen during the check, with the wait each asked for. */
export interface Throttle {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly inBatch: boolean;
}

/** A fetch that notes every 429 or 503 (inside batches too) with its Retry-After. */
export function watchThrottling(send: GraphFetch): { send: GraphFetch; seen: Throttle[] } {
  const seen: Throttle[] = [];
  const watched: GraphFetch = async (url, init) => {
    const response = await send(url, init);
    if (response.status === 429 || response.status === 503) {
      seen.push({
        status: response.status,
        retryAfter: response.headers.get('retry-after') ?? undefined,
        inBatch: false,
      });
    } else if (url.endsWith('/$batch') && response.ok) {
      const body = (await response
        .clone()
        .json()
        .catch(() => ({}))) as { responses?: { status: number; headers?: Record<string, string> }[] };
      for (const r of body.responses ?? []) {
        if (r.status !== 429 && r.status !== 503) continue;
        const h = r.headers ?? {};
        seen.push({ status: r.status, retryAfter: h['Retry-After'] ?? h['retry-after'], inBatch: true });
      }
    }
    return response;
  };
  return { send: watched, seen };
}

interface Answer {
  readonly status: number;
  readonly code?: string;
  readonly message?: string;
  readonly body?: unknown;
}

/** Graph's answer to a call, success or error, in one shape. */
async function answerOf(work: () => Promise<unknown>): Promise<Answer> {
  try {
    return { status: 200, body: await work() };
  } catch (err) {
    const e = err as { statusCode?: number; code?: string; message?: string };
    return { status: e.statusCode ?? 0, code: e.code ?? '', message: (e.message ?? '').slice(0, 200) };
  }
}

const said = (a: Answer) => (a.status === 200 ? '200' : `${a.status} ${a.code ?? ''} “${a.message ?? ''}”`);

/** Text a person may type, with every character that HTML or JSON could change. */
const AWKWARD = 'Quotes " and \' <b>tags</b> & ampersands\nnew line — accents: é à ç Ö ñ 🚀';

/** A valid record for the check, from the intake's own rules. */
function sampleRecord(at: string): NewOpportunity {
  const content: OpportunityContent = {
    title: 'Live check record',
    shortDescription: AWKWARD,
    background: AWKWARD,
    deliverables: 'A pull request.',
    requiredSkills: ['TypeScript'],
    evaluationCriterion: 'Has shipped open-source code.',
    acceptanceCriteria: 'Code under the MIT licence; tests pass.',
    licence: 'MIT',
    repositoryUrl: 'https://github.com/example/live-check',
    client: {
      department: 'Live check',
      branch: 'Live check',
      team: 'Live check',
      contactName: 'Live Check',
      contactEmail: 'live.check@example.gc.ca',
    },
    pricing: { hourlyRateCents: 8_000, estimatedHours: 40, adminHours: 10, fixedPriceCents: 400_000 },
    dates: {
      applicationDeadline: dayAfter(at, 21),
      supplierSelectionDate: dayAfter(at, 24),
      deliveryDate: dayAfter(at, 70),
    },
    attestations: {
      unclassified: true,
      standalone: true,
      noInternalCapacity: true,
      notContractSplitting: true,
    },
  };
  const result = submit(content, { id: 'live-check', name: 'Live Check', roles: new Set() }, 'en', {
    now: at,
    today: at.slice(0, 10),
    consultationDays: 5,
  });
  if (!result.ok)
    throw new Error(`the check's sample record breaks a rule: ${JSON.stringify(result.refusal)}`);
  return result.record;
}

function dayAfter(iso: string, days: number): string {
  const d = new Date(iso);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The filters the bot's commands query with, by command. */
export const COMMAND_QUERIES: readonly [string, OpportunityFilter][] = [
  ['list, summary, export (every record)', {}],
  ['list submitted (a status thousands wait in)', { statuses: ['submitted'] }],
  ['list paid (a final status)', { statuses: ['paid'] }],
  ['waiting, reminders (the statuses in progress)', { statuses: ['submitted', 'posted', 'in_approval'] }],
  ['mine', { requesterId: 'live-check' }],
  ['mine submitted', { requesterId: 'live-check', statuses: ['submitted'] }],
  ['search', { text: 'live check' }],
  ['search within mine (compose box)', { requesterId: 'live-check', text: 'record' }],
  ['the look-back (12 months)', { createdSince: '2024-01-01T00:00:00.000Z' }],
];

export async function liveCheck(
  client: Client,
  siteId: string,
  seen: readonly Throttle[],
  options: LiveCheckOptions = {},
): Promise<Finding[]> {
  const progress = options.progress ?? (() => undefined);
  const largeItems = options.largeItems ?? 6_000;
  const inOneStatus = options.inOneStatus ?? 5_500;
  const prefix = `Microacq Check ${randomUUID().slice(0, 8)}`;
  const findings: Finding[] = [];
  const note = (question: string, answer: string, copes: boolean) => {
    findings.push({ question, answer, copes });
    progress(`${copes ? 'ok  ' : 'NOTE'} ${question}: ${answer}`);
  };
  const lists = new Map<ListDefinition['key'], string>();
  const items = (key: ListDefinition['key']) => `/sites/${siteId}/lists/${lists.get(key)}/items`;

  try {
    progress(`provisioning throw-away lists "${prefix} …"`);
    await provision(client, siteId, prefix);
    for (const list of LISTS) {
      const found = (await client
        .api(`/sites/${siteId}/lists`)
        .filter(encodeURIComponent(`displayName eq ${odataString(list.displayName(prefix))}`))
        .select('id')
        .get()) as { value: { id: string }[] };
      lists.set(list.key, found.value[0]?.id ?? '');
    }

    // 1. Columns as created: names, types, flags.
    for (const list of LISTS) {
      const columns = (await client.api(`/sites/${siteId}/lists/${lists.get(list.key)}/columns`).get()) as {
        value: (Record<string, unknown> & { name: string })[];
      };
      const differences: string[] = [];
      for (const want of list.columns) {
        const have = columns.value.find((c) => c.name === want.name);
        if (!have) {
          const similar = columns.value.find((c) => String(c.displayName) === want.name);
          differences.push(`${want.name} missing${similar ? ` (internal name ${similar.name})` : ''}`);
          continue;
        }
        const haveType = columnType(have as Parameters<typeof columnType>[0]);
        if (haveType !== columnType(want)) differences.push(`${want.name} is ${haveType}`);
        if (Boolean(have.indexed) !== Boolean(want.indexed))
          differences.push(`${want.name} indexed=${String(have.indexed)}`);
        if (Boolean(have.enforceUniqueValues) !== Boolean(want.enforceUniqueValues))
          differences.push(`${want.name} unique=${String(have.enforceUniqueValues)}`);
      }
      note(
        `${list.displayName('').trim()} list: columns read back as created`,
        differences.length === 0 ? `all ${list.columns.length} as defined` : differences.join('; '),
        differences.length === 0,
      );
    }

    // 2. A record's JSON, with every awkward character, through a multi-line column and back.
    const store = await openSharePoint({ client, siteId, listPrefix: prefix }, SqliteStore.open(':memory:'));
    const sample = sampleRecord('2025-06-02T14:00:00.000Z');
    const created = await store.create(
      sample,
      {
        at: sample.createdAt,
        actor: sample.requester,
        action: 'submit',
        to: 'submitted',
        outcome: 'applied',
      },
      `live-check-${randomUUID()}`,
    );
    const raw = (await client
      .api(items('opportunities'))
      .filter(encodeURIComponent(`fields/Reference eq ${odataString(created.reference)}`))
      .expand('fields($select=Record)')
      .get()) as { value: { id: string; eTag?: string; fields?: { Record?: string } }[] };
    const stored = raw.value[0]?.fields?.Record ?? '';
    const intact = stored === JSON.stringify(created);
    note(
      'a record’s JSON with < > & " \' , new lines and accents, written and read back',
      intact ? 'identical' : `changed: ${JSON.stringify(stored.slice(0, 160))}`,
      intact,
    );

    // 3. Does PATCH …/fields answer with the new eTag, directly and in a batch?
    const itemId = raw.value[0]?.id ?? '';
    const direct = (await client
      .api(`${items('opportunities')}/${itemId}/fields`)
      .patch({ RequesterName: 'Live Check' })) as Record<string, unknown>;
    note(
      'PATCH …/fields answers with the item’s new @odata.etag',
      typeof direct['@odata.etag'] === 'string' ? 'yes' : 'no (the store then reads the item again)',
      true,
    );
    const batched = (await client.api('/$batch').post({
      requests: [
        {
          id: '1',
          method: 'PATCH',
          url: `${items('opportunities')}/${itemId}/fields`,
          headers: { 'Content-Type': 'application/json' },
          body: { RequesterName: 'Live Check' },
        },
      ],
    })) as { responses: { status: number; body?: Record<string, unknown> }[] };
    const inBatch = batched.responses[0];
    note(
      'PATCH …/fields inside $batch answers with the new @odata.etag',
      inBatch?.status === 200
        ? typeof inBatch.body?.['@odata.etag'] === 'string'
          ? 'yes'
          : 'no (the store then reads the item again)'
        : `status ${inBatch?.status}`,
      inBatch?.status === 200,
    );

    // 4. A duplicate value in each unique column, directly and in a batch.
    for (const list of LISTS) {
      for (const column of list.columns.filter((c) => c.enforceUniqueValues)) {
        const value = `dup-${randomUUID()}`;
        const fields = { Title: 'duplicate check', [column.name]: value };
        await client.api(items(list.key)).post({ fields });
        const again = await answerOf(() => client.api(items(list.key)).post({ fields }));
        note(
          `a duplicate ${list.displayName('').trim()}.${column.name}, sent directly`,
          said(again),
          again.status >= 400,
        );
        const twice = (await client.api('/$batch').post({
          requests: [1, 2].map((n) => ({
            id: String(n),
            method: 'POST',
            url: items(list.key),
            headers: { 'Content-Type': 'application/json' },
            body: { fields: { ...fields, [column.name]: `${value}-b` } },
            ...(n === 2 ? { dependsOn: ['1'] } : {}),
          })),
        })) as {
          responses: { id: string; status: number; body?: { error?: { code?: string; message?: string } } }[];
        };
        const second = twice.responses.find((r) => r.id === '2');
        note(
          `a duplicate ${list.displayName('').trim()}.${column.name}, inside $batch`,
          `${second?.status} ${second?.body?.error?.code ?? ''} “${(second?.body?.error?.message ?? '').slice(0, 200)}”`,
          (second?.status ?? 0) >= 400,
        );
      }
    }

    // 5. The store's queries, as each command makes them, without the Prefer header, on a small list.
    for (const [command, filter] of COMMAND_QUERIES) {
      const answer = await answerOf(() => store.query(filter, { limit: 10 }));
      note(
        `the store's query for ${command}, on a small list`,
        answer.status === 200 ? 'answered' : said(answer),
        answer.status === 200,
      );
    }

    // 6. A list past the threshold: most items waiting in one status.
    progress(`writing ${largeItems} items (${inOneStatus} in one status); this takes a while`);
    const template = sampleRecord('2025-01-06T14:00:00.000Z');
    await client.api(items('counters')).post({
      fields: { Title: 'opportunities-2024', CounterKey: 'opportunities-2024', Value: largeItems },
    });
    for (let start = 0; start < largeItems; start += 20) {
      const requests = [];
      for (let i = start; i < Math.min(largeItems, start + 20); i++) {
        const record = {
          ...template,
          reference: `MA-2024-${String(i + 1).padStart(4, '0')}`,
          version: 1,
          createdAt: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
          status: (i < inOneStatus ? 'submitted' : 'paid') as Status,
        } as Opportunity;
        requests.push({
          id: String(i - start),
          method: 'POST',
          url: items('opportunities'),
          headers: { 'Content-Type': 'application/json' },
          body: { fields: itemFields(record, `large-${i}`) },
        });
      }
      await client.api('/$batch').post({ requests });
      if ((start / 20) % 50 === 49) progress(`  ${start + 20} written`);
    }
    const leadProbe = await answerOf(() =>
      client
        .api(items('opportunities'))
        .filter(encodeURIComponent("fields/Status eq 'submitted'"))
        .orderby('fields/Serial desc')
        .top(11)
        .get(),
    );
    note(`a query led by a clause that selects ${inOneStatus} items`, said(leadProbe), true);
    const sortProbe = await answerOf(() =>
      client.api(items('opportunities')).orderby('fields/Serial desc').top(11).get(),
    );
    note('a sort of the whole list without a filter', said(sortProbe), true);
    const last = 2024_000_000 + largeItems;
    const rangeProbe = await answerOf(() =>
      client
        .api(items('opportunities'))
        .filter(encodeURIComponent(`fields/Serial le ${last} and fields/Serial ge ${last - 10}`))
        .top(11)
        .get(),
    );
    note(
      'a range of 11 items on one indexed column, whose first bound alone selects every item',
      said(rangeProbe),
      true,
    );
    for (const [command, filter] of COMMAND_QUERIES) {
      const started = Date.now();
      const answer = await answerOf(() => store.query(filter, { limit: 10 }));
      const count = (answer.body as { items?: unknown[] } | undefined)?.items?.length;
      note(
        `the store's query for ${command}, on ${largeItems} items`,
        answer.status === 200 ? `answered ${count} in ${Date.now() - started} ms` : said(answer),
        answer.status === 200,
      );
    }
    await store.close();
  } finally {
    progress('deleting the throw-away lists');
    for (const id of lists.values()) {
      if (id)
        await client
          .api(`/sites/${siteId}/lists/${id}`)
          .delete()
          .catch(() => undefined);
    }
  }

  // 7. What the tenant asked for when it throttled.
  const waits = seen.map(
    (t) => `${t.status}${t.inBatch ? ' in $batch' : ''} Retry-After ${t.retryAfter ?? 'absent'}`,
  );
  note(
    'throttling during the check',
    waits.length === 0 ? 'none' : `${waits.length} answers: ${[...new Set(waits)].join(', ')}`,
    true,
  );
  return findings;
}

/** The report to send back: every question, its answer, and whether the store copes as built. */
export function reportOf(
  findings: readonly Finding[],
  about: { endpoint: string; siteId: string; at: string },
): string {
  const lines = [
    '# Microacq SharePoint live check',
    '',
    `Graph: ${about.endpoint} · site: ${about.siteId} · ${about.at}`,
    '',
    '| | Question | Answer |',
    '|---|---|---|',
    ...findings.map(
      (f) =>
        `| ${f.copes ? 'ok' : '**check**'} | ${f.question} | ${f.answer.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
    ),
    '',
    findings.every((f) => f.copes)
      ? 'The store copes with every answer above.'
      : 'Rows marked **check** differ from what the store copes with: send this report to the maintainers.',
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  let config;
  try {
    if (existsSync('.env')) process.loadEnvFile('.env');
    // The check is about SharePoint whatever store the bot runs on.
    config = parseConfig({ ...process.env, STORE: 'sharepoint' });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(
      `Cannot run the live check. Invalid configuration:\n${err.problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    process.exit(78);
  }
  const sp = config.store.sharepoint;
  if (!sp) throw new Error('no SharePoint settings');
  const watch = watchThrottling(fetch);
  const findings = await liveCheck(createGraphClient(sp, watch.send), sp.siteId, watch.seen, {
    progress: (line) => console.error(line),
  });
  const report = reportOf(findings, {
    endpoint: sp.endpoint,
    siteId: sp.siteId,
    at: new Date().toISOString(),
  });
  const out = process.argv[2];
  if (out) writeFileSync(out, report);
  console.log(report);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`The live check failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
