import { strict as assert } from 'node:assert';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { fieldsFromContent, toContent } from '../../src/services/intake';
import { content } from '../support/opportunities';
import {
  completeIntake,
  inDays,
  mention,
  say,
  SHOTS,
  openClient,
  type OpenClient,
} from '../support/playground-client';

/** End to end through the real local Teams client, driven in headless Chromium as a person would. */

describe('in the local Teams client (Agents Playground)', function () {
  this.timeout(120_000);
  let client: OpenClient;
  let page: Page;

  before(async () => {
    client = await openClient('playground');
    page = client.page;
  });

  after(async () => {
    await client?.close();
  });

  it('welcomes the person in their personal chat when the app is installed', async () => {
    const welcome = page.locator('.ac-adaptiveCard', { hasText: 'Welcome to Microacq' });
    await welcome.first().waitFor({ timeout: 30_000 });
    assert.match(await welcome.first().innerText(), /Bienvenue dans Microacq/);
  });

  it('answers help in the personal chat with the card of commands', async () => {
    await say(page, 'help');
    const card = page.locator('.ac-adaptiveCard', { hasText: 'What you can ask Microacq' }).last();
    await card.waitFor({ timeout: 30_000 });
    assert.match(await card.innerText(), /Show this list of commands/);
    assert.match(await card.innerText(), /You have no approval role here/);
    await page.screenshot({ path: path.join(SHOTS, 'help-personal-chat.png') });
  });

  it('answers a mention in a team channel', async () => {
    await page.getByRole('treeitem', { name: /Micro-acquisition/ }).click();
    await mention(page, 'aide');
    const card = page.locator('.ac-adaptiveCard', { hasText: 'What you can ask Microacq' }).last();
    await card.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SHOTS, 'help-channel.png') });
  });

  it('answers a typo with a suggestion rather than silence', async () => {
    await page.getByRole('treeitem', { name: /Personal Chat/ }).click();
    await say(page, 'hepl');
    const card = page.locator('.ac-adaptiveCard', { hasText: 'I did not understand this message' }).last();
    await card.waitFor({ timeout: 30_000 });
    assert.match(await card.innerText(), /Did you mean help\?/);
    await page.screenshot({ path: path.join(SHOTS, 'unknown-command.png') });
  });

  it('keeps the first 100 characters of a 5,000-character title pasted into the intake, and says so under it', async () => {
    await page.getByRole('treeitem', { name: /Personal Chat/ }).click();
    await say(page, 'new');
    const card = page.locator('.ac-adaptiveCard', { hasText: 'New request' }).last();
    await card.waitFor({ timeout: 30_000 });
    const pasted = 'Accessible date picker for the benefits form. '.repeat(109).slice(0, 5_000);
    await card.getByLabel('Title', { exact: true }).fill(pasted);
    await card.getByRole('button', { name: 'Next', exact: true }).click();
    const answered = page.locator('.ac-adaptiveCard', { hasText: 'You entered 5,000 characters' }).last();
    await answered.waitFor({ timeout: 30_000 });
    assert.equal(await answered.getByLabel('Title', { exact: true }).inputValue(), pasted.slice(0, 100));
    assert.match(await answered.innerText(), /so your text was cut to its first 100 characters/);
    await answered.screenshot({ path: path.join(SHOTS, 'intake-paste-cut-en.png') });
    await answered.getByRole('button', { name: 'Discard this draft', exact: true }).click();
  });

  it('completes an intake in English, explains a price over the ceiling, and stores every field', async () => {
    // Tall enough for the whole review card, so its screenshot shows every line.
    await page.setViewportSize({ width: 1280, height: 2400 });
    await page.getByRole('treeitem', { name: /Personal Chat/ }).click();
    const fields = {
      ...fieldsFromContent(content()),
      applicationDeadline: inDays(14),
      supplierSelectionDate: inDays(16),
      deliveryDate: inDays(70),
      contactName: client.playground.user.name,
    };
    const record = await completeIntake(page, client.playground.dataDir, 'en', fields, {
      field: 'estimatedHours',
      code: 'over_ceiling',
      // $80 × (100 + 10) h = $8,800, $10,120 with the highest tax.
      value: '100',
      params: { totalCents: 1_012_000 },
    });
    const expected = toContent(fields, inDays(0));
    assert.ok(expected);
    for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
      assert.deepEqual(record[key], expected[key], key);
    }
    assert.equal(record.status, 'submitted');
    assert.equal(record.locale, 'en');
    assert.equal(record.requester.name, client.playground.user.name);

    // "New request" on the confirmation posts a fresh form below; the confirmation stays in the chat.
    const confirmation = page.locator('.ac-adaptiveCard', {
      hasText: `Request ${record.reference} submitted`,
    });
    await confirmation.getByRole('button', { name: 'New request', exact: true }).click();
    await page
      .locator('.ac-adaptiveCard', { hasText: 'Step 1 of 5: The basics' })
      .last()
      .waitFor({ timeout: 30_000 });
    assert.equal(await confirmation.count(), 1);
  });

  it('completes an intake in French after "langue français", explaining a mistake in French', async () => {
    await say(page, 'langue français');
    await page.locator('.ac-adaptiveCard', { hasText: 'Désormais, je vous parle en français' }).waitFor();
    const record = await completeIntake(
      page,
      client.playground.dataDir,
      'fr',
      {
        title: 'Sélecteur de date accessible',
        shortDescription: 'Rendre le sélecteur de date accessible au clavier et aux lecteurs d’écran.',
        department: 'Emploi et Développement social Canada',
        branch: 'Prestation des services',
        team: 'Services en ligne',
        contactEmail: 'riley.tremblay@exemple.gc.ca',
        background: 'Le formulaire de prestations piège le focus dans le sélecteur de date.',
        deliverables: 'Une demande de fusion qui corrige le focus, avec des tests.',
        requiredSkills: 'TypeScript, WCAG 2.1',
        evaluationCriterion: 'A déjà livré un composant Web accessible.',
        acceptanceCriteria: 'Code sous licence MIT; tous les tests passent.',
        hourlyRate: '80,50',
        estimatedHours: '40',
        applicationDeadline: inDays(14),
        supplierSelectionDate: inDays(16),
        deliveryDate: inDays(70),
      },
      { field: 'hourlyRate', code: 'not_a_number', value: 'quatre-vingts' },
    );
    assert.equal(record.title, 'Sélecteur de date accessible');
    assert.equal(record.locale, 'fr');
    assert.deepEqual(record.pricing, {
      hourlyRateCents: 8_050,
      estimatedHours: 40,
      adminHours: 10,
      fixedPriceCents: 402_500,
    });
    assert.deepEqual(record.requiredSkills, ['TypeScript', 'WCAG 2.1']);
    assert.equal(record.licence, 'MIT');
    assert.equal(record.dates.deliveryDate, inDays(70));
    assert.deepEqual(record.attestations, {
      unclassified: true,
      standalone: true,
      noInternalCapacity: true,
      notContractSplitting: true,
    });
    await say(page, 'langue teams');
  });
});
