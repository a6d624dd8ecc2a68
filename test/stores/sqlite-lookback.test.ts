import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION, SqliteStore } from '../../src/stores/sqlite-store';
import { type FixtureOptions, newOpportunity, submittedAudit } from '../contract/fixtures';
import { assertLookbackBackfilled } from '../contract/lookback-contract';

/**
 * Migration 14 on a file written before it: the look-back's columns filled in for every record already
 * there, so the look-back finds them as it finds records written since.
 */
describe('SqliteStore: the look-back columns of an older file', () => {
  let dir: string;
  let file: string;
  const opened: SqliteStore[] = [];
  const open = () => {
    const store = SqliteStore.open(file);
    opened.push(store);
    return store;
  };
  let keys = 0;
  const create = (store: SqliteStore, options: FixtureOptions & { supplier?: string } = {}) => {
    const fresh = newOpportunity(options);
    const record =
      options.supplier === undefined
        ? fresh
        : { ...fresh, selection: { ...fresh.selection, supplierName: options.supplier } };
    return store.create(record, submittedAudit(record), `k-${++keys}`);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'microacq-lookback-'));
    file = join(dir, 'store.db');
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fills in the columns of records written at schema version 13, a slice at a time', async () => {
    const old = open();
    const mine = await create(old, { branch: 'DGIIT', title: 'Accessible date picker' });
    const engaged = await create(old, { branch: 'iitb', title: 'Payroll export', supplier: ' Ada Dev ' });
    await create(old, { branch: 'CFOB', title: 'Accessible date picker' });
    const unreadable = await create(old, { branch: 'IITB', title: 'Date picker' });
    await old.close();
    // Take the file back to what version 13 left, then fill it past several slices of the backfill.
    const db = new Database(file);
    db.exec(
      `DROP INDEX opportunities_lookback;
       ALTER TABLE opportunities DROP COLUMN branch_key; ALTER TABLE opportunities DROP COLUMN title_words;
       ALTER TABLE opportunities DROP COLUMN supplier_name; ALTER TABLE opportunities DROP COLUMN fixed_price_cents;
       DELETE FROM schema_migrations WHERE version > 13; PRAGMA user_version = 13`,
    );
    db.prepare(
      `WITH RECURSIVE g (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1200)
       INSERT INTO opportunities
         (reference, year, seq, version, status, requester_id, branch, created_at, updated_at, title, data)
       SELECT 'MA-2025-' || printf('%04d', n), 2025, n, version, status, requester_id, 'Elsewhere', created_at,
              updated_at, title, data
       FROM opportunities, g WHERE reference = ?`,
    ).run(mine.reference);
    // The table's checks would refuse this; an old release or a hand edit might not have.
    db.pragma('ignore_check_constraints = ON');
    db.prepare(`UPDATE opportunities SET data = '[1]' WHERE reference = ?`).run(unreadable.reference);
    db.close();

    const store = open();
    const after = new Database(file);
    try {
      assert.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.deepEqual(
        after.prepare('SELECT version, name FROM schema_migrations WHERE version = 14').get(),
        { version: 14, name: 'look-back columns' },
      );
      assert.deepEqual(
        after
          .prepare(
            'SELECT branch_key, count(*) AS n FROM opportunities GROUP BY branch_key ORDER BY branch_key',
          )
          .all(),
        [
          { branch_key: 'cfob', n: 1 },
          { branch_key: 'dgiit', n: 1 },
          { branch_key: 'elsewhere', n: 1200 },
          { branch_key: 'iitb', n: 2 },
        ],
      );
      assert.deepEqual(
        (after.pragma('index_info(opportunities_lookback)') as { name: string }[]).map((c) => c.name),
        // Covering: the look-back is read from the index, never from the records' JSON.
        [
          'branch_key',
          'created_at',
          'status',
          'supplier_name',
          'title_words',
          'year',
          'seq',
          'reference',
          'title',
          'branch',
          'fixed_price_cents',
        ],
      );
      assert.deepEqual(
        after
          .prepare('SELECT title_words, supplier_name FROM opportunities WHERE reference = ?')
          .get(engaged.reference),
        { title_words: ' payroll export ', supplier_name: 'Ada Dev' },
      );
    } finally {
      after.close();
    }
    await assertLookbackBackfilled(store, { unreadable, engaged, mine }, () =>
      create(store, { branch: 'IITB', title: 'Picker' }),
    );
  });
});
