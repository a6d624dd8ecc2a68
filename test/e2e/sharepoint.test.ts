import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type RunningPlayground, startPlayground } from '../../scripts/playground';
import { fieldsFromContent } from '../../src/services/intake';
import { Opportunity } from '../../src/services/opportunity';
import type { OpportunityStore } from '../../src/services/store';
import { createGraphClient } from '../../src/stores/graph';
import { itemFields, openSharePoint } from '../../src/stores/sharepoint-store';
import { SqliteStore } from '../../src/stores/sqlite-store';
import { emulatorConfig } from '../support/graph-emulation';
import { launchChromium } from '../support/chromium';
import { content } from '../support/opportunities';
import { newOpportunity } from '../contract/fixtures';
import { completeIntake, freePort, inDays, mention, say, sayGo, SHOTS } from '../support/playground-client';

/**
 * The bot on its production store: records in SharePoint lists, reached through Microsoft Graph (here
 * the local emulation, served on loopback), driven in the local Teams client.
 */

describe('in the local Teams client, with the records in SharePoint (Graph emulation)', function () {
  this.timeout(240_000);
  let requester: RunningPlayground;
  let procurement: RunningPlayground;
  let browser: Browser;
  let pages: { requester: Page; procurement: Page };
  let records: OpportunityStore;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'microacq-sharepoint-'));
    const botPort = await freePort();
    requester = await startPlayground({
      quiet: true,
      dataDir,
      botPort,
      clientPort: await freePort(),
      sharepoint: true,
    });
    procurement = await startPlayground({
      as: 'procurement',
      quiet: true,
      dataDir,
      botPort,
      clientPort: await freePort(),
      attach: true,
    });
    const graph = requester.graph;
    assert.ok(graph, 'the Playground started a Graph emulation');
    records = await openSharePoint(
      {
        client: createGraphClient(emulatorConfig(graph.siteId, graph.endpoint)),
        siteId: graph.siteId,
        listPrefix: 'Microacq',
      },
      SqliteStore.open(':memory:'),
    );
    browser = await launchChromium();
    const open = async (playground: RunningPlayground) => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } });
      await page.goto(playground.url);
      await page.locator('[data-lexical-editor="true"][role="textbox"]').first().waitFor({ timeout: 60_000 });
      return page;
    };
    pages = { requester: await open(requester), procurement: await open(procurement) };
  });

  after(async () => {
    await browser?.close();
    await records?.close();
    await procurement?.stop();
    await requester?.stop();
  });

  it('takes an intake into a SharePoint list past its view threshold, every write’s answer lost once, and routes it to procurement, who vets it', async () => {
    // A department's list after years of use: 6,000 requests already paid, past the 5,000-item threshold.
    const emulation = requester.graph?.emulation;
    assert.ok(emulation);
    const old = newOpportunity({ at: '2025-03-02T14:00:00.000Z' });
    emulation.seedItems('Microacq Opportunities', 6_000, (i) =>
      itemFields(
        Opportunity.parse({
          ...old,
          reference: `MA-2025-${String(i + 1).padStart(4, '0')}`,
          version: 1,
          status: 'paid',
          title: `Earlier work ${i}`,
        }),
        `earlier-${i}`,
      ),
    );
    emulation.seedItems('Microacq Counters', 1, () => ({
      Title: 'opportunities-2025',
      CounterKey: 'opportunities-2025',
      Value: 6_000,
    }));
    // Every write is carried out, but its first answer lost, as a gateway timing out would.
    emulation.inject({
      status: 503,
      retryAfterSeconds: 0,
      afterWrite: true,
      firstAttemptOnly: true,
      match: (method, path) => method !== 'GET' && path.includes('/items'),
    });
    emulation.resetLog();

    await pages.procurement.getByRole('treeitem', { name: /Micro-acquisition/ }).click();
    await mention(pages.procurement, 'register procurement');
    await pages.procurement.locator('.ac-adaptiveCard', { hasText: 'This channel now receives' }).waitFor();

    await pages.requester.getByRole('treeitem', { name: /Personal Chat/ }).click();
    const record = await completeIntake(
      pages.requester,
      '',
      'en',
      {
        ...fieldsFromContent(content()),
        applicationDeadline: inDays(14),
        supplierSelectionDate: inDays(16),
        deliveryDate: inDays(70),
      },
      undefined,
      (reference) => records.get(reference),
    );
    assert.equal(record.status, 'submitted');

    const card = pages.procurement
      .locator('.ac-adaptiveCard', { hasText: `${record.reference} · submitted` })
      .last();
    await card.waitFor({ timeout: 60_000 });
    await sayGo(card);
    await pages.procurement
      .locator('.ac-adaptiveCard', { hasText: `${record.reference} · in approval` })
      .last()
      .waitFor({ timeout: 60_000 });
    await pages.procurement.screenshot({ path: path.join(SHOTS, 'sharepoint-procurement-vetted.png') });

    assert.equal((await records.get(record.reference))?.status, 'in_approval');
    assert.deepEqual(
      (await records.auditTrail(record.reference)).map((e) => e.action),
      ['submit', 'vet_go'],
    );

    await say(pages.requester, `history ${record.reference}`);
    const history = pages.requester
      .locator('.ac-adaptiveCard', { hasText: `History of ${record.reference}` })
      .last();
    await history.waitFor({ timeout: 30_000 });
    assert.match(await history.innerText(), /Priya Raman · Go/);
    await pages.requester.screenshot({ path: path.join(SHOTS, 'sharepoint-requester-history.png') });

    // The requester's list and a search read the long list without SharePoint refusing a single query.
    await say(pages.requester, 'mine');
    const mine = pages.requester.locator('.ac-adaptiveCard', { hasText: 'Your requests' }).last();
    await mine.waitFor({ timeout: 30_000 });
    assert.match(await mine.innerText(), new RegExp(record.reference));
    await say(pages.requester, 'search date picker');
    const found = pages.requester
      .locator('.ac-adaptiveCard', { hasText: 'Requests matching your words' })
      .last();
    await found.waitFor({ timeout: 30_000 });
    assert.match(await found.innerText(), new RegExp(record.reference));
    await pages.requester.screenshot({ path: path.join(SHOTS, 'sharepoint-requester-search.png') });
    // Procurement searches the whole list from its channel: the newest of the earlier work first.
    await mention(pages.procurement, 'search earlier work');
    const earlier = pages.procurement
      .locator('.ac-adaptiveCard', { hasText: 'Requests matching your words' })
      .last();
    await earlier.waitFor({ timeout: 30_000 });
    const listed = await earlier.innerText();
    assert.match(listed, /MA-2025-6000[\s\S]*MA-2025-5999/);
    assert.match(listed, /Next/);
    await pages.procurement.screenshot({ path: path.join(SHOTS, 'sharepoint-procurement-search.png') });
    assert.deepEqual(emulation.overThreshold, []);
    // One record, numbered without a gap though every answer was lost once.
    assert.match(record.reference, /^MA-\d{4}-0001$/);
  });
});
