import type { Client } from '@microsoft/microsoft-graph-client';
import { ConfigError, loadConfig } from '../src/config';
import { createGraphClient } from '../src/stores/graph';
import { type ColumnDefinition, columnType, LISTS } from '../src/stores/sharepoint-schema';
import { REFERENCE_PATTERN } from '../src/services/opportunity';
import { odataString, positionOf } from '../src/stores/sharepoint-store';

/**
 * `npm run provision`: creates the SharePoint lists the bot keeps its records in, on the configured site,
 * with typed and indexed columns. Run it again at any time: what exists is kept, what is missing is added,
 * and a column that exists with another type or without its index is reported and nothing is changed.
 */

export interface ProvisionReport {
  readonly created: string[];
  readonly found: string[];
  readonly addedColumns: string[];
  readonly conflicts: string[];
  /** Records written before the list had a column the bot now queries on, and given it. */
  readonly backfilled: string[];
}

interface GraphColumn extends ColumnDefinition {
  readonly id: string;
}

function conflictOf(list: string, want: ColumnDefinition, have: GraphColumn): string | undefined {
  const wantType = columnType(want);
  const haveType = columnType(have);
  if (wantType !== haveType) {
    return `${list}: column ${want.name} is ${haveType}, the bot needs ${wantType}`;
  }
  if (want.indexed && !have.indexed)
    return `${list}: column ${want.name} must be indexed (the bot filters on it)`;
  if (want.enforceUniqueValues && !have.enforceUniqueValues) {
    return `${list}: column ${want.name} must enforce unique values`;
  }
  return undefined;
}

export async function provision(client: Client, siteId: string, prefix: string): Promise<ProvisionReport> {
  const report: ProvisionReport = { created: [], found: [], addedColumns: [], conflicts: [], backfilled: [] };
  for (const list of LISTS) {
    const name = list.displayName(prefix);
    const existing = (await client
      .api(`/sites/${siteId}/lists`)
      .filter(encodeURIComponent(`displayName eq ${odataString(name)}`))
      .get()) as { value: { id: string }[] };
    const id = existing.value[0]?.id;
    if (!id) {
      await client.api(`/sites/${siteId}/lists`).post({
        displayName: name,
        columns: list.columns,
        list: { template: 'genericList' },
      });
      report.created.push(`${name} (${list.columns.length} columns)`);
      continue;
    }
    report.found.push(name);
    const columns = (await client.api(`/sites/${siteId}/lists/${id}/columns`).get()) as {
      value: GraphColumn[];
    };
    for (const want of list.columns) {
      const have = columns.value.find((c) => c.name === want.name);
      if (!have) {
        await client.api(`/sites/${siteId}/lists/${id}/columns`).post(want);
        report.addedColumns.push(`${name}: ${want.name}`);
        continue;
      }
      const conflict = conflictOf(name, want, have);
      if (conflict) report.conflicts.push(conflict);
    }
    if (list.key === 'opportunities' && report.conflicts.length === 0) {
      const given = await placeRecords(client, `/sites/${siteId}/lists/${id}/items`);
      if (given > 0)
        report.backfilled.push(`${name}: ${given} records given their place in the newest-first order`);
    }
  }
  return report;
}

/**
 * Gives records written by an earlier release the Serial and Block columns the queries now read, walking
 * the list unfiltered and unsorted (the one walk SharePoint allows past its threshold without an index).
 */
async function placeRecords(client: Client, items: string): Promise<number> {
  let given = 0;
  let next: string | undefined = `${items}?$expand=fields($select=Reference,Serial,Block)&$top=500`;
  while (next) {
    const url: string = next;
    const page = (await client.api(url).get()) as {
      value: { id: string; fields?: Record<string, unknown> }[];
      '@odata.nextLink'?: string;
    };
    for (const item of page.value) {
      const reference = item.fields?.Reference;
      const placed = item.fields?.Serial !== undefined && item.fields.Block !== undefined;
      if (typeof reference !== 'string' || !REFERENCE_PATTERN.test(reference) || placed) continue;
      const { serial, block } = positionOf(reference);
      await client.api(`${items}/${item.id}/fields`).patch({ Serial: serial, Block: block });
      given += 1;
    }
    next = page['@odata.nextLink'];
  }
  return given;
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(
      `Cannot provision. Invalid configuration:\n${err.problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    process.exit(78);
  }
  const sp = config.store.sharepoint;
  if (!sp) {
    console.error('Cannot provision: set STORE=sharepoint with SHAREPOINT_SITE_ID and the GRAPH_* sign-in.');
    process.exit(78);
  }
  const report = await provision(createGraphClient(sp), sp.siteId, sp.listPrefix);
  for (const line of report.created) console.log(`created  ${line}`);
  for (const line of report.found) console.log(`found    ${line}`);
  for (const line of report.addedColumns) console.log(`added    ${line}`);
  for (const line of report.backfilled) console.log(`updated  ${line}`);
  if (report.conflicts.length > 0) {
    console.error('\nThese existing columns conflict with what the bot needs; nothing was changed for them:');
    for (const line of report.conflicts) console.error(`  - ${line}`);
    console.error('Fix them on the site (or choose another SHAREPOINT_LIST_PREFIX) and run again.');
    process.exit(1);
  }
  console.log(`\nThe lists are ready on site ${sp.siteId}.`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`Provisioning failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
