import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strict as assert } from 'node:assert';
import {
  Connector,
  PEOPLE,
  activity,
  cardOf,
  post,
  startTestBot,
  textOf,
  type TestBot,
  cardAction,
} from './support/teams';

describe('bot over HTTP', () => {
  let connector: Connector;
  let bot: TestBot;

  beforeEach(async () => {
    connector = await Connector.start();
    bot = await startTestBot();
  });

  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  const say = async (text: string, o: Partial<Parameters<typeof activity>[1]> = {}, extra = {}) => {
    const before = connector.sent.length;
    const res = await post(bot, activity('message', { serviceUrl: connector.url, ...o }, { text, ...extra }));
    assert.equal(res.status, 200);
    const sent = await connector.waitFor(before + 1);
    return cardOf(sent[sent.length - 1]);
  };

  it('answers help with the commands it knows, in English', async () => {
    const card = await say('help');
    const text = textOf(card);
    assert.match(text, /What you can ask Microacq/);
    assert.match(text, /help\nShow this list of commands/);
    assert.equal(card.version, '1.5');
  });

  it('answers aide in French for a French-speaking person', async () => {
    const text = textOf(await say('aide', { locale: 'fr-CA' }));
    assert.match(text, /Ce que vous pouvez demander à Microacq/);
    assert.match(text, /aide\nAfficher cette liste de commandes/);
  });

  it('tells a person which approval roles they hold', async () => {
    assert.match(
      textOf(await say('help', { from: PEOPLE.finance })),
      /Your roles here:\n\*\*finance\*\* \(every branch\): named in ROLE_FINANCE/,
    );
    assert.match(textOf(await say('help')), /You have no approval role here/);
  });

  it('reads a command in a channel once the mention of the bot is removed', async () => {
    const card = await say(
      '<at>Microacq</at> help',
      { conversationType: 'channel' },
      {
        entities: [
          { type: 'mention', text: '<at>Microacq</at>', mentioned: { id: '28:bot', name: 'Microacq' } },
        ],
      },
    );
    assert.match(textOf(card), /What you can ask Microacq/);
  });

  it('answers an unknown command helpfully, suggesting the nearest one', async () => {
    const text = textOf(await say('hlep'));
    assert.match(text, /I did not understand this message/);
    assert.match(text, /Did you mean \*\*help\*\*\?/);
    assert.match(text, /Say \*\*help\*\* to see every command/);
  });

  it('shows what the person typed as plain text, never as card markup or Markdown', async () => {
    const typed = '${title} **bold** [click](https://evil.example) <b>x</b>';
    const card = await say(typed);
    const quote = JSON.stringify(card).includes(JSON.stringify(typed).slice(1, -1));
    assert.ok(quote, 'the text is echoed exactly');
    const body = card.body as { type: string; inlines?: { type: string; text: string }[] }[];
    const run = body.find((b) => b.type === 'RichTextBlock')?.inlines?.[0];
    assert.deepEqual([run?.type, run?.text], ['TextRun', typed]);
  });

  it('welcomes a person who installs the app, in their language with the other below', async () => {
    const res = await post(
      bot,
      activity(
        'conversationUpdate',
        { serviceUrl: connector.url, locale: 'fr-FR' },
        { membersAdded: [{ id: '28:bot' }, { id: PEOPLE.requester.id }] },
      ),
    );
    assert.equal(res.status, 200);
    const [sent] = await connector.waitFor(1);
    const text = textOf(cardOf(sent));
    assert.ok(text.indexOf('Bienvenue dans Microacq') < text.indexOf('Welcome to Microacq'), text);
    assert.match(text, /Dites \*\*nouveau\*\* pour demander un travail/);
    assert.match(text, /Say \*\*new\*\* to request work/);
  });

  it('welcomes a team channel when the bot is added to it, and stays quiet when someone else joins', async () => {
    const added = (id: string) =>
      activity(
        'conversationUpdate',
        { serviceUrl: connector.url, conversationType: 'channel' },
        { membersAdded: [{ id }] },
      );
    await post(bot, added('29:newcomer'));
    await post(bot, added('28:bot'));
    const sent = await connector.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sent.length, 1);
    assert.match(textOf(cardOf(sent[0])), /Welcome to Microacq/);
  });

  it('remembers the conversation for later updates when a person writes', async () => {
    await say('help');
    const ref = await bot.store.getConversation(`user:${PEOPLE.requester.aadObjectId}`);
    assert.equal((ref?.conversation as { id: string }).id, `a:chat-personal-${PEOPLE.requester.aadObjectId}`);
    assert.equal(ref?.serviceUrl, connector.url);
  });

  it('replaces a clicked card with the answer to its verb (Action.Execute)', async () => {
    const res = await post(bot, cardAction({ serviceUrl: connector.url }, 'help.show', {}));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { statusCode: number; type: string; value: unknown };
    assert.equal(body.statusCode, 200);
    assert.equal(body.type, 'application/vnd.microsoft.card.adaptive');
    assert.match(textOf(body.value), /What you can ask Microacq/);
  });

  it('answers the Action.Submit fallback of a button the same way', async () => {
    const card = await say('', {}, { value: { verb: 'help.show' } });
    assert.match(textOf(card), /What you can ask Microacq/);
  });

  it('says a button is no longer available when its verb is unknown', async () => {
    const res = await post(bot, cardAction({ serviceUrl: connector.url, locale: 'fr-CA' }, 'nope.gone', {}));
    const body = (await res.json()) as { value: unknown };
    assert.match(textOf(body.value), /Ce bouton n’est plus disponible/);
  });

  it('says the process is alive on /healthz and the store is reachable on /readyz', async () => {
    const live = await fetch(`${bot.server.url}/healthz`);
    assert.equal(live.status, 200);
    const alive = (await live.json()) as { status: string; mode: string; replica: string };
    assert.deepEqual([alive.status, alive.mode], ['alive', 'local']);
    const res = await fetch(`${bot.server.url}/readyz`);
    assert.equal(res.status, 200);
    const ready = (await res.json()) as { status: string; store: string; replica: string };
    assert.deepEqual([ready.status, ready.store, ready.replica], ['ready', 'sqlite', alive.replica]);
  });

  it('refuses a body larger than the limit without running a turn', async () => {
    const res = await post(
      bot,
      activity('message', { serviceUrl: connector.url }, { text: 'x'.repeat(300 * 1024) }),
    );
    assert.equal(res.status, 413);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(connector.sent.length, 0);
  });
});

describe('bot when the store cannot be reached', () => {
  it('stays alive, says it is not ready on /readyz and still answers help', async () => {
    const connector = await Connector.start();
    // A path under a regular file can never be created.
    const file = join(mkdtempSync(join(tmpdir(), 'microacq-')), 'not-a-folder');
    writeFileSync(file, '');
    const bot = await startTestBot({ SQLITE_PATH: join(file, 'bot.db') });
    try {
      assert.equal((await fetch(`${bot.server.url}/healthz`)).status, 200);
      const health = await fetch(`${bot.server.url}/readyz`);
      assert.equal(health.status, 503);
      const body = (await health.json()) as { status: string; reason: string };
      assert.equal(body.status, 'unavailable');
      assert.ok(body.reason.includes(join(file, 'bot.db')), body.reason);
      const res = await post(bot, activity('message', { serviceUrl: connector.url }, { text: 'help' }));
      assert.equal(res.status, 200);
      const [sent] = await connector.waitFor(1);
      assert.match(textOf(cardOf(sent)), /What you can ask Microacq/);
    } finally {
      await bot.server.stop();
      await connector.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes the turn in flight, refuses new ones and closes the store', async () => {
    // A connector that answers slowly keeps the turn in flight while the bot is asked to stop.
    const connector = await Connector.start(300);
    const bot = await startTestBot();
    try {
      const inFlight = post(bot, activity('message', { serviceUrl: connector.url }, { text: 'help' }));
      await new Promise((r) => setTimeout(r, 100));
      const stopping = bot.server.stop();
      const late = await post(
        bot,
        activity('message', { serviceUrl: connector.url }, { text: 'help' }),
      ).catch((err: Error) => err);
      assert.equal((await inFlight).status, 200);
      await stopping;
      assert.equal(connector.sent.length, 1, 'the turn in flight was answered');
      assert.ok(late instanceof Error || late.status === 503, 'a request after stop is refused');
      await assert.rejects(bot.store.ping());
    } finally {
      await connector.close();
    }
  });
});
