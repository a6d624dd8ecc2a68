import assert from 'node:assert/strict';
import { DECLARATIONS } from '../../src/services/applications';
import { storePosted } from '../support/published';
import { Browser } from '../support/site-browser';
import { startTestBot, type TestBot } from '../support/teams';

/**
 * Applying from the public page, over real HTTP as a browser sends it: an application counts once its
 * address is confirmed by the e-mailed link, one per address, changeable until the deadline; links
 * expire, are used once, and cannot be forged.
 */

const TICKED = Object.fromEntries([...DECLARATIONS, 'terms'].map((d) => [d, 'yes']));
const APPLICATION = {
  name: 'Ada Dev',
  email: 'ada@example.ca',
  kind: 'individual',
  federalEmployee: 'no',
  answer: 'I built the accessible date picker of the city’s permit forms.',
  links: 'https://github.com/ada/picker',
  ...TICKED,
};

describe('applying from the public page', function () {
  this.timeout(30_000);
  let bot: TestBot;
  let browser: Browser;
  let now: Date;
  let reference: string;

  const start = async (env: Record<string, string> = {}) => {
    now = new Date('2026-03-05T15:00:00Z');
    bot = await startTestBot(env, { now: () => now, background: false });
    browser = new Browser(bot.server.url);
    reference = (await storePosted(bot.store)).reference;
  };
  afterEach(async () => bot?.server.stop());

  const paths = (locale: 'en' | 'fr') =>
    locale === 'en'
      ? { page: `/en/opportunities/${reference}`, apply: `/en/opportunities/${reference}/apply` }
      : { page: `/fr/possibilites/${reference}`, apply: `/fr/possibilites/${reference}/postuler` };
  const mails = async () => {
    await bot.server.tick();
    return bot.store.mailbox(50);
  };
  const confirmLink = (body: string) => {
    const match = /https?:\/\/\S+\/(?:confirm|confirmer)\?token=[\w-]{43}/.exec(body);
    assert.ok(match, 'a confirmation link');
    const url = new URL(match[0]);
    return `${url.pathname}${url.search}`;
  };
  const applications = async () => (await bot.store.applicationsOf(reference, {}, { limit: 50 })).items;
  /** Opens the link's page, then presses its button, as the applicant does. */
  const confirm = async (link: string) => {
    const page = await browser.get(link);
    assert.equal(page.status, 200, 'the confirmation page opens');
    return browser.post(link, { form_token: Browser.tokenOf(page.body) });
  };

  it('counts an application once its address is confirmed from the e-mailed link, in the page’s language', async () => {
    await start();
    const page = await browser.get(paths('fr').page);
    assert.match(page.body, new RegExp(`href="${paths('fr').apply}"`));
    const form = await browser.get(paths('fr').apply);
    assert.equal(form.headers.get('cache-control'), 'no-store');
    assert.match(form.body, /Le critère d’évaluation/);
    assert.match(form.body, /Has shipped an accessible web component|A déjà livré/);
    const sent = await browser.fill(paths('fr').apply, { ...APPLICATION, newToGovernment: 'yes' });
    assert.equal(sent.status, 200);
    assert.match(sent.body, /Consultez vos courriels/);
    let [a] = await applications();
    assert.equal(a?.content, undefined, 'nothing counts before the confirmation');
    assert.equal(a?.locale, 'fr');

    const [mail] = await mails();
    assert.equal(mail?.to, 'ada@example.ca');
    assert.equal(mail?.subject, `Confirmez votre candidature à ${reference}`);
    const link = confirmLink(mail?.body ?? '');
    assert.match(link, new RegExp(`^/fr/possibilites/${reference}/confirmer\\?token=`));
    // Opening the link changes nothing: a mail scanner following links confirms no one.
    await browser.get(link);
    [a] = await applications();
    assert.equal(a?.content, undefined);

    const done = await confirm(link);
    assert.equal(done.status, 200);
    assert.match(done.body, /Votre candidature compte/);
    [a] = await applications();
    assert.equal(a?.content?.name, 'Ada Dev');
    assert.equal(a?.content?.federalEmployee, false);
    assert.deepEqual(a?.content?.links, ['https://github.com/ada/picker']);
    const counts = await bot.store.selfIdentificationCounts([reference]);
    assert.equal(counts.newToGovernment.yes, 1);
    assert.ok(!JSON.stringify(a).includes('newToGovernment'), 'the self-identification is kept apart');

    const again = await confirm(link);
    assert.equal(again.status, 404, 'a link confirms once');
    assert.match(again.body, /Ce lien ne fonctionne plus/);
  });

  it('keeps one application per address, changed by a confirmed resubmission until the deadline', async () => {
    await start();
    await browser.fill(paths('en').apply, APPLICATION);
    const first = confirmLink((await mails())[0]?.body ?? '');
    await confirm(first);
    await browser.fill(paths('en').apply, {
      ...APPLICATION,
      email: 'ADA@Example.CA',
      answer: 'A better answer.',
    });
    const [change] = (await mails()).filter(
      (m) => m.body.includes('token=') && !m.body.includes(first.split('token=')[1] ?? ''),
    );
    let all = await applications();
    assert.equal(all.length, 1, 'one application per address, whatever its case');
    assert.equal(
      all[0]?.content?.answer,
      APPLICATION.answer,
      'the confirmed application stands until the change is confirmed',
    );
    await confirm(confirmLink(change?.body ?? ''));
    all = await applications();
    assert.equal(all[0]?.content?.answer, 'A better answer.');
  });

  it('refuses a link after 48 hours, a link after the deadline, and a made-up or borrowed link', async () => {
    await start();
    await browser.fill(paths('en').apply, APPLICATION);
    const link = confirmLink((await mails())[0]?.body ?? '');
    now = new Date(now.getTime() + 48 * 3_600_000 + 60_000);
    const late = await confirm(link);
    assert.equal(late.status, 410);
    assert.match(late.body, /This link has expired/);

    await browser.fill(paths('en').apply, { ...APPLICATION, email: 'bo@example.ca' });
    const bo = confirmLink((await mails()).find((m) => m.to === 'bo@example.ca')?.body ?? '');
    now = new Date('2026-03-17T12:00:00Z');
    const closed = await confirm(bo);
    assert.equal(closed.status, 409);
    assert.match(closed.body, /Applications are closed/);

    const madeUp = await browser.get(`/en/opportunities/${reference}/confirm?token=${'A'.repeat(43)}`);
    const forged = await browser.post(`/en/opportunities/${reference}/confirm?token=${'A'.repeat(43)}`, {
      form_token: Browser.tokenOf(madeUp.body),
    });
    assert.equal(forged.status, 404);
    const elsewhere = await storePosted(bot.store);
    const borrowed = bo.replace(reference, elsewhere.reference);
    const page = await browser.get(borrowed);
    assert.equal((await browser.post(borrowed, { form_token: Browser.tokenOf(page.body) })).status, 404);
    assert.ok(
      (await applications()).every((a) => a.content === undefined),
      'nothing counts',
    );
  });

  it('names each missing declaration and each problem, keeping everything typed', async () => {
    await start();
    const res = await browser.fill(paths('en').apply, {
      ...APPLICATION,
      git: '',
      terms: '',
      links: 'my github',
      answer: 'Kept <answer>',
    });
    assert.equal(res.status, 400);
    assert.match(res.body, /3 things to fix below/);
    assert.match(res.body, /id="git"[^>]*aria-invalid="true"/);
    assert.match(res.body, /Enter a web address that starts with https:\/\/ or http:\/\//);
    assert.match(res.body, />\n?Kept &lt;answer&gt;<\/textarea>/);
    assert.match(res.body, /id="adult"\s+name="adult"\s+value="yes"\s+checked/);
    assert.equal((await applications()).length, 0);
  });

  it('takes no application after the deadline, and none from a robot', async () => {
    await start();
    await browser.fill(paths('en').apply, { ...APPLICATION, website: 'https://spam.example' });
    assert.equal((await applications()).length, 0);
    const token = Browser.tokenOf((await browser.get(paths('en').apply)).body);
    now = new Date('2026-03-17T04:00:00Z');
    const page = await browser.get(paths('en').page);
    assert.doesNotMatch(page.body, /Apply to this opportunity/);
    assert.match((await browser.get(paths('en').apply)).body, /Applications are closed for this opportunity/);
    const late = await browser.post(paths('en').apply, { ...APPLICATION, form_token: token });
    assert.equal(late.status, 409);
    assert.equal((await applications()).length, 0);
  });

  it('pauses, keeping what was typed, once too many applications wait for confirmation', async () => {
    await start({ APPLICATIONS_UNCONFIRMED_MAX: '2' });
    for (const n of [1, 2])
      await browser.fill(paths('en').apply, { ...APPLICATION, email: `a${n}@example.ca` });
    const third = await browser.fill(paths('en').apply, { ...APPLICATION, email: 'a3@example.ca' });
    assert.equal(third.status, 503);
    assert.match(third.body, /Applications are paused/);
    assert.match(third.body, /value="a3@example.ca"/);
    assert.equal((await applications()).length, 2);
  });
});
