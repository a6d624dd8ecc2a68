import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Opportunity } from '../../src/services/opportunity';
import { AXE, axeInPage, describeViolations, WCAG_21_AA } from '../support/axe';
import { launchChromium } from '../support/chromium';
import { storeAwarded, storePosted } from '../support/published';
import { confirmationMail, newOpportunityMail } from '../../src/mail/messages';
import { publicOpportunity } from '../../src/services/publication';
import { CALENDAR } from '../support/opportunities';
import { answerQuestion } from '../../src/services/questions';
import { startTestBot, type TestBot } from '../support/teams';

/**
 * The public pages as a supplier's browser shows them: the design system loaded from the bot under its
 * strict policy with nothing refused, WCAG 2.1 AA by axe-core in both languages, usable with JavaScript
 * off, and saved as screenshots in test-output/site/.
 */

const SHOTS = path.join('test-output', 'site');
const TOKEN = 'T0kenForTheBrowserPages_0123456789abcdefghi';
const SUBSCRIPTION = {
  id: 's-browser',
  email: 'reader@example.ca',
  locale: 'fr' as const,
  token: TOKEN,
  createdAt: '2026-03-04T15:00:00.000Z',
  confirmationSentAt: '2026-03-04T15:00:00.000Z',
};

describe('the public pages in a browser', function () {
  this.timeout(60_000);
  let bot: TestBot;
  let browser: Browser;
  let open: Opportunity;
  let awarded: Opportunity;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    bot = await startTestBot({}, { now: () => new Date('2026-03-05T15:00:00Z'), background: false });
    open = await storePosted(bot.store);
    awarded = await storeAwarded(bot.store);
    // An answered question on the open one, and a subscription waiting for its confirmation.
    const asked = await bot.store.askQuestion(
      {
        id: 'q-browser000000001',
        reference: open.reference,
        locale: 'en',
        text: 'Which browsers?',
        email: 'asker@example.ca',
        askedAt: '2026-03-04T15:00:00.000Z',
      },
      { perOpportunity: 10, total: 10 },
    );
    assert.ok(asked.ok);
    const answered = answerQuestion(
      asked.question,
      {
        questionEn: 'Which browsers must the picker support?',
        questionFr: 'Quels navigateurs le sélecteur doit-il prendre en charge?',
        answerEn:
          'The last two versions of Chrome, Edge, Firefox and Safari.\n\nAnd the screen readers JAWS and NVDA.',
        answerFr:
          'Les deux dernières versions de Chrome, Edge, Firefox et Safari.\n\nEt les lecteurs d’écran JAWS et NVDA.',
      },
      { aadObjectId: 'p', name: 'Priya' },
      '2026-03-04T16:00:00.000Z',
    );
    assert.ok(answered.ok);
    await bot.store.settleQuestion(answered.question, 1);
    await bot.store.subscribe(SUBSCRIPTION, 10);
    const frenchView = publicOpportunity(open, 'fr');
    assert.ok(frenchView);
    await bot.store.queueMail([
      confirmationMail(bot.config.site.publicUrl, { ...SUBSCRIPTION }),
      newOpportunityMail(
        bot.config.site.publicUrl,
        frenchView,
        SUBSCRIPTION,
        CALENDAR,
        '2026-03-05T15:00:00.000Z',
      ),
    ]);
    await bot.server.tick();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await bot?.server.stop();
  });

  /** A page loaded as a reader would, with everything the browser refused or could not load. */
  const visit = async (page: Page, url: string) => {
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
    });
    const answer = await page.goto(`${bot.server.url}${url}`, { waitUntil: 'load' });
    await page.evaluate(() => document.fonts.ready);
    const own = answer?.status() ?? 200;
    // A not-found page is answered 404 on purpose: that answer, and the console's note of it, are expected.
    return own < 400
      ? problems
      : problems.filter((p) => !p.endsWith(answer?.url() ?? '') && !p.includes(`status of ${own}`));
  };

  const pages = () => [
    ['list.en', '/en/opportunities'],
    ['list.fr', '/fr/possibilites'],
    ['open.en', `/en/opportunities/${open.reference}`],
    ['open.fr', `/fr/possibilites/${open.reference}`],
    ['awarded.en', `/en/opportunities/${awarded.reference}`],
    ['awarded.fr', `/fr/possibilites/${awarded.reference}`],
    ['not-found.fr', '/fr/possibilites/MA-2026-9999'],
    ['question.en', `/en/opportunities/${open.reference}/question`],
    ['question.fr', `/fr/possibilites/${open.reference}/question`],
    ['subscribe.en', '/en/opportunities/subscribe'],
    ['subscribe.fr', '/fr/possibilites/abonnement'],
    ['confirm.fr', `/fr/possibilites/confirmer?token=${TOKEN}`],
    ['unsubscribe.en', `/en/opportunities/unsubscribe?token=${TOKEN}`],
    ['mailbox.fr', '/mailbox?lang=fr'],
    ['apply.en', `/en/opportunities/${open.reference}/apply`],
    ['apply.fr', `/fr/possibilites/${open.reference}/postuler`],
    ['apply-confirm.fr', `/fr/possibilites/${open.reference}/confirmer?token=${TOKEN}`],
  ];

  for (const name of [
    'list.en',
    'list.fr',
    'open.en',
    'open.fr',
    'awarded.en',
    'awarded.fr',
    'not-found.fr',
    'question.en',
    'question.fr',
    'subscribe.en',
    'subscribe.fr',
    'confirm.fr',
    'unsubscribe.en',
    'mailbox.fr',
    'apply.en',
    'apply.fr',
    'apply-confirm.fr',
  ]) {
    it(`shows the ${name} page with the design system loaded and nothing refused by its policy`, async () => {
      const url = pages().find(([n]) => n === name)?.[1] ?? '';
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems = await visit(page, url);
      // The design system's components rendered: the header's signature and language toggle are there.
      await page.locator('gcds-header.hydrated').waitFor();
      assert.equal(await page.locator('gcds-lang-toggle').count(), 1);
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
      assert.deepEqual(problems, []);
      await page.close();
    });

    it(`passes the WCAG 2.1 AA checks on the ${name} page (axe-core)`, async () => {
      const url = pages().find(([n]) => n === name)?.[1] ?? '';
      // axe is injected into the page, which the policy would rightly refuse: this context lets it in.
      const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1100, height: 900 } });
      const page = await context.newPage();
      await visit(page, url);
      await page.locator('gcds-header.hydrated').waitFor();
      await page.addScriptTag({ path: AXE });
      const violations = await page.evaluate(axeInPage, WCAG_21_AA);
      if (violations.length > 0) assert.fail(describeViolations(violations));
      await context.close();
    });
  }

  it('reads and navigates without JavaScript: headings, facts, links and the other language', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 1100, height: 900 },
    });
    const page = await context.newPage();
    assert.deepEqual(await visit(page, `/en/opportunities/${awarded.reference}`), []);
    assert.equal(
      await page.getByRole('heading', { level: 1 }).textContent(),
      'Accessible date picker for the benefits form',
    );
    assert.ok(await page.getByRole('heading', { level: 2, name: 'Work acceptance criteria' }).isVisible());
    assert.ok(await page.getByText('Awarded to Ada Dev').isVisible());
    await page.screenshot({ path: path.join(SHOTS, 'awarded.en.no-javascript.png'), fullPage: true });
    await page.getByRole('link', { name: 'Français' }).click();
    await page.waitForURL(/\/fr\/possibilites\//);
    assert.equal(
      await page.getByRole('heading', { level: 1 }).textContent(),
      'Sélecteur de date accessible pour le formulaire de prestations',
    );
    await page.getByRole('link', { name: 'Toutes les possibilités' }).click();
    await page.waitForURL(/\/fr\/possibilites$/);
    assert.ok(
      await page
        .getByRole('link', { name: /Sélecteur de date/ })
        .first()
        .isVisible(),
    );
    await context.close();
  });

  for (const locale of ['en', 'fr'] as const) {
    it(`shows a question form sent back with its problems, WCAG 2.1 AA and usable without JavaScript (${locale})`, async () => {
      const context = await browser.newContext({
        javaScriptEnabled: false,
        viewport: { width: 1100, height: 900 },
      });
      const page = await context.newPage();
      const path_ =
        locale === 'en'
          ? `/en/opportunities/${open.reference}/question`
          : `/fr/possibilites/${open.reference}/question`;
      assert.deepEqual(await visit(page, path_), []);
      await page
        .getByLabel(locale === 'en' ? 'Your e-mail address' : 'Votre adresse courriel')
        .fill('not an address');
      await page
        .getByLabel(locale === 'en' ? 'Your question' : 'Votre question')
        .fill('Kept <b>as typed</b>');
      await page
        .getByRole('button', { name: locale === 'en' ? 'Send the question' : 'Envoyer la question' })
        .click();
      await page.getByRole('alert').first().waitFor();
      assert.equal(
        await page.getByLabel(locale === 'en' ? 'Your question' : 'Votre question').inputValue(),
        'Kept <b>as typed</b>',
      );
      await page.screenshot({ path: path.join(SHOTS, `question-problems.${locale}.png`), fullPage: true });
      const html = await page.content();
      await context.close();
      // The same page with scripts on, for axe.
      const checked = await browser.newContext({ bypassCSP: true, viewport: { width: 1100, height: 900 } });
      const again = await checked.newPage();
      await again.goto(`${bot.server.url}${path_}`);
      await again.setContent(html.replace('<head>', `<head><base href="${bot.server.url}/">`), {
        waitUntil: 'load',
      });
      await again.addScriptTag({ path: AXE });
      const violations = await again.evaluate(axeInPage, WCAG_21_AA);
      if (violations.length > 0) assert.fail(describeViolations(violations));
      await checked.close();
    });
  }
});
