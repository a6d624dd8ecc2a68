import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { parse } from 'yaml';
import { type RunningPlayground, startPlayground } from '../../scripts/playground';
import { problemText } from '../../src/cards/intake';
import { type Locale, t } from '../../src/i18n';
import {
  FIELDS,
  type FieldName,
  fieldsOf,
  type FormStep,
  type IntakeFields,
  type Step,
} from '../../src/services/intake';
import type { Opportunity } from '../../src/services/opportunity';
import type { Problem } from '../../src/services/rules';
import { SqliteStore } from '../../src/stores/sqlite-store';
import { launchChromium } from './chromium';

/** Driving the local Teams client (Agents Playground) as a person would, for the end-to-end suites. */

export const SHOTS = path.resolve(__dirname, '../../test-output/e2e');

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Types a message in the chat's box and sends it. */
export async function say(page: Page, text: string): Promise<void> {
  const box = page.locator('[data-lexical-editor="true"][role="textbox"]');
  await box.click();
  await box.pressSequentially(text);
  await page.keyboard.press('Enter');
}

/** Posts in a channel, mentioning the bot first (a channel's first box starts a new post). */
export async function mention(page: Page, text: string): Promise<void> {
  const box = page.locator('[data-lexical-editor="true"][role="textbox"]').first();
  await box.click();
  await box.pressSequentially('@');
  await page.getByRole('menuitem', { name: 'Microacq' }).click();
  await box.pressSequentially(` ${text}`);
  await page.keyboard.press('Enter');
}

/** A file a person attaches to a message. */
export interface AttachedFile {
  readonly name: string;
  readonly contentType: string;
  readonly bytes: Buffer;
}

/**
 * Sends `text` with a file attached, in the personal chat of the person `client` plays. The Playground's
 * compose box has no attach button (only message extensions and Send), so the person uses its own
 * "Mock an Activity → Custom activity" dialog: they paste the message activity there, the file in it as a
 * `data:` URL (one of the forms the bot reads, src/bot/attachments.ts), and the Playground delivers it to
 * the bot as it delivers a typed message, the answer showing in the chat.
 */
export async function sendWithFile(
  page: Page,
  client: RunningPlayground,
  text: string,
  file: AttachedFile,
): Promise<void> {
  const yml = parse(readFileSync(path.resolve(__dirname, '../../.m365agentsplayground.yml'), 'utf8')) as {
    tenantId: string;
    bot: { id: string; name: string };
    personalChat: { id: string };
  };
  const activity = {
    type: 'message',
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: `${client.url}/_connector`,
    locale: 'en-US',
    recipient: yml.bot,
    conversation: { id: yml.personalChat.id, conversationType: 'personal', tenantId: yml.tenantId },
    from: { id: client.user.id, name: client.user.name, aadObjectId: client.user.aadObjectId },
    text,
    attachments: [
      {
        contentType: file.contentType,
        name: file.name,
        contentUrl: `data:${file.contentType};base64,${file.bytes.toString('base64')}`,
      },
    ],
  };
  await page.getByRole('treeitem', { name: /Personal Chat/ }).click();
  await page.getByRole('button', { name: 'Mock an Activity' }).click();
  await page.getByRole('menuitem', { name: 'Custom activity' }).click();
  const dialog = page.getByRole('dialog', { name: 'Custom activity' });
  // Pasted, not typed: the dialog's editor closes brackets and indents lines as they are typed.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: client.url });
  await page.evaluate((json) => navigator.clipboard.writeText(json), JSON.stringify(activity, null, 2));
  await dialog.locator('.monaco-editor').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Control+V');
  await dialog.getByRole('button', { name: 'Send activity' }).click();
  await dialog.waitFor({ state: 'hidden' });
}

/** A one-page PDF that says `line`: what a supplier signs and sends back. */
export function onePagePdf(line: string): Buffer {
  const text = line.replace(/[()\\]/g, '\\$&');
  const stream = `BT /F1 14 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const at = pdf.length;
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** Dates from the real clock: the bot checks them against today. */
export const inDays = (offset: number) =>
  new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/**
 * A person fills in every step of the intake card as they would, making one mistake on the way, and
 * the record lands in the store with what they typed. Labels and messages come from the resources, so
 * the same walk runs in either language.
 */
export async function completeIntake(
  page: Page,
  dataDir: string,
  locale: Locale,
  typed: IntakeFields,
  mistake?: Problem & { value: string },
  readRecord: (reference: string) => Promise<Opportunity | undefined> = (reference) =>
    readFromSqlite(dataDir, reference),
): Promise<Opportunity> {
  const label = (f: FieldName) => t(locale, `intake.fields.${f}.label`);
  const button = (key: Parameters<typeof t>[1]) => t(locale, key);
  const stepTitle = (n: number, step: Step) =>
    t(locale, 'intake.progress', { n, total: 5, step: t(locale, `intake.steps.${step}`) });

  await say(page, locale === 'fr' ? 'nouveau' : 'new');
  const card = page.locator('.ac-adaptiveCard', { hasText: t(locale, 'intake.heading') }).last();
  await card.waitFor({ timeout: 30_000 });
  const shot = (name: string) => card.screenshot({ path: path.join(SHOTS, `intake-${locale}-${name}.png`) });
  const fill = async (step: FormStep, values: IntakeFields) => {
    for (const f of fieldsOf(step)) {
      const value = values[f];
      if (value === undefined || FIELDS[f].kind === 'toggle') continue;
      // The licence is picked from a list, not typed: the Playground draws it as a combo box.
      if (FIELDS[f].kind === 'choice') await choose(card.getByRole('combobox').first(), value);
      else await card.getByLabel(label(f), { exact: true }).fill(value);
    }
  };
  /** Picks the licence whose SPDX id is `id`, unless it is the one shown. */
  const choose = async (box: Locator, id: string) => {
    if ((await box.inputValue()).endsWith(`(${id})`)) return;
    await box.click();
    await page.getByRole('option', { name: new RegExp(`\\(${id.replace(/[.+]/g, '\\$&')}\\)$`) }).click();
  };
  const press = async (key: Parameters<typeof t>[1], expect: string) => {
    await card.getByRole('button', { name: button(key), exact: true }).click();
    await card.getByText(expect, { exact: true }).first().waitFor({ timeout: 30_000 });
  };

  const steps: [FormStep, Step][] = [
    ['basics', 'work'],
    ['work', 'pricing'],
    ['pricing', 'attestations'],
  ];
  for (const [i, [step, following]] of steps.entries()) {
    await fill(step, typed);
    if (mistake && FIELDS[mistake.field as FieldName].step === step) {
      await fill(step, { [mistake.field]: mistake.value });
      await card.getByRole('button', { name: button('intake.buttons.next'), exact: true }).click();
      await card.getByText(problemText(locale, mistake)).waitFor({ timeout: 30_000 });
      assert.equal(
        await card.getByLabel(label(mistake.field as FieldName), { exact: true }).inputValue(),
        mistake.value,
      );
      await shot(`${i + 1}-${step}-mistake`);
      await fill(step, typed);
    }
    await press('intake.buttons.next', stepTitle(i + 2, following));
  }
  for (const box of await card.getByRole('checkbox').all()) await box.check();
  await shot('4-attestations');
  await press('intake.buttons.review', stepTitle(5, 'review'));
  await shot('5-review');
  await press('intake.buttons.submit', t(locale, 'intake.submitted.nextStepsHeading'));
  const confirmation = await card.innerText();
  await shot('6-submitted');
  const reference = /MA-\d{4}-\d{4}/.exec(confirmation)?.[0];
  assert.ok(reference, confirmation);
  assert.match(confirmation, new RegExp(t(locale, 'intake.submitted.heading', { reference })));

  const record = await readRecord(reference);
  assert.ok(record, `${reference} is not in the store`);
  return record;
}

/** A record as the Playground's bot stored it in its SQLite file. */
export async function readFromSqlite(dataDir: string, reference: string): Promise<Opportunity | undefined> {
  const store = SqliteStore.open(path.join(dataDir, 'playground.db'));
  try {
    return await store.get(reference);
  } finally {
    await store.close();
  }
}

/** Says go from a vetting card: each point of the checklist ticked, then confirmed. */
export async function sayGo(card: Locator): Promise<void> {
  await card.getByRole('button', { name: /^Go( \/ Accepter)?$/ }).click();
  for (const box of await card.getByRole('checkbox').filter({ visible: true }).all()) await box.check();
  await card
    .locator('button:visible', { hasText: /^Confirm/ })
    .first()
    .click();
}

/** The compose box of the local Teams client. */
/**
 * The latest card on a page that shows `text`, once it is there; if it never comes, what the person saw
 * instead is saved as `<suite>-missing-card.png` for whoever reads the failure.
 */
export async function cardWith(page: Page, text: string | RegExp, suite: string): Promise<Locator> {
  const card = page.locator('.ac-adaptiveCard', { hasText: text }).last();
  try {
    await card.waitFor({ timeout: 60_000 });
  } catch (err) {
    await page.screenshot({ path: path.join(SHOTS, `${suite}-missing-card.png`), fullPage: true });
    throw err;
  }
  return card;
}

/** A button or a label in a channel reads in both languages: "Record payment / Enregistrer…". */
export const named = (words: string) =>
  new RegExp(`^${words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( / .*)?$`);

/**
 * Presses `title` on the latest card of `reference` that offers it (the answer to a click and the
 * outbox's update of the same message may arrive in either order). A one-click decision is sent at once;
 * a form, or a decision that cannot be undone, opens under its button: it is filled in (`form`: label →
 * value; `choose`: anything else) and confirmed. Gives the card pressed.
 */
export async function press(
  page: Page,
  reference: string,
  title: string,
  form: Readonly<Record<string, string>> = {},
  choose?: (card: Locator) => Promise<void>,
): Promise<Locator> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const card = page
      .locator('.ac-adaptiveCard', {
        hasText: reference,
        has: page.getByRole('button', { name: named(title) }),
      })
      .last();
    await card.waitFor({ timeout: 60_000 });
    const button = card.getByRole('button', { name: named(title) });
    const opensForm = (await button.getAttribute('aria-expanded')) !== null;
    await button.click();
    if (!opensForm) return card;
    const confirm = card.locator('button:visible', { hasText: /^Confirm/ }).first();
    const opened = await confirm
      .waitFor({ state: 'visible', timeout: 5_000 })
      .then(() => true)
      .catch(() => false);
    // The client drew the card again under the click (a newer card arriving): open the form again.
    if (!opened) continue;
    await choose?.(card);
    for (const [label, value] of Object.entries(form)) await card.getByLabel(named(label)).fill(value);
    await confirm.click();
    return card;
  }
  throw new Error(`the form of ${title} never opened`);
}

export const COMPOSE = '[data-lexical-editor="true"][role="textbox"]';

/** A bot with its own local Teams client and store, open in headless Chromium at the personal chat. */
export interface OpenClient {
  readonly playground: RunningPlayground;
  readonly browser: Browser;
  readonly page: Page;
  close(): Promise<void>;
}

export async function openClient(
  name: string,
  page: Parameters<Browser['newPage']>[0] = { viewport: { width: 1280, height: 900 } },
): Promise<OpenClient> {
  mkdirSync(SHOTS, { recursive: true });
  const playground = await startPlayground({
    quiet: true,
    dataDir: mkdtempSync(path.join(tmpdir(), `microacq-${name}-`)),
    botPort: await freePort(),
    clientPort: await freePort(),
  });
  const browser = await launchChromium();
  const opened = await browser.newPage(page);
  await opened.goto(playground.url);
  await opened.locator(COMPOSE).waitFor({ timeout: 60_000 });
  return {
    playground,
    browser,
    page: opened,
    async close() {
      await browser.close();
      await playground.stop();
    },
  };
}
