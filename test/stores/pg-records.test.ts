import assert from 'node:assert/strict';
import type { Opportunity } from '../../src/services/opportunity';
import { ConcurrencyError } from '../../src/services/store';
import { PgAccess } from '../../src/stores/pg-access';
import { PgRecords } from '../../src/stores/pg-records';
import { migrate, PG_SCHEMA_VERSION } from '../../src/stores/pg-schema';
import { type FixtureOptions, newOpportunity, NOW, step, submittedAudit } from '../contract/fixtures';
import { lookbackQuery, lookbackRow } from '../../src/services/lookback';
import { assertLookbackBackfilled } from '../contract/lookback-contract';
import { type FreshSchema, freshSchema, requirePostgres } from '../support/postgres';

/**
 * The records and pending notifications in PostgreSQL: the store contract's tests of those ports, with
 * the other ports left out, then what only a server shared by several replicas makes happen.
 */

/** A records store on an empty schema of its own, migrated as the bot migrates it at start-up. */
async function recordsOn(fresh: FreshSchema): Promise<{ access: PgAccess; records: PgRecords }> {
  const access = PgAccess.connect({ connectionString: fresh.url, schema: fresh.schema });
  await migrate(access);
  return { access, records: new PgRecords(access) };
}

describe('PgRecords', function () {
  before(requirePostgres);

  describe('shared by several writers', function () {
    let fresh: FreshSchema;
    let access: PgAccess;
    let records: PgRecords;
    let keys = 0;

    beforeEach(async () => {
      fresh = await freshSchema();
      ({ access, records } = await recordsOn(fresh));
    });
    afterEach(async () => {
      await access.close();
      await fresh.drop();
    });

    const create = (options: FixtureOptions = {}, key = `pg-submission-${++keys}`): Promise<Opportunity> => {
      const record = newOpportunity(options);
      return records.create(record, submittedAudit(record), key);
    };
    /** A request in IITB whose supplier is named, with the spaces a person might type around the name. */
    const createEngaged = (): Promise<Opportunity> => {
      const fresh = newOpportunity({ branch: 'iitb', title: 'Payroll export' });
      return records.create(
        { ...fresh, selection: { ...fresh.selection, supplierName: ' Ada Dev ' } },
        submittedAudit(fresh),
        'engaged',
      );
    };
    const found = async (text: string) =>
      (await records.query({ text }, { limit: 100 })).items.map((o) => o.reference);

    it('numbers 20 records created at once in one year from 0001 to 0020, without gap or duplicate', async () => {
      const made = await Promise.all(Array.from({ length: 20 }, () => create()));
      assert.deepEqual(
        made.map((o) => o.reference).sort(),
        Array.from({ length: 20 }, (_, i) => `MA-2026-${String(i + 1).padStart(4, '0')}`),
      );
      const { rows } = await access.query<{ last_seq: number }>('SELECT last_seq FROM reference_counters');
      assert.deepEqual(rows, [{ last_seq: 20 }]);
    });

    it('makes one record of 10 creates sent at once with one idempotency key', async () => {
      const made = await Promise.all(
        Array.from({ length: 10 }, (_, i) => create({ title: `Arrival ${i}` }, 'one-submission')),
      );
      for (const o of made) assert.deepEqual(o, made[0]);
      assert.equal((await records.query({}, { limit: 100 })).items.length, 1);
      assert.equal((await records.auditTrail('MA-2026-0001')).length, 1);
      // The creates that lost gave their numbers back.
      assert.equal((await create()).reference, 'MA-2026-0002');
    });

    it('lets one of two transitions from the same version win, refusing the other with the actual version', async () => {
      const record = await create();
      const one = step(record, 'request_edits', { comment: 'One: add a budget line.' });
      const other = step(record, 'vet_no_go', { reason: 'Other: out of scope.' });
      const results = await Promise.allSettled([
        records.transition(one.next, 1, one.audit),
        records.transition(other.next, 1, other.audit),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      const error: unknown = lost[0]?.reason;
      assert.ok(error instanceof ConcurrencyError, String(error));
      assert.equal(error.expectedVersion, 1);
      assert.equal(error.actualVersion, 2);
      const trail = await records.auditTrail(record.reference);
      assert.deepEqual(
        trail.map((e) => [e.action, e.outcome]),
        [
          ['submit', 'applied'],
          [won[0]?.value.status === 'rejected' ? 'vet_no_go' : 'request_edits', 'applied'],
        ],
      );
      assert.deepEqual(await records.get(record.reference), won[0]?.value);
    });

    it('finds a French title with or without its accents, and by the beginning of its words', async () => {
      const record = await create({ title: 'Élaboration du modèle de données' });
      await create({ title: 'Unrelated work' });
      assert.deepEqual(await found('élaboration'), [record.reference]);
      assert.deepEqual(await found('elaboration'), [record.reference]);
      assert.deepEqual(await found('ÉLAB modele'), [record.reference]);
      assert.deepEqual(await found('élab donnees'), [record.reference]);
      assert.deepEqual(await found('laboration'), [], 'the middle of a word is not its beginning');
    });

    it('finds English words by their stem as well as by their beginning', async () => {
      const reports = await create({ title: 'Quarterly reports generator' });
      const studies = await create({ title: 'Usability studies dashboard' });
      assert.deepEqual(await found('report'), [reports.reference]);
      assert.deepEqual(await found('reporting'), [reports.reference]);
      assert.deepEqual(await found('study'), [studies.reference]);
    });

    it('gives a pending notification for a creation with its new reference filled in', async () => {
      const record = newOpportunity();
      const audit = submittedAudit(record);
      const event = {
        type: 'submitted' as const,
        at: audit.at,
        actor: audit.actor,
        from: 'draft' as const,
        to: 'submitted' as const,
      };
      const created = await records.create(record, audit, 'with-events', [event]);
      assert.deepEqual(await records.pendingNotifications(10), [
        {
          reference: created.reference,
          version: 1,
          events: [{ ...event, reference: created.reference }],
          at: audit.at,
        },
      ]);
    });

    it('lists pending notifications oldest first, at most the limit, and settles them one by one', async () => {
      const at = (minute: number) => `2026-03-02T14:0${minute}:00.000Z`;
      await records.addNotification({ reference: 'MA-2026-0002', version: 3, events: [], at: at(2) });
      await records.addNotification({ reference: 'MA-2026-0001', version: 2, events: [], at: at(1) });
      await records.addNotification({ reference: 'MA-2026-0001', version: 2, events: [], at: at(5) });
      await records.addNotification({ reference: 'MA-2026-0003', version: 1, events: [], at: at(3) });
      const listed = async (limit: number) =>
        (await records.pendingNotifications(limit)).map((n) => `${n.reference}:v${n.version}`);
      assert.deepEqual(await listed(10), ['MA-2026-0001:v2', 'MA-2026-0002:v3', 'MA-2026-0003:v1']);
      assert.deepEqual(await listed(2), ['MA-2026-0001:v2', 'MA-2026-0002:v3']);
      assert.deepEqual(await listed(0), ['MA-2026-0001:v2']);
      await records.settleNotification('MA-2026-0002', 3);
      assert.deepEqual(await listed(10), ['MA-2026-0001:v2', 'MA-2026-0003:v1']);
      await assert.rejects(
        records.addNotification({ reference: 'MA-2026-0004', version: 1, events: [], at: 'soon' }),
        RangeError,
      );
    });

    it('indexes a word longer than PostgreSQL lets a lexeme be, and finds it by its beginning', async () => {
      // Each of these characters folds into four CJK letters: 2,000 letters, 6,000 bytes in one word.
      const record = await create({ content: { shortDescription: '\u337f'.repeat(500) } });
      assert.deepEqual(await found('株式会社株式'), [record.reference]);
    });

    it('keeps text JSON cannot carry in jsonb exactly: a NUL character', async () => {
      const record = await create({ content: { background: 'before\u0000after' } });
      assert.equal((await records.get(record.reference))?.background, 'before\u0000after');
    });

    it('fills in the look-back columns of the records a schema at version 4 holds, a slice at a time', async () => {
      const mine = await create({ branch: 'DGIIT', title: 'Accessible date picker' });
      const engaged = await createEngaged();
      await create({ branch: 'CFOB', title: 'Accessible date picker' });
      const unreadable = await create({ branch: 'IITB', title: 'Date picker' });
      // Take the schema back to what version 4 left, then fill it past several slices of the backfill.
      await access.query(
        `ALTER TABLE opportunities DROP COLUMN branch_key, DROP COLUMN title_words, DROP COLUMN supplier_name,
           DROP COLUMN fixed_price_cents, DROP COLUMN lookback_version;
         DELETE FROM schema_migrations WHERE version > 4`,
      );
      await access.query(
        `INSERT INTO opportunities
           (reference, year, seq, version, status, requester_id, branch, created_at, updated_at, title, data, search_text)
         SELECT 'MA-2025-' || lpad(g::text, 4, '0'), 2025, g, version, status, requester_id, 'Elsewhere',
                created_at, updated_at, title, data, search_text
         FROM opportunities, generate_series(1, 1200) g WHERE reference = $1`,
        [mine.reference],
      );
      await access.query(`UPDATE opportunities SET data = 'not JSON' WHERE reference = $1`, [
        unreadable.reference,
      ]);

      await migrate(access);
      const { rows: applied } = await access.query<{ version: number; name: string }>(
        'SELECT version, name FROM schema_migrations ORDER BY version',
      );
      assert.deepEqual(applied.at(-1), { version: 5, name: 'look-back columns' });
      assert.equal(PG_SCHEMA_VERSION, 5);
      const { rows: filled } = await access.query<{ branch_key: string; n: string }>(
        `SELECT branch_key, count(*) AS n FROM opportunities GROUP BY branch_key ORDER BY branch_key`,
      );
      assert.deepEqual(
        filled.map((r) => [r.branch_key, Number(r.n)]),
        [
          ['cfob', 1],
          ['dgiit', 1],
          ['elsewhere', 1200],
          ['iitb', 2],
        ],
      );
      await assertLookbackBackfilled(records, { unreadable, engaged, mine }, () =>
        create({ branch: 'IITB', title: 'Picker' }),
      );
    });

    it('finds in the look-back what a replica of the previous release writes or changes during a rolling upgrade, and fills it in at the next start', async () => {
      const query = lookbackQuery({ title: 'Accessible date picker', branch: 'IITB' }, NOW, [
        ['IITB', 'DGIIT'],
      ]);
      const mine = await create({ branch: 'DGIIT', title: 'Accessible date picker' });
      const engaged = await createEngaged();
      const unrelated = await create({ branch: 'IITB', title: 'Payroll export' });
      const elsewhere = await create({ branch: 'CFOB', title: 'Accessible date picker' });
      const filled = await create({ branch: 'IITB', title: 'Date picker' });
      const later = await create({ branch: 'IITB', title: 'Accessible forms' });
      // What the previous release writes: a record whose new columns keep their defaults...
      await access.query(
        `UPDATE opportunities
         SET branch_key = DEFAULT, title_words = DEFAULT, supplier_name = DEFAULT, fixed_price_cents = DEFAULT,
             lookback_version = DEFAULT
         WHERE reference = ANY($1::text[])`,
        [[mine, engaged, elsewhere].map((o) => o.reference)],
      );
      // ...and a change that leaves them as they were: a supplier named, a title reworded.
      const oldChange = (reference: string, path: string, value: string) =>
        access.query(
          `UPDATE opportunities o SET version = o.version + 1, data = n.doc::text, title = n.doc ->> 'title'
           FROM (SELECT jsonb_set(data::jsonb, $2::text[], to_jsonb($3::text)) AS doc
                 FROM opportunities WHERE reference = $1) n
           WHERE o.reference = $1`,
          [reference, path, value],
        );
      await oldChange(unrelated.reference, '{selection,supplierName}', 'Bo Dev');
      await oldChange(later.reference, '{title}', 'Payroll forms');
      const named = { ...unrelated, selection: { ...unrelated.selection, supplierName: 'Bo Dev' } };
      const expected = [filled, named, engaged, mine].map(lookbackRow);

      assert.deepEqual(await records.lookbackRows(query, 10), expected);
      assert.deepEqual(await records.lookbackRows(query, 2), expected.slice(0, 2));

      await migrate(access);
      const { rows } = await access.query<{ n: string }>(
        'SELECT count(*) AS n FROM opportunities WHERE lookback_version <> version',
      );
      assert.equal(Number(rows[0]?.n), 0);
      assert.deepEqual(await records.lookbackRows(query, 10), expected);
    });

    it('rejects a search cursor given to a plain query, and the other way round', async () => {
      for (let i = 0; i < 3; i++) await create({ title: `Quokka ${i}` });
      const search = await records.query({ text: 'quokka' }, { limit: 1 });
      const plain = await records.query({}, { limit: 1 });
      assert.ok(search.nextCursor && plain.nextCursor);
      await assert.rejects(records.query({}, { limit: 1, cursor: search.nextCursor }), RangeError);
      await assert.rejects(
        records.query({ text: 'quokka' }, { limit: 1, cursor: plain.nextCursor }),
        RangeError,
      );
    });
  });
});
