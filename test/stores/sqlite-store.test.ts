import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConcurrencyError, type NewOutboxMessage, StoreUnavailableError } from '../../src/services/store';
import { SCHEMA_VERSION, SchemaTooNewError, SqliteStore } from '../../src/stores/sqlite-store';
import { type FixtureOptions, newOpportunity, NOW, step, submittedAudit } from '../contract/fixtures';
import { describeStoreContract } from '../contract/store-contract';

let dir: string | undefined;
const freshDir = (): string => (dir = mkdtempSync(join(tmpdir(), 'microacq-sqlite-')));
const removeDir = async (): Promise<void> => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
};

// A fresh file per test, under a directory the store must create itself.
describeStoreContract(
  'SqliteStore on a file',
  async () => SqliteStore.open(join(freshDir(), 'data', 'store.db')),
  removeDir,
);
describeStoreContract('SqliteStore in memory', async () => SqliteStore.open(':memory:'));

describe('SqliteStore (SQLite specifics)', () => {
  let file: string;
  const opened: SqliteStore[] = [];
  const open = (options = {}) => {
    const store = SqliteStore.open(file, options);
    opened.push(store);
    return store;
  };
  /** A second, plain connection to the same file, as another process or an operator would have. */
  const raw = () => new Database(file);
  const create = (store: SqliteStore, options: FixtureOptions = {}, key = `k-${Math.random()}`) => {
    const record = newOpportunity(options);
    return store.create(record, submittedAudit(record), key);
  };
  const queued = (id: string, overrides: Partial<NewOutboxMessage> = {}): NewOutboxMessage => ({
    id,
    conversationKey: 'channel:finance',
    kind: 'post',
    activity: { type: 'message', text: id },
    createdAt: NOW,
    ...overrides,
  });
  const later = (seconds: number) => new Date(Date.parse(NOW) + seconds * 1_000).toISOString();
  const unavailable = (path?: string) => (err: unknown) => {
    assert.ok(err instanceof StoreUnavailableError, String(err));
    if (path) assert.ok(err.message.includes(path), err.message);
    return true;
  };

  beforeEach(() => {
    file = join(freshDir(), 'store.db');
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await removeDir();
  });

  it('keeps records, drafts, audit entries and counters across close and reopen', async () => {
    const first = open();
    const record = await create(first, { at: '2026-03-02T10:00:00.000Z' }, 'once');
    const { next, audit } = step(record, 'vet_go');
    const moved = await first.transition(next, 1, audit);
    const draft = await first.saveDraft({
      ownerId: 'alice',
      id: 'd1',
      step: 'pricing',
      data: { a: 1 },
      updatedAt: NOW,
    });
    await first.saveConversation('alice', { serviceUrl: 'https://example.test/' });
    await first.close();

    const second = open();
    assert.deepEqual(await second.get(record.reference), moved);
    assert.deepEqual(
      (await second.auditTrail(record.reference)).map((e) => e.action),
      ['submit', 'vet_go'],
    );
    assert.deepEqual(await second.getDraft('alice', 'd1'), draft);
    assert.deepEqual(await second.getConversation('alice'), { serviceUrl: 'https://example.test/' });
    assert.deepEqual(await create(second, {}, 'once'), moved);
    assert.equal((await create(second)).reference, 'MA-2026-0002');
  });

  it('keeps preferences across close and reopen', async () => {
    const first = open();
    await first.savePreferences('alice', { locale: 'fr' });
    await first.savePreferences('bob', { locale: 'en' });
    await first.savePreferences('bob', {});
    await first.close();

    const second = open();
    assert.deepEqual(await second.getPreferences('alice'), { locale: 'fr' });
    assert.deepEqual(await second.getPreferences('bob'), {});
  });

  it('migrates a file written at schema version 1 forward, keeping its data', async () => {
    const old = open();
    const record = await create(old, {}, 'once');
    const draft = await old.saveDraft({
      ownerId: 'alice',
      id: 'd1',
      step: 'title',
      data: { a: 1 },
      updatedAt: NOW,
    });
    await old.saveConversation('alice', { serviceUrl: 'https://example.test/' });
    await old.close();
    // Take the file back to what version 1 left: everything but the preferences table.
    const db = raw();
    db.exec(
      `DROP TABLE leases; DROP TABLE rate_events;
       ALTER TABLE audit_entries DROP COLUMN on_behalf_of_id; ALTER TABLE audit_entries DROP COLUMN on_behalf_of_name;
       DROP TABLE delegations; DROP TABLE self_identification; DROP TABLE applications; DROP TABLE questions; DROP TABLE subscriptions; DROP TABLE mail; DROP TABLE mailbox; DROP TABLE publication_log;
       DROP TABLE pending_notifications; DROP TABLE handled_activities; DROP TABLE preferences; DROP TABLE outbox; DROP TABLE message_ids; DROP TABLE opportunities_text; DROP TRIGGER opportunities_text_insert;
       DROP TRIGGER opportunities_text_update; DROP TRIGGER opportunities_text_delete;
       DROP INDEX opportunities_newest; DROP INDEX opportunities_status; DROP INDEX opportunities_requester; DROP INDEX opportunities_branch;
       CREATE INDEX opportunities_created ON opportunities (created_at DESC, reference DESC); CREATE INDEX opportunities_status ON opportunities (status, created_at DESC, reference DESC);
       CREATE INDEX opportunities_requester ON opportunities (requester_id, created_at DESC, reference DESC); CREATE INDEX opportunities_branch ON opportunities (branch, created_at DESC, reference DESC);
       DELETE FROM schema_migrations WHERE version > 1; PRAGMA user_version = 1`,
    );
    const [initial] = db.prepare('SELECT version, name, applied_at FROM schema_migrations').all();
    db.close();

    const store = open();
    assert.deepEqual(await store.get(record.reference), record);
    assert.equal((await store.auditTrail(record.reference)).length, 1);
    assert.deepEqual(await store.getDraft('alice', 'd1'), draft);
    assert.deepEqual(await store.getConversation('alice'), { serviceUrl: 'https://example.test/' });
    assert.deepEqual(await create(store, {}, 'once'), record);
    assert.equal((await create(store)).reference, 'MA-2026-0002');
    assert.deepEqual(await store.getPreferences('alice'), {});
    assert.deepEqual(await store.savePreferences('alice', { locale: 'fr' }), { locale: 'fr' });
    assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 0 });
    assert.equal(await store.enqueue(queued('after-upgrade')), true);
    await store.saveMessageId('card:x', 'm1');
    assert.equal(await store.getMessageId('card:x'), 'm1');
    await store.rememberActivity({ key: 'k', at: NOW });
    assert.ok(await store.recallActivity('k'));

    const after = raw();
    try {
      assert.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      const applied = after
        .prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')
        .all() as { version: number; name: string }[];
      assert.deepEqual(applied[0], initial);
      assert.deepEqual(
        applied.map((m) => [m.version, m.name]),
        [
          [1, 'initial schema'],
          [2, 'preferences'],
          [3, 'outbox'],
          [4, 'text search'],
          [5, 'handled activities'],
          [6, 'pending notifications'],
          [7, 'object ids in one case'],
          [8, 'newest first by reference'],
          [9, 'public site: questions, subscriptions, e-mail queue, local mailbox, publication log'],
          [10, 'applications'],
          [11, 'delegations'],
          [12, 'decisions on behalf of a colleague'],
          [13, 'claims, leases and rates shared by replicas'],
          [14, 'look-back columns'],
        ],
      );
    } finally {
      after.close();
    }
  });

  it('migrates a file written at schema version 2 forward, keeping its preferences', async () => {
    const old = open();
    await old.savePreferences('alice', { locale: 'fr' });
    await old.close();
    const db = raw();
    db.exec(
      `DROP TABLE leases; DROP TABLE rate_events;
       ALTER TABLE audit_entries DROP COLUMN on_behalf_of_id; ALTER TABLE audit_entries DROP COLUMN on_behalf_of_name;
       DROP TABLE delegations; DROP TABLE self_identification; DROP TABLE applications; DROP TABLE questions; DROP TABLE subscriptions; DROP TABLE mail; DROP TABLE mailbox; DROP TABLE publication_log;
       DROP TABLE pending_notifications; DROP TABLE handled_activities; DROP TABLE outbox; DROP TABLE message_ids; DROP TABLE opportunities_text; DROP TRIGGER opportunities_text_insert;
       DROP TRIGGER opportunities_text_update; DROP TRIGGER opportunities_text_delete;
       DROP INDEX opportunities_newest; DROP INDEX opportunities_status; DROP INDEX opportunities_requester; DROP INDEX opportunities_branch;
       CREATE INDEX opportunities_created ON opportunities (created_at DESC, reference DESC); CREATE INDEX opportunities_status ON opportunities (status, created_at DESC, reference DESC);
       CREATE INDEX opportunities_requester ON opportunities (requester_id, created_at DESC, reference DESC); CREATE INDEX opportunities_branch ON opportunities (branch, created_at DESC, reference DESC);
       DELETE FROM schema_migrations WHERE version > 2; PRAGMA user_version = 2`,
    );
    db.close();

    const store = open();
    assert.deepEqual(await store.getPreferences('alice'), { locale: 'fr' });
    // Records written before text search are found by it after the upgrade.
    const [anyRecord] = (await store.query({}, { limit: 1 })).items;
    if (anyRecord) {
      const word = anyRecord.title.split(' ')[0] ?? '';
      assert.ok(
        (await store.query({ text: word }, { limit: 10 })).items.some(
          (o) => o.reference === anyRecord.reference,
        ),
      );
    }
    assert.equal(await store.enqueue(queued('a')), true);
    assert.deepEqual(
      (await store.dueMessages(NOW, 10)).map((m) => m.id),
      ['a'],
    );
  });

  it('migrates a file written at schema version 12 forward: activities stay answered, messages stay due', async () => {
    const old = open();
    await old.rememberActivity({ key: 'answered', response: { status: 200 }, at: NOW });
    await old.enqueue(queued('waiting'));
    await old.close();
    // Take the file back to what version 12 left: no claims, no leases, no rate events.
    const db = raw();
    db.exec(
      `DROP INDEX handled_activities_running; ALTER TABLE handled_activities DROP COLUMN running_until;
       ALTER TABLE outbox DROP COLUMN lease_owner; ALTER TABLE outbox DROP COLUMN lease_until;
       DROP TABLE leases; DROP TABLE rate_events;
       DELETE FROM schema_migrations WHERE version > 12; PRAGMA user_version = 12`,
    );
    db.close();

    const store = open();
    const answered = { key: 'answered', response: { status: 200 }, at: NOW };
    assert.deepEqual(await store.recallActivity('answered'), answered);
    assert.deepEqual(await store.claimActivity('answered', NOW, later(60)), {
      kind: 'answered',
      activity: answered,
    });
    assert.deepEqual(await store.claimActivity('new', NOW, later(60)), { kind: 'claimed' });
    const lease = { owner: 'replica-a', until: later(60) };
    assert.deepEqual(
      (await store.dueMessages(NOW, 10, { lease })).map((m) => m.id),
      ['waiting'],
    );
    assert.deepEqual(await store.dueMessages(NOW, 10), []);
    assert.equal(await store.holdLease('digest', 'replica-a', NOW, later(60)), true);
    assert.equal(await store.takeRate('app', NOW, [{ limit: 1, ms: 1_000 }]), 0);
    const after = raw();
    try {
      assert.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    } finally {
      after.close();
    }
  });

  it('shares claims, leases and rates between connections to the same file', async () => {
    const [one, two] = [open(), open()];
    assert.deepEqual(await one.claimActivity('a', NOW, later(30)), { kind: 'claimed' });
    assert.deepEqual(await two.claimActivity('a', NOW, later(30)), { kind: 'running', until: later(30) });
    await one.enqueue(queued('m'));
    assert.equal((await one.dueMessages(NOW, 10, { lease: { owner: 'one', until: later(30) } })).length, 1);
    assert.deepEqual(await two.dueMessages(NOW, 10, { lease: { owner: 'two', until: later(30) } }), []);
    assert.equal(await one.holdLease('job', 'one', NOW, later(30)), true);
    assert.equal(await two.holdLease('job', 'two', NOW, later(30)), false);
    const windows = [{ limit: 3, ms: 60_000 }];
    const waits = [];
    for (let i = 0; i < 4; i++) waits.push(await (i % 2 === 0 ? one : two).takeRate('app', NOW, windows));
    assert.deepEqual(waits, [0, 0, 0, 60_000]);
  });

  it('keeps queued messages, their attempts and posted message ids across close and reopen', async () => {
    const first = open();
    await first.enqueue(queued('waiting'));
    await first.enqueue(queued('retried', { conversationKey: 'user:alice' }));
    await first.enqueue(queued('sent', { conversationKey: 'user:bob' }));
    await first.enqueue(queued('dead', { conversationKey: 'user:carol' }));
    await first.markRetry('retried', '2026-03-02T14:05:00.000Z', '502 Bad Gateway');
    await first.markSent('sent');
    await first.markDead('dead', '403 Forbidden');
    await first.saveMessageId('card:MA-2026-0001:finance', 'm-1');
    await first.close();

    const second = open();
    assert.deepEqual(await second.outboxCounts(), { pending: 2, dead: 1 });
    assert.deepEqual(
      (await second.dueMessages(NOW, 10)).map((m) => m.id),
      ['waiting'],
    );
    const later = await second.dueMessages('2026-03-02T14:05:00.000Z', 10);
    assert.deepEqual(
      later.map((m) => [m.id, m.attempts, m.lastError]),
      [
        ['waiting', 0, undefined],
        ['retried', 1, '502 Bad Gateway'],
      ],
    );
    assert.equal(await second.enqueue(queued('sent')), false);
    assert.equal(await second.getMessageId('card:MA-2026-0001:finance'), 'm-1');
  });

  it('fails loudly, naming the message, when a queued message is corrupt', async () => {
    const store = open();
    await store.enqueue(queued('broken'));
    const db = raw();
    // The table's checks would refuse this; an old release or a hand edit might not have.
    db.pragma('ignore_check_constraints = ON');
    db.prepare(`UPDATE outbox SET activity = '[1]' WHERE id = ?`).run('broken');
    db.close();
    await assert.rejects(store.dueMessages(NOW, 10), (err: unknown) => {
      assert.ok(!(err instanceof StoreUnavailableError));
      assert.ok(err instanceof Error && err.message.includes('broken'), String(err));
      return true;
    });
  });

  it('reports a locked database as unavailable when queuing a message', async () => {
    const store = open({ busyTimeoutMs: 20 });
    const other = raw();
    other.exec('BEGIN IMMEDIATE');
    try {
      await assert.rejects(store.enqueue(queued('a')), unavailable(file));
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal(await store.enqueue(queued('a')), true);
  });

  it('runs each migration once however often the file is opened', async () => {
    await open().close();
    const db = raw();
    const before = db
      .prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')
      .all();
    db.close();
    await open().close();
    await open().close();
    const again = raw();
    try {
      assert.equal(before.length, SCHEMA_VERSION);
      assert.deepEqual(
        again.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all(),
        before,
      );
      assert.equal(again.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    } finally {
      again.close();
    }
  });

  it('writes ahead (WAL journal mode)', async () => {
    await open().close();
    const db = raw();
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });

  it('refuses a path it cannot create, naming the path', () => {
    const blocker = join(dir as string, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const path = join(blocker, 'store.db');
    assert.throws(() => SqliteStore.open(path), unavailable(path));
  });

  it('refuses a file that is not a database, naming the path', () => {
    writeFileSync(file, 'this is not an SQLite database, just some text that is long enough '.repeat(20));
    assert.throws(() => SqliteStore.open(file), unavailable(file));
  });

  it('refuses a database written by a newer release', () => {
    const db = raw();
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(
      () => SqliteStore.open(file),
      (err: unknown) => {
        assert.ok(err instanceof SchemaTooNewError);
        assert.ok(err instanceof StoreUnavailableError);
        assert.match(err.message, new RegExp(`schema version ${SCHEMA_VERSION + 1}`));
        assert.ok(err.message.includes(file));
        return true;
      },
    );
  });

  it('rejects a ping, and every other call, once closed', async () => {
    const store = open();
    await store.ping();
    await store.close();
    await assert.rejects(store.ping(), unavailable());
    await assert.rejects(store.get('MA-2026-0001'), unavailable());
    await assert.rejects(create(store), unavailable());
    await assert.rejects(store.getPreferences('alice'), unavailable());
    await assert.rejects(store.savePreferences('alice', { locale: 'fr' }), unavailable());
    await assert.rejects(store.enqueue(queued('a')), unavailable());
    await assert.rejects(store.dueMessages(NOW, 10), unavailable());
    await assert.rejects(store.getMessageId('card:x'), unavailable());
  });

  it('reports a database locked by another writer as unavailable, then recovers', async () => {
    const store = open({ busyTimeoutMs: 20 });
    const other = raw();
    other.exec('BEGIN IMMEDIATE');
    try {
      await assert.rejects(create(store), (err: unknown) => {
        assert.ok(err instanceof StoreUnavailableError);
        assert.ok(err.cause instanceof Database.SqliteError);
        assert.match(err.cause.code, /^SQLITE_BUSY/);
        return true;
      });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal((await create(store)).reference, 'MA-2026-0001');
  });

  it('rolls back the record, and its number, when the audit entry cannot be written', async () => {
    const store = open();
    const record = await create(store);
    const db = raw();
    db.exec(
      `CREATE TRIGGER no_audit BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit refused'); END`,
    );
    const { next, audit } = step(record, 'vet_go');
    await assert.rejects(store.transition(next, 1, audit), /audit refused/);
    await assert.rejects(create(store), /audit refused/);
    db.exec('DROP TRIGGER no_audit');
    db.close();
    assert.deepEqual(await store.get(record.reference), record);
    assert.equal((await store.auditTrail(record.reference)).length, 1);
    assert.equal((await create(store)).reference, 'MA-2026-0002');
  });

  it('keeps numbering past 9999 with more digits', async () => {
    const store = open();
    await create(store);
    const db = raw();
    db.prepare('UPDATE reference_counters SET last_seq = ? WHERE year = ?').run(9_999, 2026);
    db.close();
    const big = await create(store);
    assert.equal(big.reference, 'MA-2026-10000');
    assert.deepEqual(await store.get('MA-2026-10000'), big);
  });

  it('fails loudly, naming the record, when a stored record is corrupt', async () => {
    const store = open();
    const record = await create(store);
    const db = raw();
    db.prepare(`UPDATE opportunities SET data = json_set(data, '$.status', 'bogus') WHERE reference = ?`).run(
      record.reference,
    );
    db.close();
    await assert.rejects(store.get(record.reference), (err: unknown) => {
      assert.ok(!(err instanceof StoreUnavailableError));
      assert.ok(err instanceof Error && err.message.includes(record.reference), String(err));
      return true;
    });
    await assert.rejects(store.query({}, { limit: 10 }));
  });

  it('loads records stored before licences came from a list, and saves decisions on them', async () => {
    const store = open();
    const spelt = await create(store);
    const other = await create(store);
    const db = raw();
    const setLicence = db.prepare(
      `UPDATE opportunities SET data = json_set(data, '$.licence', ?) WHERE reference = ?`,
    );
    setLicence.run('MIT License', spelt.reference);
    setLicence.run('Crown copyright', other.reference);
    db.close();
    assert.equal((await store.get(spelt.reference))?.licence, 'MIT');
    const old = await store.get(other.reference);
    assert.equal(old?.licence, 'Crown copyright');
    assert.deepEqual((await store.query({}, { limit: 10 })).items.map((r) => r.licence).sort(), [
      'Crown copyright',
      'MIT',
    ]);
    assert.ok(old);
    const { next, audit } = step(old, 'request_edits', { comment: 'Choose a licence from the list' });
    assert.equal((await store.transition(next, 1, audit)).licence, 'Crown copyright');
    assert.equal((await store.get(other.reference))?.status, 'changes_requested');
  });

  it('fails loudly, naming the person, when stored preferences are corrupt', async () => {
    const store = open();
    await store.savePreferences('alice', { locale: 'fr' });
    await store.savePreferences('bob', { locale: 'en' });
    const db = raw();
    db.prepare(`UPDATE preferences SET data = json_set(data, '$.locale', 'xx') WHERE user_id = ?`).run(
      'alice',
    );
    db.close();
    await assert.rejects(store.getPreferences('alice'), (err: unknown) => {
      assert.ok(!(err instanceof StoreUnavailableError));
      assert.ok(!(err instanceof RangeError));
      assert.ok(err instanceof Error && err.message.includes('alice'), String(err));
      return true;
    });
    assert.deepEqual(await store.getPreferences('bob'), { locale: 'en' });
    // A save replaces the unreadable row rather than reading it.
    assert.deepEqual(await store.savePreferences('alice', {}), {});
  });

  it('reports a locked database as unavailable when saving preferences', async () => {
    const store = open({ busyTimeoutMs: 20 });
    const other = raw();
    other.exec('BEGIN IMMEDIATE');
    try {
      await assert.rejects(store.savePreferences('alice', { locale: 'fr' }), unavailable(file));
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.deepEqual(await store.savePreferences('alice', { locale: 'fr' }), { locale: 'fr' });
  });

  it('sees a write made through another connection to the same file', async () => {
    const one = open();
    const two = open();
    const record = await create(one);
    const first = step(record, 'vet_go');
    const second = step(record, 'request_edits', { comment: 'Too late.' });
    await one.transition(first.next, 1, first.audit);
    await assert.rejects(two.transition(second.next, 1, second.audit), ConcurrencyError);
    assert.equal((await two.get(record.reference))?.status, 'in_approval');
  });
});
