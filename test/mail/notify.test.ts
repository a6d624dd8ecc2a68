import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import {
  isNotifyApiKey,
  NotifyTransport,
  type NotifyTemplates,
  type NotifyTransportOptions,
  type SendOutcome,
} from '../../src/mail/notify';
import { MAIL_KINDS, type Mail } from '../../src/services/mail';
import {
  notifyToken,
  type NotifyEmulation,
  type NotifyEmulationOptions,
  type NotifyEmulationTemplate,
  startNotifyEmulation,
} from '../support/notify-emulation';

const LOCALES = ['en', 'fr'] as const;

/** A template id for each message in each language, as configuration gives them. */
function templateIds(): NotifyTemplates {
  return Object.fromEntries(
    MAIL_KINDS.map((kind) => [kind, { en: randomUUID(), fr: randomUUID() }]),
  ) as unknown as NotifyTemplates;
}

/** The same templates as Notify holds them: each names its kind and language, and two placeholders. */
function registry(ids: NotifyTemplates): Record<string, NotifyEmulationTemplate> {
  const out: Record<string, NotifyEmulationTemplate> = {};
  for (const kind of MAIL_KINDS) {
    out[ids[kind].en] = { subject: `[${kind}] ((title))`, body: `Hello. ((title)): ((url))`, version: 3 };
    out[ids[kind].fr] = { subject: `[${kind}] ((title))`, body: `Bonjour. ((title)) : ((url))`, version: 4 };
  }
  return out;
}

const ADDRESS = 'Jeanne.Tremblay@example.gc.ca';
const TITLE = 'Bibliothèque de formulaires accessibles';
const URL_VALUE = 'https://microacq.example.gc.ca/o/MA-2026-0001?s=7f3a';

function mail(overrides: Partial<Mail> = {}): Mail {
  return {
    id: `posted:MA-2026-0001:s-${randomUUID().slice(0, 8)}`,
    kind: 'new-opportunity',
    locale: 'en',
    to: ADDRESS,
    personalisation: { title: TITLE, url: URL_VALUE },
    createdAt: '2026-03-02T14:00:00.000Z',
    attempts: 0,
    notBefore: '2026-03-02T14:00:00.000Z',
    state: 'pending',
    ...overrides,
  };
}

/** Neither the address nor any personalisation value, in any case, is in a failure's text. */
function assertNoPersonalInformation(outcome: SendOutcome, sent: Mail): void {
  if (outcome.ok) return;
  const text = outcome.error.toLowerCase();
  for (const value of [sent.to, ...Object.values(sent.personalisation)]) {
    assert.ok(!text.includes(value.toLowerCase()), `"${outcome.error}" holds a personal value`);
  }
  assert.ok(!text.includes('@'), `"${outcome.error}" holds something like an address`);
}

function failure(outcome: SendOutcome): Extract<SendOutcome, { ok: false }> {
  assert.equal(outcome.ok, false, 'expected a failure');
  return outcome as Extract<SendOutcome, { ok: false }>;
}

describe('mail: sending through GC Notify', () => {
  let ids: NotifyTemplates;
  let notify: NotifyEmulation;

  async function start(options: Partial<NotifyEmulationOptions> = {}) {
    notify = await startNotifyEmulation({ templates: registry(ids), ...options });
    return notify;
  }

  function transport(options: Partial<NotifyTransportOptions> = {}) {
    return new NotifyTransport({
      baseUrl: notify.baseUrl,
      apiKey: notify.apiKey,
      templates: ids,
      ...options,
    });
  }

  beforeEach(() => {
    ids = templateIds();
  });
  afterEach(async () => {
    await notify?.close();
  });

  describe('a message Notify accepts', () => {
    it('arrives with the template of its kind and language, its personalisation and its queue id', async () => {
      await start();
      const sender = transport();
      for (const kind of MAIL_KINDS) {
        for (const locale of LOCALES) {
          const sent = mail({ kind, locale });
          const outcome = await sender.send(sent);
          assert.equal(outcome.ok, true, JSON.stringify(outcome));
          const arrived = notify.accepted.at(-1);
          assert.ok(arrived);
          assert.deepEqual(outcome, { ok: true, providerId: arrived.id });
          assert.equal(arrived.templateId, ids[kind][locale]);
          assert.equal(arrived.templateVersion, locale === 'en' ? 3 : 4);
          assert.equal(arrived.emailAddress, ADDRESS);
          assert.deepEqual(arrived.personalisation, { title: TITLE, url: URL_VALUE });
          assert.equal(arrived.reference, sent.id);
          assert.equal(arrived.subject, `[${kind}] ${TITLE}`);
          assert.equal(
            arrived.body,
            locale === 'en' ? `Hello. ${TITLE}: ${URL_VALUE}` : `Bonjour. ${TITLE} : ${URL_VALUE}`,
          );
        }
      }
      assert.equal(notify.accepted.length, MAIL_KINDS.length * LOCALES.length);
    });

    it('reaches Notify whether or not its base URL ends with a slash', async () => {
      await start();
      const outcome = await transport({ baseUrl: `${notify.baseUrl}/` }).send(mail());
      assert.equal(outcome.ok, true, JSON.stringify(outcome));
    });

    it('is tried once per send: a lost answer is left to the queue to retry', async () => {
      await start();
      notify.dropNext();
      const sent = mail();
      const lost = failure(await transport().send(sent));
      assert.equal(lost.retry, true);
      assert.equal(notify.accepted.length, 0);
      assert.equal((await transport().send(sent)).ok, true);
      assert.equal(notify.accepted.length, 1);
      assert.deepEqual(
        notify.requests.map((r) => r.status),
        ['dropped', 201],
      );
    });
  });

  describe('a message Notify refuses is given up (4xx)', () => {
    it('when a placeholder has no value, naming the placeholder', async () => {
      await start();
      const sent = mail({ personalisation: { title: TITLE } });
      const outcome = failure(await transport().send(sent));
      assert.equal(outcome.retry, false);
      assert.equal(outcome.retryAfterMs, undefined);
      assert.equal(outcome.error, 'Notify 400 BadRequestError: Missing personalisation: url');
      assertNoPersonalInformation(outcome, sent);
    });

    it('when the address is not one Notify can send to, without quoting it', async () => {
      await start();
      for (const to of [
        'jeanne.tremblay@example',
        'jeanne..tremblay@example.gc.ca',
        'jeanne tremblay@example.ca',
      ]) {
        const sent = mail({ to });
        const outcome = failure(await transport().send(sent));
        assert.equal(outcome.retry, false);
        assert.equal(outcome.error, 'Notify 400 ValidationError: email_address Not a valid email address');
        assertNoPersonalInformation(outcome, sent);
      }
      assert.equal(notify.accepted.length, 0);
    });

    it('when Notify does not know the template', async () => {
      await start({ templates: {} });
      const sent = mail({ kind: 'question-answered', locale: 'fr' });
      const outcome = failure(await transport().send(sent));
      assert.equal(outcome.retry, false);
      assert.equal(outcome.error, 'Notify 400 BadRequestError: Template not found');
    });

    it('when the template is a text message or deleted', async () => {
      const templates = registry(ids);
      const en = ids['new-opportunity'].en;
      const fr = ids['new-opportunity'].fr;
      await start({
        templates: {
          ...templates,
          [en]: { subject: 'SMS', body: '((title))', type: 'sms' },
          [fr]: { subject: '((title))', body: '((url))', archived: true },
        },
      });
      const sms = failure(await transport().send(mail({ locale: 'en' })));
      assert.equal(sms.retry, false);
      assert.equal(
        sms.error,
        'Notify 400 BadRequestError: sms template is not suitable for email notification',
      );
      const deleted = failure(await transport().send(mail({ locale: 'fr' })));
      assert.equal(deleted.retry, false);
      assert.equal(deleted.error, `Notify 400 BadRequestError: Template ${fr} has been deleted`);
    });

    it('when Notify is reached at a wrong path (404), or answers any other 4xx', async () => {
      await start();
      const wrongPath = failure(await transport({ baseUrl: `${notify.baseUrl}/api` }).send(mail()));
      assert.equal(wrongPath.retry, false);
      assert.equal(wrongPath.error, 'Notify 404');
      for (const status of [401, 405, 409, 413, 422]) {
        notify.failNext(status);
        const outcome = failure(await transport().send(mail()));
        assert.equal(outcome.retry, false, `${status}`);
        assert.match(outcome.error, new RegExp(`^Notify ${status}\\b`));
      }
    });
  });

  describe('the API key', () => {
    it('is refused with 403 when its secret is not the service’s, and not retried', async () => {
      await start();
      const wrongSecret = `gcntfy-emulation-${notify.serviceId}-${randomUUID()}`;
      const outcome = failure(await transport({ apiKey: wrongSecret }).send(mail()));
      assert.equal(outcome.retry, false);
      assert.equal(outcome.error, 'Notify 403 AuthError: Invalid token: signature, api token not found');
      assert.equal(notify.accepted.length, 0);
    });

    it('is refused with 403 when it names another service', async () => {
      await start();
      const otherService = `gcntfy-emulation-${randomUUID()}-${randomUUID()}`;
      const outcome = failure(await transport({ apiKey: otherService }).send(mail()));
      assert.equal(outcome.retry, false);
      assert.equal(outcome.error, 'Notify 403 AuthError: Invalid token: service not found');
    });

    it('is accepted when any of the service’s keys signed the token', async () => {
      const serviceId = randomUUID();
      const secret = randomUUID();
      await start({
        serviceId,
        keys: [
          { name: 'gcntfy-old', secret: randomUUID() },
          { name: 'gcntfy-new', secret },
        ],
      });
      const second = `gcntfy-new-${serviceId}-${secret}`;
      assert.equal((await transport({ apiKey: second }).send(mail())).ok, true);
    });

    it('must have Notify’s shape to build a transport, and the refusal does not quote it', async () => {
      await start();
      const key = `gcntfy-emulation-${notify.serviceId}-${randomUUID().slice(0, 30)}`;
      assert.throws(
        () => transport({ apiKey: key }),
        (err: Error) => err instanceof RangeError && !err.message.includes(key.slice(-20)),
      );
    });

    it('is recognised by its shape: a name, the service id and the secret', () => {
      const service = randomUUID();
      const secret = randomUUID();
      assert.equal(isNotifyApiKey(`gcntfy-my_test_key-${service}-${secret}`), true);
      assert.equal(isNotifyApiKey(`microacq.prod-${service}-${secret}`), true);
      assert.equal(isNotifyApiKey(`${service}-${secret}`.replace(/^/, 'k-')), true);
      assert.equal(isNotifyApiKey(`-${service}-${secret}`), false, 'no name');
      assert.equal(isNotifyApiKey(`${service}-${secret}`), false, 'no name');
      assert.equal(isNotifyApiKey(`key-${service}-${secret.slice(0, -1)}`), false, 'secret cut short');
      assert.equal(isNotifyApiKey(`key-${service}-${secret}x`), false, 'secret padded');
      assert.equal(isNotifyApiKey(`key-${service}-${secret}\n`), false, 'trailing newline');
      assert.equal(isNotifyApiKey(` key-${service}-${secret}`), false, 'leading space');
      assert.equal(isNotifyApiKey(`key-${service}-${secret.replace(/[0-9a-f]/, 'g')}`), false, 'not hex');
      assert.equal(isNotifyApiKey(`key-${service}${secret}`), false, 'no separator');
      assert.equal(isNotifyApiKey(''), false);
    });
  });

  describe('a clock more than 30 seconds off', () => {
    it('is refused with 403 and not retried, ahead or behind', async () => {
      await start();
      for (const offsetMs of [45_000, -45_000]) {
        notify.clockOffsetMs = offsetMs;
        const outcome = failure(await transport().send(mail()));
        assert.equal(outcome.retry, false);
        assert.equal(
          outcome.error,
          'Notify 403 AuthError: Error: Your system clock must be accurate to within 30 seconds',
        );
      }
      assert.equal(notify.accepted.length, 0);
    });

    it('within 30 seconds is accepted', async () => {
      await start({ clockOffsetMs: 20_000 });
      assert.equal((await transport().send(mail())).ok, true);
      notify.clockOffsetMs = -20_000;
      assert.equal((await transport().send(mail())).ok, true);
    });
  });

  describe('a message that may pass later is retried', () => {
    it('after Notify’s internal server error (500)', async () => {
      await start();
      notify.failNext(500);
      const sent = mail();
      const outcome = failure(await transport().send(sent));
      assert.deepEqual(outcome, {
        ok: false,
        retry: true,
        error: 'Notify 500 Exception: Internal server error',
      });
    });

    it('after a proxy’s 502, 503 or 504 page, without quoting the page', async () => {
      await start();
      for (const status of [502, 503, 504]) {
        notify.failNext(status);
        const outcome = failure(await transport().send(mail()));
        assert.deepEqual(outcome, { ok: false, retry: true, error: `Notify ${status}` });
      }
    });

    it('after a 429, waiting as long as Retry-After says, in seconds or as a date', async () => {
      await start();
      notify.failNext(429, { retryAfter: 30 });
      const seconds = failure(await transport().send(mail()));
      assert.equal(seconds.retry, true);
      assert.equal(seconds.retryAfterMs, 30_000);
      assert.equal(
        seconds.error,
        'Notify 429 RateLimitError: Exceeded rate limit for key type LIVE of 1000 requests per 60 seconds',
      );

      const now = Date.parse('2026-03-02T14:00:00Z');
      notify.failNext(429, { retryAfter: new Date(now + 90_000).toUTCString() });
      const dated = failure(await transport({ now: () => now }).send(mail()));
      assert.equal(dated.retryAfterMs, 90_000);

      notify.failNext(503, { retryAfter: '5' });
      assert.equal(failure(await transport().send(mail())).retryAfterMs, 5_000);
    });

    it('after a 429 without Retry-After, leaving the wait to the queue’s backoff', async () => {
      await start();
      notify.failNext(429);
      const outcome = failure(await transport().send(mail()));
      assert.equal(outcome.retry, true);
      assert.equal('retryAfterMs' in outcome, false);
    });

    it('when the per-minute rate limit is reached (RateLimitError)', async () => {
      await start({ ratePerMinute: 2 });
      const sender = transport();
      assert.equal((await sender.send(mail())).ok, true);
      assert.equal((await sender.send(mail())).ok, true);
      const outcome = failure(await sender.send(mail()));
      assert.equal(outcome.retry, true);
      assert.equal(
        outcome.error,
        'Notify 429 RateLimitError: Exceeded rate limit for key type LIVE of 2 requests per 60 seconds',
      );
      assert.equal(notify.accepted.length, 2);
    });

    it('when the daily limit is reached', async () => {
      await start({ dailyLimit: 1 });
      const sender = transport();
      assert.equal((await sender.send(mail())).ok, true);
      const outcome = failure(await sender.send(mail()));
      assert.equal(outcome.retry, true);
      assert.match(
        outcome.error,
        /^Notify 429 \w*TooManyRequestsError: Exceeded send limits \(1\) for today$/,
      );
    });

    it('when the connection is dropped without an answer', async () => {
      await start();
      notify.dropNext();
      const outcome = failure(await transport().send(mail()));
      assert.equal(outcome.retry, true);
      assert.equal(outcome.error, 'Notify could not be reached (ECONNRESET)');
    });

    it('when Notify does not answer within the timeout', async () => {
      await start();
      notify.delayNext(2_000);
      const started = Date.now();
      const outcome = failure(await transport({ timeoutMs: 150 }).send(mail()));
      assert.ok(Date.now() - started < 1_500, 'gave up at the timeout');
      assert.deepEqual(outcome, { ok: false, retry: true, error: 'Notify did not answer within 150 ms' });
    });

    it('when nothing listens at the base URL', async () => {
      await start();
      const port = await new Promise<number>((resolve) => {
        const probe = createServer();
        probe.listen(0, '127.0.0.1', () => {
          const { port: free } = probe.address() as { port: number };
          probe.close(() => resolve(free));
        });
      });
      const outcome = failure(await transport({ baseUrl: `http://127.0.0.1:${port}` }).send(mail()));
      assert.deepEqual(outcome, {
        ok: false,
        retry: true,
        error: 'Notify could not be reached (ECONNREFUSED)',
      });
    });
  });

  describe('a failure’s text', () => {
    it('never holds the address or a personalisation value, even when Notify echoes them', async () => {
      await start();
      const sent = mail({
        personalisation: {
          title: TITLE,
          url: URL_VALUE,
          question: "Est-ce que l'outil\nfonctionne hors ligne?",
        },
      });
      notify.failNext(400, {
        errors: [
          {
            error: 'ValidationError',
            message: `personalisation ${TITLE.toUpperCase()} is not of type object`,
          },
          { error: 'ValidationError', message: `reference ${URL_VALUE} is not of type string` },
          { error: 'BadRequestError', message: `Can’t send to ${ADDRESS.toLowerCase()} in trial mode` },
          {
            error: 'ValidationError',
            message: 'question Est-ce que loutil\\nfonctionne hors ligne? is too long',
          },
        ],
      });
      const outcome = failure(await transport().send(sent));
      assert.equal(outcome.retry, false);
      assertNoPersonalInformation(outcome, sent);
      assert.ok(!outcome.error.includes('loutil'), outcome.error);
      assert.match(
        outcome.error,
        /^Notify 400 ValidationError: personalisation \*\*\* is not of type object; /,
      );
      assert.match(outcome.error, /BadRequestError: Can’t send to \*\*\* in trial mode/);
    });

    it('never holds them for any answer the emulation gives', async () => {
      await start({ ratePerMinute: 3 });
      const sender = transport();
      const cases: [() => void, Mail][] = [
        [() => undefined, mail({ personalisation: { title: TITLE } })],
        [() => undefined, mail({ to: 'jeanne.tremblay@example' })],
        [() => notify.failNext(500), mail()],
        [() => notify.failNext(503), mail()],
        [() => notify.dropNext(), mail()],
        [() => undefined, mail()],
      ];
      for (const [arrange, sent] of cases) {
        arrange();
        const outcome = await sender.send(sent);
        assertNoPersonalInformation(outcome, sent);
      }
    });

    it('is kept short when Notify lists many errors', async () => {
      await start();
      notify.failNext(400, {
        errors: Array.from({ length: 40 }, (_, i) => ({
          error: 'ValidationError',
          message: `field_${i} is wrong`,
        })),
      });
      const outcome = failure(await transport().send(mail()));
      assert.ok(outcome.error.length <= 500, `${outcome.error.length} characters`);
      assert.ok(outcome.error.startsWith('Notify 400 ValidationError: field_0 is wrong; '));
    });
  });

  describe('configuration', () => {
    it('needs a template id for each message in each language', async () => {
      await start();
      const incomplete = {
        ...ids,
        'question-declined': { en: ids['question-declined'].en },
      } as unknown as NotifyTemplates;
      assert.throws(
        () => transport({ templates: incomplete }),
        /no template id for question-declined \(fr\)/,
      );
      const notUuid = { ...ids, 'new-opportunity': { en: 'welcome', fr: ids['new-opportunity'].fr } };
      assert.throws(() => transport({ templates: notUuid }), /no template id for new-opportunity \(en\)/);
    });

    it('needs an http(s) base URL', async () => {
      await start();
      assert.throws(() => transport({ baseUrl: 'ftp://api.notification.canada.ca' }), RangeError);
      assert.throws(() => transport({ baseUrl: 'api.notification.canada.ca' }), TypeError);
    });
  });
});

describe('the Notify emulation answers as Notify', () => {
  let notify: NotifyEmulation;
  const templateId = randomUUID();
  const secret = randomUUID();
  const serviceId = randomUUID();

  beforeEach(async () => {
    notify = await startNotifyEmulation({
      serviceId,
      keys: [{ name: 'gcntfy-emulation', secret }],
      templates: {
        [templateId]: { subject: 'About ((Title))', body: 'Hello ((first name)), see ((url)).', version: 2 },
      },
    });
  });
  afterEach(() => notify.close());

  async function post(body: unknown, authorization?: string | null) {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const token =
      authorization === undefined
        ? `Bearer ${notifyToken(serviceId, secret, Math.round(Date.now() / 1000))}`
        : authorization;
    if (token !== null) headers.Authorization = token;
    const response = await fetch(`${notify.baseUrl}/v2/notifications/email`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('accepts with the 201 body Notify gives, placeholders filled ignoring case and separators', async () => {
    const { status, body } = await post({
      email_address: 'supplier@example.ca',
      template_id: templateId,
      personalisation: { title: 'Forms', first_name: 'Ana', URL: 'https://example.ca/x' },
      reference: 'posted:MA-1',
    });
    assert.equal(status, 201);
    const id = body.id as string;
    assert.deepEqual(body, {
      id,
      reference: 'posted:MA-1',
      content: {
        body: 'Hello Ana, see https://example.ca/x.',
        subject: 'About Forms',
        from_email: 'microacq@notification.canada.ca',
      },
      uri: `${notify.baseUrl}/v2/notifications/${id}`,
      template: {
        id: templateId,
        version: 2,
        uri: `${notify.baseUrl}/services/${serviceId}/templates/${templateId}`,
      },
      scheduled_for: null,
    });
  });

  it('refuses a request without a token (401) or with a token it cannot read (403)', async () => {
    const none = await post({ email_address: 'a@example.ca', template_id: templateId }, null);
    assert.deepEqual(none, {
      status: 401,
      body: {
        status_code: 401,
        errors: [{ error: 'AuthError', message: 'Unauthorized, authentication token must be provided' }],
      },
    });
    const garbled = await post(
      { email_address: 'a@example.ca', template_id: templateId },
      'Bearer not-a-token',
    );
    assert.equal(garbled.status, 403);
    assert.deepEqual(garbled.body.errors, [
      { error: 'AuthError', message: 'Invalid token: signature, api token is not valid' },
    ]);
  });

  it('lists every schema error of a request, in Notify’s words', async () => {
    const { status, body } = await post({ template_id: 'welcome', personalisation: 'x', extra: 1 });
    assert.equal(status, 400);
    assert.deepEqual(body, {
      status_code: 400,
      errors: [
        { error: 'ValidationError', message: 'email_address is a required property' },
        { error: 'ValidationError', message: 'Additional properties are not allowed (extra was unexpected)' },
        { error: 'ValidationError', message: 'template_id is not a valid UUID' },
        { error: 'ValidationError', message: 'personalisation x is not of type object' },
      ],
    });
  });

  it('names every missing placeholder, once each', async () => {
    const { status, body } = await post({
      email_address: 'a@example.ca',
      template_id: templateId,
      personalisation: {},
    });
    assert.equal(status, 400);
    assert.deepEqual(body.errors, [
      { error: 'BadRequestError', message: 'Missing personalisation: Title, first name, url' },
    ]);
  });
});
