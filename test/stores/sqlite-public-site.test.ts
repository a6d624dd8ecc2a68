import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { NewApplication, SubmitOutcome } from '../../src/services/applications';
import type { NewMail } from '../../src/services/mail';
import type { NewQuestion } from '../../src/services/questions';
import { StoreUnavailableError } from '../../src/services/store';
import type { NewSubscription } from '../../src/services/subscriptions';
import { SCHEMA_VERSION, SqliteStore } from '../../src/stores/sqlite-store';
import { applicationAt, describeApplicationContract } from '../contract/application-contract';
import { describeMailContract } from '../contract/mail-contract';
import { describePublicationLogContract } from '../contract/publication-log-contract';
import { describeQuestionContract, minutesAfter } from '../contract/question-contract';
import { describeSubscriptionContract } from '../contract/subscription-contract';

/**
 * The public site's ports on the SQLite store: the contracts on a file and in memory, then what only a
 * file has — a restart, two processes on one file, the upgrade from the previous schema, and addresses
 * gone from the file itself once deleted or erased.
 */

let dir: string | undefined;
const freshFile = (): string => join((dir = mkdtempSync(join(tmpdir(), 'microacq-site-'))), 'store.db');
const removeDir = async (): Promise<void> => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
};

for (const [where, open, cleanup] of [
  ['on a file', async () => SqliteStore.open(freshFile()), removeDir],
  ['in memory', async () => SqliteStore.open(':memory:'), undefined],
] as const) {
  describeQuestionContract(`SqliteStore ${where}`, open, cleanup);
  describeSubscriptionContract(`SqliteStore ${where}`, open, cleanup);
  describeApplicationContract(`SqliteStore ${where}`, open, cleanup);
  describeMailContract(`SqliteStore ${where}`, open, cleanup);
  describePublicationLogContract(`SqliteStore ${where}`, open, cleanup);
}

describe('SqliteStore (public site, SQLite specifics)', () => {
  let file: string;
  const opened: SqliteStore[] = [];
  const open = (options = {}) => {
    const store = SqliteStore.open(file, options);
    opened.push(store);
    return store;
  };
  const raw = () => new Database(file);

  const question = (overrides: Partial<NewQuestion> = {}): NewQuestion => ({
    id: `q-${randomUUID()}`,
    reference: 'MA-2026-0001',
    locale: 'en',
    text: 'Is the code public?',
    email: 'asker@example.com',
    askedAt: minutesAfter(1),
    ...overrides,
  });
  const subscription = (email: string, overrides: Partial<NewSubscription> = {}): NewSubscription => ({
    id: `s-${randomUUID()}`,
    email,
    locale: 'en',
    token: randomBytes(32).toString('base64url'),
    createdAt: minutesAfter(1),
    confirmationSentAt: minutesAfter(1),
    ...overrides,
  });
  const mail = (id: string, to = 'ana@example.com'): NewMail => ({
    id,
    kind: 'question-answered',
    locale: 'fr',
    to,
    personalisation: { answer: 'Oui, sur GitHub.' },
    createdAt: minutesAfter(2),
  });

  beforeEach(() => {
    file = freshFile();
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await removeDir();
  });

  it('keeps questions, subscriptions, queued e-mails, the mailbox and the publication log across a restart', async () => {
    const first = open();
    const asked = await first.askQuestion(question(), { perOpportunity: 5, total: 5 });
    assert.ok(asked.ok);
    const settled = await first.settleQuestion(
      { ...asked.question, state: 'declined', declined: 'duplicate', version: 2 },
      1,
    );
    const sub = await first.subscribe(subscription('ana@example.com'), 5);
    assert.equal(sub.outcome, 'created');
    const confirmed =
      sub.outcome === 'created' && (await first.confirmSubscription(sub.subscription.token, minutesAfter(3)));
    await first.queueMail([mail('waiting'), mail('retried'), mail('sent'), mail('dead')]);
    await first.markMailRetry('retried', minutesAfter(60), '503');
    await first.markMailSent('sent', minutesAfter(4), 'notify-1');
    await first.markMailDead('dead', '400');
    await first.deliverLocally({
      id: 'local-1',
      kind: 'subscription-confirm',
      locale: 'en',
      to: 'ana@example.com',
      subject: 'Confirm',
      body: 'Click',
      deliveredAt: minutesAfter(5),
    });
    await first.notePublished('github-pages', 'MA-2026-0001', 'sha256:abc', minutesAfter(6));
    await first.close();

    const second = open();
    assert.deepEqual(await second.getQuestion(settled.id), settled);
    assert.deepEqual((await second.subscribers({ limit: 10 })).items, [confirmed]);
    assert.deepEqual(await second.mailCounts(), { pending: 2, dead: 1, sent: 1 });
    assert.deepEqual(
      (await second.dueMail(minutesAfter(60), 10)).map((m) => [m.id, m.attempts]),
      [
        ['waiting', 0],
        ['retried', 1],
      ],
    );
    assert.deepEqual(
      (await second.deadMail(10)).map((m) => m.id),
      ['dead'],
    );
    assert.equal(await second.queueMail([mail('sent')]), 0);
    assert.deepEqual(
      (await second.mailbox(10)).map((m) => m.id),
      ['local-1'],
    );
    assert.equal(await second.lastPublished('github-pages', 'MA-2026-0001'), 'sha256:abc');
  });

  it('keeps one subscription when two processes on one file take the same address at once', async () => {
    const [a, b] = [open(), open()];
    const outcomes = await Promise.all([
      a.subscribe(subscription('Ana@example.com'), 10),
      b.subscribe(subscription('ana@EXAMPLE.com'), 10),
    ]);
    assert.deepEqual(outcomes.map((o) => o.outcome).sort(), ['created', 'exists']);
    assert.deepEqual(await a.subscriptionCounts(), { confirmed: 0, unconfirmed: 1 });
  });

  it('lets two processes on one file pass no bound together', async () => {
    const stores = [open(), open(), open()];
    const subscribed = await Promise.all(
      stores.map((s, i) => s.subscribe(subscription(`person-${i}@example.com`), 2)),
    );
    assert.equal(subscribed.filter((o) => o.outcome === 'created').length, 2);
    assert.equal(subscribed.filter((o) => o.outcome === 'full').length, 1);
    const limits = { perOpportunity: 2, total: 10 };
    const asked = await Promise.all(stores.map((s) => s.askQuestion(question(), limits)));
    assert.equal(asked.filter((o) => o.ok).length, 2);
    assert.deepEqual(
      asked.filter((o) => !o.ok),
      [{ ok: false, full: 'opportunity' }],
    );
    assert.equal((await stores[0]?.questionsOf('MA-2026-0001'))?.length, 2);
  });

  it('reports a database locked by another writer as unavailable when a question is asked', async () => {
    const store = open({ busyTimeoutMs: 20 });
    const other = raw();
    other.exec('BEGIN IMMEDIATE');
    try {
      await assert.rejects(
        store.askQuestion(question(), { perOpportunity: 5, total: 5 }),
        (err: unknown) => err instanceof StoreUnavailableError && err.message.includes(file),
      );
      await assert.rejects(store.subscribe(subscription('a@example.com'), 5), StoreUnavailableError);
      await assert.rejects(store.queueMail([mail('a')]), StoreUnavailableError);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.ok((await store.askQuestion(question(), { perOpportunity: 5, total: 5 })).ok);
  });

  it('fails loudly, naming the question, when a stored question is corrupt', async () => {
    const store = open();
    const asked = await store.askQuestion(question(), { perOpportunity: 5, total: 5 });
    assert.ok(asked.ok);
    const db = raw();
    db.prepare(`UPDATE questions SET data = json_set(data, '$.state', 'lost') WHERE id = ?`).run(
      asked.question.id,
    );
    db.close();
    await assert.rejects(store.getQuestion(asked.question.id), (err: unknown) => {
      assert.ok(!(err instanceof StoreUnavailableError));
      assert.ok(err instanceof Error && err.message.includes(asked.question.id), String(err));
      return true;
    });
  });

  it('keeps no address in a queued e-mail once it is sent or given up', async () => {
    const store = open();
    await store.queueMail([mail('sent', 'sent-to@example.com'), mail('dead', 'dead-to@example.com')]);
    await store.markMailSent('sent', minutesAfter(3), 'notify-1');
    await store.markMailDead('dead', '400');
    const db = raw();
    try {
      assert.deepEqual(
        db.prepare('SELECT id, recipient, recipient_key, personalisation, state FROM mail ORDER BY id').all(),
        [
          { id: 'dead', recipient: '', recipient_key: '', personalisation: '{}', state: 'dead' },
          { id: 'sent', recipient: '', recipient_key: '', personalisation: '{}', state: 'sent' },
        ],
      );
    } finally {
      db.close();
    }
  });

  it('leaves no trace of an unsubscribed or erased address in the file itself', async () => {
    const store = open();
    const created = await store.subscribe(subscription('gone.person@example.com'), 5);
    assert.equal(created.outcome, 'created');
    await store.queueMail([mail('erased', 'erased.person@example.com')]);
    await store.close();
    // Written through to the file, then deleted and erased.
    const again = open();
    if (created.outcome === 'created') await again.unsubscribe(created.subscription.token);
    await again.markMailSent('erased', minutesAfter(3));
    await again.close();
    const db = raw();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = readFileSync(file);
    assert.equal(bytes.includes('gone.person@example.com'), false);
    assert.equal(bytes.includes('erased.person@example.com'), false);
  });

  it('upgrades a file written by the previous release, keeping its records', async () => {
    const old = open();
    await old.savePreferences('alice', { locale: 'fr' });
    await old.close();
    const db = raw();
    db.exec(
      `DROP INDEX handled_activities_running; ALTER TABLE handled_activities DROP COLUMN running_until;
       ALTER TABLE outbox DROP COLUMN lease_owner; ALTER TABLE outbox DROP COLUMN lease_until; DROP TABLE leases; DROP TABLE rate_events;
       ALTER TABLE audit_entries DROP COLUMN on_behalf_of_id; ALTER TABLE audit_entries DROP COLUMN on_behalf_of_name; DROP TABLE delegations;
       DROP TABLE self_identification; DROP TABLE applications; DROP TABLE questions; DROP TABLE subscriptions; DROP TABLE mail; DROP TABLE mailbox; DROP TABLE publication_log;
       DELETE FROM schema_migrations WHERE version > 8; PRAGMA user_version = 8`,
    );
    db.close();
    const store = open();
    assert.deepEqual(await store.getPreferences('alice'), { locale: 'fr' });
    assert.ok((await store.askQuestion(question(), { perOpportunity: 1, total: 1 })).ok);
    assert.equal((await store.subscribe(subscription('a@example.com'), 1)).outcome, 'created');
    assert.equal(await store.queueMail([mail('a')]), 1);
    const after = raw();
    try {
      assert.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    } finally {
      after.close();
    }
  });
});

/**
 * Processes on one file, each a thread with its own connection, released together: each submits its
 * applications in turn and answers the outcomes.
 */
async function submitTogether(
  file: string,
  batches: readonly (readonly NewApplication[])[],
  maxUnconfirmed: number,
): Promise<SubmitOutcome['outcome'][][]> {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const workers = batches.map(
    (applications) =>
      new Worker(
        `
        const { workerData, parentPort } = require('node:worker_threads');
        require('tsx/cjs');
        const { SqliteStore } = require(workerData.module);
        const store = SqliteStore.open(workerData.file);
        parentPort.postMessage('ready');
        Atomics.wait(new Int32Array(workerData.gate), 0, 0);
        (async () => {
          const outcomes = [];
          for (const a of workerData.applications) {
            outcomes.push((await store.submitApplication(a, {}, workerData.max)).outcome);
          }
          await store.close();
          parentPort.postMessage(outcomes);
        })().catch((err) => parentPort.postMessage({ error: String(err) }));
        `,
        {
          eval: true,
          workerData: {
            module: join(__dirname, '../../src/stores/sqlite-store.ts'),
            file,
            gate: gate.buffer,
            applications,
            max: maxUnconfirmed,
          },
        },
      ),
  );
  const answers = workers.map(
    (worker) =>
      new Promise<unknown>((resolve, reject) => {
        let ready = false;
        worker.on('message', (message: unknown) => {
          if (ready) resolve(message);
          ready = true;
        });
        worker.once('error', reject);
      }),
  );
  try {
    // Every thread has its connection open before any writes.
    await Promise.all(
      workers.map((worker) => new Promise<void>((resolve) => worker.once('message', () => resolve()))),
    );
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    const results = await Promise.all(answers);
    for (const r of results) assert.ok(Array.isArray(r), JSON.stringify(r));
    return results as SubmitOutcome['outcome'][][];
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

describe('SqliteStore (applications, SQLite specifics)', () => {
  let file: string;
  const opened: SqliteStore[] = [];
  const open = (options = {}) => {
    const store = SqliteStore.open(file, options);
    opened.push(store);
    return store;
  };
  const raw = () => new Database(file);
  const OPPORTUNITY = 'MA-2026-0001';

  beforeEach(() => {
    file = freshFile();
    // The schema is in place before threads race to open the file.
    SqliteStore.open(file)
      .close()
      .catch(() => undefined);
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await removeDir();
  });

  it('keeps applications, their confirmations, evaluations and statistics across a restart', async () => {
    const first = open();
    const applied = await first.submitApplication(
      applicationAt('ana@example.com', 1),
      { outsideNcr: 'yes' },
      5,
    );
    assert.equal(applied.outcome, 'created');
    const a = applied.outcome === 'created' ? applied.application : assert.fail();
    const done = await first.confirmApplication(a.id, 1, minutesAfter(2));
    const numbered = await first.saveApplication({ ...done, number: 1, version: 3 }, 2);
    const waiting = applicationAt('bo@example.com', 3);
    await first.submitApplication(waiting, { newToGovernment: 'no' }, 5);
    const change = applicationAt('ANA@example.com', 4);
    await first.submitApplication(change, { outsideNcr: 'no' }, 5);
    const before = await first.applicationsOf(OPPORTUNITY, {}, { limit: 10 });
    await first.close();

    const second = open();
    assert.deepEqual(await second.applicationsOf(OPPORTUNITY, {}, { limit: 10 }), before);
    assert.deepEqual(await second.getApplication(a.id), { ...numbered, pending: change.pending, version: 4 });
    assert.equal((await second.applicationByToken(waiting.pending.token))?.email, 'bo@example.com');
    assert.equal((await second.selfIdentificationCounts([OPPORTUNITY])).outsideNcr.yes, 1);
    // The answers waiting with the change survive too, and replace the earlier ones once confirmed.
    await second.confirmApplication(a.id, 4, minutesAfter(5));
    assert.deepEqual((await second.selfIdentificationCounts([OPPORTUNITY])).outsideNcr, {
      yes: 0,
      no: 1,
      unsaid: 0,
    });
  });

  it('keeps one application when two processes on one file take the same address at the same moment', async function () {
    this.timeout(60_000);
    const outcomes = await submitTogether(
      file,
      [[applicationAt('Ana@example.com', 1)], [applicationAt('ana@EXAMPLE.com', 1)]],
      10,
    );
    assert.deepEqual(outcomes.flat().sort(), ['changed', 'created']);
    const store = open();
    const [only, ...others] = (await store.applicationsOf(OPPORTUNITY, {}, { limit: 10 })).items;
    assert.deepEqual(others, []);
    assert.equal(only?.version, 2);
  });

  it('lets processes on one file racing for the last places store no more applications than the bound', async function () {
    this.timeout(60_000);
    const batches = [0, 1, 2].map((p) =>
      [0, 1, 2, 3].map((i) => applicationAt(`person-${p}-${i}@example.com`, 1 + i)),
    );
    const outcomes = (await submitTogether(file, batches, 5)).flat();
    assert.equal(outcomes.filter((o) => o === 'created').length, 5);
    assert.equal(outcomes.filter((o) => o === 'full').length, 7);
    const store = open();
    assert.equal((await store.applicationsOf(OPPORTUNITY, {}, { limit: 100 })).items.length, 5);
  });

  it('reports a database locked by another writer as unavailable when someone applies', async () => {
    const store = open({ busyTimeoutMs: 20 });
    const other = raw();
    other.exec('BEGIN IMMEDIATE');
    try {
      await assert.rejects(
        store.submitApplication(applicationAt('ana@example.com', 1), {}, 5),
        (err: unknown) => err instanceof StoreUnavailableError && err.message.includes(file),
      );
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal(
      (await store.submitApplication(applicationAt('ana@example.com', 1), {}, 5)).outcome,
      'created',
    );
  });

  it('fails loudly, naming the application, when a stored application or its answers are corrupt', async () => {
    const store = open();
    const applied = await store.submitApplication(
      applicationAt('ana@example.com', 1),
      { equityGroup: 'yes' },
      5,
    );
    const a = applied.outcome === 'created' ? applied.application : assert.fail();
    await store.confirmApplication(a.id, 1, minutesAfter(2));
    const db = raw();
    db.prepare(`UPDATE applications SET data = json_set(data, '$.content.kind', 'company') WHERE id = ?`).run(
      a.id,
    );
    db.prepare(`UPDATE self_identification SET answers = '{"equityGroup":"perhaps"}'`).run();
    db.close();
    const namesIt = (err: unknown) => {
      assert.ok(!(err instanceof StoreUnavailableError));
      assert.ok(err instanceof Error && err.message.includes(a.id), String(err));
      return true;
    };
    await assert.rejects(store.getApplication(a.id), namesIt);
    await assert.rejects(store.applicationsOf(OPPORTUNITY, {}, { limit: 10 }), namesIt);
    await assert.rejects(store.selfIdentificationCounts([OPPORTUNITY]), namesIt);
  });

  it('leaves no trace of a deleted application’s address or answers in the file itself', async () => {
    const store = open();
    const secret = 'Unmistakable-Answer-7f3c';
    const applied = await store.submitApplication(
      applicationAt('gone.applicant@example.com', 1, {}, { answer: secret }),
      { newToGovernment: 'yes' },
      5,
    );
    const a = applied.outcome === 'created' ? applied.application : assert.fail();
    await store.confirmApplication(a.id, 1, minutesAfter(2));
    await store.close();
    const again = open();
    assert.equal(await again.deleteApplications(OPPORTUNITY), 1);
    await again.close();
    const db = raw();
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      assert.deepEqual(db.prepare('SELECT COUNT(*) AS n FROM self_identification').get(), { n: 0 });
    } finally {
      db.close();
    }
    const bytes = readFileSync(file);
    assert.equal(bytes.includes('gone.applicant@example.com'), false);
    assert.equal(bytes.includes(secret), false);
    assert.equal(bytes.includes(a.id), false);
  });

  it('upgrades a file written before applications, keeping its questions', async () => {
    const old = open();
    const asked = await old.askQuestion(
      {
        id: `q-${randomUUID()}`,
        reference: OPPORTUNITY,
        locale: 'en',
        text: 'Is the code public?',
        askedAt: minutesAfter(1),
      },
      { perOpportunity: 5, total: 5 },
    );
    await old.close();
    const db = raw();
    db.exec(
      `DROP INDEX handled_activities_running; ALTER TABLE handled_activities DROP COLUMN running_until;
       ALTER TABLE outbox DROP COLUMN lease_owner; ALTER TABLE outbox DROP COLUMN lease_until; DROP TABLE leases; DROP TABLE rate_events;
       ALTER TABLE audit_entries DROP COLUMN on_behalf_of_id; ALTER TABLE audit_entries DROP COLUMN on_behalf_of_name; DROP TABLE delegations;
       DROP TABLE self_identification; DROP TABLE applications;
       DELETE FROM schema_migrations WHERE version > 9; PRAGMA user_version = 9`,
    );
    db.close();
    const store = open();
    assert.ok(asked.ok);
    assert.deepEqual(await store.getQuestion(asked.question.id), asked.question);
    assert.equal(
      (await store.submitApplication(applicationAt('ana@example.com', 2), {}, 1)).outcome,
      'created',
    );
    const after = raw();
    try {
      assert.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    } finally {
      after.close();
    }
  });
});
