import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { provision } from '../../scripts/provision';
import { ConfigError, parseConfig, type SharePointConfig } from '../../src/config';
import { createGraphClient } from '../../src/stores/graph';
import { LISTS } from '../../src/stores/sharepoint-schema';
import { openSharePoint } from '../../src/stores/sharepoint-store';
import { SqliteStore } from '../../src/stores/sqlite-store';
import { describeStoreContract } from '../contract/store-contract';

/**
 * The store contract against a real SharePoint site, when one is given: STORE-independent GRAPH_* and
 * SHAREPOINT_SITE_ID variables as in .env.example. Each test gets lists of its own (a unique prefix),
 * deleted afterwards. Without credentials the suite says it was skipped.
 */

function liveConfig(): SharePointConfig | undefined {
  if (!process.env.SHAREPOINT_SITE_ID || !process.env.GRAPH_CLIENT_ID) return undefined;
  try {
    return parseConfig({ ...process.env, STORE: 'sharepoint', LOG_LEVEL: 'silent' }).store.sharepoint;
  } catch (err) {
    if (err instanceof ConfigError)
      throw new Error(`the live SharePoint settings are incomplete: ${err.message}`);
    throw err;
  }
}

const sp = liveConfig();

if (!sp) {
  describe('SharePointStore on a live site', () => {
    it('is skipped: set SHAREPOINT_SITE_ID and the GRAPH_* sign-in to run it', function () {
      console.log(
        '    (live SharePoint suite skipped: no SHAREPOINT_SITE_ID / GRAPH_CLIENT_ID in the environment)',
      );
      this.skip();
    });
  });
} else {
  const client = createGraphClient(sp);
  let prefix = '';
  describeStoreContract(
    'SharePointStore on a live site',
    async () => {
      prefix = `Microacq Test ${randomUUID().slice(0, 8)}`;
      await provision(client, sp.siteId, prefix);
      const state = SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'microacq-live-')), 'state.db'));
      return openSharePoint({ client, siteId: sp.siteId, listPrefix: prefix }, state);
    },
    async () => {
      for (const list of LISTS) {
        const name = list.displayName(prefix);
        const found = (await client
          .api(`/sites/${sp.siteId}/lists`)
          .filter(encodeURIComponent(`displayName eq '${name}'`))
          .get()) as { value: { id: string }[] };
        for (const l of found.value) await client.api(`/sites/${sp.siteId}/lists/${l.id}`).delete();
      }
    },
  );
}
