import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The processes the benchmarks start: the bot built and run as `npm start` runs it, a port to give one,
 * its readiness, its memory, its output and its stop.
 */

const ROOT = path.resolve(__dirname, '..');

/** A port free on loopback now, for a child process to listen on. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A memory figure of a process as the kernel counts it (MB); NaN once the process is gone. */
export function procStatus(
  pid: number,
  field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile' | 'RssShmem',
): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

/** `npm start`'s command line (`node <options> <entry>`), which every benchmark of the bot copies. */
export const START_SCRIPT = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start;

/** The compiled bot: its directory (dist/ with node_modules beside it), entry point and `npm start`'s options. */
export interface BuiltBot {
  readonly dir: string;
  readonly script: string;
  readonly args: string[];
}

let built: Promise<BuiltBot> | undefined;

/**
 * `npm run build` into a directory of its own (the repository's dist/ is left alone), with node_modules
 * beside it as in a deployment. Once per run: `npm run bench` runs every benchmark on the same build.
 */
export function builtBot(): Promise<BuiltBot> {
  built ??= (async () => {
    const [node, ...args] = START_SCRIPT.split(/\s+/);
    const entry = args.pop();
    if (node !== 'node' || !entry)
      throw new Error(`npm start is not "node [options] <file>": ${START_SCRIPT}`);
    const dir = mkdtempSync(path.join(tmpdir(), 'microacq-bench-build-'));
    // Removed when the run ends, whichever benchmark used it last.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'junction');
    const tsc = spawn(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        path.join(dir, 'dist'),
      ],
      { cwd: ROOT, stdio: 'inherit' },
    );
    const [code] = (await once(tsc, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`the build failed (${code})`);
    return { dir, script: path.join(dir, entry), args };
  })();
  return built;
}

export interface ChildOptions {
  /** Names it in errors. */
  readonly name: string;
  /** Its entry point; a .ts file runs through tsx. */
  readonly script: string;
  readonly nodeArgs?: readonly string[];
  /** Its whole environment but HOST and PORT, which it is given. */
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** The path that answers 2xx once it serves what is measured. */
  readonly ready: '/healthz' | '/readyz';
  /**
   * A file to write all its output to (errors then point to it), for output too long to keep; without one,
   * the end of it is kept for errors and `lastOutput`.
   */
  readonly logFile?: string;
  /** Each piece of its output, as it comes. */
  readonly onOutput?: (text: string) => void;
}

/** A server under test: a child process on a port of its own, its output kept and its memory sampled. */
export class Child {
  /** The highest VmRSS sampled (every 100 ms) since the last `resetSampled`. */
  peakSampledRss = 0;
  /** VmRSS once ready. */
  startRss = NaN;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The peak resident memory (VmHWM) last read: a process killed for want of memory can no longer be asked. */
  private peak = NaN;
  /** The end of its output, when no log file has it all. */
  private tail = '';
  private readonly sampler: NodeJS.Timeout;

  private constructor(
    readonly name: string,
    readonly url: string,
    readonly proc: ChildProcess,
    readonly logFile: string | undefined,
    onOutput: ((text: string) => void) | undefined,
  ) {
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    if (logFile) {
      const out = createWriteStream(logFile);
      proc.stdout?.pipe(out);
      proc.stderr?.pipe(out);
    }
    const take = (d: Buffer) => {
      const text = d.toString();
      onOutput?.(text);
      if (!logFile) this.tail = (this.tail + text).slice(-20_000);
    };
    // Only when something reads it: a busy bot's log is parsed after the run, not while it is measured.
    if (onOutput || !logFile) {
      proc.stdout?.on('data', take);
      proc.stderr?.on('data', take);
    }
    this.sampler = setInterval(() => {
      this.samplePeak();
      const rss = procStatus(this.pid, 'VmRSS');
      if (rss > this.peakSampledRss) this.peakSampledRss = rss;
    }, 100);
    void this.exited.then(() => clearInterval(this.sampler));
  }

  /** Starts it and waits (a minute at most) until its `ready` path answers. */
  static async start(options: ChildOptions): Promise<Child> {
    const port = await freePort();
    const source = options.script.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), ...source, options.script], {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: { ...options.env, HOST: '127.0.0.1', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child = new Child(
      options.name,
      `http://127.0.0.1:${port}`,
      proc,
      options.logFile,
      options.onOutput,
    );
    try {
      await child.ready(options.ready);
    } catch (err) {
      await child.stop();
      throw err;
    }
    child.startRss = procStatus(child.pid, 'VmRSS');
    return child;
  }

  private async ready(at: string): Promise<void> {
    const where = () => (this.logFile ? `; see ${this.logFile}` : `:\n${this.tail}`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (this.proc.exitCode !== null)
        throw new Error(`${this.name} exited (${this.proc.exitCode})${where()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not start${where()}`);
      const ok = await fetch(`${this.url}${at}`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  resetSampled(): void {
    this.peakSampledRss = 0;
  }

  /** Peak resident memory of the process so far (MB), as the kernel counts it, or as last read. */
  samplePeak(): number {
    const hwm = procStatus(this.pid, 'VmHWM');
    if (Number.isFinite(hwm)) this.peak = hwm;
    return this.peak;
  }

  get lastOutput(): string {
    return this.tail;
  }

  /** SIGTERM, as a service manager stops it; SIGKILL if it has not exited 15 s later. */
  async stop(): Promise<void> {
    clearInterval(this.sampler);
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const stopped = await Promise.race([
      this.exited.then(() => true),
      // Unref'd: a bot that stops at once must not keep the run waiting for the timer.
      new Promise<boolean>((r) => setTimeout(() => r(false), 15_000).unref()),
    ]);
    if (!stopped) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}
