import assert from 'node:assert/strict';
import { request } from 'node:http';
import { RateLimiter } from '../../src/web/rate-limit';
import { PAYLOADS } from '../support/bad-input';
import { storePosted } from '../support/published';
import { startTestBot, type TestBot } from '../support/teams';

/**
 * The public site is the bot's anonymous surface: every address a stranger may type, every method, every
 * size, gets a clear answer — never a 5xx, a trace or a record — and the site still serves afterwards.
 */

const TRACE = /\n\s+at |\bat .+:\d+:\d+|Error:|node_modules|\/work\/|\.ts:\d+/;

/** A raw request, so that addresses fetch would normalise reach the server as typed. */
function raw(
  base: string,
  method: string,
  path: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers: { connection: 'close' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the public site against strangers’ input', function () {
  this.timeout(60_000);
  let bot: TestBot;

  before(async () => {
    bot = await startTestBot({ SITE_RATE_PER_MINUTE: '100000' }, { background: false });
    await storePosted(bot.store);
  });
  after(async () => bot.server.stop());

  const items = [
    // Every byte escaped: what a browser would send for the text (a lone surrogate as U+FFFD).
    ...PAYLOADS.map(
      ([name, text]) =>
        [name, [...Buffer.from(text)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')] as const,
    ),
    ['a path climbing out', '..%2F..%2F..%2Fetc%2Fpasswd'],
    ['a dot segment', '..'],
    ['a reference in lower case', 'ma-2026-0001'],
    ['a reference with a suffix', 'MA-2026-0001.json'],
    ['a reference 10,000 digits long', `MA-2026-${'9'.repeat(10_000)}`],
    ['a percent sign alone', '%'],
    ['a broken escape', '%E0%A4%A'],
    ['an encoded null', '%00'],
    ['a query string 8 KB long', `MA-2026-0001?${'q='.repeat(4_000)}`],
  ] as const;

  for (const section of ['/en/opportunities', '/fr/possibilites', '/en/possibilites', '/xx/opportunities']) {
    for (const [name, item] of items) {
      it(`answers ${section}/ + ${name} with a page, never a failure`, async () => {
        const answer = await raw(bot.server.url, 'GET', `${section}/${item}`);
        assert.ok(answer.status < 500, `${answer.status}`);
        assert.ok([200, 400, 404, 414, 431].includes(answer.status), `${answer.status}`);
        assert.doesNotMatch(answer.body, TRACE);
        assert.doesNotMatch(answer.body, /<script>alert|onerror=alert/);
      });
    }
  }

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    it(`refuses ${method} on the public pages without touching anything`, async () => {
      for (const path of ['/en/opportunities', '/fr/possibilites/MA-2026-0001', '/assets/site.css']) {
        const answer = await raw(bot.server.url, method, path);
        assert.ok([404, 405].includes(answer.status), `${method} ${path}: ${answer.status}`);
        assert.doesNotMatch(answer.body, TRACE);
      }
    });
  }

  it('still serves the pages afterwards, and the posted request is unchanged', async () => {
    const page = await raw(bot.server.url, 'GET', '/en/opportunities/MA-2026-0001');
    assert.equal(page.status, 200);
    assert.equal((await bot.store.get('MA-2026-0001'))?.version, 2);
  });
});

describe('the rate limiter', () => {
  it('lets the limit through each minute, refuses the rest until the next minute says when', () => {
    let now = Date.UTC(2026, 10, 27, 12, 0, 30);
    const limiter = new RateLimiter(3, 100, () => now);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => limiter.take('a')),
      [0, 0, 0, 30, 30],
    );
    assert.equal(limiter.take('b'), 0, 'each address counts apart');
    now += 31_000;
    assert.equal(limiter.take('a'), 0, 'a new minute starts again');
  });

  it('remembers a bounded number of addresses, forgetting the oldest first', () => {
    const limiter = new RateLimiter(1, 2, () => 0);
    limiter.take('a');
    limiter.take('b');
    assert.ok(limiter.take('a') > 0);
    limiter.take('c'); // the oldest, b, is forgotten
    assert.equal(limiter.take('b'), 0);
    assert.ok(limiter.take('c') > 0);
  });
});
