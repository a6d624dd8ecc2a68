import { strict as assert } from 'node:assert';
import {
  branchKey,
  lookback,
  lookbackSince,
  significantWords,
  splittingEvidence,
  titleSimilarity,
} from '../../src/services/lookback';
import type { Opportunity } from '../../src/services/opportunity';
import { NOW, submitted } from '../support/opportunities';

const BRANCH = submitted().client.branch;

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
    // Common words in French count no more than in English.
    assert.deepEqual([...significantWords('Ajouter une date pour les formulaires')].sort(), [
      'date',
      'formulaires',
    ]);
  });

  it('shows the branch requests of the last 12 months with a similar title', () => {
    const result = lookback(
      { title: 'Accessible date picker, part 2', branch: BRANCH },
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
      { title: 'Accessible date picker', branch: BRANCH },
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
      { title: 'Something else entirely', branch: BRANCH },
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
      { title: 'Accessible date picker', branch: BRANCH },
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

  it('counts a branch typed in another case, with or without accents, or spaced otherwise as the same branch', () => {
    const other = (ref: string, branch: string) => {
      const r = record(ref, 'Accessible date picker');
      return { ...r, client: { ...r.client, branch } };
    };
    const result = lookback(
      { title: 'Accessible date picker', branch: 'Direction générale de l’innovation' },
      [
        other('MA-2026-0001', 'DIRECTION GENERALE DE L INNOVATION'),
        other('MA-2026-0002', 'direction  générale de l’innovation'),
        other('MA-2026-0003', 'Finance Branch'),
      ],
      NOW,
    );
    assert.deepEqual(
      result.similar.map((s) => s.reference),
      ['MA-2026-0001', 'MA-2026-0002'],
    );
  });

  it('counts every name the department gives a branch, in either language or as an acronym, as one branch', () => {
    const names = [
      ['IITB', 'DGIIT', 'Innovation, Information and Technology Branch'],
      ['CFOB', 'DGDPF'],
    ];
    assert.equal(branchKey('dgiit', names), branchKey('IITB', names));
    assert.equal(branchKey('Innovation, information and technology branch', names), branchKey('IITB', names));
    assert.notEqual(branchKey('DGDPF', names), branchKey('IITB', names));
    // Without the list, an acronym is only itself.
    assert.notEqual(branchKey('DGIIT'), branchKey('IITB'));
    const r = record('MA-2026-0001', 'Accessible date picker');
    const result = lookback(
      { title: 'Accessible date picker', branch: 'IITB' },
      [{ ...r, client: { ...r.client, branch: 'DGIIT' } }],
      NOW,
      names,
    );
    assert.equal(result.similar.length, 1);
  });

  it('tells branches apart by their words, not their letters, and reads a name with no letters as none', () => {
    assert.notEqual(branchKey('Benefit sDelivery'), branchKey('Benefits Delivery'));
    assert.equal(branchKey('Benefits-Delivery'), branchKey('benefits delivery'));
    assert.equal(branchKey('— ·'), '');
    assert.deepEqual([...significantWords('!!! —')], []);
    assert.equal(titleSimilarity('', 'Accessible date picker'), 0);
  });

  it('counts a request made exactly twelve months ago, and a title sharing half its words', () => {
    const result = lookback(
      { title: 'Accessible widget', branch: BRANCH },
      [
        record('MA-2025-0001', 'Accessible picker', { createdAt: lookbackSince(NOW) }),
        record('MA-2025-0002', 'Payroll picker'),
      ],
      NOW,
    );
    assert.deepEqual(
      result.similar.map((s) => s.reference),
      ['MA-2025-0001'],
    );
  });

  it('leaves the request being weighed out of its own look-back', () => {
    const result = lookback(
      { title: 'Accessible date picker', branch: BRANCH, reference: 'MA-2026-0001' },
      [record('MA-2026-0001', 'Accessible date picker'), record('MA-2026-0002', 'Accessible date picker')],
      NOW,
    );
    assert.deepEqual(
      result.similar.map((s) => s.reference),
      ['MA-2026-0002'],
    );
  });

  it('flags similar requests that together with this one would pass the $10,000 ceiling with tax', () => {
    const priced = (ref: string, cents: number) => {
      const r = record(ref, 'Accessible date picker');
      return { ...r, pricing: { ...r.pricing, fixedPriceCents: cents } };
    };
    const subject = { title: 'Accessible date picker', branch: BRANCH };
    // $4,000 + $4,800 = $8,800, $10,120 with 15 % tax: past the ceiling.
    const over = splittingEvidence(lookback(subject, [priced('MA-2026-0002', 400_000)], NOW), 480_000);
    assert.equal(over.similarTotalCents, 400_000);
    assert.equal(over.togetherWithTaxCents, 1_012_000);
    assert.equal(over.overCeiling, true);
    // $4,000 + $4,600 = $8,600, $9,890 with tax: within it.
    const within = splittingEvidence(lookback(subject, [priced('MA-2026-0002', 400_000)], NOW), 460_000);
    assert.equal(within.overCeiling, false);
    // Nothing similar: nothing to add up, however large the request.
    assert.equal(splittingEvidence(lookback(subject, [], NOW), 870_000).overCeiling, false);
    // Exactly the ceiling is within it: $4,695.65 + $4,000 is $10,000.00 with tax.
    const exactly = splittingEvidence(lookback(subject, [priced('MA-2026-0002', 469_565)], NOW), 400_000);
    assert.equal(exactly.togetherWithTaxCents, 1_000_000);
    assert.equal(exactly.overCeiling, false);
  });

  it('names the suppliers the branch would pay past the ceiling if they won this request too', () => {
    const r = record('MA-2026-0002', 'Payroll export');
    const engaged = {
      ...r,
      selection: { ...r.selection, supplierName: 'Ada Dev' },
      pricing: { ...r.pricing, fixedPriceCents: 500_000 },
    };
    const evidence = splittingEvidence(
      lookback({ title: 'Accessible date picker', branch: BRANCH }, [engaged], NOW),
      400_000,
    );
    assert.deepEqual(
      evidence.suppliersOver.map((s) => [s.supplier, s.togetherWithTaxCents]),
      [['Ada Dev', 1_035_000]],
    );
    // A supplier the request would take exactly to the ceiling is within it.
    const atCeiling = splittingEvidence(
      lookback({ title: 'Accessible date picker', branch: BRANCH }, [engaged], NOW),
      369_565,
    );
    assert.deepEqual(atCeiling.suppliersOver, []);
    const small = splittingEvidence(
      lookback({ title: 'Accessible date picker', branch: BRANCH }, [engaged], NOW),
      300_000,
    );
    assert.deepEqual(small.suppliersOver, []);
  });

  it('starts the window twelve months before now', () => {
    assert.equal(lookbackSince(NOW), '2025-11-23T15:00:00.000Z');
  });
});
