import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { type Persona, type RunningPlayground, startPlayground } from '../../scripts/playground';
import { fieldsFromContent } from '../../src/services/intake';
import { LocalDocuments } from '../../src/stores/local-documents';
import { SqliteStore } from '../../src/stores/sqlite-store';
import { launchChromium } from '../support/chromium';
import { content } from '../support/opportunities';
import {
  completeIntake,
  freePort,
  inDays,
  mention,
  onePagePdf,
  say,
  sayGo,
  sendWithFile,
  SHOTS,
  press,
  cardWith as cardWithOn,
} from '../support/playground-client';

/**
 * Approvals end to end in the local Teams client: one bot, and one Playground client per person — the
 * requester, the procurement officer, the finance approver and the union representative — each acting
 * from their own channel, as Teams would show each of them.
 */

describe('approvals in the local Teams client, one client per role', function () {
  this.timeout(240_000);
  const clients = new Map<Persona, { playground: RunningPlayground; page: Page }>();
  let browser: Browser;
  let dataDir: string;
  /** The bot's clock runs this many days ahead of the machine's once a test lets time pass. */
  let daysPassed = 0;
  const letDaysPass = (days: number) => {
    daysPassed += days;
    writeFileSync(path.join(dataDir, 'clock'), `+${daysPassed}d`);
  };
  /** A date `offset` days after the bot's today (as the machine reckons it). */
  const botDays = (offset: number) => inDays(daysPassed + offset);

  const clientOf = (persona: Persona) => {
    const client = clients.get(persona);
    if (!client) throw new Error(`no client for ${persona}`);
    return client;
  };
  const pageOf = (persona: Persona): Page => clientOf(persona).page;

  const cardWith = (page: Page, text: string | RegExp) => cardWithOn(page, text, 'approvals');

  /** Opens a card's details in one language, as a person pressing Details (or Détails) does. */
  const openDetails = async (card: Locator, title: 'Details' | 'Détails') => {
    await card.getByRole('button', { name: title, exact: true }).click();
    const heading = title === 'Details' ? 'The whole request' : 'La demande au complet';
    await card.getByText(heading, { exact: true }).waitFor({ state: 'visible' });
    return card;
  };

  const shot = (persona: Persona, name: string) =>
    pageOf(persona).screenshot({ path: path.join(SHOTS, `approvals-${persona}-${name}.png`) });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(path.join(tmpdir(), 'microacq-approvals-'));
    const botPort = await freePort();
    browser = await launchChromium();
    letDaysPass(0);
    for (const persona of ['requester', 'procurement', 'finance', 'union', 'manager'] as const) {
      const playground = await startPlayground({
        as: persona,
        quiet: true,
        dataDir,
        botPort,
        clientPort: await freePort(),
        attach: persona !== 'requester',
        // The bot (started by the requester's client) runs on a clock the tests can move.
        clockFile: path.join(dataDir, 'clock'),
        schedulerSeconds: 2,
      });
      const page = await browser.newPage({ viewport: { width: 1280, height: 2200 } });
      await page.goto(playground.url);
      await page.locator('[data-lexical-editor="true"][role="textbox"]').first().waitFor({ timeout: 60_000 });
      clients.set(persona, { playground, page });
    }
  });

  after(async () => {
    await browser?.close();
    // The requester's client owns the bot: stop it last.
    for (const persona of ['manager', 'union', 'finance', 'procurement', 'requester'] as const) {
      await clients.get(persona)?.playground.stop();
    }
  });

  it('registers each team channel from inside it', async () => {
    const channels: [Persona, RegExp, string][] = [
      ['procurement', /Micro-acquisition/, 'register procurement'],
      ['finance', /Finance/, 'register finance'],
      ['union', /Union consultation/, 'register union'],
    ];
    for (const [persona, channel, command] of channels) {
      const page = pageOf(persona);
      await page.getByRole('treeitem', { name: channel }).click();
      await mention(page, command);
      await cardWith(page, 'This channel now receives');
    }
  });

  it('routes a request submitted in the personal chat to each team, who decide from their cards', async () => {
    const requester = pageOf('requester');
    await requester.getByRole('treeitem', { name: /Personal Chat/ }).click();
    const record = await completeIntake(requester, dataDir, 'en', {
      ...fieldsFromContent(content()),
      applicationDeadline: inDays(14),
      supplierSelectionDate: inDays(16),
      deliveryDate: inDays(70),
    });
    const ref = record.reference;

    // Procurement vets from the card posted in its channel.
    const procurement = pageOf('procurement');
    let card = await cardWith(procurement, `${ref} · submitted`);
    await shot('procurement', '1-vetting-card');
    // Procurement opens the whole request: the work, every attestation, and the branch's last year.
    let details = await openDetails(card, 'Details');
    let text = await details.innerText();
    assert.match(text, /users report the date picker traps focus/);
    assert.match(text, /Attested: This is not contract splitting/);
    assert.match(text, /riley\.tremblay@example\.gc\.ca|@/);
    assert.match(await card.innerText(), /Contract splitting: the branch’s last 12 months/);
    await card.screenshot({ path: path.join(SHOTS, 'details-procurement-channel.png') });
    await sayGo(card);
    // The answer to the click and the outbox's update of the same message may land in either order:
    // wait for the state, not for the words of either.
    await cardWith(procurement, `${ref} · in approval`);

    // Marc, also in finance, opens the request in his personal chat: the card offers finance's buttons.
    const marc = pageOf('manager');
    await marc.getByRole('treeitem', { name: /Personal Chat/ }).click();
    await say(marc, `status ${ref}`);
    const stale = await cardWith(marc, `${ref} · in approval`);
    await stale.getByRole('button', { name: 'Reject', exact: true }).waitFor();

    // Finance approves the funds with the reservation number, from the card in the Finance channel.
    const finance = pageOf('finance');
    card = await cardWith(finance, `${ref} · in approval`);
    // Finance reads the request before committing funds, in English or in French.
    details = await openDetails(card, 'Details');
    assert.match(await details.innerText(), /users report the date picker traps focus/);
    details = await openDetails(card, 'Détails');
    assert.match(await details.innerText(), /Pas encore traduite/);
    await card.screenshot({ path: path.join(SHOTS, 'details-finance-channel.png') });
    await card.getByRole('button', { name: /^Approve \(s\. 32\)/ }).click();
    await card.getByLabel(/^Fund reservation number/).fill('FR-2026-118');
    await card
      .locator('button:visible', { hasText: /^Confirm/ })
      .first()
      .click();
    await cardWith(finance, 'approved by Farah Haddad, reservation FR-2026-118');
    await shot('finance', '2-funds-approved');

    // Marc's card still shows the funds undecided: his Reject comes second, and is not applied.
    await stale.getByRole('button', { name: 'Reject', exact: true }).click();
    await stale.getByLabel('Reason', { exact: true }).fill('No budget left this year');
    await stale.locator('button:visible', { hasText: /^Confirm$/ }).click();
    const answered = await cardWith(marc, /Already decided by Farah Haddad/);
    assert.match(await answered.innerText(), new RegExp(`${ref} · in approval`));
    await answered.screenshot({ path: path.join(SHOTS, 'approvals-stale-reject-en.png') });

    // The union acknowledges from the card in its channel.
    const union = pageOf('union');
    card = await cardWith(union, `${ref} · in approval`);
    // The union sees the two attestations it is consulted on, on the card, and the work in the details.
    text = await card.innerText();
    assert.match(text, /Consulted on[\s\S]*Attested: This is a standalone piece of work/);
    assert.match(text, /Attested: There is no internal capacity to do this work/);
    details = await openDetails(card, 'Details');
    text = await details.innerText();
    assert.match(text, /users report the date picker traps focus/);
    assert.doesNotMatch(text, /contract splitting|@/, 'no more than the union is consulted on');
    await card.screenshot({ path: path.join(SHOTS, 'details-union-channel.png') });
    // A double click: it counts once (the audit trail checked at the end holds one acknowledgement).
    await card.getByRole('button', { name: /^Acknowledge/ }).dblclick();
    await cardWith(union, /Union consultation[\s\S]*acknowledged/);
    await shot('union', '3-acknowledged');

    // The card posted in the procurement channel was updated in place for everyone there.
    await cardWith(procurement, /approved by Farah Haddad[\s\S]*acknowledged/);
    await shot('procurement', '4-card-updated');

    // The requester was told at every step, in the personal chat.
    for (const told of ['vetted by the procurement team', 'funds approved', 'acknowledged by the union']) {
      await cardWith(requester, `${ref}: ${told}`);
    }
    await shot('requester', '5-updates');

    const store = SqliteStore.open(path.join(dataDir, 'playground.db'));
    try {
      const now = await store.get(ref);
      assert.equal(now?.status, 'in_approval');
      assert.equal(now?.finance.fundReservationNumber, 'FR-2026-118');
      assert.equal(now?.consultation.status, 'acknowledged');
    } finally {
      await store.close();
    }
    reference = ref;
  });

  /** Presses a button on the latest card of this request that offers it; for a form, fills it and confirms. */
  const pressOn = async (page: Page, title: string, form: Record<string, string> = {}) => {
    await press(page, reference, title, form);
  };

  let reference = '';

  const APPLICANTS = [
    {
      name: 'Camille Code',
      email: 'camille@example.ca',
      locale: 'fr',
      answer: 'J’ai livré le sélecteur de dates du formulaire municipal.',
      link: 'https://gitlab.com/camille/selecteur',
    },
    {
      name: 'Ada Dev',
      email: 'ada@example.ca',
      locale: 'en',
      answer: 'I shipped the accessible date picker of the permit forms.',
      link: 'https://github.com/ada/picker',
    },
    {
      name: 'Bo Code',
      email: 'bo@example.ca',
      locale: 'en',
      answer: 'I have not built a web component yet, but I learn fast.',
      link: 'https://github.com/bo/first-steps',
    },
  ] as const;
  const FAILING = APPLICANTS[2];

  /** A supplier applies from the page in their language and confirms from the e-mailed link. */
  const applyOnSite = async (site: Page, botUrl: string, a: (typeof APPLICANTS)[number]) => {
    const fr = a.locale === 'fr';
    await site.goto(`${botUrl}${fr ? `/fr/possibilites/${reference}` : `/en/opportunities/${reference}`}`);
    await site
      .getByRole('link', { name: fr ? 'Postuler à cette possibilité' : 'Apply to this opportunity' })
      .click();
    await site
      .getByLabel(fr ? 'Votre nom, ou celui de votre entreprise' : 'Your name, or your business’s name')
      .fill(a.name);
    await site.getByLabel(fr ? 'Votre adresse courriel' : 'Your e-mail address').fill(a.email);
    await site.getByLabel(fr ? 'Étudiant ou étudiante' : 'A student').check();
    await site
      .getByRole('group', {
        name: fr ? 'Êtes-vous fonctionnaire fédéral?' : 'Are you a federal public servant?',
      })
      .getByLabel(fr ? 'Non' : 'No')
      .check();
    await site
      .getByLabel(fr ? 'Votre réponse au critère d’évaluation' : 'Your answer to the evaluation criterion')
      .fill(a.answer);
    await site.getByLabel(fr ? 'Liens vers vos travaux antérieurs' : 'Links to your past work').fill(a.link);
    for (const box of await site.locator('input[type=checkbox]').all()) await box.check();
    if (fr) await site.screenshot({ path: path.join(SHOTS, 'public-apply-fr.png'), fullPage: true });
    await site.getByRole('button', { name: fr ? 'Envoyer la candidature' : 'Send the application' }).click();
    await site.getByRole('heading', { name: fr ? 'Consultez vos courriels' : 'Check your e-mail' }).waitFor();
    await site.goto(`${botUrl}/mailbox`);
    const toConfirm = site
      .locator('article', {
        hasText: fr
          ? `Confirmez votre candidature à ${reference}`
          : `Confirm your application to ${reference}`,
      })
      .filter({ hasText: a.email });
    await toConfirm.waitFor({ timeout: 30_000 });
    await toConfirm.getByRole('link', { name: /(confirm|confirmer)\?token=/ }).click();
    await site.getByRole('button', { name: fr ? 'Confirmer' : 'Confirm' }).click();
    await site
      .getByRole('heading', { name: fr ? 'Votre candidature compte' : 'Your application counts' })
      .waitFor();
  };

  /**
   * The award as suppliers see it: the public page shows the draw anyone can check and who was selected,
   * and the mailbox holds each applicant's e-mail in their language.
   */
  const checkAward = async (botUrl: string) => {
    const site = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    try {
      for (const [address, heading, awarded] of [
        [`/en/opportunities/${reference}`, 'The draw', /Awarded to/],
        [`/fr/possibilites/${reference}`, 'Le tirage', /Attribuée à/],
      ] as const) {
        await site.goto(`${botUrl}${address}`);
        const draw = site.locator('section', { has: site.getByRole('heading', { name: heading }) });
        await draw.waitFor();
        assert.match(await draw.innerText(), /sha256sum/);
        assert.match(await site.locator('main').innerText(), awarded);
        await site.screenshot({
          path: path.join(SHOTS, `public-award-${address.slice(1, 3)}.png`),
          fullPage: true,
        });
      }
      await site.goto(`${botUrl}/mailbox`);
      for (const a of APPLICANTS) {
        const mine = site.locator('article', { hasText: a.email });
        const subjects = await mine.locator('h2').allInnerTexts();
        const selected = subjects.some((s) => /You were selected|Vous avez été sélectionné/.test(s));
        const notSelected = subjects.some((s) => /^Your application to|^Votre candidature à/.test(s));
        assert.ok(selected !== notSelected, `${a.email} is told once: ${subjects.join(' | ')}`);
        if (a === FAILING) assert.ok(notSelected, 'the failed applicant is not selected');
        assert.ok(
          subjects.every((s) => (a.locale === 'fr') === /Confirmez|Vous avez|Votre candidature/.test(s)),
          `${a.email} hears in ${a.locale}: ${subjects.join(' | ')}`,
        );
      }
      await site.screenshot({ path: path.join(SHOTS, 'mailbox-award.png'), fullPage: true });
    } finally {
      await site.close();
    }
  };

  it('takes the request on to paid: posting, the draw, the signed terms, delivery, acceptance, the invoice, certification and payment', async () => {
    assert.ok(reference, 'the request of the previous test');
    const procurement = pageOf('procurement');
    // Procurement enters the French version, checked by the intake's rules, and confirms it.
    await pressOn(procurement, 'Translation', {
      Title: 'Sélecteur de date accessible pour le formulaire de prestations',
      'Short description': 'Rendre le sélecteur de date du formulaire de prestations accessible.',
      Background: 'La Direction générale gère la demande en ligne; le sélecteur de date piège le focus.',
      Deliverables: 'Un composant de sélection de date accessible, ses tests et sa documentation.',
      'Evaluation criterion': 'A déjà livré un composant Web accessible.',
      'Acceptance criteria': 'Tous les tests passent; WCAG 2.1 AA pour le composant.',
    });
    await cardWith(procurement, /French version confirmed/);

    // A supplier subscribes to new opportunities, in French, and confirms from the local mailbox.
    const botUrl = clients.get('requester')?.playground.botUrl ?? '';
    const site = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await site.goto(`${botUrl}/fr/possibilites`);
    await site.getByRole('link', { name: 'Recevoir un courriel à chaque nouvelle possibilité' }).click();
    await site.getByLabel('Votre adresse courriel').fill('abonnee@example.ca');
    await site.getByRole('button', { name: 'S’abonner' }).click();
    await site.getByRole('heading', { name: 'Consultez vos courriels' }).waitFor();
    await site.goto(`${botUrl}/mailbox?lang=fr`);
    await site.getByRole('heading', { name: /Confirmez votre abonnement/ }).waitFor({ timeout: 30_000 });
    await site
      .getByRole('link', { name: /confirmer\?token=/ })
      .first()
      .click();
    await site.getByRole('button', { name: 'Confirmer' }).click();
    await site.getByRole('heading', { name: 'Vous êtes abonné' }).waitFor();

    await pressOn(procurement, 'Post');

    // The closing date moves a week, as the pilot's did: the requester sees the original beside it.
    await pressOn(procurement, 'Extend applications', {
      'Application deadline': botDays(21),
      'Supplier selection': botDays(23),
    });
    await cardWith(procurement, /extended from/);
    const requester = pageOf('requester');
    const extended = await cardWith(requester, `${reference}: applications extended`);
    await extended.getByRole('button', { name: 'Open the request', exact: true }).click();
    const shown = await cardWith(requester, new RegExp(`${reference} · posted[\\s\\S]*extended from`));
    assert.match(
      await shown.innerText(),
      /applications close .+ Eastern Time \(extended from .+ Eastern Time\)/,
    );
    await shown.screenshot({ path: path.join(SHOTS, 'approvals-extended-en.png') });

    // Suppliers read it on its public pages, served by the same bot: the card links there, and both
    // languages show the new deadline beside the one first published.
    assert.match(await shown.innerText(), /Public page/);
    for (const [address, title, firstPublished] of [
      [
        `/en/opportunities/${reference}`,
        'Accessible date picker for the benefits form',
        /extended; first published as/,
      ],
      [
        `/fr/possibilites/${reference}`,
        'Sélecteur de date accessible pour le formulaire de prestations',
        /reportée; publiée d’abord pour le/,
      ],
    ] as const) {
      assert.equal((await site.goto(`${botUrl}${address}`))?.status(), 200);
      assert.equal(await site.getByRole('heading', { level: 1 }).textContent(), title);
      assert.match(await site.locator('main').innerText(), firstPublished);
      await site.screenshot({
        path: path.join(SHOTS, `public-page-${address.slice(1, 3)}.png`),
        fullPage: true,
      });
    }

    // The subscriber was told of the posting, in French, with a link to leave in one click.
    await site.goto(`${botUrl}/mailbox`);
    const posted = site.locator('article', {
      hasText: 'Nouvelle possibilité : Sélecteur de date accessible',
    });
    await posted.waitFor({ timeout: 30_000 });
    assert.match(await posted.innerText(), /Se désabonner en un clic : http/);

    // A supplier asks a question from the French page; procurement answers it from its channel.
    await site.goto(`${botUrl}/fr/possibilites/${reference}`);
    await site.getByRole('link', { name: 'Poser une question sur cette possibilité' }).click();
    await site.getByLabel('Votre adresse courriel').fill('fournisseur@example.ca');
    await site.getByLabel('Votre question').fill('Le sélecteur doit-il marcher sans JavaScript ?');
    await site.screenshot({ path: path.join(SHOTS, 'public-question-form-fr.png'), fullPage: true });
    await site.getByRole('button', { name: 'Envoyer la question' }).click();
    await site.getByRole('heading', { name: 'Votre question est envoyée' }).waitFor();
    const question = procurement
      .locator('.ac-adaptiveCard', { hasText: 'Le sélecteur doit-il marcher sans JavaScript' })
      .last();
    await question.waitFor({ timeout: 60_000 });
    const answer = {
      'Question as published (English)': 'Must the picker work without JavaScript?',
      'Answer (English)': 'Yes: it must degrade to a plain date field.',
      'Answer (French)': 'Oui : il doit se replier sur un simple champ de date.',
    };
    for (const [label, value] of Object.entries(answer)) {
      await question.getByLabel(new RegExp(`^${label.replace(/[()]/g, '\\$&')}`)).fill(value);
    }
    await question.screenshot({ path: path.join(SHOTS, 'question-card-procurement.png') });
    await question.getByRole('button', { name: /^Publish the answer/ }).click();
    await procurement
      .locator('.ac-adaptiveCard', { hasText: /Answered by .+ published on the opportunity/ })
      .last()
      .waitFor();
    for (const [address, heading, text] of [
      [
        `/en/opportunities/${reference}`,
        'Questions and answers',
        'Yes: it must degrade to a plain date field.',
      ],
      [
        `/fr/possibilites/${reference}`,
        'Questions et réponses',
        'Oui : il doit se replier sur un simple champ de date.',
      ],
    ] as const) {
      await site.goto(`${botUrl}${address}`);
      await site.getByRole('heading', { name: heading }).waitFor();
      assert.ok((await site.locator('main').innerText()).includes(text));
      assert.doesNotMatch(await site.content(), /fournisseur@example\.ca/);
      await site.screenshot({
        path: path.join(SHOTS, `public-answers-${address.slice(1, 3)}.png`),
        fullPage: true,
      });
    }
    await site.goto(`${botUrl}/mailbox`);
    const told = site.locator('article', { hasText: `Votre question sur ${reference} a sa réponse` });
    await told.waitFor({ timeout: 30_000 });
    assert.match(await told.innerText(), /fournisseur@example\.ca/);
    await site.screenshot({ path: path.join(SHOTS, 'mailbox.png'), fullPage: true });

    // Three suppliers apply from the public pages, one in French, and confirm from the e-mailed link.
    for (const applicant of APPLICANTS) await applyOnSite(site, botUrl, applicant);
    await site.close();
    await say(requester, 'langue français');
    await cardWith(requester, 'Désormais, je vous parle en français');
    await say(requester, `état ${reference}`);
    const fr = await cardWith(requester, /date initiale/);
    assert.match(await fr.innerText(), /\(prolongée; date initiale : .+ heure de l’Est\)/);
    await fr.screenshot({ path: path.join(SHOTS, 'approvals-extended-fr.png') });
    await say(requester, 'language english');
    await cardWith(requester, 'From now on I will speak to you in English');

    // Three weeks and more go by: the clock closes applications after the deadline, by itself.
    letDaysPass(23);
    await cardWith(procurement, `${reference} · closed`);
    await cardWith(requester, `${reference}: closed for applications`);
    // Procurement follows the marking on the request's card, and could give it to someone else.
    const following = await cardWith(procurement, /0 of 3 applications marked/);
    await following.getByRole('button', { name: /^Reassign the evaluation/ }).click();
    await following.screenshot({ path: path.join(SHOTS, 'evaluation-progress-procurement.png') });
    // The requester marks each applicant from the cards in their chat, without names: one fails.
    for (let n = 1; n <= APPLICANTS.length; n++) {
      const card = await cardWith(requester, new RegExp(`Applicant ${n}(?!\\d)`));
      const text = await card.innerText();
      for (const a of APPLICANTS) {
        assert.ok(!text.includes(a.name) && !text.includes(a.email), `no ${a.name} on an evaluator's card`);
      }
      const fails = text.includes(FAILING.answer);
      await card.getByLabel(/^Why it passes or fails/).fill(fails ? 'No component shipped.' : 'Shipped one.');
      if (n === 1) await card.screenshot({ path: path.join(SHOTS, 'evaluation-card-requester.png') });
      await card.getByRole('button', { name: fails ? 'Fail' : 'Pass', exact: true }).click();
      await cardWith(requester, new RegExp(`Applicant ${n}(?!\\d)[\\s\\S]*(Passed|Failed) by`));
    }
    await cardWith(procurement, new RegExp(`${reference} · closed[\\s\\S]*3 applications, 2 passed`));
    await pressOn(procurement, 'Draw the supplier');
    await cardWith(procurement, `${reference} · supplier selected`);
    await shot('procurement', '6-supplier-drawn');
    // The supplier signed the one-page terms: procurement keeps the signed copy, sent in its chat with the
    // file attached, then records the terms' blanks on the card the answer carries.
    await sendWithFile(procurement, clientOf('procurement').playground, `attach ${reference} terms`, {
      name: 'terms-signed.pdf',
      contentType: 'application/pdf',
      bytes: onePagePdf(`${reference} terms`),
    });
    await cardWith(procurement, 'Signed terms kept: terms-signed.pdf');
    // Signed yesterday: a date no time zone can put after the bot's today.
    await pressOn(procurement, 'Record the signed terms', { 'Start date': botDays(-1) });
    const recorded = await cardWith(procurement, 'waiting for the card holder’s countersignature');
    assert.match(await recorded.innerText(), /Ada Dev|Camille Code/);
    assert.match(await recorded.innerText(), /signed document: terms-signed\.pdf/);
    await shot('procurement', '6-terms-recorded');
    // The card holder countersigns from the card the Finance channel received: the work starts.
    const finance = pageOf('finance');
    await cardWith(finance, 'waiting for the card holder’s countersignature');
    await pressOn(finance, 'Countersign the terms');
    await cardWith(finance, /countersigned by Farah Haddad/);
    await shot('finance', '6-terms-countersigned');
    await procurement.getByRole('treeitem', { name: /Micro-acquisition/ }).click();
    await cardWith(procurement, `${reference} · in progress`);
    await checkAward(botUrl);
    await pressOn(procurement, 'Delivered', {
      'Link to the delivered work': 'https://github.com/example/benefits-form/pull/7',
    });
    await cardWith(procurement, `${reference} · delivered`);

    // The requester accepts from the update they received: it opens the card with their buttons.
    const line = await cardWith(requester, `${reference}: work delivered`);
    await line.getByRole('button', { name: 'Open the request', exact: true }).click();
    await pressOn(requester, 'Accept');
    await cardWith(requester, `${reference} · accepted`);

    // Finance gets a fresh card: the supplier's invoice first ($4,000 and 13 % HST), then certification
    // (Farah); the payment is recorded by someone else (Marc).
    await pressOn(finance, 'Record the invoice', {
      'Invoice number': 'ADA-2026-07',
      'Invoice date': botDays(-1),
      'Amount before tax ($)': '4000.00',
      'Taxes ($)': '520.00',
      'Total ($)': '4520.00',
    });
    await cardWith(finance, /no\. ADA-2026-07 of .+: \$4,000\.00 \+ \$520\.00 taxes = \$4,520\.00/);
    await pressOn(finance, 'Certify (s. 34)');
    await cardWith(finance, new RegExp(`${reference} · certified`));
    const recordPayment = async (page: Page) => {
      const card = page
        .locator('.ac-adaptiveCard', {
          hasText: reference,
          has: page.getByRole('button', { name: /^Record payment/ }),
        })
        .last();
      await card.getByRole('button', { name: /^Record payment/ }).click();
      await card.getByRole('radio', { name: /^PayPal/ }).check();
      // The amount comes filled in with the invoice's total.
      assert.equal(await card.getByLabel(/^Amount paid/).inputValue(), '4520.00');
      await card.getByLabel(/^Payment date/).fill(botDays(-1));
      await card
        .locator('button:visible', { hasText: /^Confirm/ })
        .first()
        .click();
    };
    await recordPayment(finance);
    await cardWith(finance, 'someone else in finance must record the payment');
    await shot('finance', '7-certifier-cannot-pay');
    const marc = pageOf('manager');
    await say(marc, `status ${reference}`);
    await cardWith(marc, `${reference} · certified`);
    await recordPayment(marc);
    const paid = await cardWith(marc, `${reference} · paid`);
    assert.match(await paid.innerText(), /\$4,520\.00 by PayPal on .+, recorded by Marc Gagnon/);
    await shot('manager', '7-paid');
    await cardWith(requester, `${reference}: paid`);
    await shot('requester', '8-paid');

    const store = SqliteStore.open(path.join(dataDir, 'playground.db'));
    try {
      const record = await store.get(reference);
      assert.equal(record?.status, 'paid');
      assert.equal(record?.selection.draw?.candidates.length, 2);
      assert.equal(record?.selection.applications, 3);
      assert.equal(record?.selection.passed, 2);
      // The clock fixed the draw's seed when it closed applications; the draw used it.
      assert.match(record?.selection.drawSeed ?? '', /^[\w-]{32}$/);
      assert.equal(record?.selection.draw?.seed, record?.selection.drawSeed);
      assert.equal(record?.finance.paymentMethod, 'paypal');
      assert.equal(record?.finance.paymentAmountCents, 452_000);
      assert.equal(record?.finance.invoice?.totalCents, 452_000);
      assert.equal(record?.terms?.contractor, record?.selection.supplierName);
      assert.equal(record?.terms?.countersignedBy?.name, 'Farah Haddad');
      // The signed terms the record points to are the bytes procurement sent.
      const documents = LocalDocuments.open(path.join(dataDir, 'playground.db'));
      try {
        const kept = await documents.read(record?.terms?.document?.id ?? '');
        assert.equal(kept?.document.name, 'terms-signed.pdf');
        assert.ok(kept?.bytes.equals(onePagePdf(`${reference} terms`)));
      } finally {
        await documents.close();
      }
      const applied = await store.applicationsOf(reference, { confirmedOnly: true }, { limit: 10 });
      assert.deepEqual(
        applied.items.map((a) => [a.content?.name, a.locale, a.evaluation?.result]),
        APPLICANTS.map((a) => [a.name, a.locale, a === FAILING ? 'fail' : 'pass']),
      );
      const trail = await store.auditTrail(reference);
      assert.deepEqual(
        trail.filter((e) => e.outcome === 'applied').map((e) => e.action),
        [
          'submit',
          'vet_go',
          'approve_funds',
          'acknowledge',
          'confirm_translation',
          'post',
          'extend_applications',
          'question_answered',
          'close_applications',
          'application_marked',
          'application_marked',
          'application_marked',
          'record_evaluation',
          'select_supplier',
          'document_terms',
          'sign_terms',
          'countersign_terms',
          'deliver',
          'accept',
          'record_invoice',
          'certify',
          'pay',
        ],
      );
    } finally {
      await store.close();
    }
  });

  it('answers a stale conflicting click with the card as it is now, in French: Cancel after Go', async () => {
    const requester = pageOf('requester');
    await say(requester, 'langue français');
    await cardWith(requester, 'Désormais, je vous parle en français');
    // Back to English whatever happens: the tests after this one read the requester's answers in English.
    try {
      const record = await completeIntake(requester, dataDir, 'fr', {
        ...fieldsFromContent(content({ title: 'Formulaire accessible, deuxième partie' })),
        applicationDeadline: botDays(14),
        supplierSelectionDate: botDays(16),
        deliveryDate: botDays(70),
      });
      const ref = record.reference;
      await say(requester, `état ${ref}`);
      const stale = await cardWith(requester, `${ref} · soumise`);
      await stale.getByRole('button', { name: 'Annuler', exact: true }).waitFor();

      const procurement = pageOf('procurement');
      const vetting = await cardWith(procurement, `${ref} · submitted`);
      await sayGo(vetting);
      await cardWith(procurement, `${ref} · in approval`);
      // The requester is told of the go in the same chat: once that line is there, nothing redraws the
      // stale card while its form is open.
      await cardWith(requester, `${ref} : examinée par l’approvisionnement`);

      // Opened again if the client redraws the card under the click.
      await press(requester, ref, 'Annuler', { Motif: 'Le besoin est comblé autrement' });
      const answered = await cardWith(requester, /Déjà décidé par Priya Raman/);
      assert.match(await answered.innerText(), new RegExp(`${ref} · en approbation`));
      await answered.screenshot({ path: path.join(SHOTS, 'approvals-stale-cancel-fr.png') });
      const store = SqliteStore.open(path.join(dataDir, 'playground.db'));
      try {
        assert.equal((await store.get(ref))?.status, 'in_approval');
      } finally {
        await store.close();
      }
    } finally {
      await say(requester, 'langue anglais');
    }
  });

  it('shows the manager the pipeline summary with its chart, in English and in French', async () => {
    const manager = pageOf('manager');
    await manager.getByRole('treeitem', { name: /Personal Chat/ }).click();
    await say(manager, 'summary');
    const card = await cardWith(manager, 'Pipeline on');
    const chart = card.locator('img').first();
    await chart.waitFor({ timeout: 30_000 });
    assert.ok(
      (await chart.evaluate((img) => (img as HTMLImageElement).naturalWidth)) > 0,
      'the chart is shown',
    );
    assert.match(await card.innerText(), /Against the pilot’s targets/);
    await card.screenshot({ path: path.join(SHOTS, 'approvals-manager-summary.png') });
    await say(manager, 'langue français');
    await cardWith(manager, 'Désormais, je vous parle en français');
    await say(manager, 'sommaire');
    const fr = await cardWith(manager, 'Portrait au');
    assert.match(await fr.innerText(), /Par rapport aux cibles du projet pilote/);
    await fr.screenshot({ path: path.join(SHOTS, 'approvals-manager-summary-fr.png') });
  });

  it('answers each role where things stand, in English and in French', async () => {
    const requester = pageOf('requester');
    // The export comes as a file for the requester alone: the Playground shows its card, and in place of
    // Teams' consent card its own note that it does not show that kind of card.
    await say(requester, 'export');
    await cardWith(requester, 'Your export is ready: 2 records');
    await requester.screenshot({ path: path.join(SHOTS, 'export-playground.png') });
    await say(requester, 'mine');
    assert.match(await (await cardWith(requester, 'Your requests')).innerText(), new RegExp(reference));
    await say(requester, reference);
    await cardWith(requester, `${reference} · paid`);

    const finance = pageOf('finance');
    await finance.getByRole('treeitem', { name: /Personal Chat/ }).click();
    await say(finance, 'langue français');
    await cardWith(finance, 'Désormais, je vous parle en français');
    await say(finance, 'liste payée');
    assert.match(await (await cardWith(finance, 'Demandes : payée')).innerText(), new RegExp(reference));
    await say(finance, `état ${reference}`);
    const payee = await cardWith(finance, `${reference} · payée`);
    assert.match(await payee.innerText(), /réservation FR-2026-118/);
    await payee.screenshot({ path: path.join(SHOTS, 'approvals-finance-status-fr.png') });
    // The request in French, as procurement confirmed it: title and texts.
    assert.match(await payee.innerText(), /Sélecteur de date accessible pour le formulaire de prestations/);
    const enFrancais = await openDetails(payee, 'Détails');
    assert.match(await enFrancais.innerText(), /le sélecteur de date piège le focus/);
    assert.match(await enFrancais.innerText(), /Le code est publié sous la licence MIT/);
    await payee.screenshot({ path: path.join(SHOTS, 'details-finance-officer-fr.png') });
    // A tampered reference gets a clear answer in French, and nothing else happens.
    await say(finance, `état ${reference}' OR 1=1`);
    const usage = await cardWith(finance, 'suivi d’un numéro');
    await usage.screenshot({ path: path.join(SHOTS, 'bad-input-status-fr.png') });

    const union = pageOf('union');
    await union.getByRole('treeitem', { name: /Personal Chat/ }).click();
    await say(union, `status ${reference}`);
    assert.match(await (await cardWith(union, `${reference} · paid`)).innerText(), /reservation —/);
    // Markup and template expressions are searched for as words and shown back as typed.
    const typedIn = '${title} <b>bold</b> **NEAR(x';
    await say(union, `search ${typedIn}`);
    const none = await cardWith(union, 'No request matches these words');
    await none.screenshot({ path: path.join(SHOTS, 'bad-input-search.png') });
    // The second request, vetted in the French test, waits for the union's consultation.
    await say(union, 'waiting');
    const waiting = await cardWith(union, 'Waiting for you');
    assert.match(await waiting.innerText(), /MA-2026-0002/);
    assert.doesNotMatch(await waiting.innerText(), new RegExp(reference));
    await union.screenshot({ path: path.join(SHOTS, 'approvals-union-status.png') });
  });

  it('reminds the team a request waits on, mentioning its people, tells the manager, and lets the requester move the dates, in French', async () => {
    const second = 'MA-2026-0002';
    // Two weeks go by with the funds of the second request undecided.
    const finance = pageOf('finance');
    await finance.getByRole('treeitem', { name: /Finance/ }).click();
    letDaysPass(14);
    const reminder = await cardWith(finance, `Reminder: ${second} has waited for the funds decision (s. 32)`);
    // Farah and Marc hold the role and have talked to the bot: both are mentioned, so Teams tells them.
    assert.match(await reminder.innerText(), /Farah Haddad[\s\S]*Marc Gagnon/);
    await reminder.screenshot({ path: path.join(SHOTS, 'reminders-finance-channel.png') });
    // Past the escalation threshold Marc, a manager who chose French, is told in his personal chat.
    const marc = pageOf('manager');
    const escalation = await cardWith(marc, `${second} : la décision sur les fonds (art. 32) attend depuis`);
    await escalation.screenshot({ path: path.join(SHOTS, 'reminders-manager-escalation-fr.png') });

    // The deadline has come during approval: the requester moves the dates from the card, in French.
    const requester = pageOf('requester');
    await say(requester, 'langue français');
    await cardWith(requester, 'Désormais, je vous parle en français');
    const cards = requester.locator('.ac-adaptiveCard', {
      hasText: `${second} · en approbation`,
      has: requester.getByRole('button', { name: 'Modifier les dates', exact: true }),
    });
    const before = await cards.count();
    await say(requester, `état ${second}`);
    // The answer to `état`, not the card of the earlier test further up the chat.
    const card = cards.nth(before);
    await card.waitFor({ timeout: 60_000 });
    await card.getByRole('button', { name: 'Modifier les dates', exact: true }).click();
    await card.getByLabel('Date limite des candidatures', { exact: true }).fill(botDays(21));
    await card.getByLabel('Sélection du fournisseur', { exact: true }).fill(botDays(23));
    await card.getByLabel('Livraison', { exact: true }).fill(botDays(80));
    await card.locator('button:visible', { hasText: /^Confirmer$/ }).click();
    const moved = await cardWith(requester, /Modifier les dates, par Riley Tremblay/);
    assert.match(await moved.innerText(), /candidatures jusqu’au .+ 23 h 59, heure de l’Est/);
    await moved.screenshot({ path: path.join(SHOTS, 'approvals-dates-amended-fr.png') });
    const store = SqliteStore.open(path.join(dataDir, 'playground.db'));
    try {
      assert.equal((await store.get(second))?.dates.applicationDeadline, botDays(21));
    } finally {
      await store.close();
    }
    await say(requester, 'language english');
    await cardWith(requester, 'From now on I will speak to you in English');
  });
});
