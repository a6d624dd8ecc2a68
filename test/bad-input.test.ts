import { strict as assert } from 'node:assert';
import { createRoutes } from '../src/bot/routes';
import { t } from '../src/i18n';
import { submit } from '../src/services/lifecycle';
import { FIELDS, fieldsOf } from '../src/services/intake';
import { type BadInput, CORPUS, CORPUS_VERBS, type CorpusContext } from './support/bad-input';
import { button, type Card, errorUnder, find, inputs } from './support/cards';
import { clock, content, NOW, typed } from './support/opportunities';
import {
  activity,
  cardOf,
  Connector,
  PEOPLE,
  post,
  type Sent,
  startTestBot,
  textOf,
  type TestBot,
  cardAction,
} from './support/teams';

/**
 * The bad-input corpus against one running bot over real HTTP: each case gets a 4xx before any turn, or a
 * clear card; never a 5xx or a trace. Afterwards the bot still serves and nothing was created by it.
 */

/** What a stack trace or an internal error looks like in a body. */
const TRACE = /\n\s+at |\bat .+:\d+:\d+|Error:|node_modules|\/work\/|\.ts:\d+/;
const UNEXPECTED = [t('en', 'errors.title'), t('fr', 'errors.title')];

async function send(
  bot: TestBot,
  c: BadInput,
  ctx: CorpusContext,
): Promise<{ status: number; text: string }> {
  const body = c.body(ctx);
  // fetch adds text/plain to a string body; bytes go without a content type unless one is given.
  const res = await fetch(`${bot.server.url}/api/messages`, {
    method: 'POST',
    headers: c.contentType ? { 'content-type': c.contentType } : {},
    body: typeof body === 'string' && c.contentType ? body : Buffer.from(body),
  });
  return { status: res.status, text: await res.text() };
}

/** The card answering a case: in the invoke response, else the last card sent to the conversation. */
function answerCard(text: string, sent: readonly Sent[]): Card | undefined {
  const body = text ? (JSON.parse(text) as { value?: unknown }) : {};
  const value = body.value as Card | undefined;
  if (value?.type === 'AdaptiveCard') return value;
  const withCard = sent.filter((s) => Array.isArray(s.body.attachments));
  return withCard.length > 0 ? cardOf(withCard[withCard.length - 1]) : undefined;
}

/** Where a person's text is shown without being read as Markdown: text runs and input values. */
function literalTexts(card: Card): string[] {
  return [
    ...find(card, (n) => n.type === 'TextRun').map((n) => String(n.text)),
    ...Object.values(inputs(card)).map(String),
  ];
}

/** Where Markdown is read: a person's text must never land there. */
function markdownTexts(card: Card): string[] {
  return [
    ...find(card, (n) => n.type === 'TextBlock').map((n) => String(n.text)),
    ...find(card, (n) => Array.isArray(n.facts)).flatMap((n) =>
      (n.facts as { title: string; value: string }[]).flatMap((f) => [f.title, f.value]),
    ),
  ];
}

describe('bad input', function () {
  this.timeout(20_000);
  let connector: Connector;
  let bot: TestBot;
  let ctx: CorpusContext;

  before(async () => {
    connector = await Connector.start();
    bot = await startTestBot({}, { now: () => new Date(NOW), background: false });
    const requester = {
      id: PEOPLE.requester.aadObjectId,
      name: PEOPLE.requester.name,
      roles: new Set<never>(),
    };
    const created = submit(content(), requester, 'en', clock());
    if (!created.ok) throw new Error('the fixture does not meet the rules');
    const audit = {
      at: NOW,
      actor: { aadObjectId: requester.id, name: requester.name },
      action: 'submit' as const,
      from: 'draft' as const,
      to: 'submitted' as const,
      outcome: 'applied' as const,
    };
    const submitted = await bot.store.create(created.record, audit, 'bad-input:submitted');
    const posted = await bot.store.create({ ...created.record, status: 'posted' }, audit, 'bad-input:posted');
    const closed = await bot.store.create({ ...created.record, status: 'closed' }, audit, 'bad-input:closed');
    const res = await post(bot, activity('message', { serviceUrl: connector.url }, { text: 'new' }));
    assert.equal(res.status, 200);
    const { draftId } = button(cardOf(connector.sent.at(-1)), 'intake.next');
    ctx = {
      serviceUrl: connector.url,
      draftId,
      submitted: submitted.reference,
      posted: posted.reference,
      closed: closed.reference,
    };
  });

  after(async () => {
    await bot?.server.stop();
    await connector?.close();
  });

  it('holds at least 200 cases, with card data for every verb the bot routes', () => {
    assert.ok(CORPUS.length >= 200, `${CORPUS.length} cases`);
    assert.deepEqual([...createRoutes().listVerbs()].sort(), [...CORPUS_VERBS].sort());
    assert.equal(new Set(CORPUS.map((c) => c.name)).size, CORPUS.length, 'case names are unique');
  });

  for (const c of CORPUS) {
    it(c.name, async () => {
      const before = connector.sent.length;
      const started = Date.now();
      const { status, text } = await send(bot, c, ctx);
      const elapsed = Date.now() - started;
      const sent = connector.sent.slice(before);
      assert.ok(status < 500, `answered ${status}: ${text.slice(0, 300)}`);
      assert.doesNotMatch(text, TRACE);
      for (const s of sent) assert.doesNotMatch(JSON.stringify(s.body), TRACE);
      assert.equal(status, c.expect.status, text.slice(0, 300));
      if (status !== 200) {
        assert.equal(sent.length, 0, 'no turn ran');
        assert.ok(elapsed < 2_000, `refused after ${elapsed} ms`);
        return;
      }
      const expect = c.expect;
      if ('results' in expect) {
        assert.equal(
          (JSON.parse(text) as { composeExtension?: { type?: string } }).composeExtension?.type,
          'result',
        );
        return;
      }
      const card = answerCard(text, sent);
      assert.ok(card, `no card in the answer: ${text.slice(0, 300)}`);
      const said = textOf(card);
      for (const unexpected of UNEXPECTED) assert.ok(!said.includes(unexpected), said);
      if ('says' in expect) assert.ok(said.includes(expect.says), `expected "${expect.says}" in:\n${said}`);
      if ('refuses' in expect)
        assert.ok(errorUnder(card, expect.refuses), `no error under ${expect.refuses}`);
      if ('shows' in expect) {
        const shown = literalTexts(card).some((s) => s === expect.shows || s.includes(expect.shows));
        const refused = expect.field ? errorUnder(card, expect.field) : undefined;
        assert.ok(shown || refused, `"${expect.shows}" is neither shown as typed nor refused:\n${said}`);
        for (const md of markdownTexts(card))
          assert.ok(!md.includes(expect.shows), `read as Markdown: ${md}`);
      }
    });
  }

  it('is still alive and ready after the whole corpus', async () => {
    assert.equal((await fetch(`${bot.server.url}/healthz`)).status, 200);
    const res = await fetch(`${bot.server.url}/readyz`);
    assert.equal(res.status, 200);
  });

  it('still answers help after the whole corpus', async () => {
    const before = connector.sent.length;
    const res = await post(bot, activity('message', { serviceUrl: connector.url }, { text: 'help' }));
    assert.equal(res.status, 200);
    assert.match(textOf(cardOf(connector.sent.slice(before).at(-1))), /What you can ask Microacq/);
  });

  it('still takes a valid intake step after the whole corpus', async () => {
    const values = Object.fromEntries(fieldsOf('basics').map((f) => [f, typed()[f] ?? '']));
    const res = await post(
      bot,
      cardAction({ serviceUrl: connector.url }, 'intake.next', {
        draftId: ctx.draftId,
        step: 'basics',
        ...values,
      }),
    );
    assert.equal(res.status, 200);
    const card = ((await res.json()) as { value: Card }).value;
    assert.match(textOf(card), /Step 2 of 5/);
    assert.ok(Object.keys(inputs(card)).every((id) => FIELDS[id as keyof typeof FIELDS]?.step === 'work'));
  });

  it('created no request and changed none: tampered cards leave the records as they were', async () => {
    const records = (await bot.store.query({}, { limit: 100 })).items;
    assert.deepEqual(records.map((o) => o.reference).sort(), [ctx.submitted, ctx.posted, ctx.closed].sort());
    for (const o of records) assert.equal(o.version, 1, `${o.reference} is at version ${o.version}`);
    const submitted = await bot.store.get(ctx.submitted);
    assert.equal(submitted?.status, 'submitted');
  });
});

describe('text that cannot stall the bot', function () {
  this.timeout(60_000);
  let connector: Connector;
  let bot: TestBot;

  before(async () => {
    connector = await Connector.start();
    // Room for a 256 KB word in a message, whatever the characters' width in UTF-8.
    bot = await startTestBot({ MAX_BODY_KB: '1024' }, { now: () => new Date(NOW), background: false });
  });
  after(async () => {
    await bot.server.stop();
    await connector.close();
  });

  const KB = 256 * 1024;
  /** One word of 256 KB each: letters, accents, emoji, mention tags, punctuation, a typo's letters. */
  const WORDS: readonly [string, string][] = [
    ['ASCII letters', 'a'.repeat(KB)],
    ['accented letters', 'é'.repeat(KB / 2)],
    ['emoji', '🚀'.repeat(KB / 4)],
    ['mention tags', '<at>'.repeat(KB / 4)],
    ['letters and punctuation', 'x!'.repeat(KB / 2)],
    ['a typo of help, repeated', 'hlep'.repeat(KB / 4)],
  ];
  const message = (text: string) => activity('message', { serviceUrl: connector.url }, { text });

  it('answers each 256 KB word with a clear card, and /healthz within 200 ms throughout', async () => {
    // Warm: the first answer of a process loads what later ones reuse.
    for (const text of ['help', 'hlep']) await post(bot, message(text));
    const slowest: number[] = [];
    let sending = true;
    const watch = (async () => {
      while (sending) {
        const started = performance.now();
        const health = await fetch(`${bot.server.url}/healthz`);
        assert.equal(health.status, 200);
        slowest.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      for (let round = 0; round < 3; round++) {
        const sent = connector.sent.length;
        const answers = await Promise.all(WORDS.map(([, word]) => post(bot, message(word))));
        assert.deepEqual(
          answers.map((a) => a.status),
          WORDS.map(() => 200),
        );
        await connector.waitFor(sent + WORDS.length);
      }
    } finally {
      sending = false;
      await watch;
    }
    const unknown = connector.sent.slice(-WORDS.length).map((s) => textOf(cardOf(s)));
    for (const text of unknown) assert.match(text, /I did not understand this message/);
    assert.ok(slowest.length >= 3, `${slowest.length} health checks`);
    assert.ok(Math.max(...slowest) < 200, `slowest /healthz: ${Math.max(...slowest).toFixed(0)} ms`);
  });
});
