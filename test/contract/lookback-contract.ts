import assert from 'node:assert/strict';
import { lookbackQuery, lookbackRow, lookbackSince } from '../../src/services/lookback';
import type { Opportunity } from '../../src/services/opportunity';
import type { LookbackQuery, NewAuditEntry, OpportunityStore } from '../../src/services/store';
import { type FixtureOptions, newOpportunity, NOW, step, submittedAudit } from './fixtures';

/**
 * RecordStore.lookbackRows, stated through the interface alone: part of the store contract
 * (describeStoreContract), so every adapter answers it alike.
 */

/** The department's names for two branches. */
const NAMES = [
  ['IITB', 'DGIIT', 'Innovation, Information and Technology Branch'],
  ['CFOB', 'DGDPF'],
];

/** What a requester in IITB typing "Accessible date picker" has the store read. */
const PICKER: LookbackQuery = lookbackQuery({ title: 'Accessible date picker', branch: 'IITB' }, NOW, NAMES);

interface Made extends FixtureOptions {
  readonly supplier?: string;
}

export function describeLookbackRows(storeOf: () => OpportunityStore): void {
  describe('look-back rows', () => {
    let keys = 0;
    /** A record as submitted, with a supplier named when given (the store keeps what it is given). */
    const create = async (options: Made = {}): Promise<Opportunity> => {
      const fresh = newOpportunity(options);
      const record =
        options.supplier === undefined
          ? fresh
          : { ...fresh, selection: { ...fresh.selection, supplierName: options.supplier } };
      return storeOf().create(record, submittedAudit(record), `lookback-${++keys}`);
    };
    const found = async (query: LookbackQuery = PICKER, limit = 100) =>
      (await storeOf().lookbackRows(query, limit)).map((r) => r.reference);
    /** A change of the record's own words, as a resubmission or a correction makes it. */
    const edit = async (o: Opportunity, changes: Partial<Opportunity>): Promise<Opportunity> => {
      const audit: NewAuditEntry = {
        at: o.updatedAt,
        actor: { aadObjectId: 'procurement-1', name: 'Sam Okafor' },
        action: 'correct',
        from: o.status,
        to: o.status,
        outcome: 'applied',
      };
      return storeOf().transition({ ...o, ...changes, version: o.version + 1 }, o.version, audit);
    };

    it('gives the light row of each record found: what the look-back reads, and nothing else', async () => {
      const plain = await create({ branch: 'IITB', title: 'Accessible date picker' });
      const engaged = await create({ branch: 'DGIIT', title: 'Payroll export', supplier: '  Ada Dev ' });
      const rows = await storeOf().lookbackRows(PICKER, 10);
      assert.deepEqual(rows, [lookbackRow(engaged), lookbackRow(plain)]);
      assert.deepEqual(rows[0], {
        reference: engaged.reference,
        title: 'Payroll export',
        status: 'submitted',
        createdAt: NOW,
        client: { branch: 'DGIIT' },
        pricing: { fixedPriceCents: engaged.pricing.fixedPriceCents },
        selection: { supplierName: 'Ada Dev' },
      });
      assert.deepEqual(rows[1]?.selection, {});
    });

    it('finds the branch by each of its names and spellings, accents and case aside, and no other', async () => {
      const mine = [
        await create({ branch: 'IITB', title: 'Date picker' }),
        await create({ branch: 'dgiit', title: 'Date picker' }),
        await create({ branch: 'Innovation, information and technology branch', title: 'Date picker' }),
        await create({
          branch: '  INNOVATION — Information & and Technology   Branch ',
          title: 'Date picker',
        }),
      ];
      await create({ branch: 'I.I.T.B.', title: 'Date picker' });
      await create({ branch: 'CFOB', title: 'Date picker', supplier: 'Ada Dev' });
      await create({ branch: 'DGDPF', title: 'Accessible date picker' });
      assert.deepEqual(
        (await found()).sort(),
        // "&" is no word of the name: the fourth spelling is the third's.
        mine.map((o) => o.reference).sort(),
      );

      const accented = await create({
        branch: 'Direction générale de l’innovation',
        title: 'Sélecteur de DATE',
      });
      const folded = await create({ branch: 'DIRECTION GENERALE DE L INNOVATION', title: 'selecteur' });
      await create({ branch: 'Direction générale', title: 'Sélecteur' });
      const french = lookbackQuery(
        { title: 'Sélecteur de date accessible', branch: 'direction  générale de l’innovation' },
        NOW,
        NAMES,
      );
      assert.deepEqual(await found(french), [folded.reference, accented.reference]);
    });

    it('leaves cancelled and rejected requests out, and keeps every other status', async () => {
      const cancelled = await create({ branch: 'IITB', title: 'Date picker', supplier: 'Ada Dev' });
      const cancel = step(cancelled, 'cancel', { reason: 'Not needed' });
      await storeOf().transition(cancel.next, 1, cancel.audit);
      const rejected = await create({ branch: 'IITB', title: 'Date picker' });
      const no = step(rejected, 'vet_no_go');
      await storeOf().transition(no.next, 1, no.audit);
      const approving = await create({ branch: 'IITB', title: 'Date picker' });
      const go = step(approving, 'vet_go');
      await storeOf().transition(go.next, 1, go.audit);
      const submitted = await create({ branch: 'IITB', title: 'Date picker' });
      assert.deepEqual(await found(), [submitted.reference, approving.reference]);
      assert.equal((await storeOf().lookbackRows(PICKER, 10))[1]?.status, 'in_approval');
    });

    it('starts at the first instant of the window', async () => {
      const since = lookbackSince(NOW);
      const first = await create({ branch: 'IITB', title: 'Date picker', at: since });
      await create({ branch: 'IITB', title: 'Date picker', at: '2025-03-02T13:59:59.999Z' });
      await create({
        branch: 'IITB',
        title: 'Date picker',
        supplier: 'Ada Dev',
        at: '2024-12-31T10:00:00.000Z',
      });
      assert.equal(since, '2025-03-02T14:00:00.000Z');
      assert.deepEqual(await found(), [first.reference]);
      // The bound is an instant, whatever offset it is written with.
      assert.deepEqual(await found({ ...PICKER, since: '2025-03-02T09:00:00.000-05:00' }), [first.reference]);
      assert.deepEqual(await found({ ...PICKER, since: '2025-03-02T09:00:00.001-05:00' }), []);
    });

    it('finds a title that shares a significant word, or a request that names a supplier, and no other', async () => {
      const shares = await create({ branch: 'IITB', title: 'Calendar with a DATE field' });
      await create({ branch: 'IITB', title: 'Payroll export' });
      await create({ branch: 'IITB', title: 'Update the pickers' });
      await create({ branch: 'IITB', title: 'Accessibility audit' });
      await create({ branch: 'IITB', title: 'Payroll export, again', supplier: '   ' });
      const engaged = await create({ branch: 'IITB', title: 'Payroll export', supplier: 'Bo Code' });
      assert.deepEqual(await found(), [engaged.reference, shares.reference]);
      // Common and short words are no significant words: they find nothing, suppliers aside.
      assert.deepEqual(await found({ ...PICKER, words: [] }), [engaged.reference]);
    });

    it('lists the latest reference first, and at most the limit', async () => {
      const a = await create({ branch: 'IITB', title: 'Date picker', at: '2026-01-05T10:00:00.000Z' });
      const b = await create({ branch: 'IITB', title: 'Date picker', at: '2025-06-01T10:00:00.000Z' });
      const c = await create({ branch: 'IITB', title: 'Date picker', at: '2026-01-02T10:00:00.000Z' });
      const d = await create({
        branch: 'IITB',
        title: 'Payroll',
        supplier: 'Ada Dev',
        at: '2025-12-01T10:00:00.000Z',
      });
      // 2026's numbers in the order created, then 2025's, whatever the creation times.
      assert.deepEqual(await found(), [c.reference, a.reference, d.reference, b.reference]);
      assert.deepEqual(await found(PICKER, 2), [c.reference, a.reference]);
      assert.deepEqual(await found(PICKER, 1), [c.reference]);
    });

    it('finds a record by what a change made of it, and no longer by what it was', async () => {
      const o = await create({ branch: 'CFOB', title: 'Payroll export' });
      assert.deepEqual(await found(), []);
      const moved = await edit(o, { client: { ...o.client, branch: 'DGIIT' } });
      assert.deepEqual(await found(), [], 'its title still shares no word');
      const renamed = await edit(moved, { title: 'Payroll date picker' });
      assert.deepEqual(await storeOf().lookbackRows(PICKER, 10), [lookbackRow(renamed)]);
      const elsewhere = await edit(renamed, { client: { ...renamed.client, branch: 'Ops' } });
      assert.deepEqual(await found(), []);
      const back = await edit(elsewhere, {
        client: { ...elsewhere.client, branch: 'iitb' },
        title: 'Payroll',
      });
      assert.deepEqual(await found(), []);
      const engaged = await edit(back, { selection: { ...back.selection, supplierName: 'Ada Dev' } });
      assert.deepEqual(await storeOf().lookbackRows(PICKER, 10), [lookbackRow(engaged)]);
      const dropped = await edit(engaged, { selection: { ...engaged.selection, supplierName: undefined } });
      assert.deepEqual(await found(), []);
      const priced = await edit(dropped, {
        title: 'Date picker',
        pricing: { ...dropped.pricing, fixedPriceCents: 123_456 },
      });
      assert.deepEqual(await storeOf().lookbackRows(PICKER, 10), [lookbackRow(priced)]);
    });

    it('treats the query as values: no branch finds nothing, quotes and patterns match only themselves', async () => {
      await create({ branch: 'IITB', title: 'Date picker', supplier: 'Ada Dev' });
      await create({ branch: "O'Neil % _", title: "Date picker's 100% 'quoted' words" });
      assert.deepEqual(await found({ ...PICKER, branchKeys: [] }), []);
      assert.deepEqual(await found({ ...PICKER, branchKeys: ["iitb' OR '1'='1", '%', 'iit_'] }), []);
      const quoted = { since: PICKER.since, branchKeys: ['o neil'] };
      assert.deepEqual(
        await found({ ...quoted, words: ["date' OR '1'='1", '%', 'pick%', 'date picker'] }),
        [],
      );
      assert.equal((await found({ ...quoted, words: ['quoted'] })).length, 1);
    });
  });
}

/**
 * What a migration that fills in the look-back's columns must leave, on any database: `seeded` were
 * written before it (`unreadable` with its JSON broken, 1,200 more in "Elsewhere"), and a record written
 * after it (`later`) has its columns from the start.
 */
export async function assertLookbackBackfilled(
  store: Pick<OpportunityStore, 'lookbackRows'>,
  seeded: { readonly unreadable: Opportunity; readonly engaged: Opportunity; readonly mine: Opportunity },
  later: () => Promise<Opportunity>,
): Promise<void> {
  const { unreadable, engaged, mine } = seeded;
  const query = lookbackQuery({ title: 'Accessible date picker', branch: 'IITB' }, NOW, [['IITB', 'DGIIT']]);
  const rows = await store.lookbackRows(query, 10);
  // The record that cannot be read keeps its branch and title words; its supplier and price are lost.
  assert.deepEqual(
    rows.map((r) => r.reference),
    [unreadable.reference, engaged.reference, mine.reference],
  );
  assert.deepEqual(rows[1], lookbackRow(engaged));
  assert.deepEqual(rows[2], lookbackRow(mine));
  assert.deepEqual(rows[0]?.pricing, { fixedPriceCents: 0 });
  const elsewhere = lookbackQuery({ title: 'Date picker', branch: 'elsewhere' }, NOW);
  assert.equal((await store.lookbackRows(elsewhere, 5_000)).length, 1200);
  const written = await later();
  assert.equal((await store.lookbackRows(query, 1))[0]?.reference, written.reference);
}
