import { strict as assert } from 'node:assert';
import { lookback, lookbackSince, significantWords, titleSimilarity } from '../../src/services/lookback';
import type { Opportunity } from '../../src/services/opportunity';
import { NOW, submitted } from '../support/opportunities';

function record(reference: string, title: string, extra: Partial<Opportunity> = {}): Opportunity {
  return { ...submitted(reference), title, ...extra };
}

describe('contract-splitting look-back', () => {
  it('compares titles on their significant words, accents and case aside', () => {
    assert.deepEqual([...significantWords('Fix the Accessible date-picker')].sort(), [
      'accessible',
      'date',
      'picker',
    ]);
    assert.equal(
      titleSimilarity('Sélecteur de date accessible', 'selecteur de DATE accessible (phase 2)'),
      1,
    );
    assert.equal(titleSimilarity('Accessible date picker', 'Payroll export to CSV'), 0);
  });

  it('shows the branch requests of the last 12 months with a similar title', () => {
    const result = lookback(
      'Accessible date picker, part 2',
      [
        record('MA-2026-0003', 'Accessible date picker for the benefits form'),
        record('MA-2026-0002', 'Payroll export to CSV'),
        record('MA-2025-0009', 'Accessible date picker', { createdAt: '2025-11-01T12:00:00.000Z' }),
      ],
      NOW,
    );
    assert.deepEqual(
      result.similar.map((s) => s.reference),
      ['MA-2026-0003'],
    );
  });

  it('leaves out cancelled and rejected requests: they bought nothing', () => {
    const result = lookback(
      'Accessible date picker',
      [
        record('MA-2026-0004', 'Accessible date picker', { status: 'cancelled' }),
        record('MA-2026-0005', 'Accessible date picker', { status: 'rejected' }),
      ],
      NOW,
    );
    assert.deepEqual(result.similar, []);
  });

  it('totals the contracts of each supplier the branch engaged, largest first', () => {
    const withSupplier = (ref: string, supplier: string, cents: number) => {
      const r = record(ref, `Job ${ref}`);
      return {
        ...r,
        selection: { ...r.selection, supplierName: supplier },
        pricing: { ...r.pricing, fixedPriceCents: cents },
      };
    };
    const result = lookback(
      'Something else entirely',
      [
        withSupplier('MA-2026-0001', 'Ada Dev', 300_000),
        withSupplier('MA-2026-0002', 'ada dev ', 400_000),
        withSupplier('MA-2026-0003', 'Bo Code', 800_000),
      ],
      NOW,
    );
    assert.deepEqual(result.suppliers, [
      { supplier: 'Bo Code', contracts: 1, totalCents: 800_000 },
      { supplier: 'Ada Dev', contracts: 2, totalCents: 700_000 },
    ]);
  });

  it('lists the closest titles first', () => {
    const result = lookback(
      'Accessible date picker',
      [
        record('MA-2026-0002', 'Accessible date picker and calendar for payroll reports'),
        record('MA-2026-0001', 'Accessible date picker'),
      ],
      NOW,
    );
    assert.deepEqual(
      result.similar.map((s) => s.reference),
      ['MA-2026-0001', 'MA-2026-0002'],
    );
  });

  it('starts the window twelve months before now', () => {
    assert.equal(lookbackSince(NOW), '2025-11-23T15:00:00.000Z');
  });
});
