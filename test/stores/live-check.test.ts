import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { liveCheck, reportOf, watchThrottling, type Finding } from '../../scripts/live-check';
import { createGraphClient } from '../../src/stores/graph';
import {
  createGraphEmulation,
  emulatorConfig,
  type GraphEmulation,
  type GraphEmulationOptions,
} from '../support/graph-emulation';

/**
 * `npm run live-check` run end to end against the emulation: it asks each question the README lists,
 * reports the answer the emulation was set to give, and leaves no list behind.
 */

const SITE =
  'contoso.sharepoint.com,3b1f0c1e-3333-4a2f-9c1a-1f2e3d4c5b6a,4a1c2b3a-4444-6d7c-8b9a-0a1b2c3d4e5f';

async function checkOn(options: GraphEmulationOptions, items = 6_000, oneStatus = 5_500) {
  const emulation = createGraphEmulation({ siteId: SITE, ...options });
  const watch = watchThrottling((url, init) => emulation.fetch(url, init));
  const client = createGraphClient(emulatorConfig(SITE), watch.send);
  // One throttled answer during the check, as a tenant gives them.
  emulation.inject({ status: 429, retryAfterSeconds: 0, times: 1, match: (method) => method === 'GET' });
  const findings = await liveCheck(client, SITE, watch.seen, { largeItems: items, inOneStatus: oneStatus });
  return { emulation, findings };
}

const answerTo = (findings: readonly Finding[], question: RegExp) => {
  const found = findings.filter((f) => question.test(f.question));
  assert.ok(found.length > 0, `no question matches ${question}`);
  return found.map((f) => f.answer);
};

const listsLeft = async (emulation: GraphEmulation) => {
  const response = await emulation.fetch(`https://graph.microsoft.com/v1.0/sites/${SITE}/lists`, {
    headers: { authorization: 'Bearer x' },
  });
  return ((await response.json()) as { value: unknown[] }).value.length;
};

describe('the SharePoint live check', function () {
  this.timeout(120_000);

  it('answers every question on the documented behaviour, finds nothing the store cannot cope with, and deletes its lists', async () => {
    const { emulation, findings } = await checkOn({});
    assert.deepEqual(
      findings.filter((f) => !f.copes),
      [],
    );
    assert.deepEqual(answerTo(findings, /JSON/), ['identical']);
    assert.deepEqual(answerTo(findings, /PATCH/), ['yes', 'yes']);
    assert.equal(answerTo(findings, /a duplicate/).length, 24);
    assert.ok(answerTo(findings, /a duplicate/).every((a) => a.startsWith('409 nameAlreadyExists')));
    assert.match(answerTo(findings, /selects 5500 items/)[0] ?? '', /^400 notSupported/);
    assert.match(answerTo(findings, /sort of the whole list/)[0] ?? '', /^400/);
    assert.match(answerTo(findings, /first bound alone/)[0] ?? '', /^400/);
    const large = answerTo(findings, /on 6000 items/);
    assert.equal(large.length, 9);
    assert.ok(
      large.every((a) => a.startsWith('answered')),
      large.join('\n'),
    );
    assert.match(answerTo(findings, /throttling/)[0] ?? '', /429 Retry-After 0/);
    assert.equal(await listsLeft(emulation), 0);
    const report = reportOf(findings, { endpoint: 'https://graph.microsoft.com', siteId: SITE, at: 'now' });
    assert.match(report, /The store copes with every answer above/);
  });

  it('reports the undocumented answers a tenant may give: duplicates as 500, PATCH without an eTag', async () => {
    const { findings } = await checkOn({
      duplicateStatus: 500,
      patchReturnsEtag: false,
      richTextByDefault: true,
    });
    assert.ok(answerTo(findings, /a duplicate/).every((a) => a.startsWith('500 generalException')));
    assert.deepEqual(answerTo(findings, /PATCH/), [
      'no (the store then reads the item again)',
      'no (the store then reads the item again)',
    ]);
    // Provisioning asks for plain text, so rich text by default changes nothing.
    assert.deepEqual(answerTo(findings, /JSON/), ['identical']);
    assert.deepEqual(
      findings.filter((f) => !f.copes),
      [],
    );
  });

  it('marks for checking what the store would not cope with: a record that comes back changed', async () => {
    const emulation = createGraphEmulation({ siteId: SITE, richTextByDefault: true });
    // A site whose columns come back as rich text though plain was asked for.
    const original = emulation.handle.bind(emulation);
    const plainIgnored: typeof emulation.handle = async (request) => {
      if (request.method === 'POST' && /\/lists$/.test(new URL(request.url).pathname)) {
        const body = (await request.json()) as { columns?: { text?: { textType?: string } }[] };
        for (const c of body.columns ?? []) if (c.text) delete c.text.textType;
        return original(
          new Request(request.url, { method: 'POST', headers: request.headers, body: JSON.stringify(body) }),
        );
      }
      return original(request);
    };
    const watch = watchThrottling((url, init) => plainIgnored(new Request(url, init)));
    const findings = await liveCheck(createGraphClient(emulatorConfig(SITE), watch.send), SITE, watch.seen, {
      largeItems: 30,
      inOneStatus: 20,
    });
    const changed = findings.filter((f) => !f.copes).map((f) => f.question);
    assert.ok(
      changed.some((q) => /JSON/.test(q)),
      changed.join('\n'),
    );
    assert.ok(
      changed.some((q) => /Opportunities list: columns/.test(q)),
      changed.join('\n'),
    );
    assert.match(reportOf(findings, { endpoint: 'e', siteId: SITE, at: 'now' }), /\*\*check\*\*/);
  });

  it('runs as npm run live-check against a Graph on this machine with 6,000 items and prints the report', async function () {
    this.timeout(300_000);
    const emulation = createGraphEmulation({ siteId: SITE });
    const served = await emulation.serve();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/live-check.ts'], {
        env: {
          ...process.env,
          STORE: 'sqlite',
          SHAREPOINT_SITE_ID: SITE,
          GRAPH_AUTH: 'emulator',
          GRAPH_ENDPOINT: served.url,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 0, err);
      assert.match(out, /^# Microacq SharePoint live check/m);
      assert.match(out, /selects 5500 items \| 400 notSupported/);
      assert.match(out, /on 6000 items \| answered 10 in/);
      assert.match(out, /The store copes with every answer above/);
      assert.match(err, /deleting the throw-away lists/);
      assert.equal(await listsLeft(emulation), 0);
    } finally {
      await served.close();
    }
  });
});
