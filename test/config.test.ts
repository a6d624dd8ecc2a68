import { strict as assert } from 'node:assert';
import { ConfigError, parseConfig } from '../src/config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return [...err.problems];
  }
  return [];
}

describe('configuration', () => {
  it('runs in local mode on loopback with the embedded store when nothing is set', () => {
    const c = parseConfig({});
    assert.equal(c.localMode, true);
    assert.deepEqual(c.http, { host: '127.0.0.1', port: 3978, maxBodyBytes: 256 * 1024 });
    assert.deepEqual(c.store, { kind: 'sqlite', working: 'sqlite', sqlitePath: './data/microacq.db' });
    assert.equal(c.consultationBusinessDays, 5);
    assert.equal(c.defaultLocale, 'en');
  });

  it('reads the role mapping as comma-separated ids', () => {
    const c = parseConfig({ ROLE_FINANCE: ' a-1, b-2 ,', ROLE_UNION: 'c-3' });
    assert.deepEqual(c.roles, { procurement: [], finance: ['a-1', 'b-2'], union: ['c-3'], manager: [] });
  });

  it('takes ROLES_FILE alongside ROLE_*, and refuses a path with no file', () => {
    assert.equal(parseConfig({}).rolesFile, undefined);
    const c = parseConfig({ ROLES_FILE: 'package.json', ROLE_FINANCE: 'a-1' });
    assert.equal(c.rolesFile, 'package.json');
    assert.deepEqual(c.roles.finance, ['a-1']);
    assert.deepEqual(problemsOf({ ROLES_FILE: './no/such/roles.yaml' }), [
      'ROLES_FILE: no file at "./no/such/roles.yaml"',
    ]);
  });

  it('reads the branch list: branches by ";", each branch’s names by "|", blanks ignored', () => {
    assert.deepEqual(parseConfig({}).branches, []);
    const c = parseConfig({
      BRANCHES: ' IITB | DGIIT | Innovation, Information and Technology Branch ;; CFOB|DGDPF ; ',
    });
    assert.deepEqual(c.branches, [
      ['IITB', 'DGIIT', 'Innovation, Information and Technology Branch'],
      ['CFOB', 'DGDPF'],
    ]);
    assert.match(problemsOf({ BRANCHES: `IITB|${'x'.repeat(300)}` })[0] ?? '', /^BRANCHES/);
  });

  it('names the variable and the value when one is invalid', () => {
    assert.deepEqual(
      problemsOf({ PORT: 'eighty' }).map((p) => p.startsWith('PORT:') && p.includes('"eighty"')),
      [true],
    );
    assert.match(problemsOf({ STORE: 'oracle' })[0] ?? '', /^STORE: .*"oracle"/);
    assert.match(problemsOf({ CONSULTATION_BUSINESS_DAYS: '0' })[0] ?? '', /^CONSULTATION_BUSINESS_DAYS:/);
    assert.match(problemsOf({ ROLE_FINANCE: 'ok-1,bad id' })[0] ?? '', /^ROLE_FINANCE: /);
    assert.match(problemsOf({ DEFAULT_LOCALE: 'de' })[0] ?? '', /^DEFAULT_LOCALE: /);
  });

  it('asks, for SharePoint, for the site and the sign-in of the chosen kind', () => {
    assert.deepEqual(problemsOf({ STORE: 'sharepoint' }), [
      'SHAREPOINT_SITE_ID: required with STORE=sharepoint',
      'GRAPH_TENANT_ID: required with GRAPH_AUTH=secret',
      'GRAPH_CLIENT_ID: required with GRAPH_AUTH=secret',
      'GRAPH_CLIENT_SECRET: required with GRAPH_AUTH=secret',
    ]);
    assert.deepEqual(
      problemsOf({
        STORE: 'sharepoint',
        SHAREPOINT_SITE_ID: 's',
        GRAPH_AUTH: 'certificate',
        GRAPH_TENANT_ID: 't',
        GRAPH_CLIENT_ID: 'c',
      }),
      ['GRAPH_CERTIFICATE_PATH: required with GRAPH_AUTH=certificate'],
    );
    const mi = parseConfig({ STORE: 'sharepoint', SHAREPOINT_SITE_ID: 's', GRAPH_AUTH: 'managed-identity' });
    assert.equal(mi.store.sharepoint?.auth, 'managed-identity');
    assert.equal(mi.store.sharepoint?.endpoint, 'https://graph.microsoft.com');
  });

  it('asks, for PostgreSQL, for the database and the form secret every replica shares', () => {
    assert.deepEqual(problemsOf({ STORE: 'postgres' }), [
      'DATABASE_URL: required when the store is PostgreSQL',
      'SITE_SECRET: required when replicas share PostgreSQL (every replica signs forms alike)',
    ]);
    const secret = 'x'.repeat(32);
    const c = parseConfig({
      STORE: 'postgres',
      DATABASE_URL: 'postgres://bot@db.example:5432/microacq',
      DATABASE_SCHEMA: 'microacq',
      SITE_SECRET: secret,
    });
    assert.equal(c.store.kind, 'postgres');
    assert.equal(c.store.working, 'postgres');
    assert.deepEqual(c.store.postgres, {
      url: 'postgres://bot@db.example:5432/microacq',
      schema: 'microacq',
      poolSize: 10,
    });
    assert.deepEqual(
      problemsOf({ STORE: 'postgres', DATABASE_URL: 'mysql://db/x', SITE_SECRET: secret }).map(
        (p) => p.split(':')[0],
      ),
      ['DATABASE_URL'],
    );
    assert.deepEqual(
      problemsOf({
        STORE: 'postgres',
        DATABASE_URL: 'postgres://db/x',
        DATABASE_SCHEMA: 'Robert"; DROP',
        SITE_SECRET: secret,
      }).map((p) => p.split(':')[0]),
      ['DATABASE_SCHEMA'],
    );
  });

  it('keeps SharePoint records with the working state in SQLite, or in PostgreSQL for replicas', () => {
    const sp = { STORE: 'sharepoint', SHAREPOINT_SITE_ID: 's', GRAPH_AUTH: 'managed-identity' };
    assert.equal(parseConfig(sp).store.working, 'sqlite');
    const replicas = parseConfig({
      ...sp,
      WORKING_STORE: 'postgres',
      DATABASE_URL: 'postgres://db/x',
      SITE_SECRET: 'y'.repeat(32),
    });
    assert.deepEqual([replicas.store.kind, replicas.store.working], ['sharepoint', 'postgres']);
    assert.deepEqual(
      problemsOf({ WORKING_STORE: 'postgres', DATABASE_URL: 'postgres://db/x', SITE_SECRET: 'y'.repeat(32) }),
      [
        'WORKING_STORE: postgres goes with STORE=sharepoint; for everything in PostgreSQL, set STORE=postgres',
      ],
    );
  });

  it('lets the sign-in-free emulator be used only for a Graph on this machine', () => {
    assert.match(
      problemsOf({ STORE: 'sharepoint', SHAREPOINT_SITE_ID: 's', GRAPH_AUTH: 'emulator' })[0] ?? '',
      /GRAPH_ENDPOINT must be on this machine/,
    );
    const c = parseConfig({
      STORE: 'sharepoint',
      SHAREPOINT_SITE_ID: 's',
      GRAPH_AUTH: 'emulator',
      GRAPH_ENDPOINT: 'http://127.0.0.1:4000/',
    });
    assert.equal(c.store.sharepoint?.endpoint, 'http://127.0.0.1:4000');
    const v6 = { STORE: 'sharepoint', SHAREPOINT_SITE_ID: 's', GRAPH_AUTH: 'emulator' };
    assert.deepEqual(problemsOf({ ...v6, GRAPH_ENDPOINT: 'http://[::1]:4000' }), []);
  });

  it('checks inbound tokens against the Microsoft public cloud unless told otherwise', () => {
    const c = parseConfig({});
    assert.equal(c.bot.openIdMetadataUrl, '');
    assert.equal(c.bot.tokenIssuer, '');
    const gov = parseConfig({
      BOT_OPENID_METADATA_URL: 'https://login.botframework.azure.us/v1/.well-known/openidconfiguration',
      BOT_TOKEN_ISSUER: 'https://api.botframework.us',
    });
    assert.equal(
      gov.bot.openIdMetadataUrl,
      'https://login.botframework.azure.us/v1/.well-known/openidconfiguration',
    );
    assert.equal(gov.bot.tokenIssuer, 'https://api.botframework.us');
  });

  it('takes the signing keys over plain HTTP only from this machine', () => {
    assert.deepEqual(problemsOf({ BOT_OPENID_METADATA_URL: 'http://keys.example/openid' }), [
      'BOT_OPENID_METADATA_URL: must be https unless it is on this machine (got "http://keys.example/openid")',
    ]);
    for (const local of [
      'http://127.0.0.1:9000/openid',
      'http://localhost:9000/openid',
      'http://[::1]:9000/openid',
    ]) {
      assert.equal(parseConfig({ BOT_OPENID_METADATA_URL: local }).bot.openIdMetadataUrl, local);
    }
    assert.match(
      problemsOf({ BOT_OPENID_METADATA_URL: 'ftp://keys.example/' })[0] ?? '',
      /^BOT_OPENID_METADATA_URL: /,
    );
    assert.match(
      problemsOf({ BOT_OPENID_METADATA_URL: 'keys' })[0] ?? '',
      /^BOT_OPENID_METADATA_URL: .*"keys"/,
    );
    assert.match(
      problemsOf({ BOT_TOKEN_ISSUER: 'http://api.botframework.com' })[0] ?? '',
      /^BOT_TOKEN_ISSUER: .*"http:\/\/api.botframework.com"/,
    );
  });

  it('lists every invalid variable at once', () => {
    assert.equal(problemsOf({ PORT: '-1', LOG_LEVEL: 'loud' }).length, 2);
  });

  it('refuses to listen beyond loopback without authentication unless told to', () => {
    assert.match(problemsOf({ HOST: '0.0.0.0' })[0] ?? '', /^HOST: .*ALLOW_REMOTE_LOCAL_MODE/);
    assert.equal(parseConfig({ HOST: '0.0.0.0', ALLOW_REMOTE_LOCAL_MODE: 'true' }).http.host, '0.0.0.0');
    assert.equal(parseConfig({ HOST: '::1' }).http.host, '::1');
  });

  it('requires a password and a tenant with an app id', () => {
    const problems = problemsOf({ MICROSOFT_APP_ID: '11111111-2222-3333-4444-555555555555' });
    assert.deepEqual(
      problems.map((p) => p.split(':')[0]),
      ['MICROSOFT_APP_PASSWORD', 'MICROSOFT_APP_TENANT_ID'],
    );
    const c = parseConfig({
      MICROSOFT_APP_ID: '11111111-2222-3333-4444-555555555555',
      MICROSOFT_APP_PASSWORD: 'secret',
      MICROSOFT_APP_TENANT_ID: 'tenant',
      HOST: '0.0.0.0',
    });
    assert.equal(c.localMode, false);
    assert.equal(c.http.host, '0.0.0.0');
  });

  it('serves the bot’s own tenant, with any others named, in one case', () => {
    const app = {
      MICROSOFT_APP_ID: '11111111-2222-3333-4444-555555555555',
      MICROSOFT_APP_PASSWORD: 'secret',
    };
    const single = parseConfig({ ...app, MICROSOFT_APP_TENANT_ID: 'AAAA-1', ALLOWED_TENANT_IDS: 'bbbb-2' });
    assert.deepEqual(single.bot.allowedTenants, ['aaaa-1', 'bbbb-2']);
    const multi = parseConfig({
      ...app,
      MICROSOFT_APP_TYPE: 'MultiTenant',
      ALLOWED_TENANT_IDS: 'cccc-3, dddd-4',
    });
    assert.deepEqual(multi.bot.allowedTenants, ['cccc-3', 'dddd-4']);
  });

  it('requires the tenants a multi-tenant registration serves', () => {
    const problems = problemsOf({
      MICROSOFT_APP_ID: '11111111-2222-3333-4444-555555555555',
      MICROSOFT_APP_PASSWORD: 'secret',
      MICROSOFT_APP_TYPE: 'MultiTenant',
    });
    assert.deepEqual(
      problems.map((p) => p.split(':')[0]),
      ['ALLOWED_TENANT_IDS'],
    );
  });

  it('treats an empty variable as unset', () => {
    assert.equal(parseConfig({ PORT: '', MICROSOFT_APP_ID: '' }).http.port, 3978);
    assert.equal(parseConfig({ PUBLIC_URL: '' }).site.publicUrl, 'http://localhost:3978');
  });

  it('takes the public pages’ address as an http(s) URL without its trailing slash', () => {
    assert.equal(
      parseConfig({ PUBLIC_URL: 'https://opportunities.example.gc.ca/' }).site.publicUrl,
      'https://opportunities.example.gc.ca',
    );
    for (const bad of ['javascript:alert(1)', 'ftp://example.gc.ca', 'opportunities.example.gc.ca']) {
      assert.match(problemsOf({ PUBLIC_URL: bad })[0] ?? '', /^PUBLIC_URL/, bad);
    }
    assert.match(problemsOf({ SITE_RATE_PER_MINUTE: '0' })[0] ?? '', /^SITE_RATE_PER_MINUTE/);
  });

  describe('publisher (PUBLISHER)', () => {
    const github = { PUBLISHER: 'github', GITHUB_REPOSITORY: 'canada-ca/micro-acquisition' };
    const app = { ...github, GITHUB_APP_ID: '12345', GITHUB_APP_INSTALLATION_ID: '678' };
    const pem = '-----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n-----END RSA PRIVATE KEY-----';

    it('publishes to the bot’s own site only unless told otherwise, whatever GITHUB_* says', () => {
      assert.deepEqual(parseConfig({}).publisher, { kind: 'site' });
      assert.deepEqual(parseConfig({ GITHUB_TOKEN: 't', GITHUB_APP_ID: '1' }).publisher, { kind: 'site' });
      assert.match(problemsOf({ PUBLISHER: 'gitlab' })[0] ?? '', /^PUBLISHER: .*"gitlab"/);
    });

    it('takes a repository and a token, on github.com’s API and the main branch by default', () => {
      assert.deepEqual(parseConfig({ ...github, GITHUB_TOKEN: 'ghp_x' }).publisher, {
        kind: 'github',
        repository: 'canada-ca/micro-acquisition',
        baseBranch: 'main',
        apiUrl: 'https://api.github.com',
        auth: { kind: 'token', token: 'ghp_x' },
      });
      const ghes = parseConfig({
        ...github,
        GITHUB_TOKEN: 'ghp_x',
        GITHUB_BASE_BRANCH: 'gh-pages',
        GITHUB_API_URL: 'https://github.example.gc.ca/api/v3/',
      }).publisher;
      assert.equal(ghes.kind === 'github' && ghes.apiUrl, 'https://github.example.gc.ca/api/v3');
      assert.equal(ghes.kind === 'github' && ghes.baseBranch, 'gh-pages');
    });

    it('takes a GitHub App: its id, its installation and its key, from a file or inline', () => {
      const fromFile = parseConfig({ ...app, GITHUB_APP_PRIVATE_KEY_PATH: __filename }).publisher;
      assert.deepEqual(fromFile.kind === 'github' && fromFile.auth, {
        kind: 'app',
        appId: '12345',
        installationId: 678,
        privateKeyPath: __filename,
      });
      const inline = parseConfig({ ...app, GITHUB_APP_PRIVATE_KEY: pem }).publisher;
      assert.equal(
        inline.kind === 'github' && inline.auth.kind === 'app' && inline.auth.privateKey,
        '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
      );
    });

    it('names what GitHub publishing lacks, per variable', () => {
      assert.deepEqual(
        problemsOf({ PUBLISHER: 'github' }).map((p) => p.split(':')[0]),
        ['GITHUB_REPOSITORY', 'GITHUB_TOKEN'],
      );
      assert.deepEqual(problemsOf({ ...github, GITHUB_APP_ID: '12345' }), [
        'GITHUB_APP_INSTALLATION_ID: required for a GitHub App',
        'GITHUB_APP_PRIVATE_KEY_PATH: required for a GitHub App (or GITHUB_APP_PRIVATE_KEY)',
      ]);
      assert.deepEqual(
        problemsOf({ ...app, GITHUB_TOKEN: 't', GITHUB_APP_PRIVATE_KEY: pem }).map((p) => p.split(':')[0]),
        ['GITHUB_TOKEN'],
      );
      assert.deepEqual(
        problemsOf({ ...app, GITHUB_APP_PRIVATE_KEY: pem, GITHUB_APP_PRIVATE_KEY_PATH: __filename }).map(
          (p) => p.split(':')[0],
        ),
        ['GITHUB_APP_PRIVATE_KEY'],
      );
      assert.deepEqual(problemsOf({ ...app, GITHUB_APP_PRIVATE_KEY_PATH: '/no/such/key.pem' }), [
        'GITHUB_APP_PRIVATE_KEY_PATH: no file at "/no/such/key.pem"',
      ]);
      const badKey = problemsOf({ ...app, GITHUB_APP_PRIVATE_KEY: 'not-a-key-secret' });
      assert.deepEqual(
        badKey.map((p) => p.split(':')[0]),
        ['GITHUB_APP_PRIVATE_KEY'],
      );
      assert.ok(!badKey[0]?.includes('not-a-key-secret'), 'the key is never repeated');
      assert.match(
        problemsOf({ ...github, GITHUB_TOKEN: 't', GITHUB_REPOSITORY: 'no-slash' })[0] ?? '',
        /^GITHUB_REPOSITORY: /,
      );
      assert.match(
        problemsOf({ ...app, GITHUB_APP_PRIVATE_KEY: pem, GITHUB_APP_INSTALLATION_ID: 'x' })[0] ?? '',
        /^GITHUB_APP_INSTALLATION_ID: /,
      );
      assert.match(
        problemsOf({ ...github, GITHUB_TOKEN: 't', GITHUB_BASE_BRANCH: 'a..b' })[0] ?? '',
        /^GITHUB_BASE_BRANCH: /,
      );
    });

    it('sends the token over plain HTTP only to an API on this machine', () => {
      assert.deepEqual(
        problemsOf({ ...github, GITHUB_TOKEN: 't', GITHUB_API_URL: 'http://github.example/api' }),
        ['GITHUB_API_URL: must be https unless it is on this machine (got "http://github.example/api")'],
      );
      assert.deepEqual(
        problemsOf({ ...github, GITHUB_TOKEN: 't', GITHUB_API_URL: 'http://127.0.0.1:4100' }),
        [],
      );
    });
  });
});
