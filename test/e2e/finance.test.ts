import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import type { Browser, Locator, Page } from 'playwright-core';
import { parse } from 'yaml';
import { configFor, type Persona, type RunningPlayground, startPlayground } from '../../scripts/playground';
import { type ActionName, type Clock, decide, submit } from '../../src/services/lifecycle';
import type { Opportunity } from '../../src/services/opportunity';
import type { Actor, ConfiguredRole } from '../../src/services/roles';
import { LocalDocuments } from '../../src/stores/local-documents';
import { SqliteStore } from '../../src/stores/sqlite-store';
import { launchChromium } from '../support/chromium';
import { CALENDAR, CHECKLIST, content, TRANSLATION } from '../support/opportunities';
import {
  freePort,
  inDays,
  mention,
  named,
  onePagePdf,
  press,
  say,
  SHOTS,
  cardWith as cardWithOn,
} from '../support/playground-client';

/**
 * The contract's money in the local Teams client: the supplier's invoice, certification and payment, a
 * delegate deciding for a colleague, and a termination for convenience paid its share. Each request is
 * put in the bot's SQLite file at the stage the test starts from, with the history that led there; every
 * step the test is about is taken by a person in their Playground client.
 */

const ROOT = path.resolve(__dirname, '../..');

/** The people of .m365agentsplayground.yml, with the roles playground.env gives them. */
function personOf(persona: Persona, ...roles: ConfiguredRole[]): Actor {
  const yml = parse(readFileSync(path.join(ROOT, '.m365agentsplayground.yml'), 'utf8')) as Parameters<
    typeof configFor
  >[1];
  const env = parseEnv(readFileSync(path.join(ROOT, 'playground.env'), 'utf8')) as Record<string, string>;
  const user = configFor(persona, yml, env).currentUser;
  return { id: user.aadObjectId, name: user.name, roles: new Set(roles) };
}
const RILEY = personOf('requester');
const PRIYA = personOf('procurement', 'procurement');
const FARAH = personOf('finance', 'finance');
const SAMUEL = personOf('union', 'union');
const CLOCK: Actor = { id: 'system', name: 'Microacq', roles: new Set(['system']) };

/** The department's date `offset` days from today, as the bot reckons it. */
const dayFromNow = (offset: number) =>
  CALENDAR.dateOf(new Date(Date.now() + offset * 86_400_000).toISOString());
/** The lifecycle's clock `days` ago: the history put in the store happened in the past. */
const daysAgo = (days: number): Clock => {
  const now = new Date(Date.now() - days * 86_400_000).toISOString();
  return { now, today: CALENDAR.dateOf(now), consultationDays: 5, holidays: CALENDAR };
};
/** Before today in every time zone: the bot refuses an invoice or a payment dated in the future. */
const YESTERDAY = inDays(-1);

/** A date as the Playground's date picker shows it. */
const inWords = (date: string) =>
  new Date(`${date}T12:00:00Z`).toLocaleDateString('en-US', {
    month: 'long',
    day: 'numeric',
    year: 'numeric',
    timeZone: 'UTC',
  });

/** A step of a seeded history: the action, who took it, what they gave, and how many days ago. */
type Step = readonly [ActionName, Actor, unknown, number];

describe('the contract’s money in the local Teams client: invoice, delegation and termination', function () {
  this.timeout(240_000);
  const clients = new Map<Persona, { playground: RunningPlayground; page: Page }>();
  let browser: Browser;
  let dataDir: string;

  const pageOf = (persona: Persona): Page => {
    const client = clients.get(persona);
    if (!client) throw new Error(`no client for ${persona}`);
    return client.page;
  };

  /**
   * A request of `title` taken through the lifecycle's own rules up to `stage`, as if it had happened:
   * vetted just now (funds waiting), or posted two months ago, awarded, its signed terms kept and
   * countersigned (work in progress), and delivered two days ago. Saved without notifications: the bot
   * tells nobody of the past.
   */
  const seed = async (title: string, stage: 'in_approval' | 'in_progress' | 'delivered'): Promise<string> => {
    const recent = stage === 'in_approval';
    const dates = recent
      ? {
          applicationDeadline: dayFromNow(14),
          supplierSelectionDate: dayFromNow(16),
          deliveryDate: dayFromNow(70),
        }
      : {
          applicationDeadline: dayFromNow(-50),
          supplierSelectionDate: dayFromNow(-48),
          deliveryDate: dayFromNow(20),
        };
    const start = recent ? 0 : 60;
    const store = SqliteStore.open(path.join(dataDir, 'playground.db'));
    const documents = LocalDocuments.open(path.join(dataDir, 'playground.db'));
    try {
      const opened = daysAgo(start);
      const submitted = submit(content({ title, dates }), RILEY, 'en', opened);
      if (!submitted.ok)
        throw new Error(`the seeded request breaks a rule: ${JSON.stringify(submitted.refusal)}`);
      const by = (a: Actor) => ({ aadObjectId: a.id, name: a.name });
      let o: Opportunity = await store.create(
        submitted.record,
        {
          at: opened.now,
          actor: by(RILEY),
          action: 'submit',
          from: 'draft',
          to: 'submitted',
          outcome: 'applied',
        },
        `seed-${title}`,
      );
      const apply = async ([action, actor, payload, ago]: Step) => {
        const clock = daysAgo(ago);
        const outcome = decide(o, action, payload, actor, clock);
        if (!outcome.ok) throw new Error(`seeding ${action}: ${JSON.stringify(outcome.refusal)}`);
        o = await store.transition(outcome.next, o.version, {
          at: clock.now,
          actor: by(actor),
          action,
          from: o.status,
          to: outcome.next.status,
          outcome: 'applied',
        });
      };
      await apply(['vet_go', PRIYA, CHECKLIST, start]);
      if (recent) return o.reference;
      const seedOfDraw = 'seeded-draw-0123456789abcdef';
      const steps: Step[] = [
        ['approve_funds', FARAH, { fundReservationNumber: 'FR-2026-201' }, 59],
        ['acknowledge', SAMUEL, {}, 59],
        ['confirm_translation', PRIYA, TRANSLATION, 58],
        ['post', PRIYA, {}, 58],
        ['close_applications', CLOCK, { seed: seedOfDraw }, 49],
        ['record_evaluation', CLOCK, { applications: 2, passed: 1 }, 48],
        [
          'select_supplier',
          PRIYA,
          {
            seed: seedOfDraw,
            passers: [{ number: 1, name: 'Ada Dev', link: 'https://github.com/ada/picker' }],
          },
          47,
        ],
      ];
      for (const step of steps) await apply(step);
      // The signed terms kept as the bot keeps a file sent with `attach`.
      const kept = daysAgo(46);
      const signed = await documents.put({
        reference: o.reference,
        kind: 'terms',
        name: 'terms-signed.pdf',
        contentType: 'application/pdf',
        bytes: onePagePdf(`${o.reference} terms, signed by Ada Dev`),
        uploadedBy: by(PRIYA),
        at: kept.now,
      });
      await store.appendAudit(o.reference, {
        at: kept.now,
        actor: by(PRIYA),
        action: 'document_terms',
        outcome: 'applied',
        comment: signed.name,
      });
      const terms = {
        contractor: 'Ada Dev',
        work: title,
        startDate: dayFromNow(-45),
        endDate: dates.deliveryDate,
        licence: 'MIT',
        document: { id: signed.id, name: signed.name, location: signed.location },
      };
      await apply(['sign_terms', PRIYA, terms, 46]);
      await apply(['countersign_terms', FARAH, {}, 45]);
      if (stage === 'delivered') {
        await apply(['deliver', RILEY, { link: 'https://github.com/example/benefits-form/pull/21' }, 2]);
      }
      assert.equal(o.status, stage);
      return o.reference;
    } finally {
      await documents.close();
      await store.close();
    }
  };

  const cardWith = (page: Page, text: string | RegExp) => cardWithOn(page, text, 'finance');

  const confirmOn = (card: Locator) =>
    card
      .locator('button:visible', { hasText: /^Confirm/ })
      .first()
      .click();

  /** Marc records the payment from the request's card in his personal chat: who certified may not pay. */
  const marcPays = async (reference: string, method: RegExp, total: string) => {
    const marc = pageOf('manager');
    await marc.getByRole('treeitem', { name: /Personal Chat/ }).click();
    await say(marc, `status ${reference}`);
    await cardWith(marc, `${reference} · certified`);
    await press(marc, reference, 'Record payment', { 'Payment date': YESTERDAY }, async (card) => {
      await card.getByRole('radio', { name: method }).check();
      // Filled in with the invoice's total: the amount paid must be it.
      assert.equal(await card.getByLabel(named('Amount paid ($)')).inputValue(), total);
    });
    return cardWith(marc, `${reference} · paid`);
  };

  const readRecord = async (reference: string) => {
    const store = SqliteStore.open(path.join(dataDir, 'playground.db'));
    try {
      return await store.get(reference);
    } finally {
      await store.close();
    }
  };

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(path.join(tmpdir(), 'microacq-finance-'));
    const botPort = await freePort();
    browser = await launchChromium();
    for (const persona of ['requester', 'procurement', 'finance', 'manager', 'colleague'] as const) {
      const playground = await startPlayground({
        as: persona,
        quiet: true,
        dataDir,
        botPort,
        clientPort: await freePort(),
        attach: persona !== 'requester',
        schedulerSeconds: 2,
      });
      const page = await browser.newPage({ viewport: { width: 1280, height: 2200 } });
      await page.goto(playground.url);
      await page.locator('[data-lexical-editor="true"][role="textbox"]').first().waitFor({ timeout: 60_000 });
      clients.set(persona, { playground, page });
    }
    // Finance works from its channel: the cards to countersign, invoice, certify and pay come there.
    const finance = pageOf('finance');
    await finance.getByRole('treeitem', { name: /Finance/ }).click();
    await mention(finance, 'register finance');
    await cardWith(finance, 'This channel now receives');
  });

  after(async () => {
    await browser?.close();
    // The requester's client owns the bot: stop it last.
    for (const persona of ['colleague', 'manager', 'finance', 'procurement', 'requester'] as const) {
      await clients.get(persona)?.playground.stop();
    }
  });

  it('records the supplier’s invoice, refusing a wrong total with what was typed kept, and Marc pays it', async () => {
    const reference = await seed('Accessible date picker for the benefits form', 'delivered');
    // The requester accepts the work delivered from the request's card in their chat.
    const requester = pageOf('requester');
    await say(requester, `status ${reference}`);
    await press(requester, reference, 'Accept');
    await cardWith(requester, `${reference} · accepted`);

    // Finance gets a fresh card in its channel; certification waits for the invoice.
    const finance = pageOf('finance');
    const fresh = await cardWith(finance, `${reference} · accepted`);
    await fresh.getByRole('button', { name: named('Record the invoice') }).waitFor();
    assert.equal(await fresh.getByRole('button', { name: named('Certify (s. 34)') }).count(), 0);
    // $4,000 and 13 % HST, but a total typed wrong.
    const typed = {
      'Invoice number': 'ADA-2026-11',
      'Invoice date': YESTERDAY,
      'Amount before tax ($)': '4000.00',
      'Taxes ($)': '520.00',
      'Total ($)': '4250.00',
    };
    await press(finance, reference, 'Record the invoice', typed);
    const refused = await cardWith(finance, 'The total must equal the amount before tax plus the taxes.');
    assert.match(await refused.innerText(), new RegExp(`${reference} · accepted`));
    // The form opens again with everything as typed, and the fund reservation as the request holds it.
    await refused.getByRole('button', { name: named('Record the invoice') }).click();
    for (const [label, value] of Object.entries(typed)) {
      // The Playground's date picker shows the day in words: "November 26, 2026".
      const shown = label === 'Invoice date' ? inWords(value) : value;
      assert.equal(await refused.getByLabel(named(label)).inputValue(), shown, label);
    }
    assert.equal(await refused.getByLabel(named('Fund reservation number')).inputValue(), 'FR-2026-201');
    await refused.screenshot({ path: path.join(SHOTS, 'finance-invoice-total-refused.png') });
    await refused.getByLabel(named('Total ($)')).fill('4520.00');
    await confirmOn(refused);
    // The channel's card reads in both languages: "Invoice / Facture".
    const invoiced = await cardWith(
      finance,
      /no\. ADA-2026-11 of .+: \$4,000\.00 \+ \$520\.00 taxes = \$4,520\.00/,
    );
    await invoiced.getByRole('button', { name: named('Certify (s. 34)') }).waitFor();
    await invoiced.screenshot({ path: path.join(SHOTS, 'finance-invoice-recorded.png') });
    await press(finance, reference, 'Certify (s. 34)');
    await cardWith(finance, `${reference} · certified`);

    const paid = await marcPays(reference, /^Acquisition card/, '4520.00');
    const text = await paid.innerText();
    assert.match(text, /Invoice\s+no\. ADA-2026-11 of .+: \$4,000\.00 \+ \$520\.00 taxes = \$4,520\.00/);
    assert.match(text, /Certified \(s\. 34\)\s+by Farah Haddad/);
    assert.match(text, /Payment\s+\$4,520\.00 by Acquisition card on .+, recorded by Marc Gagnon/);
    await paid.screenshot({ path: path.join(SHOTS, 'finance-paid-manager.png') });
    await cardWith(requester, `${reference}: paid`);

    const record = await readRecord(reference);
    assert.equal(record?.status, 'paid');
    assert.equal(record?.finance.invoice?.number, 'ADA-2026-11');
    assert.equal(record?.finance.invoice?.totalCents, 452_000);
    assert.equal(record?.finance.section34Certifier?.name, 'Farah Haddad');
    assert.equal(record?.finance.paidBy?.name, 'Marc Gagnon');
    assert.equal(record?.finance.paymentMethod, 'credit_card');
    assert.equal(record?.finance.paymentAmountCents, 452_000);
    assert.equal(record?.finance.paymentDate, YESTERDAY);
  });

  it('lets a delegate approve the funds on behalf of a colleague, as the card and the history say', async () => {
    const reference = await seed('Keyboard shortcuts for the claims list', 'in_approval');
    // Julie holds no role; she has a chat with Microacq once she says something to it.
    const julie = pageOf('colleague');
    await say(julie, 'help');
    await cardWith(julie, 'What you can ask Microacq');

    // Farah, away next week, names her.
    const farah = pageOf('finance');
    await farah.getByRole('treeitem', { name: /Personal Chat/ }).click();
    await say(farah, `delegate Julie Lavoie until ${inDays(7)}`);
    const delegation = await cardWith(farah, /Julie Lavoie acts for you as finance until/);
    await delegation.screenshot({ path: path.join(SHOTS, 'finance-delegation-named.png') });
    await cardWith(julie, /Farah Haddad has named you to act for them as finance until/);

    // Julie opens the request in her chat: the card offers finance's decision, which she takes.
    await say(julie, `status ${reference}`);
    const waiting = await cardWith(julie, `${reference} · in approval`);
    assert.match(await waiting.innerText(), /Funds\s+awaiting finance/);
    await press(julie, reference, 'Approve (s. 32)', { 'Fund reservation number': 'FR-2026-305' });
    const approved = await cardWith(
      julie,
      'approved by Julie Lavoie on behalf of Farah Haddad, reservation FR-2026-305',
    );
    await approved.screenshot({ path: path.join(SHOTS, 'finance-delegate-approved.png') });
    await say(julie, `history ${reference}`);
    const history = await cardWith(julie, `History of ${reference}`);
    await history.screenshot({ path: path.join(SHOTS, 'finance-delegate-history.png') });
    assert.match(await history.innerText(), /Julie Lavoie on behalf of Farah Haddad · Approve \(s\. 32\)/);

    const record = await readRecord(reference);
    assert.equal(record?.finance.fundsStatus, 'approved');
    assert.deepEqual(record?.finance.section32Approver, {
      aadObjectId: personOf('colleague').id,
      name: 'Julie Lavoie',
      onBehalfOf: { aadObjectId: FARAH.id, name: 'Farah Haddad' },
    });

    // Farah is back: she ends it, and Julie is told.
    await say(farah, 'delegate end');
    await cardWith(farah, 'Julie Lavoie no longer acts for you.');
    await cardWith(julie, 'Farah Haddad has ended the delegation');
  });

  it('pays a termination for convenience its share: 40 % agreed by the requester, invoiced, certified and paid', async () => {
    const reference = await seed('Printable receipts for the benefits form', 'in_progress');
    // Procurement stops the work from the request's card in its chat, for convenience, at 40 %.
    const procurement = pageOf('procurement');
    await say(procurement, `status ${reference}`);
    await cardWith(procurement, `${reference} · in progress`);
    await press(
      procurement,
      reference,
      'Terminate',
      {
        'Share of the work completed (%)': '40',
        Reason: 'The branch moves the form to another platform; the receipts built so far are kept.',
      },
      (card) => card.getByRole('radio', { name: /^For convenience: the share completed is paid/ }).check(),
    );
    const proposed = await cardWith(
      procurement,
      'for convenience: 40 % of the work completed, $1,600.00 before tax, waiting for the requester’s agreement',
    );
    assert.match(await proposed.innerText(), new RegExp(`${reference} · in progress`));
    await proposed.screenshot({ path: path.join(SHOTS, 'finance-termination-proposed.png') });

    // The requester is told, opens the request and agrees to the share.
    const requester = pageOf('requester');
    const line = await cardWith(requester, `${reference}: termination for convenience proposed`);
    await line.getByRole('button', { name: 'Open the request', exact: true }).click();
    await press(requester, reference, 'Agree to the share');
    const agreed = await cardWith(requester, `${reference} · accepted`);
    assert.match(await agreed.innerText(), /agreed by Riley Tremblay/);

    // Finance invoices the share: 40 % of the $4,000 price, and 13 % HST on it.
    const finance = pageOf('finance');
    await finance.getByRole('treeitem', { name: /Finance/ }).click();
    await press(finance, reference, 'Record the invoice', {
      'Invoice number': 'ADA-2026-12',
      'Invoice date': YESTERDAY,
      'Amount before tax ($)': '1600.00',
      'Taxes ($)': '208.00',
      'Total ($)': '1808.00',
    });
    await cardWith(finance, /no\. ADA-2026-12 of .+: \$1,600\.00 \+ \$208\.00 taxes = \$1,808\.00/);
    await press(finance, reference, 'Certify (s. 34)');
    await cardWith(finance, `${reference} · certified`);

    const paid = await marcPays(reference, /^Acquisition card/, '1808.00');
    const text = await paid.innerText();
    assert.match(
      text,
      /Termination\s+for convenience: 40 % of the work completed, \$1,600\.00 before tax, agreed by Riley Tremblay/,
    );
    assert.match(text, /Payment\s+\$1,808\.00 by Acquisition card on .+, recorded by Marc Gagnon/);
    await paid.screenshot({ path: path.join(SHOTS, 'finance-termination-paid.png') });
    await cardWith(requester, `${reference}: paid`);

    const record = await readRecord(reference);
    assert.equal(record?.status, 'paid');
    assert.equal(record?.delivery.termination?.kind, 'convenience');
    assert.equal(record?.delivery.termination?.amountCents, 160_000);
    assert.equal(record?.delivery.termination?.agreedBy?.name, 'Riley Tremblay');
    assert.equal(record?.finance.invoice?.amountCents, 160_000);
    assert.equal(record?.finance.paymentAmountCents, 180_800);
  });
});
