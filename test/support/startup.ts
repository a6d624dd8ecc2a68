import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * What a running bot has loaded and how much memory it holds, read through `startup-probe.mjs`:
 * start the bot with `probeArgs()` before its entry point and `STARTUP_PROBE_OUT` in its environment.
 */

const PROBE = path.join(__dirname, 'startup-probe.mjs');

/** Node's arguments that preload the probe. */
export const probeArgs = (): string[] => ['--import', PROBE];

export interface ProbeReading {
  readonly memory: NodeJS.MemoryUsage;
  /** The npm packages loaded so far (`@scope/name` or `name`), sorted. */
  readonly packages: readonly string[];
  /** The files loaded so far. */
  readonly files: readonly string[];
}

/** The npm package a loaded file belongs to: its path after the last `node_modules/`. */
function packageOfFile(file: string): string | undefined {
  const at = file.lastIndexOf(`node_modules${path.sep}`);
  if (at < 0) return undefined;
  const parts = file.slice(at + 'node_modules/'.length).split(path.sep);
  return (parts[0]?.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** Asks the probe in `child` for a reading, written to `out`, and waits for it (10 s at most). */
export async function readProbe(child: ChildProcess, out: string): Promise<ProbeReading> {
  rmSync(out, { force: true });
  child.kill('SIGUSR2');
  const deadline = Date.now() + 10_000;
  while (!existsSync(out)) {
    if (Date.now() > deadline) throw new Error('the start-up probe did not answer');
    await new Promise((r) => setTimeout(r, 20));
  }
  const { memory, files } = JSON.parse(readFileSync(out, 'utf8')) as {
    memory: NodeJS.MemoryUsage;
    files: string[];
  };
  const packages = [...new Set(files.map(packageOfFile).filter((p): p is string => p !== undefined))];
  return { memory, files, packages: packages.sort() };
}
