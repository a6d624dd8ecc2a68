import assert from 'node:assert/strict';
import { request } from 'node:http';
import Database from 'better-sqlite3';
import { MAIL_KINDS } from '../../src/services/mail';
import { PAYLOADS } from '../support/bad-input';
import { storePosted } from '../support/published';
import { Browser } from '../support/site-browser';
import { startTestBot, type TestBot } from '../support/teams';

/**
 * The public site's forms over real HTTP, as a browser sends them: a page, its cookie and token, then
 * the form. Questions and subscriptions from strangers: kept when genuine, refused with what was typed
 * when not, bounded when they flood.
 */

const NOW = new Date('2026-03-05T15:00:00Z');

describe('the public site’s forms', function () {
  this.timeout(30_000);
  let bot: TestBot;
  let browser: Browser;
  const start = async (env: Record<string, string> = {}, now = NOW) => {
    bot = await startTestBot(env, { now: () => now, background: false });
    browser = new Browser(bot.server.url);
  };
  afterEach(async () => bot?.server.stop());

  describe('a question', () => {
    it('is taken from the opportunity’s page in either language and reaches procurement’s channel as a card', async () => {
      await start();
      const o = await storePosted(bot.store);
      const page = await browser.get(`/fr/possibilites/${o.reference}`);
      // Asked for again on each visit, so an answer shows as soon as it is published.
      assert.equal(page.headers.get('cache-control'), 'public, no-cache');
      assert.match(page.body, new RegExp(`href="/fr/possibilites/${o.reference}/question"`));
      assert.match(page.body, /Les questions sont reçues jusqu’au jeudi 12 mars 2026/);
      const form = await browser.get(`/fr/possibilites/${o.reference}/question`);
      assert.equal(form.status, 200);
      assert.equal(form.headers.get('cache-control'), 'no-store');
      assert.match(
        form.headers.get('set-cookie') ?? '',
        /^microacq_form=[\w-]{22}; Path=\/; HttpOnly; SameSite=Strict/,
      );
      const sent = await browser.post(`/fr/possibilites/${o.reference}/question`, {
        form_token: Browser.tokenOf(form.body),
        email: 'fournisseur@example.ca',
        question: 'Le composant doit-il prendre en charge <script>alert(1)</script> ?',
        website: '',
      });
      assert.equal(sent.status, 200);
      assert.match(sent.body, /Votre question est envoyée/);
      const [q, ...more] = await bot.store.questionsOf(o.reference);
      assert.equal(more.length, 0);
      assert.equal(q?.locale, 'fr');
      assert.equal(q?.email, 'fournisseur@example.ca');
      assert.equal(q?.state, 'asked');
      const cards = await bot.store.dueMessages(new Date('2030-01-01').toISOString(), 50);
      const card = cards.find((m) => m.id === `question:${q?.id}`);
      assert.equal(card?.conversationKey, 'channel:procurement');
      assert.match(JSON.stringify(card?.activity), /alert\(1\)/);
    });

    it('sent twice from one page (a double click, a reload) is one question', async () => {
      await start();
      const o = await storePosted(bot.store);
      const path = `/en/opportunities/${o.reference}/question`;
      const token = Browser.tokenOf((await browser.get(path)).body);
      const fields = { form_token: token, email: 'a@example.ca', question: 'Is Rust welcome?' };
      const [one, two] = await Promise.all([browser.post(path, fields), browser.post(path, fields)]);
      assert.equal(one.status, 200);
      assert.equal(two.status, 200);
      assert.equal((await browser.post(path, fields)).status, 200);
      assert.equal((await bot.store.questionsOf(o.reference)).length, 1);
    });

    const refused: [string, (b: Browser, path: string) => Promise<{ status: number; body: string }>][] = [
      ['without a token', (b, path) => b.post(path, { email: 'a@example.ca', question: 'Kept words?' })],
      [
        'with a forged token',
        (b, path) =>
          b.post(path, {
            form_token: `${Date.now()}.${'A'.repeat(43)}`,
            email: 'a@example.ca',
            question: 'Kept words?',
          }),
      ],
      [
        'with another browser’s token',
        async (b, path) => {
          const other = new Browser((b as unknown as { base: string }).base);
          const token = Browser.tokenOf((await other.get(path)).body);
          await b.get(path);
          return b.post(path, { form_token: token, email: 'a@example.ca', question: 'Kept words?' });
        },
      ],
      [
        'from another site',
        (b, path) =>
          b.fill(
            path,
            { email: 'a@example.ca', question: 'Kept words?' },
            { origin: 'https://evil.example' },
          ),
      ],
      [
        'with a token of two hours ago',
        async (b, path) => {
          const token = Browser.tokenOf((await b.get(path)).body).replace(
            /^\d+/,
            String(NOW.getTime() - 2 * 3_600_000 - 1),
          );
          return b.post(path, { form_token: token, email: 'a@example.ca', question: 'Kept words?' });
        },
      ],
    ];
    for (const [how, send] of refused) {
      it(`sent ${how} is refused, and the form comes back with what was typed`, async () => {
        await start();
        const o = await storePosted(bot.store);
        const path = `/en/opportunities/${o.reference}/question`;
        const res = await send(browser, path);
        assert.equal(res.status, 403);
        assert.match(res.body, /The form had expired/);
        assert.match(res.body, />\n?Kept words\?<\/textarea>/);
        assert.match(res.body, /value="a@example.ca"/);
        assert.equal((await bot.store.questionsOf(o.reference)).length, 0);
      });
    }

    it('with a wrong address names the field in the page’s language and keeps the question', async () => {
      await start();
      const o = await storePosted(bot.store);
      const res = await browser.fill(`/fr/possibilites/${o.reference}/question`, {
        email: 'pas-une-adresse',
        question: 'Ma question reste ici',
      });
      assert.equal(res.status, 400);
      assert.match(res.body, /Un point à corriger ci-dessous/);
      assert.match(res.body, /aria-invalid="true"/);
      assert.match(res.body, />\n?Ma question reste ici<\/textarea>/);
      assert.match(res.body, /value="pas-une-adresse"/);
      assert.equal((await bot.store.questionsOf(o.reference)).length, 0);
    });

    it('filled by a robot (the hidden field) is thanked and not kept', async () => {
      await start();
      const o = await storePosted(bot.store);
      const res = await browser.fill(`/en/opportunities/${o.reference}/question`, {
        email: 'bot@example.ca',
        question: 'Buy cheap pills',
        website: 'https://spam.example',
      });
      assert.equal(res.status, 200);
      assert.match(res.body, /Your question was sent/);
      assert.equal((await bot.store.questionsOf(o.reference)).length, 0);
    });

    it('is no longer taken after two business days before the deadline, nor on a request never posted', async () => {
      await start({}, new Date('2026-03-13T15:00:00Z'));
      const o = await storePosted(bot.store);
      const page = await browser.get(`/en/opportunities/${o.reference}`);
      assert.doesNotMatch(page.body, /Ask a question/);
      const form = await browser.get(`/en/opportunities/${o.reference}/question`);
      assert.match(form.body, /Questions are closed for this opportunity/);
      assert.doesNotMatch(form.body, /<form/);
      const late = await browser.post(`/en/opportunities/${o.reference}/question`, {
        email: 'a@example.ca',
        question: 'Late?',
      });
      assert.equal(late.status, 409);
      assert.equal((await browser.get('/en/opportunities/MA-2026-9999/question')).status, 404);
      assert.equal((await bot.store.questionsOf(o.reference)).length, 0);
    });

    it('pauses, keeping the text, once too many wait unanswered on the opportunity', async () => {
      await start({ QUESTIONS_WAITING_PER_OPPORTUNITY: '2' });
      const o = await storePosted(bot.store);
      const path = `/en/opportunities/${o.reference}/question`;
      for (const n of [1, 2]) {
        assert.equal(
          (await browser.fill(path, { email: 'a@example.ca', question: `Question ${n}` })).status,
          200,
        );
      }
      const third = await browser.fill(path, { email: 'a@example.ca', question: 'The third one' });
      assert.equal(third.status, 503);
      assert.match(third.body, /Questions are paused/);
      assert.match(third.body, />\n?The third one<\/textarea>/);
      assert.equal((await bot.store.questionsOf(o.reference)).length, 2);
      // Procurement is told once, in its channel, however many more are refused that day.
      await browser.fill(path, { email: 'a@example.ca', question: 'And a fourth' });
      const notices = (await bot.store.dueMessages(new Date('2030-01-01').toISOString(), 50)).filter((m) =>
        m.id.startsWith('questions-paused:'),
      );
      assert.equal(notices.length, 1);
      assert.equal(notices[0]?.conversationKey, 'channel:procurement');
      assert.match(
        JSON.stringify(notices[0]?.activity),
        /question form of MA-\d{4}-\d{4} is paused: 2 questions wait/,
      );
    });

    it('from one address is limited per hour, keeping the text', async () => {
      await start({ SITE_FORMS_PER_HOUR: '2' });
      const o = await storePosted(bot.store);
      const path = `/en/opportunities/${o.reference}/question`;
      for (const n of [1, 2]) await browser.fill(path, { email: 'a@example.ca', question: `Question ${n}` });
      const third = await browser.fill(path, { email: 'a@example.ca', question: 'One too many' });
      assert.equal(third.status, 429);
      assert.ok(Number(third.headers.get('retry-after')) > 0);
      assert.match(third.body, /You have sent many forms in a short time/);
      assert.match(third.body, />\n?One too many<\/textarea>/);
      assert.equal((await bot.store.questionsOf(o.reference)).length, 2);
    });

    it('from one address is limited per hour across the replicas sharing a store', async () => {
      const shared = { SITE_FORMS_PER_HOUR: '2', SITE_SECRET: 'replicas-share-this-form-secret-0123456789' };
      await start(shared);
      const other = await startTestBot(
        { ...shared, SQLITE_PATH: bot.config.store.sqlitePath },
        { now: () => NOW, background: false },
      );
      try {
        const o = await storePosted(bot.store);
        const path = `/en/opportunities/${o.reference}/question`;
        const elsewhere = new Browser(other.server.url);
        await browser.fill(path, { email: 'a@example.ca', question: 'Question 1' });
        await elsewhere.fill(path, { email: 'a@example.ca', question: 'Question 2' });
        const third = await elsewhere.fill(path, { email: 'a@example.ca', question: 'One too many' });
        assert.equal(third.status, 429);
        assert.match(third.body, />\n?One too many<\/textarea>/);
        assert.equal((await browser.fill(path, { email: 'a@example.ca', question: 'Again' })).status, 429);
        assert.equal((await bot.store.questionsOf(o.reference)).length, 2);
      } finally {
        await other.server.stop();
      }
    });

    it('leaves nothing of an address in the store a day after its last form', async () => {
      let now = NOW;
      bot = await startTestBot({}, { now: () => now, background: false });
      browser = new Browser(bot.server.url);
      const o = await storePosted(bot.store);
      await browser.fill(`/en/opportunities/${o.reference}/question`, {
        email: 'a@example.ca',
        question: 'Hi?',
      });
      const counted = () => {
        const db = new Database(bot.config.store.sqlitePath, { readonly: true });
        try {
          return db
            .prepare(`SELECT count(*) AS n FROM rate_events WHERE key LIKE 'site:forms%'`)
            .pluck()
            .get();
        } finally {
          db.close();
        }
      };
      await bot.server.tick();
      assert.equal(counted(), 2, 'the address and the overall count');
      now = new Date(NOW.getTime() + 24 * 3_600_000 + 1);
      await bot.server.tick();
      assert.equal(counted(), 0);
    });

    it('refuses a body over 16 KB and any encoding but a form’s', async () => {
      await start();
      const o = await storePosted(bot.store);
      const path = `/en/opportunities/${o.reference}/question`;
      const big = await browser.fill(path, { email: 'a@example.ca', question: 'x'.repeat(17 * 1024) });
      assert.equal(big.status, 413);
      const json = await fetch(`${bot.server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'a@example.ca', question: 'hi' }),
      });
      assert.equal(json.status, 415);
      assert.equal((await bot.store.questionsOf(o.reference)).length, 0);
    });
  });

  describe('a subscription', () => {
    const mailbox = async () => {
      await bot.server.tick();
      return bot.store.mailbox(50);
    };
    const linkIn = (body: string, kind: string) => {
      const match = new RegExp(`https?://[^\\s]+/${kind}\\?token=[\\w-]{43}`).exec(body);
      assert.ok(match, `a ${kind} link`);
      return new URL(match[0]);
    };

    it('is confirmed by the e-mailed link, and ended in one click from any e-mail, address and all', async () => {
      await start();
      const res = await browser.fill('/fr/possibilites/abonnement', {
        email: 'Abonne@Example.ca',
        language: 'fr',
      });
      assert.equal(res.status, 200);
      assert.match(res.body, /Consultez vos courriels/);
      const [confirmation] = await mailbox();
      assert.equal(confirmation?.to, 'Abonne@Example.ca');
      assert.equal(confirmation?.subject, 'Confirmez votre abonnement aux possibilités de micro-acquisition');
      assert.deepEqual(await bot.store.subscriptionCounts(), { confirmed: 0, unconfirmed: 1 });

      const confirm = linkIn(confirmation?.body ?? '', 'confirmer');
      const page = await browser.get(`${confirm.pathname}${confirm.search}`);
      assert.match(page.body, /Confirmer votre abonnement/);
      // Opening the link confirms nothing: a mail scanner following links must not subscribe anyone.
      assert.deepEqual(await bot.store.subscriptionCounts(), { confirmed: 0, unconfirmed: 1 });
      const done = await browser.post(`${confirm.pathname}${confirm.search}`, {
        form_token: Browser.tokenOf(page.body),
      });
      assert.match(done.body, /Vous êtes abonné/);
      assert.deepEqual(await bot.store.subscriptionCounts(), { confirmed: 1, unconfirmed: 0 });

      // RFC 8058: the mail client posts List-Unsubscribe=One-Click, with no page and no cookie.
      const leave = linkIn(confirmation?.body ?? '', 'desabonnement');
      const gone = await fetch(`${bot.server.url}${leave.pathname}${leave.search}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      assert.equal(gone.status, 200);
      assert.match(await gone.text(), /Vous êtes désabonné/);
      assert.deepEqual(await bot.store.subscriptionCounts(), { confirmed: 0, unconfirmed: 0 });
      const again = await browser.get(`${confirm.pathname}${confirm.search}`);
      const late = await browser.post(`${confirm.pathname}${confirm.search}`, {
        form_token: Browser.tokenOf(again.body),
      });
      assert.equal(late.status, 404);
    });

    it('is not confirmed nor ended by a post without the page’s token, nor by a made-up link', async () => {
      await start();
      await browser.fill('/en/opportunities/subscribe', { email: 'a@example.ca', language: 'en' });
      const [confirmation] = await mailbox();
      const confirm = linkIn(confirmation?.body ?? '', 'confirm');
      const forged = await browser.post(`${confirm.pathname}${confirm.search}`, {});
      assert.equal(forged.status, 403);
      assert.match(forged.body, /<button class="site-button" type="submit">Confirm<\/button>/);
      const leave = linkIn(confirmation?.body ?? '', 'unsubscribe');
      assert.equal((await browser.post(`${leave.pathname}${leave.search}`, {})).status, 403);
      const madeUp = await browser.get(`/en/opportunities/confirm?token=${'x'.repeat(42)}`);
      assert.equal(madeUp.status, 404);
      assert.deepEqual(await bot.store.subscriptionCounts(), { confirmed: 0, unconfirmed: 1 });
    });

    it('of a known address says the same as a new one and sends no second confirmation within minutes', async () => {
      await start();
      const first = await browser.fill('/en/opportunities/subscribe', {
        email: 'a@example.ca',
        language: 'en',
      });
      const second = await browser.fill('/en/opportunities/subscribe', {
        email: 'A@EXAMPLE.CA',
        language: 'fr',
      });
      assert.equal(first.status, second.status);
      assert.equal(
        first.body.replace(/csp-nonce" content="[^"]+"/, ''),
        second.body.replace(/csp-nonce" content="[^"]+"/, ''),
      );
      assert.equal((await mailbox()).length, 1);
      assert.deepEqual(await bot.store.subscriptionCounts(), { confirmed: 0, unconfirmed: 1 });
    });

    it('names a wrong address and keeps the language chosen', async () => {
      await start();
      const res = await browser.fill('/en/opportunities/subscribe', { email: 'nope', language: 'fr' });
      assert.equal(res.status, 400);
      assert.match(res.body, /Enter an email address/);
      assert.match(res.body, /value="fr"\s+checked/);
      assert.equal((await mailbox()).length, 0);
    });

    it('pauses once too many wait for confirmation, storing and sending nothing more', async () => {
      await start({ SUBSCRIPTIONS_UNCONFIRMED_MAX: '2' });
      for (const n of [1, 2])
        await browser.fill('/en/opportunities/subscribe', { email: `a${n}@example.ca`, language: 'en' });
      const third = await browser.fill('/en/opportunities/subscribe', {
        email: 'a3@example.ca',
        language: 'en',
      });
      assert.equal(third.status, 503);
      assert.match(third.body, /Subscriptions are paused/);
      assert.match(third.body, /value="a3@example.ca"/);
      assert.equal((await mailbox()).length, 2);
    });
  });

  describe('the local mailbox', () => {
    it('is shown on this machine’s loopback address only, and not at all with a Notify key', async () => {
      await start();
      const page = await browser.get('/mailbox?lang=fr');
      assert.equal(page.status, 200);
      assert.match(page.body, /Boîte aux lettres locale/);
      const url = new URL(bot.server.url);
      const fromElsewhere = await new Promise<number>((resolve, reject) => {
        const req = request(
          { host: url.hostname, port: url.port, path: '/mailbox', localAddress: '127.0.0.2' },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      assert.equal(fromElsewhere, 404);
      await bot.server.stop();
      await start({
        NOTIFY_API_KEY: `microacq-${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}-${'1'.repeat(8)}-1111-4111-8111-${'1'.repeat(12)}`,
        NOTIFY_BASE_URL: 'http://127.0.0.1:9',
        NOTIFY_TEMPLATES: JSON.stringify(
          Object.fromEntries(
            MAIL_KINDS.map((k) => [
              k,
              { en: '3f0a1b2c-0000-4000-8000-000000000001', fr: '3f0a1b2c-0000-4000-8000-000000000002' },
            ]),
          ),
        ),
      });
      assert.equal((await browser.get('/mailbox')).status, 404);
    });
  });
});

describe('the public forms against strangers’ input', function () {
  this.timeout(120_000);
  let bot: TestBot;
  let reference = '';

  before(async () => {
    bot = await startTestBot(
      { SITE_RATE_PER_MINUTE: '100000', SITE_FORMS_PER_HOUR: '10000', SITE_FORMS_TOTAL_PER_HOUR: '100000' },
      { now: () => NOW, background: false },
    );
    reference = (await storePosted(bot.store)).reference;
  });
  after(async () => bot.server.stop());

  const forms = () =>
    [
      [`/en/opportunities/${reference}/question`, ['email', 'question']],
      ['/fr/possibilites/abonnement', ['email', 'language']],
    ] as const;

  for (const [name, text] of PAYLOADS) {
    it(`answers ${name} in any field of any form clearly, and shows it only as text`, async () => {
      for (const [path, fields] of forms()) {
        for (const field of fields) {
          const browser = new Browser(bot.server.url);
          const values: Record<string, string> = { email: 'a@example.ca', question: 'Fine?', language: 'fr' };
          values[field] = text;
          const res = await browser.fill(path, values);
          assert.ok(res.status < 500, `${path} ${field}: ${res.status}`);
          assert.doesNotMatch(res.body, /\n\s+at |node_modules|\.ts:\d+/);
          // What was typed comes back escaped: no tag, attribute or script of it is live markup.
          assert.ok(!res.body.includes('<script>alert'), `${path} ${field} reflected a script`);
          assert.ok(!/<img[^>]+onerror/i.test(res.body), `${path} ${field} reflected an image`);
        }
      }
    });
  }

  it('still serves afterwards, and every question stored is one someone could have typed', async () => {
    const page = await new Browser(bot.server.url).get(`/en/opportunities/${reference}`);
    assert.equal(page.status, 200);
    for (const q of await bot.store.questionsOf(reference)) {
      assert.ok(q.text.length <= 2_000);
      assert.ok(q.email && q.email.length <= 254);
    }
  });
});
