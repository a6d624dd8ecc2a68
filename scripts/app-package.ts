/**
 * Building blocks for the Teams app package (appPackage/ → microacq.zip).
 * Kept free of process-level side effects so tests can drive them directly;
 * scripts/package-app.ts is the command-line wrapper.
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import archiver from 'archiver';
import { AppManifestUtils, type AppManifest } from '@microsoft/app-manifest';
import { PNG } from 'pngjs';

export const APP_PACKAGE_DIR = path.resolve(__dirname, '..', 'appPackage');
export const DEFAULT_OUT_FILE = path.join(APP_PACKAGE_DIR, 'build', 'microacq.zip');

/** Stand-in bot id so the package can be validated before a bot is registered. Not installable. */
export const PLACEHOLDER_BOT_ID = '00000000-0000-0000-0000-000000000000';

/** The parts of a Teams manifest this module reads. The schema remains the authority on the rest. */
export interface ManifestEssentials {
  $schema?: string;
  icons: { color: string; outline: string; color32x32?: string };
  localizationInfo?: {
    defaultLanguageTag: string;
    defaultLanguageFile?: string;
    additionalLanguages?: { languageTag: string; file: string }[];
  };
  name: { short: string; full?: string };
  description: { short: string; full: string };
  bots?: {
    scopes: string[];
    commandLists?: { scopes: string[]; commands: { title: string; description?: string }[] }[];
  }[];
}

export type Localization = Record<string, unknown>;

/** Raised when the package cannot be built; `problems` lists every reason found. */
export class AppPackageError extends Error {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(`${message}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'AppPackageError';
  }
}

const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Names of the `${{NAME}}` placeholders used in a text, in order of first use. */
export function listPlaceholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

/** Replaces every `${{NAME}}` with values[NAME]; throws if any placeholder has no value. */
export function fillPlaceholders(text: string, values: Readonly<Record<string, string>>): string {
  const missing = listPlaceholders(text).filter((name) => values[name] === undefined);
  if (missing.length > 0) {
    throw new AppPackageError('No value for placeholders', missing);
  }
  return text.replace(PLACEHOLDER, (_match, name: string) => values[name] as string);
}

/** Placeholder values taken from the environment, with warnings for any stand-ins used. */
export function placeholderValuesFromEnv(env: NodeJS.ProcessEnv): {
  values: Record<string, string>;
  warnings: string[];
} {
  const appId = env.MICROSOFT_APP_ID?.trim();
  if (appId) {
    return { values: { BOT_ID: appId }, warnings: [] };
  }
  return {
    values: { BOT_ID: PLACEHOLDER_BOT_ID },
    warnings: [
      `MICROSOFT_APP_ID is not set: using ${PLACEHOLDER_BOT_ID} as the bot id. ` +
        'This package is for local validation only and cannot be installed in Teams.',
    ],
  };
}

/** Schema errors for a filled-in manifest (empty when valid). Schemas come from @microsoft/app-manifest, offline. */
export async function validateManifest(manifest: object): Promise<string[]> {
  const errors = await AppManifestUtils.validateAgainstSchema(manifest as AppManifest);
  return errors.map((error) => error.trim());
}

/** URL of the localization schema that goes with the manifest's schema version. */
export function localizationSchemaUrl(manifest: ManifestEssentials): string {
  if (!manifest.$schema) {
    throw new AppPackageError('Cannot locate the localization schema', ['the manifest has no $schema']);
  }
  return manifest.$schema.replace(/MicrosoftTeams\.schema\.json$/, 'MicrosoftTeams.Localization.schema.json');
}

/**
 * The bundled localization schemas contain patterns with a bare `]` (e.g. `\b]`), which is literal in
 * classic regexes but a syntax error under the `u` flag that Ajv compiles with. Escaping those brackets
 * keeps the meaning and lets the schema compile.
 */
export function escapeLoneBrackets(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '\\') {
      out += ch + (pattern[++i] ?? '');
      continue;
    }
    if (ch === '[') inClass = true;
    if (ch === ']' && !inClass) {
      out += '\\]';
      continue;
    }
    if (ch === ']') inClass = false;
    out += ch;
  }
  return out;
}

function withUnicodeSafePatterns(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withUnicodeSafePatterns);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => {
      if (key === 'pattern' && typeof value === 'string') return [key, escapeLoneBrackets(value)];
      if (key === 'patternProperties' && value && typeof value === 'object') {
        const entries = Object.entries(value).map(([p, v]) => [
          escapeLoneBrackets(p),
          withUnicodeSafePatterns(v),
        ]);
        return [key, Object.fromEntries(entries)];
      }
      return [key, withUnicodeSafePatterns(value)];
    }),
  );
}

/** Reads a dotted/indexed localization key such as `bots[0].commandLists[1].commands[2].title` from the manifest. */
export function manifestValueAt(manifest: object, key: string): unknown {
  let node: unknown = manifest;
  for (const part of key.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Manifest strings that every language file is expected to translate. */
export function translatableKeys(manifest: ManifestEssentials): string[] {
  const keys = ['name.short', 'description.short', 'description.full'];
  if (manifest.name.full) keys.splice(1, 0, 'name.full');
  (manifest.bots ?? []).forEach((bot, b) =>
    (bot.commandLists ?? []).forEach((list, l) =>
      list.commands.forEach((command, c) => {
        const base = `bots[${b}].commandLists[${l}].commands[${c}]`;
        keys.push(`${base}.title`);
        if (command.description !== undefined) keys.push(`${base}.description`);
      }),
    ),
  );
  return keys;
}

/** Problems with a language file: schema errors, keys with no manifest string, missing translations. */
export async function validateLocalization(
  manifest: ManifestEssentials,
  localization: Localization,
): Promise<string[]> {
  const schemaUrl =
    typeof localization.$schema === 'string' ? localization.$schema : localizationSchemaUrl(manifest);
  const schema = withUnicodeSafePatterns(await AppManifestUtils.fetchSchema(schemaUrl));
  const errors = await AppManifestUtils.validateAgainstSchema(
    localization as AppManifest,
    schema as Awaited<ReturnType<typeof AppManifestUtils.fetchSchema>>,
  );
  const problems = errors.map((error) => error.trim());
  for (const key of Object.keys(localization)) {
    if (key === '$schema' || key === 'localizationKeys') continue;
    if (typeof manifestValueAt(manifest, key) !== 'string')
      problems.push(`${key}: no such string in the manifest`);
  }
  for (const key of translatableKeys(manifest)) {
    const value = localization[key];
    if (typeof value !== 'string' || value.trim() === '') problems.push(`${key}: missing translation`);
  }
  return problems;
}

/** Files that go in the package, flat at the zip root: the manifest, its icons and its language files. */
export function packageFiles(manifest: ManifestEssentials): string[] {
  const info = manifest.localizationInfo;
  const files = [
    'manifest.json',
    manifest.icons.color,
    manifest.icons.outline,
    manifest.icons.color32x32,
    info?.defaultLanguageFile,
    ...(info?.additionalLanguages ?? []).map((language) => language.file),
  ];
  return [...new Set(files.filter((file): file is string => typeof file === 'string'))];
}

/** Teams icon rules: colour 192×192; outline 32×32, white pixels with alpha only. */
export function iconProblems(manifest: ManifestEssentials, dir: string): string[] {
  const problems: string[] = [];
  const read = (file: string) => PNG.sync.read(readFileSync(path.join(dir, file)));
  const color = read(manifest.icons.color);
  if (color.width !== 192 || color.height !== 192) {
    problems.push(`${manifest.icons.color} is ${color.width}×${color.height}, expected 192×192`);
  }
  const outline = read(manifest.icons.outline);
  if (outline.width !== 32 || outline.height !== 32) {
    problems.push(`${manifest.icons.outline} is ${outline.width}×${outline.height}, expected 32×32`);
  }
  for (let i = 0; i < outline.data.length; i += 4) {
    const [r, g, b, a] = outline.data.subarray(i, i + 4);
    if (a !== 0 && (r !== 255 || g !== 255 || b !== 255)) {
      problems.push(`${manifest.icons.outline} has a pixel that is neither white nor transparent`);
      break;
    }
  }
  return problems;
}

function writeZip(outFile: string, entries: { name: string; data: Buffer }[]): Promise<void> {
  mkdirSync(path.dirname(outFile), { recursive: true });
  return new Promise((resolve, reject) => {
    const output = createWriteStream(outFile);
    const archive = archiver('zip', { zlib: { level: 9 } });
    output.on('close', () => resolve());
    output.on('error', reject);
    archive.on('warning', reject);
    archive.on('error', reject);
    archive.pipe(output);
    for (const entry of entries) archive.append(entry.data, { name: entry.name });
    archive.finalize().catch(reject);
  });
}

export interface BuildOptions {
  sourceDir?: string;
  outFile?: string;
  values: Readonly<Record<string, string>>;
}

/**
 * Fills the placeholders, validates the manifest, language files and icons, then writes the zip.
 * Throws AppPackageError listing every problem; no package is left at outFile unless all checks pass.
 */
export async function buildAppPackage(
  options: BuildOptions,
): Promise<{ outFile: string; entries: string[] }> {
  const sourceDir = options.sourceDir ?? APP_PACKAGE_DIR;
  const outFile = options.outFile ?? DEFAULT_OUT_FILE;
  rmSync(outFile, { force: true }); // never leave a stale package behind a failed build
  const readFilled = (file: string) =>
    fillPlaceholders(readFileSync(path.join(sourceDir, file), 'utf8'), options.values);

  const manifestText = readFilled('manifest.json');
  const manifest = JSON.parse(manifestText) as ManifestEssentials;
  const files = packageFiles(manifest);
  const absent = files.filter((file) => !existsSync(path.join(sourceDir, file)));
  const nested = files.filter((file) => path.basename(file) !== file);
  if (absent.length > 0 || nested.length > 0) {
    throw new AppPackageError('The manifest refers to files that cannot be packaged', [
      ...absent.map((file) => `${file}: not found in ${sourceDir}`),
      ...nested.map((file) => `${file}: Teams packages must be flat, keep it next to manifest.json`),
    ]);
  }

  const problems = (await validateManifest(manifest)).map((error) => `manifest.json ${error}`);
  const entries = [{ name: 'manifest.json', data: Buffer.from(manifestText, 'utf8') }];
  for (const file of files.slice(1)) {
    if (file.endsWith('.json')) {
      const text = readFilled(file);
      const languageProblems = await validateLocalization(manifest, JSON.parse(text) as Localization);
      problems.push(...languageProblems.map((problem) => `${file} ${problem}`));
      entries.push({ name: file, data: Buffer.from(text, 'utf8') });
    } else {
      entries.push({ name: file, data: readFileSync(path.join(sourceDir, file)) });
    }
  }
  problems.push(...iconProblems(manifest, sourceDir));
  if (problems.length > 0) {
    throw new AppPackageError('The app package is not valid', problems);
  }

  await writeZip(outFile, entries);
  return { outFile, entries: entries.map((entry) => entry.name) };
}
