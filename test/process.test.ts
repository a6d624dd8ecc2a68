import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The real entry point, started as a person or a service manager would start it. */

const ROOT = path.resolve(__dirname, '..');

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** The URL the process announces once it serves. */
function readyUrl(run: ReturnType<typeof start>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line in: ${run.output()}`)), 20_000);
    const check = () => {
      const match = /"url":"(http:\/\/[^"]+)\/api\/messages"/.exec(run.output());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    run.child.stdout.on('data', check);
    check();
  });
}

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
