import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { createAdapter } from '../src/bot/adapter';
import { parseConfig } from '../src/config';
import { createLogger } from '../src/log';
import {
  Connector,
  PEOPLE,
  activity,
  post,
  startTestBot,
  textOf,
  type TestBot,
  cardAction,
} from './support/teams';
import {
  channelClaims,
  hmacWithPublicKey,
  signingKey,
  signJwt,
  tamper,
  TokenService,
  unsignedJwt,
} from './support/tokens';

/**
 * With an app id, every request to /api/messages must carry a token the Bot Framework signed for this bot.
 * The keys and the OpenID metadata are served on loopback, so nothing here reaches the network.
 */

const APP_ID = '11111111-2222-3333-4444-555555555555';
const OTHER_APP_ID = '99999999-8888-7777-6666-555555555555';
const MINUTE = 60;

const teamsKey = signingKey('teams-key');
/** Published, but only for Web Chat. */
const webChatKey = signingKey('web-chat-key');
/** Never published. */
const strangerKey = signingKey('stranger-key');

function authEnv(tokens: TokenService): Record<string, string> {
  return {
    MICROSOFT_APP_ID: APP_ID,
    // Never used: an answer in the body of an invoke needs no token of the bot's own.
    MICROSOFT_APP_PASSWORD: 'unused-offline',
    MICROSOFT_APP_TYPE: 'MultiTenant',
    ALLOWED_TENANT_IDS: 'tenant-1',
    BOT_OPENID_METADATA_URL: tokens.metadataUrl,
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Runs `fn` with console.error captured: botbuilder writes some refusals there. */
async function capturingConsole<T>(fn: () => Promise<T>): Promise<{ result: T; written: string }> {
  const original = console.error;
  const lines: string[] = [];
  console.error = (...args: unknown[]) => void lines.push(args.map((a) => String(a)).join(' '));
  try {
    return { result: await fn(), written: lines.join('\n') };
  } finally {
    console.error = original;
  }
}

describe('authentication of inbound requests', () => {
  let tokens: TokenService;
  let connector: Connector;
  let bot: TestBot;

  before(async () => {
    tokens = await TokenService.start([
      { key: teamsKey, endorsements: ['msteams'] },
      { key: webChatKey, endorsements: ['webchat'] },
    ]);
  });

  after(async () => {
    await tokens.close();
  });

  /** What the bot logged at warning level and above. */
  let warnings: Record<string, unknown>[];

  beforeEach(async () => {
    connector = await Connector.start();
    warnings = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          warnings.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    bot = await startTestBot({ ...authEnv(tokens), LOG_LEVEL: 'warn' }, {}, { logTo: sink });
  });

  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  /** A submission-like command: it would store a draft and the conversation, and reply. */
  const submission = () => activity('message', { serviceUrl: connector.url }, { text: 'new Fix the thing' });
  /** A card action that would store the person's choice of French. */
  const chooseFrench = () => cardAction({ serviceUrl: connector.url }, 'language.set', { language: 'fr' });
  const help = () => cardAction({ serviceUrl: connector.url }, 'help.show');
  const claims = (overrides: Record<string, unknown> = {}) => ({
    ...channelClaims(APP_ID, connector.url),
    ...overrides,
  });
  const now = () => Math.floor(Date.now() / 1000);

  async function assertNothingDone(): Promise<void> {
    assert.deepEqual(connector.sent, [], 'nothing was sent to Teams');
    assert.deepEqual(await bot.store.listDrafts(PEOPLE.requester.aadObjectId), [], 'no draft');
    assert.deepEqual(await bot.store.getPreferences(PEOPLE.requester.aadObjectId), {}, 'no language chosen');
    assert.equal(await bot.store.getConversation(`user:${PEOPLE.requester.aadObjectId}`), undefined);
    assert.deepEqual(await bot.store.outboxCounts(), { pending: 0, dead: 0 }, 'nothing queued');
    assert.deepEqual((await bot.store.query({}, { limit: 10 })).items, [], 'no record');
  }

  const refusals: { readonly what: string; readonly headers: () => Record<string, string> }[] = [
    { what: 'a request without a token', headers: () => ({}) },
    {
      what: 'a request with another kind of credential',
      headers: () => ({ authorization: 'Basic dXNlcjpwdw==' }),
    },
    { what: 'an empty bearer token', headers: () => ({ authorization: 'Bearer ' }) },
    {
      what: 'a token signed with an unpublished key under a published key id',
      headers: () => bearer(signJwt(claims(), { key: strangerKey, kid: teamsKey.kid })),
    },
    {
      what: 'a token signed with an unknown key',
      headers: () => bearer(signJwt(claims(), { key: strangerKey })),
    },
    {
      what: 'a token for another bot relabelled for this one after signing',
      headers: () =>
        bearer(tamper(signJwt(claims({ aud: OTHER_APP_ID }), { key: teamsKey }), claims({ aud: APP_ID }))),
    },
    {
      what: 'a token that expired beyond the five minutes of clock tolerance',
      headers: () =>
        bearer(signJwt(claims({ nbf: now() - 70 * MINUTE, exp: now() - 6 * MINUTE }), { key: teamsKey })),
    },
    {
      what: 'a token that is not valid yet',
      headers: () =>
        bearer(signJwt(claims({ nbf: now() + 10 * MINUTE, exp: now() + 70 * MINUTE }), { key: teamsKey })),
    },
    {
      what: 'a token for another bot',
      headers: () => bearer(signJwt(claims({ aud: OTHER_APP_ID }), { key: teamsKey })),
    },
    {
      what: 'a token from another issuer',
      headers: () => bearer(signJwt(claims({ iss: 'https://api.botframework.us' }), { key: teamsKey })),
    },
    { what: 'an unsigned token (alg: none)', headers: () => bearer(unsignedJwt(claims(), teamsKey.kid)) },
    {
      what: 'a token signed with HMAC using the public key as the secret',
      headers: () => bearer(hmacWithPublicKey(claims(), teamsKey)),
    },
    {
      what: 'a token issued for a conversation on another serviceUrl',
      headers: () =>
        bearer(signJwt(claims({ serviceurl: 'https://smba.trafficmanager.net/teams/' }), { key: teamsKey })),
    },
    {
      what: 'a token signed with a key endorsed only for another channel',
      headers: () => bearer(signJwt(claims(), { key: webChatKey })),
    },
  ];

  for (const refusal of refusals) {
    it(`refuses ${refusal.what} with 401 and does nothing`, async () => {
      for (const body of [submission(), chooseFrench()]) {
        const headers = refusal.headers();
        const { result: res, written } = await capturingConsole(() => post(bot, body, headers));
        const text = await res.text();
        assert.equal(res.status, 401, text);
        assert.deepEqual(JSON.parse(text), { error: 'unauthorized' });
        assert.equal(res.headers.get('www-authenticate'), 'Bearer');
        const token = headers.authorization?.split(' ')[1];
        if (token) assert.ok(!written.includes(token), 'the token is not written to the console');
      }
      await assertNothingDone();
    });
  }

  const fromTenant = (body: Record<string, unknown>, tenant: unknown) => ({
    ...body,
    channelData: tenant === undefined ? {} : { tenant: { id: tenant } },
  });

  for (const [what, tenant] of [
    ['from another tenant', 'tenant-2'],
    ['that names no tenant', undefined],
    ['whose tenant is not text', { id: 'tenant-1' }],
  ] as const) {
    it(`refuses an activity ${what} with 403 before any turn: nothing stored, nothing sent`, async () => {
      const { result, written } = await capturingConsole(async () => {
        const statuses: number[] = [];
        for (const body of [submission(), chooseFrench()]) {
          const res = await post(bot, fromTenant(body, tenant), bearer(signJwt(claims(), { key: teamsKey })));
          assert.deepEqual(await res.json(), { error: 'forbidden' });
          statuses.push(res.status);
        }
        return statuses;
      });
      assert.deepEqual(result, [403, 403]);
      assert.equal(written, '');
      assert.deepEqual(
        warnings.map((w) => [w.msg, w.reason]),
        [
          ['refused an activity', 'an activity from a tenant this bot does not serve'],
          ['refused an activity', 'an activity from a tenant this bot does not serve'],
        ],
      );
      await assertNothingDone();
    });
  }

  it('serves the allowed tenant whatever the case of its id', async () => {
    const res = await post(bot, fromTenant(help(), 'TENANT-1'), bearer(signJwt(claims(), { key: teamsKey })));
    assert.equal(res.status, 200);
  });

  it('refuses an activity of another channel, signed with a key endorsed for that channel, with 401', async () => {
    const webChat = { ...submission(), channelId: 'webchat' };
    const res = await post(bot, webChat, bearer(signJwt(claims(), { key: webChatKey })));
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: 'unauthorized' });
    await assertNothingDone();
  });

  it('keeps serving after refusing requests', async () => {
    await capturingConsole(async () => {
      for (const refusal of refusals) await post(bot, chooseFrench(), refusal.headers());
    });
    const health = await fetch(`${bot.server.url}/healthz`);
    assert.equal(health.status, 200);
    const body = (await health.json()) as { status: string; mode: string };
    assert.deepEqual([body.status, body.mode], ['alive', 'authenticated']);
    const res = await post(bot, help(), bearer(signJwt(claims(), { key: teamsKey })));
    assert.equal(res.status, 200);
  });

  it('answers a card action carrying a valid token', async () => {
    const res = await post(bot, help(), bearer(signJwt(claims(), { key: teamsKey })));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { statusCode: number; type: string; value: unknown };
    assert.equal(body.statusCode, 200);
    assert.equal(body.type, 'application/vnd.microsoft.card.adaptive');
    assert.match(textOf(body.value), /What you can ask Microacq/);
  });

  it('lets a valid token change what a refused one could not', async () => {
    const res = await post(bot, chooseFrench(), bearer(signJwt(claims(), { key: teamsKey })));
    assert.equal(res.status, 200);
    assert.deepEqual(await bot.store.getPreferences(PEOPLE.requester.aadObjectId), { locale: 'fr' });
  });

  it('accepts a token that expired less than five minutes ago (clocks differ)', async () => {
    const lately = signJwt(claims({ nbf: now() - 60 * MINUTE, exp: now() - 2 * MINUTE }), { key: teamsKey });
    assert.equal((await post(bot, help(), bearer(lately))).status, 200);
  });

  it('reads the published keys once, not on every request', async () => {
    const before = { ...tokens.fetches };
    for (let i = 0; i < 3; i++) {
      await post(bot, help(), bearer(signJwt(claims(), { key: teamsKey })));
    }
    assert.ok(tokens.fetches.keys - before.keys <= 1, JSON.stringify(tokens.fetches));
  });
});

describe('authentication with a token issuer of its own', () => {
  const ISSUER = 'https://api.botframework.example';
  let tokens: TokenService;
  let connector: Connector;
  let bot: TestBot;

  before(async () => {
    tokens = await TokenService.start([{ key: teamsKey, endorsements: ['msteams'] }]);
    connector = await Connector.start();
    bot = await startTestBot({ ...authEnv(tokens), BOT_TOKEN_ISSUER: ISSUER });
  });

  after(async () => {
    await bot.server.stop();
    await connector.close();
    await tokens.close();
  });

  const help = () => cardAction({ serviceUrl: connector.url }, 'help.show');

  it('accepts tokens from the configured issuer and refuses the public cloud’s', async () => {
    const own = signJwt({ ...channelClaims(APP_ID, connector.url), iss: ISSUER }, { key: teamsKey });
    assert.equal((await post(bot, help(), bearer(own))).status, 200);
    const publicCloud = signJwt(channelClaims(APP_ID, connector.url), { key: teamsKey });
    assert.equal((await post(bot, help(), bearer(publicCloud))).status, 401);
  });
});

describe('authentication when the signing keys cannot be fetched', () => {
  it('answers 503 so the channel tries again, and does nothing', async () => {
    const tokens = await TokenService.start([]);
    const unreachable = tokens.metadataUrl;
    await tokens.close();
    const connector = await Connector.start();
    const bot = await startTestBot({ ...authEnv(tokens), BOT_OPENID_METADATA_URL: unreachable });
    try {
      const token = signJwt(channelClaims(APP_ID, connector.url), { key: teamsKey });
      const res = await post(
        bot,
        cardAction({ serviceUrl: connector.url }, 'language.set', { language: 'fr' }),
        bearer(token),
      );
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { error: 'cannot check the token now' });
      assert.deepEqual(await bot.store.getPreferences(PEOPLE.requester.aadObjectId), {});
      assert.deepEqual(connector.sent, []);
    } finally {
      await bot.server.stop();
      await connector.close();
    }
  });
});

describe('authentication settings', () => {
  const SETTINGS = [
    'validateAuthority',
    'toChannelFromBotLoginUrl',
    'toChannelFromBotOAuthScope',
    'oAuthUrl',
    'toBotFromChannelOpenIdMetadataUrl',
    'toBotFromChannelTokenIssuer',
    'toBotFromEmulatorOpenIdMetadataUrl',
    'callerId',
  ] as const;

  /** What botbuilder resolved, read from its inner authentication (not public API, hence this test). */
  function settingsOf(env: Record<string, string>): Record<string, unknown> {
    const config = parseConfig({
      MICROSOFT_APP_ID: APP_ID,
      MICROSOFT_APP_PASSWORD: 'unused-offline',
      MICROSOFT_APP_TENANT_ID: 'tenant-1',
      ...env,
    });
    const adapter = createAdapter(config, createLogger('silent')) as unknown as {
      botFrameworkAuthentication: { inner: Record<string, unknown> };
    };
    const inner = adapter.botFrameworkAuthentication.inner;
    return Object.fromEntries(SETTINGS.map((name) => [name, inner[name]]));
  }

  it('is the Microsoft public cloud when nothing is set', () => {
    const settings = settingsOf({});
    assert.equal(
      settings.toBotFromChannelOpenIdMetadataUrl,
      'https://login.botframework.com/v1/.well-known/openidconfiguration',
    );
    assert.equal(settings.toBotFromChannelTokenIssuer, 'https://api.botframework.com');
  });

  it('changes only where inbound tokens are checked, keeping how the bot signs in to reply', () => {
    const keys = 'https://login.botframework.azure.us/v1/.well-known/openidconfiguration';
    const issuer = 'https://api.botframework.us';
    assert.deepEqual(settingsOf({ BOT_OPENID_METADATA_URL: keys, BOT_TOKEN_ISSUER: issuer }), {
      ...settingsOf({}),
      toBotFromChannelOpenIdMetadataUrl: keys,
      toBotFromChannelTokenIssuer: issuer,
    });
    assert.deepEqual(settingsOf({ BOT_OPENID_METADATA_URL: keys }), {
      ...settingsOf({}),
      toBotFromChannelOpenIdMetadataUrl: keys,
    });
  });
});
