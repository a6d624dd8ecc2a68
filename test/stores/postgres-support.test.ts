import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Client } from 'pg';
import {
  ADMIN_URL,
  dropStaleRunDatabases,
  freshSchema,
  postgresAvailable,
  requirePostgres,
  RUN_DATABASE_NAME,
  runDatabase,
} from '../support/postgres';

async function query<R extends Record<string, unknown>>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

const schemaExists = async (url: string, schema: string) =>
  (await query(url, 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).length === 1;

const relationsIn = async (url: string, schema: string) =>
  (
    await query<{ n: number }>(
      url,
      'SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1',
      [schema],
    )
  )[0]?.n;

const databaseExists = async (name: string) =>
  (await query(ADMIN_URL, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1;

describe('PostgreSQL test support', () => {
  before(requirePostgres);

  it('gives this process one run database, named after its pid', async () => {
    const url = await runDatabase();
    assert.equal(await runDatabase(), url);
    const [row] = await query<{ name: string }>(url, 'SELECT current_database() AS name');
    const name = row?.name ?? '';
    assert.match(name, RUN_DATABASE_NAME);
    assert.equal(RUN_DATABASE_NAME.exec(name)?.[1], String(process.pid));
    assert.equal(new URL(url).host, new URL(ADMIN_URL).host);
  });

  it('gives each caller a different empty schema in the run database', async () => {
    const [a, b] = await Promise.all([freshSchema(), freshSchema()]);
    try {
      assert.notEqual(a.schema, b.schema);
      assert.match(a.schema, /^s_[0-9a-f]+$/);
      assert.equal(a.url, await runDatabase());
      assert.equal(b.url, a.url);
      assert.equal(await relationsIn(a.url, a.schema), 0);
      assert.equal(await relationsIn(b.url, b.schema), 0);

      await query(a.url, `CREATE TABLE "${a.schema}".t (id int)`);
      assert.equal(await relationsIn(a.url, a.schema), 1);
      assert.equal(await relationsIn(b.url, b.schema), 0);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });

  it('drops a schema with what is in it', async () => {
    const fresh = await freshSchema();
    await query(fresh.url, `CREATE TABLE "${fresh.schema}".t (id int)`);
    assert.equal(await schemaExists(fresh.url, fresh.schema), true);
    await fresh.drop();
    assert.equal(await schemaExists(fresh.url, fresh.schema), false);
    await fresh.drop();
  });

  it('drops the run databases of processes gone, and keeps those of live ones', async () => {
    // Above the largest pid Linux hands out (2^22), so surely not running.
    const gone = `microacq_test_${2 ** 22 + 1}_deadbeef`;
    const live = `microacq_test_${process.pid}_0badf00d`;
    for (const name of [gone, live]) await query(ADMIN_URL, `CREATE DATABASE "${name}"`);
    try {
      // Another test process starting now may drop it first: check the database, not the returned list.
      await dropStaleRunDatabases();
      assert.equal(await databaseExists(gone), false);
      assert.equal(await databaseExists(live), true);
      assert.equal(await databaseExists(new URL(await runDatabase()).pathname.slice(1)), true);
    } finally {
      for (const name of [gone, live]) await query(ADMIN_URL, `DROP DATABASE IF EXISTS "${name}"`);
    }
  });

  it('reports a server that does not answer within 3 s as unavailable', async function () {
    this.timeout(10_000);
    // Accepts the connection and never speaks, like a server hung or firewalled mid-way.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const started = Date.now();
      assert.equal(await postgresAvailable(`postgres://postgres@127.0.0.1:${port}/postgres`), false);
      assert.ok(Date.now() - started < 5_000);
      assert.equal(await postgresAvailable(), true);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
