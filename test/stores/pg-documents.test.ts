import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { provision } from '../../scripts/provision';
import { parseConfig } from '../../src/config';
import { StoreUnavailableError } from '../../src/services/store';
import { openDocuments } from '../../src/stores/index';
import { PgDocuments } from '../../src/stores/pg-documents';
import {
  type DocumentHarness,
  describeDocumentContract,
  newDocument,
  pdfBytes,
} from '../contract/document-contract';
import { minutesAfter } from '../contract/question-contract';
import { createGraphEmulation, graphClientFor } from '../support/graph-emulation';
import { type FreshSchema, freshSchema, requirePostgres } from '../support/postgres';

/**
 * Requests' documents in PostgreSQL, where several replicas share them: the document contract on an
 * empty schema, then what only a shared database makes happen — a document kept by one replica read by
 * another, replicas making the table together — and `openDocuments` choosing it.
 */

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const SITE =
  'contoso.sharepoint.com,6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f,2d3e4f5a-6b7c-4d8e-9f0a-b1c2d3e4f5a6';
/** Nothing listens on port 1: a server out of reach from the start. */
const NOWHERE = 'postgres://postgres@127.0.0.1:1/postgres';

/**
 * A TCP relay between the store and the server, so the server can be put out of reach (every
 * connection cut, new ones dropped at once, as in a network failure) and brought back.
 */
interface Relay {
  /** `url` with the relay's host and port instead of the server's. */
  through(url: string): string;
  cut(): Promise<void>;
  mend(): void;
  close(): Promise<void>;
}

async function startRelay(server: string): Promise<Relay> {
  const target = new URL(server);
  const sockets = new Set<net.Socket>();
  let down = false;
  const relay = net.createServer((inbound) => {
    if (down) {
      inbound.destroy();
      return;
    }
    const outbound = net.connect(Number(target.port || 5432), target.hostname);
    for (const [socket, other] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      sockets.add(socket);
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        other.destroy();
      });
      socket.pipe(other);
    }
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const { port } = relay.address() as AddressInfo;
  return {
    through(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    async cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
      // The pool hears of its idle connections' end on the next turns of the event loop.
      await new Promise((resolve) => setTimeout(resolve, 50));
    },
    mend() {
      down = false;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Another session holding the documents table's strongest lock for `holdMs`, as a long migration or
 * VACUUM FULL would: everything on the table waits. Resolves once the lock is held.
 */
async function lockTable(schema: FreshSchema, holdMs: number): Promise<void> {
  const client = new Client({ connectionString: schema.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${schema.schema}.documents IN ACCESS EXCLUSIVE MODE`);
  setTimeout(() => {
    void client
      .query('COMMIT')
      .finally(() => client.end())
      .catch(() => undefined);
  }, holdMs);
}

function pgHarness(): DocumentHarness & { relay(): Relay } {
  let schema: FreshSchema | undefined;
  let relay: Relay | undefined;
  let current: PgDocuments | undefined;
  const openIt = async () => {
    if (!schema || !relay) throw new Error('open the harness first');
    current = await PgDocuments.open({
      connectionString: relay.through(schema.url),
      schema: schema.schema,
      connectTimeoutMs: 2_000,
    });
    return current;
  };
  return {
    relay: () => {
      if (!relay) throw new Error('open the harness first');
      return relay;
    },
    async open() {
      schema = await freshSchema();
      relay = await startRelay(schema.url);
      return openIt();
    },
    async reopen() {
      await current?.close();
      return openIt();
    },
    async busyBriefly() {
      if (schema) await lockTable(schema, 300);
    },
    async takeDown() {
      await relay?.cut();
      return { readsFail: true };
    },
    async restore() {
      relay?.mend();
    },
    async cleanup() {
      await current?.close();
      current = undefined;
      await relay?.close();
      relay = undefined;
      await schema?.drop();
      schema = undefined;
    },
  };
}

describe('PgDocuments', function () {
  before(requirePostgres);

  describeDocumentContract('PgDocuments in PostgreSQL', pgHarness());

  describe('shared by several replicas', function () {
    this.timeout(60_000);
    let schema: FreshSchema;
    const opened: PgDocuments[] = [];
    const replica = async () => {
      const documents = await PgDocuments.open({ connectionString: schema.url, schema: schema.schema });
      opened.push(documents);
      return documents;
    };

    beforeEach(async () => {
      schema = await freshSchema();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((d) => d.close()));
      await schema.drop();
    });

    it('reads through one replica what another kept, and keeps the same bytes from both once', async () => {
      const [a, b] = [await replica(), await replica()];
      const input = newDocument({ bytes: pdfBytes(3 * 1024 * 1024) });
      const kept = await a.put(input);
      assert.deepEqual(await b.list('MA-2026-0042'), [kept]);
      const read = await b.read(kept.id);
      assert.deepEqual(read?.document, kept);
      assert.ok(read?.bytes.equals(input.bytes));
      assert.deepEqual(await b.put({ ...input, name: 'again.pdf', at: minutesAfter(5) }), kept);
      const invoice = await b.put(newDocument({ kind: 'invoice', name: 'invoice.pdf', at: minutesAfter(6) }));
      assert.deepEqual(await a.list('MA-2026-0042'), [kept, invoice]);
    });

    it('keeps the same bytes sent to two replicas at once only once', async () => {
      const [a, b] = [await replica(), await replica()];
      const input = newDocument({ bytes: pdfBytes(2 * 1024 * 1024) });
      const [one, two] = await Promise.all([a.put(input), b.put({ ...input, at: minutesAfter(3) })]);
      assert.deepEqual(one, two);
      assert.deepEqual(await a.list('MA-2026-0042'), [one]);
    });

    it('finds a document again after every replica closed and one opened anew', async () => {
      const a = await replica();
      const input = newDocument();
      const kept = await a.put(input);
      await Promise.all(opened.splice(0).map((d) => d.close()));
      await assert.rejects(a.list('MA-2026-0042'), StoreUnavailableError);
      const again = await replica();
      assert.deepEqual(await again.list('MA-2026-0042'), [kept]);
      assert.ok((await again.read(kept.id))?.bytes.equals(input.bytes));
    });

    it('makes its schema and table once when replicas start together', async () => {
      await schema.drop();
      const replicas = await Promise.all([replica(), replica(), replica(), replica()]);
      const kept = await replicas[0]?.put(newDocument());
      assert.ok(kept);
      for (const r of replicas) assert.deepEqual(await r.list('MA-2026-0042'), [kept]);
    });

    it('keeps the bytes in a bytea column, at the location LocalDocuments would give them', async () => {
      const input = newDocument({ name: 'signed terms.pdf' });
      const kept = await (await replica()).put(input);
      assert.equal(
        kept.location,
        `documents/MA-2026-0042/${sha256(input.bytes).slice(0, 12)}-signed terms.pdf`,
      );
      const row = await withClient(schema.url, async (client) => {
        const { rows } = await client.query<{ type: string; size: number; bytes: Buffer }>(
          `SELECT pg_typeof(bytes)::text AS type, size, bytes FROM ${schema.schema}.documents WHERE id = $1`,
          [kept.id],
        );
        return rows[0];
      });
      assert.equal(row?.type, 'bytea');
      assert.equal(row?.size, input.bytes.length);
      assert.ok(row?.bytes.equals(input.bytes));
    });

    it('reads no document whose bytes changed since it was kept', async () => {
      const documents = await replica();
      const kept = await documents.put(newDocument());
      await withClient(schema.url, (client) =>
        client.query(`UPDATE ${schema.schema}.documents SET bytes = $2 WHERE id = $1`, [
          kept.id,
          pdfBytes(kept.size),
        ]),
      );
      await assert.rejects(documents.read(kept.id), /changed since it was kept/);
    });

    it('reports a server it cannot reach as unavailable, at open', async () => {
      await assert.rejects(
        PgDocuments.open({ connectionString: NOWHERE, connectTimeoutMs: 1_000 }),
        StoreUnavailableError,
      );
    });
  });

  describe('openDocuments', function () {
    this.timeout(60_000);
    let schema: FreshSchema;
    let dir: string;

    beforeEach(async () => {
      schema = await freshSchema();
      dir = mkdtempSync(join(tmpdir(), 'microacq-pg-documents-'));
    });
    afterEach(async () => {
      await schema.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    const postgresConfig = (env: Record<string, string>) =>
      parseConfig({
        SQLITE_PATH: join(dir, 'bot.db'),
        DATABASE_URL: schema.url,
        DATABASE_SCHEMA: schema.schema,
        SITE_SECRET: 'x'.repeat(32),
        LOG_LEVEL: 'silent',
        ...env,
      });

    it('keeps documents in PostgreSQL when everything is there, none beside the SQLite file', async () => {
      const documents = openDocuments(postgresConfig({ STORE: 'postgres' }));
      const kept = await documents.put(newDocument());
      await documents.close();
      assert.ok(!existsSync(join(dir, 'bot.documents.db')));
      assert.ok(!existsSync(join(dir, 'documents')));
      const other = await PgDocuments.open({ connectionString: schema.url, schema: schema.schema });
      try {
        assert.deepEqual(await other.list('MA-2026-0042'), [kept]);
      } finally {
        await other.close();
      }
    });

    it('opens the database again after a failed open', async () => {
      const relay = await startRelay(schema.url);
      await relay.cut();
      const documents = openDocuments(
        postgresConfig({ STORE: 'postgres', DATABASE_URL: relay.through(schema.url) }),
      );
      try {
        await assert.rejects(documents.list('MA-2026-0042'), StoreUnavailableError);
        relay.mend();
        const kept = await documents.put(newDocument());
        assert.deepEqual(await documents.list('MA-2026-0042'), [kept]);
      } finally {
        await documents.close();
        await relay.close();
      }
    });

    it('keeps documents in the document library when records are in SharePoint, the working state in PostgreSQL', async () => {
      const emulation = createGraphEmulation({ siteId: SITE });
      await provision(graphClientFor(emulation), SITE, 'Microacq');
      const documents = openDocuments(
        postgresConfig({
          STORE: 'sharepoint',
          WORKING_STORE: 'postgres',
          SHAREPOINT_SITE_ID: SITE,
          GRAPH_AUTH: 'emulator',
          GRAPH_ENDPOINT: 'http://127.0.0.1:9',
          DATABASE_URL: NOWHERE,
        }),
        emulation.fetch,
      );
      try {
        const kept = await documents.put(newDocument());
        assert.match(kept.location, /^https:\/\/contoso\.sharepoint\.com\/sites\/microacq\//);
      } finally {
        await documents.close();
      }
    });
  });
});
