import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type RunningPlayground, startPlayground } from '../../scripts/playground';
import { launchChromium } from '../support/chromium';

/** End to end through the real local Teams client, driven in headless Chromium as a person would. */

const SHOTS = path.resolve(__dirname, '../../test-output/e2e');

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function say(page: Page, text: string): Promise<void> {
  const box = page.locator('[data-lexical-editor="true"][role="textbox"]');
  await box.click();
  await box.pressSequentially(text);
  await page.keyboard.press('Enter');
}

describe('in the local Teams client (Agents Playground)', function () {
  this.timeout(120_000);
  let playground: RunningPlayground;
  let browser: Browser;
  let page: Page;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    playground = await startPlayground({
      quiet: true,
      dataDir: mkdtempSync(path.join(tmpdir(), 'microacq-playground-')),
      botPort: await freePort(),
      clientPort: await freePort(),
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(playground.url);
    await page.locator('[data-lexical-editor="true"][role="textbox"]').waitFor({ timeout: 60_000 });
  });

  after(async () => {
    await browser?.close();
    await playground?.stop();
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
    // A channel shows a "start a new post" box above the reply boxes of existing threads.
    const box = page.locator('[data-lexical-editor="true"][role="textbox"]').first();
    await box.click();
    await box.pressSequentially('@');
    await page.getByRole('menuitem', { name: 'Microacq' }).click();
    await box.pressSequentially(' aide');
    await page.keyboard.press('Enter');
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
});
