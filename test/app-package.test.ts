import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { AppManifestUtils, type AppManifest } from '@microsoft/app-manifest';
import { PNG } from 'pngjs';
import {
  APP_PACKAGE_DIR,
  AppPackageError,
  PLACEHOLDER_BOT_ID,
  buildAppPackage,
  fillPlaceholders,
  manifestValueAt,
  placeholderValuesFromEnv,
  validateLocalization,
  type ManifestEssentials,
} from '../scripts/app-package';
import { drawColorIcon, drawOutlineIcon } from '../scripts/draw-icons';
import { createRoutes } from '../src/bot/routes';

const BOT_ID = '3f2a9c4e-7b1d-4e8a-9c6f-0d5b2e7a1c93';
const SCHEMA_DIR = path.dirname(require.resolve('@microsoft/app-manifest/package.json'));

const readText = (file: string) => readFileSync(path.join(APP_PACKAGE_DIR, file), 'utf8');
const readPng = (file: string) => PNG.sync.read(readFileSync(path.join(APP_PACKAGE_DIR, file)));
const filledManifest = () =>
  JSON.parse(fillPlaceholders(readText('manifest.json'), { BOT_ID })) as ManifestEssentials & {
    id: string;
    manifestVersion: string;
    bots: { botId: string; scopes: string[]; supportsFiles?: boolean; isNotificationOnly?: boolean }[];
  };
const french = () => JSON.parse(readText('fr-ca.json')) as Record<string, string>;

function commandsFor(scope: string): { title: string; description?: string }[] {
  const lists = filledManifest().bots[0]?.commandLists ?? [];
  const matching = lists.filter((list) => list.scopes.includes(scope));
  assert.equal(matching.length, 1, `exactly one command list for ${scope}`);
  return matching[0]?.commands ?? [];
}

/** Lists a zip's entries from its central directory and inflates each one. */
function readZip(file: string): Map<string, Buffer> {
  const zip = readFileSync(file);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'zip end-of-central-directory record');
  const entries = new Map<string, Buffer>();
  let at = zip.readUInt32LE(end + 16);
  for (let n = zip.readUInt16LE(end + 10); n > 0; n--) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'central directory header');
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + size);
    entries.set(name, method === 8 ? inflateRawSync(raw) : Buffer.from(raw));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

describe('Teams app package', () => {
  describe('manifest', () => {
    it('the manifest validates against the Teams schema', async () => {
      const errors = await AppManifestUtils.validateAgainstSchema(filledManifest() as unknown as AppManifest);
      assert.deepEqual(errors, []);
    });

    it('the manifest is on a current schema version that ships with the toolkit', () => {
      const manifest = filledManifest();
      const [major, minor] = manifest.manifestVersion.split('.').map(Number);
      assert.ok(
        major === 1 && (minor ?? 0) >= 22,
        `manifestVersion ${manifest.manifestVersion} is 1.22 or newer`,
      );
      assert.match(
        manifest.$schema ?? '',
        new RegExp(`/v${manifest.manifestVersion}/MicrosoftTeams\\.schema\\.json$`),
      );
      const bundled = path.join(SCHEMA_DIR, 'build/json-schemas/teams', `v${manifest.manifestVersion}`);
      assert.ok(
        existsSync(path.join(bundled, 'MicrosoftTeams.schema.json')),
        'schema is bundled for offline checks',
      );
    });

    it('the app and bot ids come from the BOT_ID placeholder', () => {
      const raw = JSON.parse(readText('manifest.json')) as { id: string; bots: { botId: string }[] };
      assert.equal(raw.id, '${{BOT_ID}}');
      assert.equal(raw.bots[0]?.botId, '${{BOT_ID}}');
      const manifest = filledManifest();
      assert.equal(manifest.id, BOT_ID);
      assert.equal(manifest.bots[0]?.botId, BOT_ID);
    });

    it('the bot converses in personal chat, teams and group chats, and sends files (exports)', () => {
      const { bots } = filledManifest();
      assert.equal(bots.length, 1);
      assert.deepEqual([...(bots[0]?.scopes ?? [])].sort(), ['groupChat', 'personal', 'team']);
      assert.equal(bots[0]?.supportsFiles, true);
      assert.equal(bots[0]?.isNotificationOnly, false);
    });

    it('every command the manifest offers is one the bot answers, in English and in French', () => {
      const routes = createRoutes();
      const fr = french();
      for (const scope of ['personal', 'team', 'groupChat']) {
        const commands = commandsFor(scope);
        assert.ok(commands.length > 0, scope);
        for (const command of commands) {
          assert.ok(command.description, `${scope} ${command.title}`);
          const route = routes.matchCommand(command.title)?.route;
          assert.equal(route?.words.en, command.title, `${scope}: the bot answers "${command.title}"`);
        }
      }
      const frenchTitles = Object.entries(fr).filter(([k]) =>
        /^bots\[0\]\.commandLists.*commands\[\d+\]\.title$/.test(k),
      );
      assert.ok(frenchTitles.length > 0);
      for (const [key, title] of frenchTitles) {
        assert.equal(routes.matchCommand(title)?.route.words.fr, title, `${key}: the bot answers "${title}"`);
      }
    });

    it('offers a search from the compose box that the bot answers, titled in both languages', () => {
      const manifest = filledManifest() as unknown as {
        bots: { botId: string }[];
        composeExtensions?: {
          botId: string;
          commands: { id: string; type: string; parameters: { name: string }[] }[];
        }[];
      };
      const extension = manifest.composeExtensions?.[0];
      assert.equal(extension?.botId, manifest.bots[0]?.botId);
      assert.deepEqual(
        extension?.commands.map((c) => [c.id, c.type, c.parameters.map((p) => p.name)]),
        [['findRequest', 'query', ['query']]],
      );
      assert.equal(french()['composeExtensions[0].commands[0].title'], 'Trouver une demande');
    });

    it('English is the default language and Canadian French is offered from fr-ca.json', () => {
      const info = filledManifest().localizationInfo;
      assert.equal(info?.defaultLanguageTag, 'en-us');
      assert.deepEqual(info?.additionalLanguages, [{ languageTag: 'fr-ca', file: 'fr-ca.json' }]);
    });
  });

  describe('French localization', () => {
    it('the French file validates against the Teams localization schema', async () => {
      assert.deepEqual(await validateLocalization(filledManifest(), french()), []);
    });

    it('every command title and description has a French translation', () => {
      const manifest = filledManifest();
      const fr = french();
      const lists = manifest.bots[0]?.commandLists ?? [];
      assert.ok(lists.length > 0);
      lists.forEach((list, l) =>
        list.commands.forEach((command, c) => {
          const key = `bots[0].commandLists[${l}].commands[${c}]`;
          assert.ok(fr[`${key}.title`]?.trim(), `${key}.title (${command.title}) is translated`);
          assert.ok(fr[`${key}.description`]?.trim(), `${key}.description is translated`);
          assert.notEqual(fr[`${key}.description`], command.description, `${command.title} is in French`);
        }),
      );
      for (const key of ['name.short', 'name.full', 'description.short', 'description.full']) {
        assert.ok(fr[key]?.trim(), `${key} is translated`);
      }
      assert.notEqual(fr['description.full'], manifest.description.full);
    });

    it('every key in the French file names a real string in the manifest', () => {
      const manifest = filledManifest();
      const keys = Object.keys(french()).filter((key) => key !== '$schema');
      assert.ok(keys.length > 4);
      for (const key of keys) {
        assert.equal(typeof manifestValueAt(manifest, key), 'string', `${key} exists in the manifest`);
      }
    });
  });

  describe('icons', () => {
    it('the colour icon is a 192×192 full-colour image with a light glyph', () => {
      const icon = readPng('color.png');
      assert.equal(icon.width, 192);
      assert.equal(icon.height, 192);
      let coloured = 0;
      let white = 0;
      for (let i = 0; i < icon.data.length; i += 4) {
        const [r = 0, g = 0, b = 0, a = 0] = icon.data.subarray(i, i + 4);
        if (a === 255 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
        if (a === 255 && r === 255 && g === 255 && b === 255) white++;
      }
      assert.ok(coloured > 192 * 192 * 0.5, 'mostly a coloured background');
      assert.ok(white > 500, 'a white glyph is drawn');
    });

    it('the outline icon is white on transparent, as Teams requires', () => {
      const icon = readPng('outline.png');
      assert.equal(icon.width, 32);
      assert.equal(icon.height, 32);
      let ink = 0;
      for (let i = 0; i < icon.data.length; i += 4) {
        const [r, g, b, a = 0] = icon.data.subarray(i, i + 4);
        if (a > 0) assert.deepEqual([r, g, b], [255, 255, 255], `pixel ${i / 4} is white`);
        if (a > 128) ink++;
      }
      assert.ok(ink > 60, `the glyph is not empty (${ink} solid pixels)`);
      assert.equal(icon.data[3], 0, 'the background is transparent');
    });

    it('the committed icons are the ones scripts/draw-icons.ts draws', () => {
      assert.deepEqual(PNG.sync.read(drawColorIcon()).data, readPng('color.png').data);
      assert.deepEqual(PNG.sync.read(drawOutlineIcon()).data, readPng('outline.png').data);
    });
  });

  describe('packaging', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'microacq-package-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('the bot id comes from MICROSOFT_APP_ID, or an all-zero stand-in with a warning', () => {
      assert.deepEqual(placeholderValuesFromEnv({ MICROSOFT_APP_ID: BOT_ID }), {
        values: { BOT_ID },
        warnings: [],
      });
      const fallback = placeholderValuesFromEnv({});
      assert.deepEqual(fallback.values, { BOT_ID: PLACEHOLDER_BOT_ID });
      assert.equal(PLACEHOLDER_BOT_ID, '00000000-0000-0000-0000-000000000000');
      assert.match(fallback.warnings.join('\n'), /MICROSOFT_APP_ID.*local validation only/s);
    });

    it('a placeholder without a value is an error, not silently left in', () => {
      assert.equal(fillPlaceholders('id ${{BOT_ID}}', { BOT_ID }), `id ${BOT_ID}`);
      assert.throws(() => fillPlaceholders('${{BOT_ID}} ${{ OTHER }}', { BOT_ID }), /OTHER/);
    });

    it('the package is a flat zip of the filled manifest, French strings and icons', async () => {
      const outFile = path.join(dir, 'microacq.zip');
      const result = await buildAppPackage({ outFile, values: { BOT_ID } });
      assert.equal(result.outFile, outFile);
      const entries = readZip(outFile);
      assert.deepEqual([...entries.keys()].sort(), [
        'color.png',
        'fr-ca.json',
        'manifest.json',
        'outline.png',
      ]);
      const manifest = entries.get('manifest.json')?.toString('utf8') ?? '';
      assert.doesNotMatch(manifest, /\$\{\{/);
      assert.equal((JSON.parse(manifest) as { id: string }).id, BOT_ID);
      for (const file of ['color.png', 'outline.png', 'fr-ca.json']) {
        assert.ok(
          entries.get(file)?.equals(readFileSync(path.join(APP_PACKAGE_DIR, file))),
          `${file} unchanged`,
        );
      }
    });

    it('packaging refuses an invalid manifest and lists the schema errors', async () => {
      const outFile = path.join(dir, 'microacq.zip');
      await assert.rejects(
        buildAppPackage({ outFile, values: { BOT_ID: 'not-a-guid' } }),
        (error: unknown) => {
          assert.ok(error instanceof AppPackageError);
          assert.ok(error.problems.some((problem) => problem.includes('/id')));
          assert.ok(error.problems.some((problem) => problem.includes('/bots/0/botId')));
          return true;
        },
      );
      assert.equal(existsSync(outFile), false);
    });
  });
});
