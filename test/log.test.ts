import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { NOW, typed } from './support/opportunities';
import { DECLARATIONS } from '../src/services/applications';
import { storePosted } from './support/published';
import { Browser } from './support/site-browser';
import { activity, cardAction, Connector, PEOPLE, post, startTestBot, type TestBot } from './support/teams';

/**
 * What operators read: one JSON object per line, each line of an activity's handling tagged with its
 * correlation id, and nothing a person typed, no names, no tokens or secrets.
 */

type Line = Record<string, unknown>;

describe('logs', function () {
  this.timeout(20_000);
  let connector: Connector;
  let bot: TestBot;
  let lines: Line[];
  let raw: string;

  const start = async (level: string, now = NOW) => {
    lines = [];
    raw = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        raw += chunk.toString();
        for (const text of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
        done();
      },
    });
    bot = await startTestBot(
      { LOG_LEVEL: level },
      { now: () => new Date(now), background: false },
      { logTo: sink },
    );
  };

  beforeEach(async () => {
    connector = await Connector.start();
  });

  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  const send = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    post(bot, body, headers);

  const secretTitle = 'Confidential rewrite of the Zanzibar payroll';
  const email = 'riley.private@example.gc.ca';

  it('writes one JSON object per line, each activity with its correlation id, kind and outcome', async () => {
    await start('info');
    const message = activity('message', { serviceUrl: connector.url }, { text: `new ${secretTitle}` });
    const res = await send(message);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-correlation-id'), message.id);
    const line = lines.find((l) => l.msg === 'activity' && l.correlationId === message.id);
    assert.ok(line, raw);
    assert.equal(line.type, 'message');
    assert.equal(line.status, 200);
    assert.equal(typeof line.durationMs, 'number');
    assert.equal(line.service, 'microacq');
    assert.equal(typeof line.time, 'number');
    assert.equal(line.level, 30);
  });

  it('tags every line written while handling an activity with its id, including failures', async () => {
    await start('info');
    // The connector refuses the reply: the failure is logged inside the turn that caused it.
    const refusal = { status: 403, body: { error: { code: 'BotNotInConversationRoster', message: 'gone' } } };
    connector.script(refusal, refusal);
    const message = activity('message', { serviceUrl: connector.url }, { text: 'help' });
    await send(message);
    const failures = lines.filter((l) => (l.level as number) >= 40);
    assert.ok(failures.length > 0, raw);
    for (const l of failures) assert.equal(l.correlationId, message.id, JSON.stringify(l));
  });

  it('never writes what people typed, their names or email, or the bearer token they sent', async () => {
    await start('trace');
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzZWNyZXQiOiJ0b2tlbiJ9.c2lnbmF0dXJl';
    const auth = { authorization: `Bearer ${token}` };
    await send(activity('message', { serviceUrl: connector.url }, { text: `new ${secretTitle}` }), auth);
    const drafts = await bot.store.listDrafts(PEOPLE.requester.aadObjectId);
    const draftId = drafts[0]?.id;
    assert.ok(draftId);
    await send(
      activity(
        'invoke',
        { serviceUrl: connector.url },
        {
          name: 'adaptiveCard/action',
          value: {
            action: {
              type: 'Action.Execute',
              verb: 'intake.next',
              data: { draftId, step: 'basics', ...typed({ title: secretTitle, contactEmail: email }) },
            },
          },
        },
      ),
      auth,
    );
    await send(activity('message', { serviceUrl: connector.url }, { text: `search ${secretTitle}` }), auth);
    assert.ok(lines.length > 3, raw);
    for (const secret of [secretTitle, 'Zanzibar', email, token, 'Bearer', PEOPLE.requester.name]) {
      assert.ok(!raw.includes(secret), `the logs contain "${secret}"`);
    }
  });

  it('writes only what the configured level lets through', async () => {
    await start('warn');
    await send(activity('message', { serviceUrl: connector.url }, { text: 'help' }));
    assert.deepEqual(
      lines.filter((l) => (l.level as number) < 40),
      [],
    );
  });

  it('keeps a correlation id out of the logs when the activity id is not a plain id', async () => {
    await start('info');
    const res = await send({
      ...activity('message', { serviceUrl: connector.url }, { text: 'help' }),
      id: `${secretTitle}\n{"level":60}`,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('x-correlation-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(!raw.includes('Zanzibar'), raw);
  });

  it('refuses, in local mode, an activity whose replies would leave this machine, with one warning', async () => {
    await start('info');
    const res = await send(
      activity('message', { serviceUrl: 'https://smba.trafficmanager.net/teams/' }, { text: 'new' }),
    );
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { error: 'forbidden' });
    const warned = lines.filter((l) => l.level === 40);
    assert.deepEqual(
      warned.map((l) => [l.msg, l.reason]),
      [['refused an activity', 'local mode answers only a client on this machine']],
    );
    assert.deepEqual(await bot.store.listDrafts(PEOPLE.requester.aadObjectId), []);
    assert.equal(connector.sent.length, 0);
  });

  it('never writes an applicant’s, a supplier’s or a subscriber’s address or name, nor what they typed, at any level', async () => {
    // While the posted request still takes questions.
    await start('trace', '2026-03-05T15:00:00.000Z');
    const o = await storePosted(bot.store);
    const browser = new Browser(bot.server.url);
    await browser.fill('/fr/possibilites/abonnement', {
      email: 'Subscriber.Private@example.ca',
      language: 'fr',
    });
    await browser.fill('/en/opportunities/subscribe', { email: 'nope-not-an-address', language: 'en' });
    await browser.fill(`/en/opportunities/${o.reference}/question`, {
      email: 'asker.private@example.ca',
      question: 'Secret question text zq7731',
    });
    await browser.fill(`/en/opportunities/${o.reference}/question`, {
      email: 'robot.private@example.ca',
      question: 'Spam zq7731',
      website: 'https://spam.example',
    });
    await browser.fill(`/fr/possibilites/${o.reference}/postuler`, {
      name: 'Applicant Private Name',
      email: 'applicant.private@example.ca',
      kind: 'business',
      federalEmployee: 'yes',
      answer: 'Private answer zq7731',
      links: 'https://private-zq7731.example.ca',
      ...Object.fromEntries([...DECLARATIONS, 'terms'].map((d) => [d, 'yes'])),
      equityGroup: 'yes',
    });
    const [q] = await bot.store.questionsOf(o.reference);
    assert.ok(q);
    const channel = {
      serviceUrl: connector.url,
      from: PEOPLE.procurement,
      conversationType: 'channel' as const,
      channel: 'procurement',
    };
    await post(
      bot,
      cardAction(channel, 'question.answer', {
        questionId: q.id,
        version: '1',
        questionEn: 'Q?',
        questionFr: 'Q?',
        answerEn: 'Answer text zq4410',
        answerFr: 'Réponse zq4410',
      }),
    );
    await bot.server.tick();
    assert.ok((await bot.store.mailbox(10)).length >= 3, 'the e-mails went');
    for (const secret of [
      'private@example.ca',
      'Private@example.ca',
      'nope-not-an-address',
      // Markers a timing or a port cannot spell by chance.
      'zq7731',
      'zq4410',
    ]) {
      assert.ok(!raw.includes(secret), `the logs hold ${secret}`);
    }
    assert.ok(lines.some((l) => l.msg === 'e-mail sent'));
  });
});
