import { strict as assert } from 'node:assert';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@microsoft/microsoft-graph-client';
import { type RoleDirectoryOptions, RoleDirectory, RolesFileError } from '../src/bot/directory';
import { createLogger } from '../src/log';
import type { RoleMapping } from '../src/services/roles';
import { createGraphClient } from '../src/stores/graph';
import { createGraphEmulation, emulatorConfig, type GraphEmulation } from './support/graph-emulation';

const ALICE = '6e7b768e-07e2-4810-8459-485f84f8f204';
const BOB = '0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f';
const STRANGER = 'dddddddd-0000-4000-8000-000000000000';
const TEAM = 'aaaaaaaa-0000-4000-8000-000000000001';
const BRANCH = 'aaaaaaaa-0000-4000-8000-000000000002';
const FINANCE_GROUP = 'aaaaaaaa-0000-4000-8000-000000000003';
const UNION_GROUP = 'aaaaaaaa-0000-4000-8000-000000000004';

const NO_ENV: RoleMapping = { procurement: [], finance: [], union: [], manager: [] };

/** Alice is in her team, her team in the branch, the branch in the finance group; Bob in the union group. */
function directory(): GraphEmulation {
  const emulation = createGraphEmulation();
  emulation.seedDirectory({
    users: [ALICE, BOB],
    groups: [
      { id: TEAM, members: [ALICE] },
      { id: BRANCH, members: [TEAM] },
      { id: FINANCE_GROUP, displayName: 'FPS approvers', members: [BRANCH] },
      { id: UNION_GROUP, members: [BOB] },
    ],
  });
  return emulation;
}

/** The Graph client as production builds it (retries within a turn, a timeout), sending to the emulation. */
function clientFor(emulation: GraphEmulation): Client {
  return createGraphClient(emulatorConfig(emulation.siteId), emulation.fetch);
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

interface Setup {
  dir: RoleDirectory;
  lines: LogLine[];
  clock: { now: number };
  file: string;
}

const folders: string[] = [];
const started: RoleDirectory[] = [];

function tempFile(name = 'roles.yaml'): string {
  const folder = mkdtempSync(join(tmpdir(), 'microacq-roles-'));
  folders.push(folder);
  return join(folder, name);
}

const FILE = `
# finance through a group, named people for the union, a manager who leads
finance:
  - label: FPS approvers
    branches: [Innovation, "Service Canada"]
    groups: [${FINANCE_GROUP}]
union:
  - groups: [${UNION_GROUP}]
manager:
  - people: [${ALICE}]
    leads: [${BOB}]
`;

function setup(options: Partial<RoleDirectoryOptions> & { yaml?: string | null } = {}): Setup {
  const lines: LogLine[] = [];
  const clock = { now: Date.parse('2026-03-02T14:00:00Z') };
  const file = tempFile();
  const { yaml = FILE, ...rest } = options;
  if (yaml !== null) writeFileSync(file, yaml);
  const dir = new RoleDirectory({
    ...(yaml !== null ? { rolesFile: file } : {}),
    envMapping: NO_ENV,
    now: () => clock.now,
    log: createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) }),
    pollMs: 20,
    ...rest,
  });
  started.push(dir);
  return { dir, lines, clock, file };
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const rolesOf = (lookup: { roles: { role: string }[] }) => lookup.roles.map((r) => r.role);
const requests = (emulation: GraphEmulation) =>
  emulation.requests.filter((r) => r.path.includes('/transitiveMemberOf')).length;

afterEach(() => {
  for (const dir of started.splice(0)) dir.stop();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('role directory: roles from Entra ID groups', () => {
  it('gives a role through a group the person is in through other groups', async () => {
    const emulation = directory();
    const { dir } = setup({ graph: clientFor(emulation) });
    await dir.start();
    const alice = await dir.lookup(ALICE);
    assert.equal(alice.directory, 'ok');
    assert.deepEqual(rolesOf(alice), ['finance', 'manager']);
    assert.deepEqual(alice.roles[0], {
      role: 'finance',
      branches: ['Innovation', 'Service Canada'],
      lead: false,
      via: [{ kind: 'group', id: FINANCE_GROUP, source: 'roles.yaml', label: 'FPS approvers' }],
    });
    const bob = await dir.lookup(BOB.toUpperCase());
    assert.deepEqual(
      bob.roles.map((r) => [r.role, r.lead]),
      [
        ['union', false],
        ['manager', true],
      ],
    );
    const [call] = emulation.requests;
    assert.equal(call?.path, `/users/${ALICE}/transitiveMemberOf/microsoft.graph.group`);
    assert.equal(call?.query.$select, 'id');
  });

  it('follows the pages of a person in many groups', async () => {
    const emulation = createGraphEmulation();
    const groups = Array.from(
      { length: 250 },
      (_, i) => `bbbbbbbb-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    emulation.seedDirectory({ users: [ALICE], groups: groups.map((id) => ({ id, members: [ALICE] })) });
    const last = groups[249] as string;
    const { dir } = setup({
      graph: clientFor(emulation),
      pageSize: 100,
      yaml: `finance:\n  - groups: [${last}]\n`,
    });
    await dir.start();
    const alice = await dir.lookup(ALICE);
    assert.deepEqual(rolesOf(alice), ['finance']);
    assert.equal(requests(emulation), 3);
    assert.ok(emulation.requests.slice(1).every((r) => r.query.$skiptoken !== undefined));
  });

  it('asks for 999 groups a page unless told otherwise', async () => {
    const emulation = directory();
    const { dir } = setup({ graph: clientFor(emulation) });
    await dir.start();
    await dir.lookup(ALICE);
    assert.equal(emulation.requests[0]?.query.$top, '999');
  });

  it('keeps a person’s groups for cacheMs, then asks Graph again', async () => {
    const emulation = directory();
    const { dir, clock } = setup({ graph: clientFor(emulation), cacheMs: 60_000 });
    await dir.start();
    await dir.lookup(ALICE);
    assert.equal(requests(emulation), 1);
    clock.now += 59_000;
    assert.deepEqual(rolesOf(await dir.lookup(ALICE.toUpperCase())), ['finance', 'manager']);
    assert.equal(requests(emulation), 1);
    // A membership added meanwhile shows once the cache has expired.
    emulation.seedDirectory({ memberships: [{ group: UNION_GROUP, member: TEAM }] });
    clock.now += 2_000;
    assert.deepEqual(rolesOf(await dir.lookup(ALICE)), ['finance', 'union', 'manager']);
    assert.equal(requests(emulation), 2);
  });

  it('reads a person’s groups once for lookups made together', async () => {
    const emulation = directory();
    const { dir } = setup({ graph: clientFor(emulation) });
    await dir.start();
    const answers = await Promise.all([
      dir.lookup(ALICE),
      dir.lookup(ALICE),
      dir.lookup(ALICE.toUpperCase()),
    ]);
    assert.ok(answers.every((a) => a.directory === 'ok' && a.roles.length === 2));
    assert.equal(requests(emulation), 1);
  });

  it('uses earlier groups while Graph is down, then only people and leads once they are too old', async () => {
    const emulation = directory();
    const { dir, clock, lines } = setup({ graph: clientFor(emulation), cacheMs: 60_000, staleMs: 3_600_000 });
    await dir.start();
    assert.deepEqual(rolesOf(await dir.lookup(ALICE)), ['finance', 'manager']);

    emulation.inject({ status: 503, retryAfterSeconds: 0, chance: 1 });
    clock.now += 30 * 60_000;
    const stale = await dir.lookup(ALICE);
    assert.equal(stale.directory, 'ok');
    assert.deepEqual(rolesOf(stale), ['finance', 'manager']);
    const warning = lines.find((l) => l.msg === 'directory failed: using earlier groups');
    assert.equal(warning?.status, 503);
    assert.equal(warning?.ageMs, 30 * 60_000);

    clock.now += 31 * 60_000;
    const unavailable = await dir.lookup(ALICE);
    assert.equal(unavailable.directory, 'unavailable');
    assert.deepEqual(rolesOf(unavailable), ['manager']);
    assert.ok(lines.some((l) => l.msg === 'directory failed: roles from groups unknown' && l.level === 40));

    // Someone never read before gets people and leads at once.
    const bob = await dir.lookup(BOB);
    assert.equal(bob.directory, 'unavailable');
    assert.deepEqual(
      bob.roles.map((r) => [r.role, r.lead]),
      [['manager', true]],
    );

    emulation.clearFaults();
    assert.equal((await dir.lookup(ALICE)).directory, 'ok');
  });

  it('rides out brief throttling through the client’s retries, and gives up on a long one at once', async () => {
    const emulation = directory();
    const { dir } = setup({ graph: clientFor(emulation) });
    await dir.start();
    emulation.inject({ status: 429, retryAfterSeconds: 0, times: 2 });
    const retried = await dir.lookup(ALICE);
    assert.equal(retried.directory, 'ok');
    assert.deepEqual(rolesOf(retried), ['finance', 'manager']);
    assert.equal(requests(emulation), 3);

    // Throttled past the client's retries, with no earlier reading of Bob.
    emulation.inject({ status: 429, retryAfterSeconds: 0, times: 10 });
    const throttled = await dir.lookup(BOB);
    assert.equal(throttled.directory, 'unavailable');
    assert.equal(requests(emulation), 6);
    emulation.clearFaults();

    // A wait longer than a turn is not waited for.
    emulation.inject({ status: 429, retryAfterSeconds: 120, times: 10 });
    const began = Date.now();
    const other = await dir.lookup(STRANGER);
    assert.equal(other.directory, 'unavailable');
    assert.ok(Date.now() - began < 2_000);
  });

  it('stops waiting after timeoutMs, and keeps the late answer for the next lookup', async () => {
    const emulation = directory();
    const { dir } = setup({ graph: clientFor(emulation), timeoutMs: 50 });
    await dir.start();
    emulation.inject({ latencyMs: 1_000 });
    const began = Date.now();
    const slow = await dir.lookup(ALICE);
    assert.ok(Date.now() - began < 800);
    assert.equal(slow.directory, 'unavailable');
    assert.deepEqual(rolesOf(slow), ['manager']);
    emulation.clearFaults();
    await waitFor('the late answer', async () => (await dir.lookup(ALICE)).directory === 'ok');
    assert.equal(requests(emulation), 1);
  });

  it('finds no groups for someone Entra ID does not know, and says the directory answered', async () => {
    const emulation = directory();
    const { dir } = setup({ graph: clientFor(emulation) });
    await dir.start();
    assert.deepEqual(await dir.lookup(STRANGER), { roles: [], directory: 'ok' });
  });

  it('asks nothing of Graph when no grant names a group, or when there is no Graph', async () => {
    const emulation = directory();
    const named = setup({ graph: clientFor(emulation), yaml: `finance:\n  - people: [${ALICE}]\n` });
    await named.dir.start();
    assert.deepEqual(rolesOf(await named.dir.lookup(ALICE)), ['finance']);
    assert.equal((await named.dir.lookup(ALICE)).directory, 'not_needed');
    assert.equal(emulation.requests.length, 0);

    const local = setup({});
    await local.dir.start();
    const alice = await local.dir.lookup(ALICE);
    assert.equal(alice.directory, 'not_needed');
    assert.deepEqual(rolesOf(alice), ['manager']);
  });

  it('keeps ROLE_* working with no roles file, for people and for groups', async () => {
    const emulation = directory();
    const { dir } = setup({
      graph: clientFor(emulation),
      yaml: null,
      envMapping: { ...NO_ENV, finance: [BOB], union: [UNION_GROUP] },
    });
    await dir.start();
    const bob = await dir.lookup(BOB);
    assert.deepEqual(bob.roles, [
      { role: 'finance', lead: false, via: [{ kind: 'person', source: 'ROLE_FINANCE' }] },
      { role: 'union', lead: false, via: [{ kind: 'group', id: UNION_GROUP, source: 'ROLE_UNION' }] },
    ]);
    assert.deepEqual(
      dir.grants().map((g) => g.source),
      ['ROLE_FINANCE', 'ROLE_UNION'],
    );
  });
});

describe('role directory: the roles file', () => {
  it('gives the variables’ grants, then the file’s', async () => {
    const { dir, lines, file } = setup({ envMapping: { ...NO_ENV, procurement: [BOB] } });
    await dir.start();
    assert.deepEqual(
      dir.grants().map((g) => [g.role, g.source]),
      [
        ['procurement', 'ROLE_PROCUREMENT'],
        ['finance', 'roles.yaml'],
        ['union', 'roles.yaml'],
        ['manager', 'roles.yaml'],
      ],
    );
    const loaded = lines.find((l) => l.msg === 'roles file loaded');
    assert.equal(loaded?.file, file);
    assert.equal(loaded?.grants, 4);
    assert.deepEqual(loaded?.byRole, { procurement: 1, finance: 1, union: 1, manager: 1 });
  });

  it('applies a changed file without a restart, written in place or renamed over', async () => {
    const { dir, file, lines } = setup({});
    await dir.start();
    assert.deepEqual(rolesOf(await dir.lookup(ALICE)), ['manager']);

    writeFileSync(file, `procurement:\n  - people: [${ALICE}]\n`);
    await waitFor('the first reload', async () => rolesOf(await dir.lookup(ALICE)).includes('procurement'));
    assert.deepEqual(rolesOf(await dir.lookup(ALICE)), ['procurement']);
    const reloaded = lines.find((l) => l.msg === 'roles file reloaded');
    assert.equal(reloaded?.grants, 1);

    // Editors save by writing a new file and renaming it over the old one.
    const next = `${file}.tmp`;
    writeFileSync(next, `union:\n  - leads: [${ALICE}]\n`);
    renameSync(next, file);
    await waitFor('the reload after a rename', async () =>
      rolesOf(await dir.lookup(ALICE)).includes('union'),
    );
    assert.deepEqual(
      (await dir.lookup(ALICE)).roles.map((r) => [r.role, r.lead]),
      [['union', true]],
    );
  });

  it('keeps the grants in force when an edit breaks the file, and logs what is wrong', async () => {
    const { dir, file, lines } = setup({});
    await dir.start();
    const before = dir.grants();

    writeFileSync(file, `finance:\n  - people: [not-an-id]\n`);
    await waitFor('the refusal', () => lines.some((l) => l.msg.startsWith('roles file refused')));
    const refusal = lines.find((l) => l.msg.startsWith('roles file refused'));
    assert.equal(refusal?.level, 50);
    assert.equal(refusal?.file, file);
    assert.match(
      String((refusal?.problems as string[])[0]),
      /^finance\[0\]\.people\[0\]: must be an Entra object id/,
    );
    assert.deepEqual(dir.grants(), before);
    assert.deepEqual(rolesOf(await dir.lookup(ALICE)), ['manager']);

    // Broken YAML, an empty file and a missing one are refused the same way.
    for (const broken of ['finance: [\n', '']) {
      const count = lines.length;
      writeFileSync(file, broken);
      await waitFor('another refusal', () =>
        lines.slice(count).some((l) => l.msg.startsWith('roles file refused')),
      );
    }
    const count = lines.length;
    rmSync(file);
    await waitFor('the refusal of a missing file', () =>
      lines.slice(count).some((l) => l.msg.startsWith('roles file refused')),
    );
    assert.deepEqual(dir.grants(), before);

    // A good file afterwards applies.
    writeFileSync(file, `finance:\n  - people: [${ALICE}]\n`);
    await waitFor('the repaired file', async () => rolesOf(await dir.lookup(ALICE)).includes('finance'));
  });

  it('reloads on demand, saying whether anything changed', async () => {
    const { dir, file } = setup({ pollMs: 60_000 });
    await dir.start();
    assert.equal(await dir.reload(), 'unchanged');
    writeFileSync(file, `finance:\n  - people: [${BOB}]\n`);
    assert.equal(await dir.reload(), 'loaded');
    writeFileSync(file, 'finance: 3\n');
    assert.equal(await dir.reload(), 'refused');
    assert.deepEqual(
      dir.grants().map((g) => g.people),
      [[BOB]],
    );
  });

  it('stops watching on stop()', async () => {
    const { dir, file } = setup({});
    await dir.start();
    dir.stop();
    writeFileSync(file, `finance:\n  - people: [${ALICE}]\n`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(rolesOf(await dir.lookup(ALICE)), ['manager']);
  });

  it('refuses to start on a file it cannot use, naming the file and each problem', async () => {
    const invalid = setup({ yaml: `finance:\n  - label: nobody\nunion: []\nfinanse: []\n` });
    await assert.rejects(invalid.dir.start(), (err: unknown) => {
      assert.ok(err instanceof RolesFileError);
      assert.equal(err.file, invalid.file);
      assert.match(
        err.message,
        new RegExp(`^Roles file ${invalid.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `),
      );
      assert.deepEqual(err.problems, [
        'finance[0]: must name at least one group, person or lead',
        'union: must list at least one grant; leave the role out instead',
        'the file: unknown key "finanse" (expected procurement, finance, union, manager)',
      ]);
      return true;
    });

    const yaml = setup({ yaml: 'finance:\n  - people: [a\n    b' });
    await assert.rejects(yaml.dir.start(), /Roles file .*roles\.yaml cannot be used:\n- not valid YAML/);
    const duplicate = setup({ yaml: `finance:\n  - people: [${ALICE}]\nfinance:\n  - people: [${BOB}]\n` });
    await assert.rejects(duplicate.dir.start(), /not valid YAML: .*unique/i);
    const empty = setup({ yaml: '  \n' });
    await assert.rejects(empty.dir.start(), /the file is empty/);

    const missing = tempFile('absent.yaml');
    const absent = new RoleDirectory({ rolesFile: missing, envMapping: NO_ENV, log: createLogger('silent') });
    await assert.rejects(absent.start(), (err: unknown) => {
      assert.ok(err instanceof RolesFileError);
      assert.ok(err.message.includes(missing));
      assert.match(err.problems[0] ?? '', /^cannot be read: ENOENT/);
      return true;
    });
  });
});
