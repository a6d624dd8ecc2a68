import { strict as assert } from 'node:assert';
import type { Application } from '../src/services/applications';
import { find } from './support/cards';
import { debriefPath, RATIONALE, storeNotSelected, storeUnderway } from './support/debrief';
import { Browser } from './support/site-browser';
import {
  activity,
  cardAction,
  cardOf,
  Connector,
  PEOPLE,
  post,
  startTestBot,
  type TestBot,
  textOf,
} from './support/teams';

/**
 * Debriefs from procurement's side, over real HTTP: an applicant's request from the public site reaches
 * procurement's channel as a card; the debrief sent from it reaches the applicant by e-mail in their
 * language; the first sending wins, and only procurement may send one.
 */

type Card = Record<string, unknown>;
type Who = (typeof PEOPLE)[keyof typeof PEOPLE];
const DEBRIEF = 'Votre réponse ne montrait aucun composant accessible : joignez-en un la prochaine fois.';

describe('debriefs, sent from procurement’s channel', function () {
  this.timeout(30_000);
  let connector: Connector;
  let bot: TestBot;
  let now: Date;
  let reference: string;
  let bo: Application;

  const inChannel = (from: Who) => ({
    serviceUrl: connector.url,
    from,
    conversationType: 'channel' as const,
    channel: 'procurement',
  });
  const say = async (text: string, from: Who) => {
    const before = connector.sent.length;
    await post(bot, activity('message', inChannel(from), { text }));
    return cardOf((await connector.waitFor(before + 1)).at(-1));
  };
  const click = async (data: Record<string, unknown>, from: Who): Promise<Card> => {
    const res = await post(bot, cardAction(inChannel(from), 'debrief.send', data));
    assert.equal(res.status, 200);
    return ((await res.json()) as { value: Card }).value;
  };
  const deliver = async () => {
    now = new Date(now.getTime() + 60_000);
    await bot.server.tick();
  };
  const debriefMails = async () => {
    await deliver();
    return (await bot.store.mailbox(50)).filter((m) => m.kind === 'debrief');
  };
  const sendsOf = async () =>
    (await bot.store.auditTrail(reference))
      .filter((e) => e.action === 'debrief_sent')
      .map((e) => [e.outcome, e.actor.name, e.reason]);
  /** The applicant asks from their e-mailed link; the card reaches the channel; its button's data. */
  const requestCard = async () => {
    const browser = new Browser(bot.server.url);
    const path = debriefPath(bot.server.url, bo);
    const page = await browser.get(path);
    const sent = await browser.post(path, { form_token: Browser.tokenOf(page.body) });
    assert.equal(sent.status, 200);
    await deliver();
    const card = connector.sent
      .filter((s) => decodeURIComponent(s.path).startsWith('/v3/conversations/19:procurement@thread.tacv2/'))
      .filter((s) => s.body.attachments)
      .map((s) => cardOf(s))
      .find((c) => /Debrief requested/.test(textOf(c)));
    assert.ok(card, 'the request reached the channel');
    const button = find(card, (n) => n.type === 'Action.Execute' && n.verb === 'debrief.send')[0];
    assert.ok(button, 'the card has its button');
    return button.data as Record<string, unknown>;
  };

  beforeEach(async () => {
    now = new Date('2026-04-10T15:00:00Z');
    connector = await Connector.start();
    bot = await startTestBot({}, { now: () => now, background: false });
    assert.match(textOf(await say('register procurement', PEOPLE.procurement)), /This channel now receives/);
    reference = (await storeUnderway(bot.store)).reference;
    bo = await storeNotSelected(
      bot.store,
      reference,
      { name: 'Bo Code', email: 'bo@example.ca', locale: 'fr', number: 2 },
      '2026-03-05T15:00:00.000Z',
    );
  });
  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  it('e-mails procurement’s debrief to the applicant in their language, and shows on the card who sent it', async () => {
    const data = await requestCard();
    const sent = await click({ ...data, debrief: DEBRIEF }, PEOPLE.procurement);
    const text = textOf(sent);
    assert.match(text, /Sent by Priya Raman/);
    assert.match(text, /Envoyé par Priya Raman/);
    assert.ok(text.includes(DEBRIEF));
    assert.equal(find(sent, (n) => n.type === 'Input.Text').length, 0, 'no text to write once sent');
    assert.equal(find(sent, (n) => n.type === 'Action.Execute').length, 0, 'no button once sent');

    const mails = await debriefMails();
    assert.equal(mails.length, 1);
    assert.equal(mails[0]?.to, 'bo@example.ca');
    assert.equal(mails[0]?.locale, 'fr');
    assert.equal(mails[0]?.subject, `Compte rendu sur votre candidature à ${reference}`);
    assert.ok(mails[0]?.body.includes(DEBRIEF));
    assert.match(mails[0]?.body ?? '', /Bonjour Bo Code/);

    const stored = await bot.store.getApplication(bo.id);
    assert.equal(stored?.debrief?.answer?.text, DEBRIEF);
    assert.equal(stored?.debrief?.answer?.by.name, PEOPLE.procurement.name);
    assert.deepEqual(await sendsOf(), [['applied', PEOPLE.procurement.name, undefined]]);
    const history = textOf(await say(`history ${reference}`, PEOPLE.procurement));
    assert.match(history, /received a request for a debrief/);
    assert.match(history, /sent a debrief/);
  });

  it('refuses a second click as stale, naming who sent first, and e-mails nothing more', async () => {
    const data = await requestCard();
    await click({ ...data, debrief: DEBRIEF }, PEOPLE.procurement);
    const late = await click({ ...data, debrief: 'A second, different debrief.' }, PEOPLE.procurement2);
    assert.match(textOf(late), /Priya Raman sent this debrief first/);
    assert.ok(textOf(late).includes(DEBRIEF), 'the card shows the debrief that was sent');
    assert.equal(find(late, (n) => n.type === 'Action.Execute').length, 0);
    const mails = await debriefMails();
    assert.equal(mails.length, 1);
    assert.ok(!mails.some((m) => m.body.includes('A second, different debrief.')));
    assert.equal((await bot.store.getApplication(bo.id))?.debrief?.answer?.by.name, PEOPLE.procurement.name);
    assert.deepEqual(await sendsOf(), [
      ['applied', PEOPLE.procurement.name, undefined],
      ['refused', PEOPLE.procurement2.name, 'stale'],
    ]);
  });

  for (const who of ['requester', 'finance', 'manager'] as const) {
    it(`lets no ${who} send a debrief, and audits the attempt`, async () => {
      const data = await requestCard();
      const refused = await click({ ...data, debrief: DEBRIEF }, PEOPLE[who]);
      assert.match(textOf(refused), /Only the procurement team can send a debrief/);
      assert.equal((await bot.store.getApplication(bo.id))?.debrief?.answer, undefined);
      assert.deepEqual(await debriefMails(), []);
      assert.deepEqual(await sendsOf(), [['refused', PEOPLE[who].name, 'role']]);
    });
  }

  it('sends a blank debrief back with the problem named in both languages, and sends nothing', async () => {
    const data = await requestCard();
    const back = await click({ ...data, debrief: '  \n ' }, PEOPLE.procurement);
    const text = textOf(back);
    assert.match(text, /Nothing was sent: write the debrief/);
    assert.match(text, /This is required\. \/ Ce champ est obligatoire\./);
    const input = find(back, (n) => n.id === 'debrief')[0];
    assert.equal(input?.value, '', 'what was typed stays, not the evaluator’s reasons again');
    const again = find(back, (n) => n.type === 'Action.Execute' && n.verb === 'debrief.send')[0];
    assert.deepEqual(again?.data, data, 'the card can be sent once the text is written');
    assert.equal((await bot.store.getApplication(bo.id))?.debrief?.answer, undefined);
    assert.deepEqual(await debriefMails(), []);
  });

  it('keeps a debrief too long, cut to its limit, and names the limit', async () => {
    const data = await requestCard();
    const long = `${RATIONALE} ${'x'.repeat(4_100)}`;
    const back = await click({ ...data, debrief: long }, PEOPLE.procurement);
    assert.match(textOf(back), /at most 4000 characters/);
    assert.equal(find(back, (n) => n.id === 'debrief')[0]?.value, long.slice(0, 4_000));
    assert.deepEqual(await debriefMails(), []);
  });
});
