import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../src/services/store';
import { SqliteStore } from '../src/stores/sqlite';
import { describeStoreContract, newRecord } from './support/store-contract';

const tempFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'microacq-sqlite-')), 'store.db');

describeStoreContract('SQLite', async () => SqliteStore.open(tempFile()));

describe('SQLite store on disk', () => {
  const audit = {
    at: '2026-11-23T15:00:00.000Z',
    actor: { aadObjectId: 'a', name: 'A' },
    action: 'submit',
    outcome: 'applied' as const,
  };

  it('keeps records, drafts, audit and the reference counter across a restart', async () => {
    const file = tempFile();
    const first = SqliteStore.open(file);
    const saved = await first.create(newRecord(), audit, 'k1');
    await first.saveDraft({
      id: 'd',
      ownerId: 'a',
      step: 'work',
      data: { title: 'Kept' },
      updatedAt: audit.at,
    });
    await first.close();
    const reopened = SqliteStore.open(file);
    assert.deepEqual(await reopened.get(saved.reference), saved);
    assert.deepEqual((await reopened.getDraft('a', 'd'))?.data, { title: 'Kept' });
    assert.equal((await reopened.auditTrail(saved.reference)).length, 1);
    assert.equal((await reopened.create(newRecord(), audit, 'k2')).reference, 'MA-2026-0002');
    await reopened.close();
  });

  it('writes ahead to a log (WAL) so readers never wait for a writer', async () => {
    const file = tempFile();
    await SqliteStore.open(file).close();
    const db = new Database(file);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  it('runs its migrations once however often it is opened', async () => {
    const file = tempFile();
    await SqliteStore.open(file).close();
    await SqliteStore.open(file).close();
    const db = new Database(file);
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    db.close();
  });

  it('refuses a database written by a newer version, saying so', () => {
    const file = tempFile();
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    assert.throws(
      () => SqliteStore.open(file),
      (err: Error) => err instanceof StoreUnavailableError && /newer/.test(err.message),
    );
  });

  it('names the path it cannot open', () => {
    const file = path.join(tempFile(), 'not-a-folder');
    writeFileSync(path.dirname(file) + '.txt', '');
    const blocked = path.join(path.dirname(file) + '.txt', 'store.db');
    assert.throws(
      () => SqliteStore.open(blocked),
      (err: Error) => err instanceof StoreUnavailableError && err.message.includes(blocked),
    );
  });

  it('says it is unavailable once closed', async () => {
    const store = SqliteStore.open(tempFile());
    await store.close();
    await assert.rejects(store.ping(), StoreUnavailableError);
  });
});
