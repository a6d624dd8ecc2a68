import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Export files: written under a random name next to the store and served once asked for, for an hour.
 * The name is the only key, 32 random characters, so a link reaches exactly the file it was made for.
 */

export const EXPORT_TTL_MS = 60 * 60 * 1000;
const NAME = /^[A-Za-z0-9_-]{32}\.csv$/;

export function exportDir(sqlitePath: string): string {
  return path.join(
    path.dirname(path.resolve(sqlitePath === ':memory:' ? './data/x' : sqlitePath)),
    'exports',
  );
}

/** Writes the CSV and returns its file name; files older than an hour are removed on the way. */
export function writeExport(dir: string, csv: string, now = Date.now()): string {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) {
    if (NAME.test(file) && now - statSync(path.join(dir, file)).mtimeMs > EXPORT_TTL_MS)
      unlinkSync(path.join(dir, file));
  }
  const name = `${randomBytes(24).toString('base64url')}.csv`;
  writeFileSync(path.join(dir, name), csv, { encoding: 'utf8', mode: 0o600 });
  return name;
}

/** The file for a link, if the name is one of ours and the file is still fresh. */
export function exportFile(dir: string, name: string, now = Date.now()): string | undefined {
  if (!NAME.test(name)) return undefined;
  const file = path.join(dir, name);
  try {
    return now - statSync(file).mtimeMs <= EXPORT_TTL_MS ? file : undefined;
  } catch {
    return undefined;
  }
}
