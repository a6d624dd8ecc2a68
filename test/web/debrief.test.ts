import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Application } from '../../src/services/applications';
import { find } from '../support/cards';
import { debriefPath, RATIONALE, storeNotSelected, storeUnderway } from '../support/debrief';
import { Browser } from '../support/site-browser';
import {
  activity,
  cardOf,
  Connector,
  PEOPLE,
  post,
  startTestBot,
  type TestBot,
  textOf,
} from '../support/teams';

/**
 * Asking for a debrief from the not-selected e-mail's link, over real HTTP as a browser sends it: the
 * page opens in either language; only the application's own link, to its own opportunity, records the
 * request, once, and posts one card to procurement's channel, which says nothing of who asked.
 */

const AT = '2026-03-05T15:00:00.000Z';

describe('asking for a debrief from the public site', function () {
  this.timeout(30_000);
  let connector: Connector;
  let bot: TestBot;
  let browser: Browser;
  let now: Date;
  let reference: string;
  let bo: Application;
  let chloe: Application;

  beforeEach(async () => {
    now = new Date('2026-04-10T15:00:00Z');
    connector = await Connector.start();
    bot = await startTestBot({}, { now: () => now, background: false });
    browser = new Browser(bot.server.url);
    const before = connector.sent.length;
    await post(
      bot,
      activity(
        'message',
        {
          serviceUrl: connector.url,
          from: PEOPLE.procurement,
          conversationType: 'channel',
          channel: 'procurement',
        },
        { text: 'register procurement' },
      ),
    );
    assert.match(textOf(cardOf((await connector.waitFor(before + 1)).at(-1))), /This channel now receives/);
    reference = (await storeUnderway(bot.store)).reference;
    bo = await storeNotSelected(
      bot.store,
      reference,
      { name: 'Bo Code', email: 'bo@example.ca', locale: 'fr', number: 2 },
      AT,
    );
    chloe = await storeNotSelected(
      bot.store,
      reference,
      { name: 'Chloé Gagné', email: 'chloe@example.ca', locale: 'en', number: 3 },
      AT,
    );
  });
  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  const link = (a: Application) => debriefPath(bot.server.url, a);
  /** Opens the link's page, then presses its button, as the applicant does. */
  const ask = async (path: string) => {
    const page = await browser.get(path);
    assert.equal(page.status, 200, `the page at ${path} opens`);
    return browser.post(path, { form_token: Browser.tokenOf(page.body) });
  };
  const deliver = async () => {
    now = new Date(now.getTime() + 60_000);
    await bot.server.tick();
  };
  const debriefCards = () =>
    connector.sent
      .filter((s) => decodeURIComponent(s.path).startsWith('/v3/conversations/19:procurement@thread.tacv2/'))
      .filter((s) => s.body.attachments)
      .map((s) => cardOf(s))
      .filter((c) => /Debrief requested/.test(textOf(c)));
  const requested = async () =>
    (await bot.store.auditTrail(reference)).filter((e) => e.action === 'debrief_requested');
  const queued = async () =>
    (await bot.store.dueMessages(new Date('2030-01-01').toISOString(), 50)).filter((m) =>
      m.id.startsWith('debrief:'),
    );

  it('opens the page of the e-mailed link in the applicant’s language and in the other, with one button', async () => {
    const fr = link(bo);
    assert.match(
      fr,
      new RegExp(`^/fr/possibilites/${reference}/compte-rendu\\?application=a-[\\w-]+&token=`),
    );
    const french = await browser.get(fr);
    assert.equal(french.status, 200);
    assert.equal(french.headers.get('cache-control'), 'no-store');
    assert.match(french.body, /<h1>Demander un compte rendu<\/h1>/);
    assert.match(french.body, /<button class="site-button" type="submit">Demander un compte rendu<\/button>/);
    assert.ok(french.body.includes(`action="${fr.replace('&', '&amp;')}"`), 'the button posts the link back');

    const english = await browser.get(
      fr.replace(/^\/fr\/possibilites\/(.+)\/compte-rendu/, '/en/opportunities/$1/debrief'),
    );
    assert.equal(english.status, 200);
    assert.match(english.body, /<h1>Ask for a debrief<\/h1>/);
    assert.match(english.body, /answers by e-mail/);

    const stored = await bot.store.getApplication(bo.id);
    assert.equal(
      stored?.debrief,
      undefined,
      'opening the page asks for nothing: a mail scanner follows links',
    );
    assert.deepEqual(await requested(), []);
  });

  it('refuses a forged token, an unknown application, another applicant’s token and another opportunity alike, and records nothing', async () => {
    const other = (await storeUnderway(bot.store)).reference;
    const token = (a: Application) => a.debriefToken ?? '';
    const forged = {
      'a forged token': `${link(bo).split('token=')[0]}token=${randomBytes(32).toString('base64url')}`,
      'an unknown application': link(bo).replace(bo.id, `a-${randomUUID()}`),
      'another applicant’s token': link(bo).replace(token(bo), token(chloe)),
      'another opportunity': link(bo).replace(reference, other),
    };
    const pages: string[] = [];
    for (const [what, path] of Object.entries(forged)) {
      const res = await ask(path);
      assert.equal(res.status, 404, what);
      assert.match(res.body, /Ce lien ne fonctionne pas/, what);
      // The same page every time, but for the nonce its styles carry: a guess learns nothing.
      pages.push(res.body.replace(/"csp-nonce" content="[^"]+"/, ''));
    }
    assert.equal(new Set(pages).size, 1, 'every refusal is the same page');
    for (const a of [bo, chloe]) {
      const stored = await bot.store.getApplication(a.id);
      assert.equal(stored?.debrief, undefined);
      assert.equal(stored?.version, a.version, 'nothing saved');
    }
    assert.deepEqual(await requested(), []);
    assert.deepEqual(await queued(), [], 'no card queued');
  });

  it('records a request once and posts one card to procurement, however often it is sent', async () => {
    const path = link(bo);
    const page = await browser.get(path);
    const form_token = Browser.tokenOf(page.body);
    // A double click: both presses of one page's button at once.
    const [first, second] = await Promise.all([
      browser.post(path, { form_token }),
      browser.post(path, { form_token }),
    ]);
    const bodies = [first.body, second.body];
    assert.deepEqual([first.status, second.status], [200, 200]);
    assert.ok(
      bodies.some((b) => /Votre demande est reçue/.test(b)),
      'one press records the request',
    );
    assert.ok(
      bodies.some((b) => /Votre demande a déjà été reçue/.test(b)),
      'the other is told it was',
    );
    assert.ok(
      bodies.every((b) => /répondra par courriel/.test(b)),
      'procurement answers by e-mail',
    );
    const reload = await ask(path);
    assert.equal(reload.status, 200);
    assert.match(reload.body, /Votre demande a déjà été reçue/);

    const stored = await bot.store.getApplication(bo.id);
    assert.equal(stored?.debrief?.requestedAt, now.toISOString());
    assert.equal(stored?.version, bo.version + 1, 'saved once');
    const audit = await requested();
    assert.deepEqual(
      audit.map((e) => [e.actor.name, e.outcome, e.comment]),
      [['Microacq', 'applied', 'Applicant 2']],
    );

    await deliver();
    await ask(path);
    await deliver();
    assert.equal(debriefCards().length, 1, 'one card, however often it is asked for');
  });

  it('posts a card that shows the evaluation and prefills the debrief, with nothing that says who asked', async () => {
    await ask(link(bo));
    await deliver();
    const [card] = debriefCards();
    assert.ok(card, 'the request reached procurement’s channel');
    const text = textOf(card);
    assert.match(text, /Debrief requested · Applicant 2 \/ Compte rendu demandé · Candidat 2/);
    assert.match(text, new RegExp(`${reference} · Accessible date picker`));
    assert.match(text, /did not meet the criterion/);
    assert.ok(text.includes(RATIONALE));
    const input = find(card, (n) => n.id === 'debrief')[0];
    assert.equal(input?.type, 'Input.Text');
    assert.equal(input?.value, RATIONALE, 'the evaluator’s reasons are where the debrief starts');
    const send = find(card, (n) => n.type === 'Action.Execute')[0];
    assert.equal(send?.verb, 'debrief.send');
    assert.deepEqual(Object.keys(send?.data as object).sort(), ['applicationId', 'verb', 'version']);
    const whole = JSON.stringify(card);
    const personal = [
      'Bo Code',
      'bo@example.ca',
      bo.content?.answer,
      ...(bo.content?.links ?? []),
      bo.debriefToken,
    ];
    for (const words of personal) {
      assert.ok(words && !whole.includes(words), `the card shows no ${words}`);
    }
  });
});
