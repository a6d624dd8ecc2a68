import { spawn } from 'node:child_process';
import path from 'node:path';

/** The real entry point, started as a person or a service manager would start it. */

const ROOT = path.resolve(__dirname, '..', '..');

export interface BotProcess {
  readonly child: ReturnType<typeof spawn>;
  readonly exited: Promise<number | null>;
  /** Everything it wrote, stdout and stderr together. */
  output(): string;
}

export function startProcess(env: Record<string, string>): BotProcess {
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
export function readyUrl(run: BotProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line in: ${run.output()}`)), 20_000);
    const check = () => {
      const match = /"url":"(http:\/\/[^"]+)\/api\/messages"/.exec(run.output());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    run.child.stdout?.on('data', check);
    check();
  });
}
