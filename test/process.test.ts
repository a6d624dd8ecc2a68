import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readyUrl, startProcess as start } from './support/process';

describe('the bot process', function () {
  this.timeout(30_000);

  it('refuses to start on invalid configuration with one clear message naming the variable', async () => {
    const run = start({ PORT: 'eighty', CONSULTATION_BUSINESS_DAYS: '0' });
    assert.equal(await run.exited, 78);
    const out = run.output();
    assert.match(out, /Microacq cannot start\. Invalid configuration:/);
    assert.match(out, /PORT: .*"eighty"/);
    assert.match(out, /CONSULTATION_BUSINESS_DAYS: /);
    assert.doesNotMatch(out, /\n\s+at /, 'no stack trace');
  });

  it('refuses to listen beyond loopback in local mode', async () => {
    const run = start({ HOST: '0.0.0.0' });
    assert.equal(await run.exited, 78);
    assert.match(run.output(), /HOST: without MICROSOFT_APP_ID requests are not authenticated/);
  });

  it('serves, then stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'microacq-process-'));
    const run = start({ PORT: '0', SQLITE_PATH: path.join(dir, 'store.db') });
    const url = await readyUrl(run);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0);
    assert.match(run.output(), /"msg":"stopped"/);
  });

  it('logs a promise rejection nobody handled and goes on serving', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'microacq-process-'));
    // Something inside the process rejects a promise nobody awaits, after the bot is up.
    const late = path.join(dir, 'late-rejection.mjs');
    writeFileSync(late, "setTimeout(() => Promise.reject(new Error('nobody awaited this')), 1500);\n");
    const run = start({
      PORT: '0',
      SQLITE_PATH: path.join(dir, 'store.db'),
      NODE_OPTIONS: `--import=${late}`,
    });
    const url = await readyUrl(run);
    const deadline = Date.now() + 10_000;
    while (!run.output().includes('"msg":"unhandled rejection"') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(run.output(), /"level":50,.*"nobody awaited this".*"msg":"unhandled rejection"/);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0);
  });
});
