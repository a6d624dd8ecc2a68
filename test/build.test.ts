import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../src/config';
import { openPgStore } from '../src/stores/pg-store';
import { newOpportunity, submittedAudit } from './contract/fixtures';
import { freshSchema } from './support/postgres';
import { readyUrl, type BotProcess } from './support/process';
import { probeArgs, type ProbeReading, readProbe } from './support/startup';
import { activity, CHECKED, cardAction, Connector, PEOPLE, ROLE_ENV, textOf } from './support/teams';

/**
 * The production build: `src/` compiled as `npm run build` compiles it, run as `npm start` runs it,
 * with nothing from devDependencies; and the Agents Toolkit files that deploy it to Azure.
 */

const ROOT = path.resolve(__dirname, '..');
const TSC = require.resolve('typescript/bin/tsc');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** Node's options in `npm start` (`node <options> dist/index.js`): the heap size, which every start keeps. */
const START_OPTIONS = pkg.scripts.start?.split(/\s+/).slice(1, -1) ?? [];

function filesUnder(dir: string, extension: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith(extension))
    .map((file) => path.join(dir, file));
}

/** The npm package a module specifier names ("@scope/name/sub" → "@scope/name"), or none. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || path.isAbsolute(specifier) || isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** Every package the compiled code loads with require() or require.resolve(), and the files that do. */
function requiredPackages(dir: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  for (const file of filesUnder(dir, '.js')) {
    const text = readFileSync(file, 'utf8');
    for (const [, , specifier = ''] of text.matchAll(/\brequire(?:\.resolve)?\(\s*(['"])([^'"]+)\1\s*\)/g)) {
      const name = packageOf(specifier);
      if (name) packages.set(name, [...(packages.get(name) ?? []), path.relative(dir, file)]);
    }
  }
  return packages;
}

interface Build {
  /** Laid out as a deployment is: dist/ and node_modules/ side by side. */
  readonly dir: string;
  readonly dist: string;
  readonly status: number | null;
  readonly output: string;
}

/** `npm run build`, into a directory of its own so the repository's dist/ is left alone. */
function build(): Promise<Build> {
  const dir = mkdtempSync(path.join(tmpdir(), 'microacq-build-'));
  const dist = path.join(dir, 'dist');
  // Packages resolve from the compiled files' own location, as they would in a deployment.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'junction');
  const tsc = spawn(process.execPath, [TSC, '-p', 'tsconfig.build.json', '--outDir', dist], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  tsc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  tsc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => tsc.on('exit', (status) => resolve({ dir, dist, status, output })));
}

/** `npm start` on the compiled build, from a directory with no `.env` to pick up. */
function startCompiled(built: Build, env: Record<string, string>, preload: string[] = []): BotProcess {
  const child = spawn(process.execPath, [...preload, ...START_OPTIONS, path.join(built.dist, 'index.js')], {
    cwd: built.dir,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function statusOf(url: string): Promise<number> {
  try {
    return (await fetch(url)).status;
  } catch {
    return 0;
  }
}

describe('the production build', function () {
  this.timeout(240_000);

  let built: Build;
  let run: BotProcess | undefined;

  before(async () => {
    built = await build();
  });

  afterEach(async () => {
    if (run && run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
    run = undefined;
  });

  after(() => {
    if (built) rmSync(built.dir, { recursive: true, force: true });
  });

  it('is what npm run build, npm start and main name', () => {
    assert.equal(pkg.scripts.build, 'tsc -p tsconfig.build.json');
    assert.match(pkg.scripts.start ?? '', /^node --max-old-space-size=\d+ dist\/index\.js$/);
    assert.equal(pkg.main, 'dist/index.js');
  });

  it('compiles src/ without a type error', () => {
    assert.equal(built.status, 0, built.output);
    assert.ok(existsSync(path.join(built.dist, 'index.js')), 'dist/index.js, not dist/src/index.js');
    assert.ok(!existsSync(path.join(built.dist, 'test')), 'tests stay out of the build');
  });

  it('carries every JSON file of src/ (card templates, translations) to the same place', () => {
    const src = path.join(ROOT, 'src');
    const json = filesUnder(src, '.json').map((file) => path.relative(src, file));
    assert.ok(json.length > 0);
    for (const file of json) assert.ok(existsSync(path.join(built.dist, file)), `${file} is not in dist/`);
  });

  it('needs only what a production install (npm ci --omit=dev) puts in node_modules', () => {
    const packages = requiredPackages(built.dist);
    assert.ok(packages.has('botbuilder'), 'the scan finds what the bot requires');
    assert.ok(!packages.has('tsx'), `tsx is required by ${packages.get('tsx')?.join(', ')}`);
    const notDependencies = [...packages]
      .filter(([name]) => pkg.dependencies[name] === undefined)
      .map(([name, files]) => `${name} (${files.join(', ')})`);
    assert.deepEqual(notDependencies, [], 'required at run time but not in "dependencies"');
    assert.equal(pkg.dependencies.tsx, undefined, 'tsx runs the scripts and tests only');
    assert.ok(pkg.devDependencies.tsx, 'tsx is a devDependency');
  });

  it('serves its health check, the public pages and their assets, then stops cleanly on SIGTERM', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'microacq-build-data-'));
    try {
      run = startCompiled(built, { PORT: '0', SQLITE_PATH: path.join(data, 'store.db') });
      const started = run;
      const ready = readyUrl(started);
      ready.catch(() => undefined); // a process that exits first is reported below, not as a timeout
      const url = await Promise.race([
        ready,
        started.exited.then((code) => {
          throw new Error(`exited (${code}) before serving:\n${started.output()}`);
        }),
      ]);
      const deadline = Date.now() + 30_000;
      while ((await statusOf(`${url}/healthz`)) !== 200) {
        assert.ok(Date.now() < deadline, `/healthz never answered 200:\n${run.output()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const page = await fetch(`${url}/en/opportunities`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await page.text(), /<html[\s>]/i);
      // The design system's files, read from their npm packages by the compiled code.
      const css = await fetch(`${url}/assets/gcds/gcds.css`);
      assert.equal(css.status, 200);
      assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0, run.output());
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
  it('runs as two replicas side by side on one PostgreSQL database, deciding a click once', async () => {
    const { url: databaseUrl, schema } = await freshSchema();
    const connector = await Connector.start();
    const env = {
      PORT: '0',
      STORE: 'postgres',
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      SITE_SECRET: 'a'.repeat(32),
      ...ROLE_ENV,
    };
    const replicas: BotProcess[] = [];
    const store = await openPgStore({ connectionString: databaseUrl, schema });
    try {
      const record = newOpportunity({ at: new Date().toISOString() });
      const { reference } = await store.create(record, submittedAudit(record), 'build-replicas');
      // Started together: each migrates at start, and one waits for the other.
      replicas.push(startCompiled(built, env), startCompiled(built, env));
      const urls = await Promise.all(replicas.map((r) => readyUrl(r)));
      const ready = await Promise.all(
        urls.map(
          async (u) => (await fetch(`${u}/readyz`)).json() as Promise<{ status: string; replica: string }>,
        ),
      );
      assert.deepEqual(
        ready.map((r) => r.status),
        ['ready', 'ready'],
      );
      assert.notEqual(ready[0]?.replica, ready[1]?.replica);
      // Teams delivers the same click twice, once to each replica, at once.
      const click = JSON.stringify(
        cardAction({ serviceUrl: connector.url, from: PEOPLE.procurement }, 'decide', {
          reference,
          version: 1,
          action: 'vet_go',
          ...CHECKED,
        }),
      );
      const answers = await Promise.all(
        urls.map(async (u) => {
          const res = await fetch(`${u}/api/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: click,
          });
          assert.equal(res.status, 200);
          return res.json();
        }),
      );
      assert.deepEqual(answers[0], answers[1], 'the same answer from both');
      assert.match(textOf((answers[0] as { value: unknown }).value), /Done: /);
      const applied = (await store.auditTrail(reference)).filter((e) => e.outcome === 'applied');
      assert.deepEqual(
        applied.map((e) => e.action),
        ['submit', 'vet_go'],
      );
      for (const r of replicas) r.child.kill('SIGTERM');
      assert.deepEqual(await Promise.all(replicas.map((r) => r.exited)), [0, 0]);
    } finally {
      for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
      await store.close();
      await connector.close();
    }
  });

  /**
   * Start-up loads what every request needs and no more: the chart's renderer, the export's writer and
   * the store back ends not configured load when first used. Read through a preloaded probe, so the bot
   * carries no code for it. (@azure/identity is not among them: botbuilder itself loads it.)
   */
  describe('started in local mode on SQLite', () => {
    let bot: BotProcess;
    let url: string;
    let data: string;
    let out: string;
    let connector: Connector;
    let atStart: ProbeReading;
    const distFile = (file: string) => path.join(built.dist, file);

    before(async () => {
      data = mkdtempSync(path.join(tmpdir(), 'microacq-build-lazy-'));
      out = path.join(data, 'probe.json');
      connector = await Connector.start();
      bot = startCompiled(
        built,
        { PORT: '0', SQLITE_PATH: path.join(data, 'store.db'), STARTUP_PROBE_OUT: out, ...ROLE_ENV },
        probeArgs(),
      );
      const started = bot;
      const ready = readyUrl(started);
      ready.catch(() => undefined);
      url = await Promise.race([
        ready,
        started.exited.then((code): never => {
          throw new Error(`exited (${code}) before serving:\n${started.output()}`);
        }),
      ]);
      atStart = await readProbe(bot.child, out);
    });

    after(async () => {
      if (bot && bot.child.exitCode === null && bot.child.signalCode === null) {
        bot.child.kill('SIGKILL');
        await bot.exited;
      }
      await connector?.close();
      if (data) rmSync(data, { recursive: true, force: true });
    });

    it("loads neither the chart's renderer (vega, vega-lite, resvg) nor the export's writer", () => {
      const loaded = ['vega', 'vega-lite', '@resvg/resvg-js'].filter((p) => atStart.packages.includes(p));
      assert.deepEqual(loaded, []);
      assert.ok(atStart.packages.includes('botbuilder'), 'the probe sees what the bot loads');
      assert.ok(!atStart.files.includes(distFile('services/export.js')), 'services/export.js is loaded');
    });

    it('loads no PostgreSQL driver and no SharePoint store', () => {
      assert.ok(!atStart.packages.includes('pg'), 'pg is loaded');
      for (const file of ['pg-store.js', 'pg-documents.js', 'sharepoint-store.js', 'sharepoint-documents.js'])
        assert.ok(!atStart.files.includes(distFile(`stores/${file}`)), `stores/${file} is loaded`);
    });

    it("loads neither GitHub's client nor GC Notify's where no publisher and no Notify key is set", () => {
      const loaded = ['@octokit/rest', '@octokit/auth-app', 'notifications-node-client'].filter((p) =>
        atStart.packages.includes(p),
      );
      assert.deepEqual(loaded, []);
      for (const file of ['publish/github.js', 'mail/notify.js'])
        assert.ok(!atStart.files.includes(distFile(file)), `${file} is loaded`);
    });

    it('loads no Graph client, which only the SharePoint store and its directory use', () => {
      assert.ok(
        !atStart.packages.includes('@microsoft/microsoft-graph-client'),
        'src/bot/server.ts loads src/stores/graph.ts at start',
      );
    });

    it("draws the summary's chart and offers an export, loading their code then", async () => {
      const say = async (from: (typeof PEOPLE)[keyof typeof PEOPLE], text: string) => {
        const before = connector.sent.length;
        const res = await fetch(`${url}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(activity('message', { serviceUrl: connector.url, from }, { text })),
        });
        assert.equal(res.status, 200);
        return JSON.stringify((await connector.waitFor(before + 1, 30_000))[before]?.body);
      };
      assert.match(await say(PEOPLE.manager, 'summary'), /data:image\/png;base64,/);
      assert.match(await say(PEOPLE.procurement, 'export'), /file\.consent/);
      const used = await readProbe(bot.child, out);
      for (const p of ['vega', 'vega-lite', '@resvg/resvg-js']) assert.ok(used.packages.includes(p), p);
      assert.ok(used.files.includes(distFile('services/export.js')));
      assert.ok(!used.packages.includes('pg'), 'pg is loaded');
      bot.child.kill('SIGTERM');
      assert.equal(await bot.exited, 0, bot.output());
    });
  });
});

interface Action {
  uses: string;
  name?: string;
  with?: Record<string, unknown>;
  writeToEnvironmentFile?: Record<string, string>;
}

interface Project {
  version: string;
  environmentFolderPath: string;
  provision: Action[];
  deploy: Action[];
  publish?: Action[];
}

const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const placeholders = (text: string) => [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ''))];
const readRoot = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** The variables an env file sets, and the ones it names in comments as to be set by hand (`# NAME=`). */
function envFile(file: string): { set: Set<string>; toSet: Set<string> } {
  const set = new Set<string>();
  const toSet = new Set<string>();
  for (const line of readRoot(file).split('\n')) {
    const assigned = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line);
    if (assigned?.[1]) set.add(assigned[1]);
    const documented = /^#\s*([A-Za-z_][A-Za-z0-9_]*)=\s*$/.exec(line);
    if (documented?.[1]) toSet.add(documented[1]);
  }
  return { set, toSet };
}

/** A Bicep file's parameters (with whether they have a default) and outputs. */
function bicep(file: string): { params: Map<string, boolean>; outputs: string[] } {
  const text = readRoot(file);
  const params = new Map<string, boolean>();
  for (const [, name = '', rest = ''] of text.matchAll(/^param (\w+) \w+(.*)$/gm)) {
    params.set(name, rest.includes('='));
  }
  return { params, outputs: [...text.matchAll(/^output (\w+) /gm)].map((m) => m[1] ?? '') };
}

describe('the Agents Toolkit project (m365agents.yml)', () => {
  const project = parse(readRoot('m365agents.yml')) as Project;
  const lifecycles = () =>
    (['provision', 'deploy', 'publish'] as const).flatMap((stage) =>
      (project[stage] ?? []).map((action) => ({ stage, action })),
    );

  it('is a v1 project that provisions, then deploys the built bot to App Service', () => {
    assert.match(project.version, /^v1\.\d+$/);
    const uses = (stage: 'provision' | 'deploy') => project[stage].map((action) => action.uses);
    for (const action of [
      'teamsApp/create',
      'botAadApp/create',
      'arm/deploy',
      'teamsApp/validateManifest',
      'teamsApp/zipAppPackage',
      'teamsApp/update',
    ]) {
      assert.ok(uses('provision').includes(action), `provision has ${action}`);
    }
    assert.deepEqual(uses('deploy'), ['cli/runNpmCommand', 'cli/runNpmCommand', 'azureAppService/zipDeploy']);
    assert.deepEqual(
      project.deploy.slice(0, 2).map((action) => action.with?.args),
      ['ci', 'run build'],
    );
  });

  it('names only files that exist', () => {
    assert.ok(existsSync(path.join(ROOT, project.environmentFolderPath, '.env.dev')));
    for (const { stage, action } of lifecycles()) {
      const given = action.with ?? {};
      const templates = (given.templates ?? []) as { path: string; parameters?: string }[];
      const inputs = [
        given.manifestPath,
        given.ignoreFile,
        given.artifactFolder,
        ...templates.flatMap((template) => [template.path, template.parameters]),
      ].filter((file): file is string => typeof file === 'string');
      for (const file of inputs) {
        assert.ok(existsSync(path.join(ROOT, file)), `${stage} ${action.uses}: ${file} does not exist`);
      }
      // What the toolkit builds goes where git ignores it.
      for (const output of [given.outputZipPath, given.outputFolder, given.appPackagePath]) {
        if (typeof output === 'string') assert.match(output, /^\.\/appPackage\/build(\/|$)/);
      }
    }
  });

  it('reads only variables env/.env.dev sets or an earlier action writes', () => {
    const dev = envFile('env/.env.dev');
    const known = new Set(dev.set);
    const missing: string[] = [];
    const check = (where: string, text: string, alsoKnown: ReadonlySet<string> = new Set()) => {
      for (const name of placeholders(text)) {
        if (!known.has(name) && !alsoKnown.has(name)) missing.push(`${where}: \${{${name}}}`);
      }
    };
    for (const { stage, action } of lifecycles()) {
      const where = `${stage} ${action.uses}`;
      check(where, JSON.stringify({ name: action.name, with: action.with }));
      if (action.uses === 'arm/deploy') {
        for (const template of (action.with?.templates ?? []) as { path: string; parameters: string }[]) {
          // Secrets come from env/.env.dev.user, which .env.dev names for the person provisioning.
          check(template.parameters, readRoot(template.parameters), dev.toSet);
          for (const output of bicep(template.path).outputs) known.add(output);
        }
      }
      if (action.uses === 'teamsApp/zipAppPackage') {
        const manifestPath = String(action.with?.manifestPath);
        check(manifestPath, readRoot(manifestPath));
      }
      for (const name of Object.values(action.writeToEnvironmentFile ?? {})) known.add(name);
    }
    assert.deepEqual(missing, []);
  });

  it('lists in env/.env.dev every variable provisioning writes, and keeps secrets out of it', () => {
    const dev = envFile('env/.env.dev');
    const written = lifecycles().flatMap(({ action }) => [
      ...Object.values(action.writeToEnvironmentFile ?? {}),
      ...(action.uses === 'arm/deploy'
        ? ((action.with?.templates ?? []) as { path: string }[]).flatMap((t) => bicep(t.path).outputs)
        : []),
    ]);
    for (const name of written) {
      if (name.startsWith('SECRET_')) assert.ok(!dev.set.has(name), `${name} belongs in .env.dev.user`);
      else assert.ok(dev.set.has(name), `${name} is not listed in env/.env.dev`);
    }
    for (const name of dev.set) assert.ok(!name.startsWith('SECRET_'), `${name} set in env/.env.dev`);
    for (const line of readRoot('env/.env.dev').split('\n')) {
      assert.match(line, /^(#.*|[A-Z0-9_]+=[A-Za-z0-9_-]*|)$/, `not a plain setting: ${line}`);
    }
  });

  it('gives the Bicep template exactly the parameters it declares, every required one included', () => {
    for (const { action } of lifecycles().filter(({ action }) => action.uses === 'arm/deploy')) {
      for (const template of (action.with?.templates ?? []) as { path: string; parameters: string }[]) {
        const { params } = bicep(template.path);
        const given = Object.keys(
          (JSON.parse(readRoot(template.parameters)) as { parameters: Record<string, unknown> }).parameters,
        );
        for (const name of given)
          assert.ok(params.has(name), `${name} is not a parameter of ${template.path}`);
        for (const [name, hasDefault] of params) {
          if (!hasDefault) assert.ok(given.includes(name), `${template.parameters} does not give ${name}`);
        }
      }
    }
  });
});

/** The web app's settings in infra/azure.bicep: each name, and its value when it is a plain literal. */
function appSettings(): Map<string, string | undefined> {
  const text = readRoot('infra/azure.bicep');
  const block = /resource appSettings [^\n]*\n([\s\S]*?)\n}\n/.exec(text)?.[1] ?? '';
  const settings = new Map<string, string | undefined>();
  for (const [, name = '', value = ''] of block.matchAll(/^ {4}([A-Z][A-Z0-9_]*): (.*)$/gm)) {
    const literal = /^'([^'$]*)'$/.exec(value.trim());
    settings.set(name, literal ? literal[1] : undefined);
  }
  return settings;
}

describe('the Azure template (infra/azure.bicep)', () => {
  /** What App Service and its build read, not the bot. */
  const PLATFORM = new Set(['NODE_ENV', 'SCM_DO_BUILD_DURING_DEPLOYMENT', 'CUSTOM_BUILD_COMMAND']);
  /** Stand-ins for the settings computed at deployment (parameters, the servers' host names). */
  const SAMPLES: Record<string, string> = {
    MICROSOFT_APP_ID: '3f2a9c4e-7b1d-4e8a-9c6f-0d5b2e7a1c93',
    MICROSOFT_APP_PASSWORD: 'client-secret',
    MICROSOFT_APP_TENANT_ID: '7d1f3c52-0a4e-4b8e-9f61-2c5a8e0b4d17',
    DATABASE_URL:
      'postgres://microacq:p%40ss@microacq-dev-abc123-pg.postgres.database.azure.com:5432/microacq',
    PUBLIC_URL: 'https://microacq-dev-abc123.azurewebsites.net',
    SITE_SECRET: 'a'.repeat(48),
    ROLE_PROCUREMENT: '',
    ROLE_FINANCE: '',
    ROLE_UNION: '',
    ROLE_MANAGER: '',
  };

  it("sets only variables src/config.ts reads, besides App Service's own", () => {
    const config = readRoot('src/config.ts');
    const settings = [...appSettings().keys()];
    assert.ok(settings.includes('DATABASE_URL'));
    for (const name of settings.filter((n) => !PLATFORM.has(n))) {
      assert.match(config, new RegExp(`^\\s+${name}: `, 'm'), `${name} is not read by src/config.ts`);
    }
  });

  it('configures a bot that starts: authenticated, beyond loopback, everything in PostgreSQL', () => {
    const env: Record<string, string> = { PORT: '8080' }; // App Service gives the port
    for (const [name, literal] of appSettings()) {
      if (PLATFORM.has(name)) continue;
      const value = literal ?? SAMPLES[name];
      assert.ok(value !== undefined, `no stand-in for ${name}, which the template computes`);
      env[name] = value;
    }
    const config = parseConfig(env);
    assert.equal(config.localMode, false);
    assert.equal(config.bot.appType, 'SingleTenant');
    assert.equal(config.http.host, '0.0.0.0');
    assert.equal(config.store.kind, 'postgres');
    assert.equal(config.store.working, 'postgres');
  });
});

/** Every heap size (`--max-old-space-size=N`, in MB) a text gives. */
const heapSizesIn = (text: string) =>
  [...text.matchAll(/--max-old-space-size=(\d+)/g)].map((m) => Number(m[1]));

/** The README section that says how the bot is built, started and deployed. */
function buildingSection(): string {
  const readme = readRoot('README.md');
  const from = readme.indexOf('\n## Building and deploying');
  assert.ok(from >= 0, 'README.md has a "Building and deploying" section');
  const to = readme.indexOf('\n## ', from + 1);
  return readme.slice(from, to < 0 ? undefined : to);
}

/**
 * The V8 heap cap the bot runs with, chosen with `npm run bench -- memory`: the same wherever the bot is
 * started, and never lost from a start command.
 */
describe('the heap size (--max-old-space-size)', () => {
  const start = pkg.scripts.start ?? '';
  const [cap] = heapSizesIn(start);

  it('is set by npm start', () => {
    assert.ok(cap !== undefined && cap > 0, `npm start sets no heap size: ${start}`);
    assert.deepEqual(heapSizesIn(start), [cap]);
  });

  it('is the same in the Docker image, which starts the bot as npm start does', () => {
    const dockerfile = readRoot('Dockerfile');
    const cmd = /^CMD (\[.*\])\s*$/m.exec(dockerfile)?.[1];
    assert.ok(cmd, 'the Dockerfile has a CMD in exec form');
    assert.deepEqual(JSON.parse(cmd) as string[], start.split(/\s+/));
    for (const size of heapSizesIn(dockerfile))
      assert.equal(size, cap, 'another heap size in the Dockerfile');
  });

  it("is the same on App Service, whose startup command is npm start's", () => {
    const bicep = readRoot('infra/azure.bicep');
    assert.equal(/^\s*appCommandLine: '([^']*)'$/m.exec(bicep)?.[1], start);
    for (const size of heapSizesIn(bicep)) assert.equal(size, cap, 'another heap size in infra/azure.bicep');
    for (const file of ['m365agents.yml', 'env/.env.dev', 'infra/azure.parameters.json']) {
      for (const size of heapSizesIn(readRoot(file))) assert.equal(size, cap, `another heap size in ${file}`);
    }
  });

  it('is the one README.md gives, with how to change it', () => {
    const section = buildingSection();
    assert.ok(heapSizesIn(section).includes(cap ?? NaN), `README does not give --max-old-space-size=${cap}`);
    for (const size of heapSizesIn(readRoot('README.md')))
      assert.equal(size, cap, 'another heap size in README');
    assert.match(section, /npm run bench -- memory/);
  });
});
