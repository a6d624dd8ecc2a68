import { provision } from '../../scripts/provision';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type Client, ResponseType } from '@microsoft/microsoft-graph-client';
import Database from 'better-sqlite3';
import { parseConfig } from '../../src/config';
import { StoreUnavailableError } from '../../src/services/store';
import { createGraphClient, type GraphFetch } from '../../src/stores/graph';
import { openDocuments } from '../../src/stores/index';
import { LocalDocuments } from '../../src/stores/local-documents';
import { DOCUMENTS_LIST, SharePointDocuments } from '../../src/stores/sharepoint-documents';
import { UPLOAD_RANGE } from '../../src/stores/upload-session';
import {
  type DocumentHarness,
  describeDocumentContract,
  newDocument,
  pdfBytes,
} from '../contract/document-contract';
import {
  createGraphEmulation,
  emulatorConfig,
  type GraphEmulation,
  type GraphEmulationOptions,
  type GraphFault,
  graphClientFor,
} from '../support/graph-emulation';
import { quickXorHash } from '../support/graph-emulation-drive';

/**
 * Requests' documents kept beside the SQLite file and in the SharePoint site's document library (on the
 * local Graph emulation): the same contract for both, then what only each has — the files on disk and
 * their atomic writes; the upload requests Graph is sent, lost answers and throttled ranges; and the
 * emulated library itself, answering as Microsoft documents.
 */

const SITE =
  'contoso.sharepoint.com,6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f,2d3e4f5a-6b7c-4d8e-9f0a-b1c2d3e4f5a6';
const KiB = 1024;
const MiB = 1024 * KiB;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

// ---------------------------------------------------------------------------------------------------
// On this machine

/** Another process's write lock on a SQLite file, held in a thread (better-sqlite3 waits synchronously). */
async function holdLock(file: string, holdMs?: number): Promise<{ release(): Promise<void> }> {
  const worker = new Worker(
    `
    const { workerData, parentPort } = require('node:worker_threads');
    const Database = require('better-sqlite3');
    const db = new Database(workerData.file, { timeout: 5000 });
    db.exec('BEGIN IMMEDIATE');
    parentPort.postMessage('holding');
    const release = () => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); };
    if (workerData.holdMs === undefined) parentPort.once('message', release);
    else setTimeout(release, workerData.holdMs);
    `,
    { eval: true, workerData: { file, holdMs } },
  );
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  return {
    async release() {
      const released = new Promise<void>((resolve) => worker.once('message', () => resolve()));
      worker.postMessage('release');
      await released;
      await worker.terminate();
    },
  };
}

function localHarness(): DocumentHarness & { dir(): string } {
  let dir = '';
  let current: LocalDocuments | undefined;
  let lock: { release(): Promise<void> } | undefined;
  const sqlitePath = () => join(dir, 'data', 'microacq.db');
  const metadata = () => join(dir, 'data', 'microacq.documents.db');
  const openIt = () => (current = LocalDocuments.open(sqlitePath(), { busyTimeoutMs: 1_000 }));
  return {
    dir: () => dir,
    async open() {
      dir = mkdtempSync(join(tmpdir(), 'microacq-documents-test-'));
      return openIt();
    },
    async reopen() {
      await current?.close();
      return openIt();
    },
    async busyBriefly() {
      await holdLock(metadata(), 300);
    },
    async takeDown() {
      lock = await holdLock(metadata());
      return { readsFail: false };
    },
    async restore() {
      await lock?.release();
      lock = undefined;
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeDocumentContract('LocalDocuments beside the SQLite file', localHarness());

describe('LocalDocuments (on this machine)', () => {
  const harness = localHarness();
  let store: LocalDocuments;

  beforeEach(async () => {
    store = (await harness.open()) as LocalDocuments;
  });
  afterEach(async () => {
    await store.close();
    await harness.cleanup?.();
  });

  it('keeps each file at documents/<reference>/<first 12 hex of its sha256>-<name>, beside the SQLite file', async () => {
    const input = newDocument({ name: 'signed terms.pdf' });
    const kept = await store.put(input);
    const location = `documents/MA-2026-0042/${sha256(input.bytes).slice(0, 12)}-signed terms.pdf`;
    assert.equal(kept.location, location);
    assert.ok(readFileSync(join(harness.dir(), 'data', location)).equals(input.bytes));
    assert.ok(existsSync(join(harness.dir(), 'data', 'microacq.documents.db')));
    // The store's own file is not touched: its migrations are its own.
    assert.ok(!existsSync(join(harness.dir(), 'data', 'microacq.db')));
  });

  it('leaves no temporary file behind, and clears what a crash left half written', async () => {
    const incoming = join(harness.dir(), 'data', 'documents', '.incoming');
    const stale = join(incoming, 'crashed.tmp');
    writeFileSync(stale, 'half a file');
    const anHourAgo = (Date.now() - 2 * 60 * 60_000) / 1000;
    utimesSync(stale, anHourAgo, anHourAgo);
    const fresh = join(incoming, 'under-way.tmp');
    writeFileSync(fresh, 'a write under way');
    await store.put(newDocument({ bytes: pdfBytes(6 * MiB) }));
    assert.deepEqual(readdirSync(incoming), ['under-way.tmp']);
    assert.deepEqual(readdirSync(join(harness.dir(), 'data', 'documents', 'MA-2026-0042')).length, 1);
  });

  it('reads no file that changed since it was kept', async () => {
    const input = newDocument();
    const kept = await store.put(input);
    writeFileSync(join(harness.dir(), 'data', kept.location), input.bytes.subarray(0, 10));
    await assert.rejects(store.read(kept.id), /changed since it was kept/);
  });

  it('completes a put whose file was written but not its row, writing the file again if it is not whole', async () => {
    const input = newDocument();
    const location = `documents/MA-2026-0042/${sha256(input.bytes).slice(0, 12)}-terms.pdf`;
    mkdirSync(join(harness.dir(), 'data', 'documents', 'MA-2026-0042'), { recursive: true });
    writeFileSync(join(harness.dir(), 'data', location), input.bytes.subarray(0, 10));
    const kept = await store.put(input);
    assert.equal(kept.location, location);
    assert.ok((await store.read(kept.id))?.bytes.equals(input.bytes));
    assert.deepEqual(readdirSync(join(harness.dir(), 'data', 'documents', 'MA-2026-0042')), [
      `${sha256(input.bytes).slice(0, 12)}-terms.pdf`,
    ]);
  });

  it('answers undefined for a document whose file is gone', async () => {
    const kept = await store.put(newDocument());
    rmSync(join(harness.dir(), 'data', kept.location));
    assert.equal(await store.read(kept.id), undefined);
  });

  it('keeps an in-memory store’s documents in a directory of its own, gone when it closes', async () => {
    const memory = LocalDocuments.open(':memory:');
    const kept = await memory.put(newDocument());
    assert.ok((await memory.read(kept.id))?.bytes.length);
    assert.ok(existsSync(memory.root));
    await memory.close();
    assert.ok(!existsSync(memory.root));
  });

  it('refuses a documents file written by a newer release', async () => {
    await store.close();
    const db = new Database(join(harness.dir(), 'data', 'microacq.documents.db'));
    db.pragma('user_version = 99');
    db.close();
    assert.throws(
      () => LocalDocuments.open(join(harness.dir(), 'data', 'microacq.db')),
      StoreUnavailableError,
    );
    store = LocalDocuments.open(join(harness.dir(), 'data', 'other.db'));
  });
});

// ---------------------------------------------------------------------------------------------------
// In SharePoint

interface SharePointHarness extends DocumentHarness {
  emulation(): GraphEmulation;
  client(): Client;
}

function sharePointHarness(options: GraphEmulationOptions = {}, fault?: GraphFault): SharePointHarness {
  let emulation = createGraphEmulation({ siteId: SITE, ...options });
  let down = false;
  const send: GraphFetch = async (url, init) => {
    if (down) throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    return emulation.fetch(url, init);
  };
  const client = () => createGraphClient(emulatorConfig(SITE), send);
  const openIt = () =>
    SharePointDocuments.open({
      client: client(),
      siteId: SITE,
      listPrefix: 'Microacq',
      send,
      timeoutMs: 30_000,
    });
  return {
    emulation: () => emulation,
    client,
    async open() {
      emulation = createGraphEmulation({ siteId: SITE, ...options });
      await provision(client(), SITE, 'Microacq');
      const store = await openIt();
      if (fault) emulation.inject(fault);
      return store;
    },
    reopen: openIt,
    async busyBriefly() {
      emulation.inject({ status: 429, retryAfterSeconds: 1, times: 2 });
    },
    async takeDown() {
      down = true;
      return { readsFail: true };
    },
    async restore() {
      down = false;
    },
  };
}

describeDocumentContract('SharePointDocuments on the Graph emulation', sharePointHarness());

const writes = (method: string) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method);
describeDocumentContract(
  'SharePointDocuments on the Graph emulation (every write applied, its first answer lost; duplicates answered 500)',
  sharePointHarness(
    { duplicateStatus: 500 },
    { status: 504, retryAfterSeconds: 0, afterWrite: true, firstAttemptOnly: true, match: (m) => writes(m) },
  ),
);

describe('SharePointDocuments (in the document library)', () => {
  const harness = sharePointHarness();
  let store: SharePointDocuments;
  const emulation = () => harness.emulation();
  const logged = (method: string, part: string) =>
    emulation().requests.filter((r) => r.method === method && r.path.includes(part));

  beforeEach(async () => {
    store = (await harness.open()) as SharePointDocuments;
    emulation().resetLog();
  });

  it('sends a file of 4 MB or less in one request to Microacq/<reference>/, taking the name only if free', async () => {
    const input = newDocument({ name: 'signed terms.pdf', bytes: pdfBytes(4 * MiB) });
    const kept = await store.put(input);
    const puts = logged('PUT', '/drive/');
    assert.deepEqual(
      puts.map((r) => [r.path, r.query['@microsoft.graph.conflictBehavior']]),
      [[`/sites/${SITE}/drive/root:/Microacq/MA-2026-0042/signed terms.pdf:/content`, 'fail']],
    );
    assert.equal(logged('POST', 'createUploadSession').length, 0);
    assert.equal(
      kept.location,
      'https://contoso.sharepoint.com/sites/microacq/Shared%20Documents/Microacq/MA-2026-0042/signed%20terms.pdf',
    );
  });

  it('sends a larger file in an upload session, in ranges of 320 KiB multiples, without a token', async () => {
    const input = newDocument({ bytes: pdfBytes(6 * MiB) });
    await store.put(input);
    const [session] = logged('POST', 'createUploadSession');
    assert.equal(
      session?.path,
      `/sites/${SITE}/drive/root:/Microacq/MA-2026-0042/terms.pdf:/createUploadSession`,
    );
    const ranges = logged('PUT', '/_api/v2.0/');
    assert.deepEqual(
      ranges.map((r) => r.headers['content-range']),
      [`bytes 0-${UPLOAD_RANGE - 1}/${6 * MiB}`, `bytes ${UPLOAD_RANGE}-${6 * MiB - 1}/${6 * MiB}`],
    );
    assert.equal(UPLOAD_RANGE % (320 * KiB), 0);
    assert.ok(ranges.every((r) => r.headers.authorization === undefined));
  });

  it('keeps a different file of a taken name under SharePoint’s new name, and its own name in the list', async () => {
    const first = await store.put(newDocument({ bytes: pdfBytes(2_000, 'a') }));
    const second = await store.put(
      newDocument({ bytes: pdfBytes(2_000, 'b'), at: '2026-03-02T15:00:00.000Z' }),
    );
    const big = await store.put(
      newDocument({ bytes: pdfBytes(5 * MiB, 'c'), at: '2026-03-02T16:00:00.000Z' }),
    );
    assert.match(first.location, /\/terms\.pdf$/);
    assert.match(second.location, /\/terms%201\.pdf$/);
    assert.match(big.location, /\/terms%202\.pdf$/);
    assert.deepEqual([second.name, big.name], ['terms.pdf', 'terms.pdf']);
    assert.deepEqual(
      logged('PUT', '/content').map((r) => r.query['@microsoft.graph.conflictBehavior']),
      ['fail', 'rename'],
    );
  });

  it('sends the same bytes kept as the other kind no second time', async () => {
    const bytes = pdfBytes();
    const terms = await store.put(newDocument({ bytes }));
    emulation().resetLog();
    const invoice = await store.put(newDocument({ kind: 'invoice', name: 'invoice.pdf', bytes }));
    assert.equal(invoice.location, terms.location);
    assert.equal(logged('PUT', '/drive/').length, 0);
  });

  it('adopts a file left without its list item (the item’s write failed), rather than sending a copy', async () => {
    const input = newDocument();
    emulation().inject({
      status: 503,
      retryAfterSeconds: 30,
      match: (m, p) => m === 'POST' && p.includes('/items'),
    });
    await assert.rejects(store.put(input), StoreUnavailableError);
    const kept = await store.put(input);
    assert.match(kept.location, /\/terms\.pdf$/);
    const folder = (await harness
      .client()
      .api(`/sites/${SITE}/drive/root:/Microacq/MA-2026-0042:/children`)
      .get()) as { value: { name: string }[] };
    assert.deepEqual(
      folder.value.map((i) => i.name),
      ['terms.pdf'],
    );
  });

  it('adopts such a file under the name SharePoint gave it when its own was taken', async () => {
    await store.put(newDocument({ bytes: pdfBytes(2_000, 'a') }));
    const input = newDocument({ bytes: pdfBytes(2_000, 'b'), at: '2026-03-02T15:00:00.000Z' });
    emulation().inject({
      status: 503,
      retryAfterSeconds: 30,
      match: (m, p) => m === 'POST' && p.includes('/items'),
    });
    await assert.rejects(store.put(input), StoreUnavailableError);
    const kept = await store.put(input);
    assert.match(kept.location, /\/terms%201\.pdf$/);
    const folder = (await harness
      .client()
      .api(`/sites/${SITE}/drive/root:/Microacq/MA-2026-0042:/children`)
      .get()) as { value: { name: string }[] };
    assert.deepEqual(
      folder.value.map((i) => i.name),
      ['terms 1.pdf', 'terms.pdf'],
    );
  });

  it('resumes a session from where it stands when a range’s answer is lost or throttled, sending no range twice', async () => {
    const input = newDocument({ bytes: pdfBytes(10 * MiB) });
    emulation().inject({
      status: 504,
      afterWrite: true,
      match: (m, p) => m === 'PUT' && p.includes('/uploadSession'),
    });
    emulation().inject({
      status: 429,
      retryAfterSeconds: 0,
      match: (m, p) => m === 'PUT' && p.includes('/uploadSession'),
    });
    const kept = await store.put(input);
    assert.ok((await store.read(kept.id))?.bytes.equals(input.bytes));
    const ranges = logged('PUT', '/uploadSession').map((r) => r.headers['content-range']);
    assert.deepEqual(ranges, [
      `bytes 0-${UPLOAD_RANGE - 1}/${10 * MiB}`,
      `bytes ${UPLOAD_RANGE}-${10 * MiB - 1}/${10 * MiB}`,
      `bytes ${UPLOAD_RANGE}-${10 * MiB - 1}/${10 * MiB}`,
    ]);
    assert.equal(logged('GET', '/uploadSession').length, 2);
  });

  it('finds its file when the last range’s answer is lost and the session is over', async () => {
    const input = newDocument({ bytes: pdfBytes(6 * MiB) });
    emulation().inject({
      status: 504,
      afterWrite: true,
      match: (m, p) => m === 'PUT' && p.includes('/uploadSession'),
      times: 2,
    });
    const kept = await store.put(input);
    assert.ok((await store.read(kept.id))?.bytes.equals(input.bytes));
    assert.equal(logged('POST', 'createUploadSession').length, 1);
  });

  it('answers at once that SharePoint is unavailable when it stays throttled past the client’s retries', async () => {
    emulation().inject({ status: 429, retryAfterSeconds: 120, times: 50 });
    const started = Date.now();
    await assert.rejects(store.put(newDocument()), StoreUnavailableError);
    await assert.rejects(store.list('MA-2026-0042'), StoreUnavailableError);
    assert.ok(Date.now() - started < 2_000);
  });

  it('gives up on ranges throttled past the wait budget, letting the session go', async () => {
    emulation().inject({
      status: 503,
      retryAfterSeconds: 2,
      times: 5,
      match: (m, p) => m === 'PUT' && p.includes('/uploadSession'),
    });
    await assert.rejects(store.put(newDocument({ bytes: pdfBytes(6 * MiB) })), StoreUnavailableError);
    assert.equal(logged('DELETE', '/uploadSession').length, 1);
    emulation().clearFaults();
    assert.deepEqual(await store.list('MA-2026-0042'), []);
  });

  it('answers undefined for a document whose file was deleted in SharePoint', async () => {
    const kept = await store.put(newDocument());
    await harness.client().api(`/sites/${SITE}/drive/root:/Microacq/MA-2026-0042/terms.pdf`).delete();
    assert.equal(await store.read(kept.id), undefined);
  });

  it('refuses to open on a site where the documents list was never provisioned', async () => {
    const bare = createGraphEmulation({ siteId: SITE });
    const send: GraphFetch = (url, init) => bare.fetch(url, init);
    await assert.rejects(
      SharePointDocuments.open({
        client: createGraphClient(emulatorConfig(SITE), send),
        siteId: SITE,
        listPrefix: 'Microacq',
        send,
        timeoutMs: 5_000,
      }),
      (err: unknown) => err instanceof StoreUnavailableError && err.message.includes('"Microacq Documents"'),
    );
    // Provisioning creates it with the other lists, once.
    const created = async () =>
      (await provision(createGraphClient(emulatorConfig(SITE), send), SITE, 'Microacq')).created.some((l) =>
        l.startsWith('Microacq Documents'),
      );
    assert.equal(await created(), true);
    assert.equal(await created(), false);
    const lists = (await graphClientFor(bare)
      .api(`/sites/${SITE}/lists/Microacq Documents/columns`)
      .get()) as {
      value: { name: string }[];
    };
    for (const column of DOCUMENTS_LIST.columns)
      assert.ok(
        lists.value.some((c) => c.name === column.name),
        column.name,
      );
  });

  it('works over HTTP against the emulation served on loopback, binary bytes and all', async () => {
    const served = await emulation().serve();
    try {
      const config = emulatorConfig(SITE, served.url);
      const remote = await SharePointDocuments.open({
        client: createGraphClient(config),
        siteId: SITE,
        listPrefix: 'Microacq',
        send: fetch,
        timeoutMs: 30_000,
      });
      const small = newDocument({ bytes: pdfBytes(3_000) });
      const large = newDocument({
        kind: 'invoice',
        bytes: pdfBytes(6 * MiB),
        at: '2026-03-02T15:00:00.000Z',
      });
      const [a, b] = [await remote.put(small), await remote.put(large)];
      assert.ok((await remote.read(a.id))?.bytes.equals(small.bytes));
      assert.ok((await remote.read(b.id))?.bytes.equals(large.bytes));
    } finally {
      await served.close();
    }
  });
});

describe('openDocuments', () => {
  it('keeps documents beside the SQLite file when records are in SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'microacq-open-documents-'));
    try {
      const documents = openDocuments(parseConfig({ SQLITE_PATH: join(dir, 'bot.db'), LOG_LEVEL: 'silent' }));
      const kept = await documents.put(newDocument());
      assert.ok(existsSync(join(dir, kept.location)));
      assert.ok(existsSync(join(dir, 'bot.documents.db')));
      await documents.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps documents in the document library when records are in SharePoint, and opens again after a failed open', async () => {
    const emulation = createGraphEmulation({ siteId: SITE });
    const config = parseConfig({
      STORE: 'sharepoint',
      SHAREPOINT_SITE_ID: SITE,
      GRAPH_AUTH: 'emulator',
      GRAPH_ENDPOINT: 'http://127.0.0.1:9',
      LOG_LEVEL: 'silent',
    });
    const documents = openDocuments(config, emulation.fetch);
    await assert.rejects(documents.list('MA-2026-0042'), StoreUnavailableError);
    await provision(graphClientFor(emulation), SITE, 'Microacq');
    const kept = await documents.put(newDocument());
    assert.match(kept.location, /^https:\/\/contoso\.sharepoint\.com\/sites\/microacq\//);
    assert.deepEqual(await documents.list('MA-2026-0042'), [kept]);
    await documents.close();
  });
});

// ---------------------------------------------------------------------------------------------------
// The emulated document library

describe('the Graph emulation’s document library', () => {
  let emulation: GraphEmulation;
  let client: Client;
  const drive = `/sites/${SITE}/drive`;
  const put = (path: string, bytes: Buffer, behavior?: string) =>
    client
      .api(
        `${drive}/root:/${path}:/content${behavior ? `?@microsoft.graph.conflictBehavior=${behavior}` : ''}`,
      )
      .header('Content-Type', 'application/pdf')
      .put(bytes) as Promise<Record<string, unknown>>;
  const status = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return 200;
    } catch (err) {
      return { status: (err as { statusCode: number }).statusCode, code: (err as { code: string }).code };
    }
  };

  beforeEach(() => {
    emulation = createGraphEmulation({ siteId: SITE });
    client = graphClientFor(emulation);
  });

  it('answers a driveItem in Graph’s shape, making the folders of its path', async () => {
    const bytes = pdfBytes(1_000);
    const item = await put('Microacq/MA-2026-0042/terms.pdf', bytes);
    assert.match(String(item.id), /^01[A-Z2-7]{32}$/);
    assert.equal(item.name, 'terms.pdf');
    assert.equal(item.size, 1_000);
    assert.equal(
      item.webUrl,
      'https://contoso.sharepoint.com/sites/microacq/Shared%20Documents/Microacq/MA-2026-0042/terms.pdf',
    );
    assert.deepEqual(item.file, {
      mimeType: 'application/pdf',
      hashes: { quickXorHash: quickXorHash(bytes) },
    });
    const parent = item.parentReference as Record<string, string>;
    assert.equal(parent.name, 'MA-2026-0042');
    assert.match(parent.path ?? '', /^\/drives\/b!.+\/root:\/Microacq\/MA-2026-0042$/);
    assert.equal(parent.siteId, SITE);
    for (const key of [
      'createdDateTime',
      'lastModifiedDateTime',
      'eTag',
      'cTag',
      '@microsoft.graph.downloadUrl',
    ]) {
      assert.ok(typeof item[key] === 'string', key);
    }
    const folder = (await client.api(`${drive}/root:/Microacq/MA-2026-0042`).get()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(folder.folder, { childCount: 1 });
    assert.equal(folder.size, 1_000);
    const byId = (await client.api(`${drive}/items/${String(item.id)}`).get()) as Record<string, unknown>;
    assert.equal(byId.name, 'terms.pdf');
  });

  it('answers a name taken as each conflictBehavior says: 409, a new name, or the same item replaced', async () => {
    const first = await put('A/terms.pdf', pdfBytes());
    assert.deepEqual(await status(put('A/TERMS.pdf', pdfBytes(), 'fail')), {
      status: 409,
      code: 'nameAlreadyExists',
    });
    assert.equal((await put('A/terms.pdf', pdfBytes(), 'rename')).name, 'terms 1.pdf');
    assert.equal((await put('A/terms.pdf', pdfBytes(), 'rename')).name, 'terms 2.pdf');
    const replaced = await put('A/terms.pdf', pdfBytes(10), 'replace');
    assert.deepEqual([replaced.id, replaced.size], [first.id, 10]);
    assert.deepEqual(await status(put('A/a*b.pdf', pdfBytes())), { status: 400, code: 'invalidRequest' });
  });

  it('answers 404 itemNotFound for what is not there', async () => {
    assert.deepEqual(await status(client.api(`${drive}/root:/Nothing/here.pdf`).get()), {
      status: 404,
      code: 'itemNotFound',
    });
    assert.deepEqual(await status(client.api(`${drive}/items/01NOSUCHITEM/content`).get()), {
      status: 404,
      code: 'itemNotFound',
    });
  });

  it('answers a file’s content with a 302 to its pre-authenticated download address', async () => {
    const bytes = randomBytes(5_000);
    const item = await put('A/data.pdf', bytes);
    const answer = await emulation.fetch(
      `https://graph.microsoft.com/v1.0${drive}/items/${String(item.id)}/content`,
      {
        headers: { Authorization: 'Bearer t' },
        redirect: 'manual',
      },
    );
    assert.equal(answer.status, 302);
    const location = answer.headers.get('location') ?? '';
    assert.equal(location, item['@microsoft.graph.downloadUrl']);
    assert.match(
      location,
      /^https:\/\/contoso\.sharepoint\.com\/sites\/microacq\/_layouts\/15\/download\.aspx\?UniqueId=/,
    );
    const download = await emulation.fetch(location);
    assert.equal(download.status, 200);
    assert.ok(Buffer.from(await download.arrayBuffer()).equals(bytes));
    assert.equal((await emulation.fetch(location.replace(/tempauth=[^&]+/, 'tempauth=forged'))).status, 401);
    // And through Graph's client, which follows the redirect.
    const body = (await client
      .api(`${drive}/items/${String(item.id)}/content`)
      .responseType(ResponseType.ARRAYBUFFER)
      .get()) as ArrayBuffer;
    assert.ok(Buffer.from(body).equals(bytes));
  });

  it('lists a folder’s children a page at a time', async () => {
    for (const name of ['c.pdf', 'a.pdf', 'b.pdf']) await put(`F/${name}`, pdfBytes());
    const first = (await client.api(`${drive}/root:/F:/children?$top=2`).get()) as {
      value: { name: string }[];
      '@odata.nextLink'?: string;
    };
    assert.deepEqual(
      first.value.map((i) => i.name),
      ['a.pdf', 'b.pdf'],
    );
    const second = (await client.api(first['@odata.nextLink'] ?? '').get()) as { value: { name: string }[] };
    assert.deepEqual(
      second.value.map((i) => i.name),
      ['c.pdf'],
    );
  });

  describe('upload sessions', () => {
    const total = 700 * KiB;
    const bytes = randomBytes(total);
    const start = async (behavior = 'rename') =>
      (await client
        .api(`${drive}/root:/S/big.pdf:/createUploadSession`)
        .post({ item: { '@microsoft.graph.conflictBehavior': behavior } })) as {
        uploadUrl: string;
        expirationDateTime: string;
        nextExpectedRanges: string[];
      };
    const range = (url: string, from: number, to: number, headers: Record<string, string> = {}) =>
      emulation.fetch(url, {
        method: 'PUT',
        headers: { 'Content-Range': `bytes ${from}-${to - 1}/${total}`, ...headers },
        body: new Uint8Array(bytes.subarray(from, to)),
      });

    it('takes ranges in order with 202, then makes the file with 201 at the last byte', async () => {
      const session = await start();
      assert.deepEqual(session.nextExpectedRanges, ['0-']);
      assert.ok(Date.parse(session.expirationDateTime) > Date.now());
      assert.match(
        session.uploadUrl,
        /^https:\/\/contoso\.sharepoint\.com\/sites\/microacq\/_api\/v2\.0\/drives\//,
      );
      const a = await range(session.uploadUrl, 0, 320 * KiB);
      assert.equal(a.status, 202);
      assert.deepEqual(((await a.json()) as { nextExpectedRanges: string[] }).nextExpectedRanges, [
        `${320 * KiB}-${total - 1}`,
      ]);
      const where = await emulation.fetch(session.uploadUrl);
      assert.deepEqual(((await where.json()) as { nextExpectedRanges: string[] }).nextExpectedRanges, [
        `${320 * KiB}-${total - 1}`,
      ]);
      const b = await range(session.uploadUrl, 320 * KiB, total);
      assert.equal(b.status, 201);
      const item = (await b.json()) as { name: string; size: number };
      assert.deepEqual([item.name, item.size], ['big.pdf', total]);
      assert.equal((await range(session.uploadUrl, 0, 320 * KiB)).status, 404);
    });

    it('refuses a bad range with 416, and a range with a token with 401', async () => {
      const session = await start();
      assert.equal((await range(session.uploadUrl, 320 * KiB, 640 * KiB)).status, 416);
      assert.equal((await range(session.uploadUrl, 0, 100 * KiB)).status, 416);
      const refused = await range(session.uploadUrl, 0, 320 * KiB, { Authorization: 'Bearer t' });
      assert.equal(refused.status, 401);
      assert.equal((await range(session.uploadUrl, 0, 320 * KiB)).status, 202);
      assert.equal((await range(session.uploadUrl, 0, 320 * KiB)).status, 416);
    });

    it('settles the name at the last byte: 409 with "fail" when taken meanwhile, the session kept', async () => {
      const session = await start('fail');
      assert.equal((await range(session.uploadUrl, 0, 320 * KiB)).status, 202);
      await put('S/big.pdf', pdfBytes());
      const last = await range(session.uploadUrl, 320 * KiB, total);
      assert.equal(last.status, 409);
      const where = await emulation.fetch(session.uploadUrl);
      assert.deepEqual(((await where.json()) as { nextExpectedRanges: string[] }).nextExpectedRanges, [
        `${320 * KiB}-${total - 1}`,
      ]);
      assert.equal((await emulation.fetch(session.uploadUrl, { method: 'DELETE' })).status, 204);
      assert.equal((await emulation.fetch(session.uploadUrl)).status, 404);
    });

    it('is subject to the emulation’s faults and log like every request', async () => {
      const session = await start();
      emulation.inject({
        status: 429,
        retryAfterSeconds: 7,
        match: (m, p) => m === 'PUT' && p.includes('/uploadSession'),
      });
      const throttled = await range(session.uploadUrl, 0, 320 * KiB);
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get('retry-after'), '7');
      assert.equal((await range(session.uploadUrl, 0, 320 * KiB)).status, 202);
      assert.equal(emulation.requests.filter((r) => r.path.includes('/uploadSession')).length, 2);
    });
  });

  it('computes SharePoint’s quickXorHash: bytes 160 apart fold onto the same bits, then the length', () => {
    assert.equal(quickXorHash(Buffer.alloc(0)), Buffer.alloc(20).toString('base64'));
    const one = Buffer.alloc(20);
    one[0] = 0x4a;
    one[12] = 1;
    assert.equal(quickXorHash(Buffer.from([0x4a])), one.toString('base64'));
    const folded = Buffer.alloc(161);
    folded[0] = 0x0f;
    folded[160] = 0xf0;
    const same = Buffer.alloc(161);
    same[0] = 0xff;
    assert.equal(quickXorHash(folded), quickXorHash(same));
  });
});
