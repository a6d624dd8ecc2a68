import { strict as assert } from 'node:assert';
import {
  answersLookback,
  branchKey,
  branchKeys,
  lookback,
  lookbackQuery,
  lookbackRow,
  lookbackSince,
  ownBranchKey,
  significantWords,
  splittingEvidence,
  supplierOf,
  titleSimilarity,
  titleWords,
} from '../../src/services/lookback';
import type { Opportunity, Status } from '../../src/services/opportunity';
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

describe('what the look-back asks the store for', () => {
  const NAMES = [
    ['IITB', 'DGIIT', 'Innovation, Information and Technology Branch'],
    ['CFOB', 'DGDPF', 'Direction générale du dirigeant principal des finances'],
  ];
  const QUERY = lookbackQuery({ title: 'Accessible date picker', branch: 'IITB' }, NOW, NAMES);

  /** A record of the window in IITB's own spelling, by default one that answers nothing but its branch. */
  function candidate(overrides: {
    reference?: string;
    title?: string;
    branch?: string;
    status?: Status;
    createdAt?: string;
    supplier?: string;
    cents?: number;
  }): Opportunity {
    const r = record(overrides.reference ?? 'MA-2026-0002', overrides.title ?? 'Payroll export');
    return {
      ...r,
      status: overrides.status ?? r.status,
      createdAt: overrides.createdAt ?? r.createdAt,
      client: { ...r.client, branch: overrides.branch ?? 'IITB' },
      selection: { ...r.selection, supplierName: overrides.supplier },
      pricing: { ...r.pricing, fixedPriceCents: overrides.cents ?? r.pricing.fixedPriceCents },
    };
  }

  it('folds a branch as written, leaving the aliases to the query', () => {
    assert.equal(
      ownBranchKey('  Direction  GÉNÉRALE de l’Innovation '),
      'direction generale de l innovation',
    );
    assert.equal(ownBranchKey('DGIIT'), 'dgiit');
    assert.equal(ownBranchKey('— ·'), '');
  });

  it("gives every folded name of the subject's branch, whichever of them the subject used", () => {
    const iitb = ['iitb', 'dgiit', 'innovation information and technology branch'];
    assert.deepEqual(branchKeys('IITB', NAMES).sort(), [...iitb].sort());
    assert.deepEqual(branchKeys('dgiit', NAMES).sort(), [...iitb].sort());
    assert.deepEqual(
      branchKeys('Innovation — Information and Technology BRANCH', NAMES).sort(),
      [...iitb].sort(),
    );
    assert.deepEqual(branchKeys('Benefits-Delivery', NAMES), ['benefits delivery']);
    assert.deepEqual(branchKeys('DGIIT'), ['dgiit'], 'without the list, a name is only itself');
    assert.deepEqual(branchKeys('— ·'), ['']);
  });

  it('selects by branch exactly as the look-back compares branches, overlapping lists included', () => {
    const lists = [
      [],
      NAMES,
      // A name in two groups belongs to the first; a group named by another group's first name.
      [
        ['A', 'Shared'],
        ['B', 'Shared', 'C'],
        ['Dee', 'a'],
      ],
      [['X'], ['X', 'Y']],
    ];
    const names = ['IITB', 'dgiit', 'CFOB', 'a', 'A ', 'b', 'c', 'shared', 'Dee', 'x', 'Y', 'Z', '', '—'];
    for (const branches of lists) {
      for (const subject of names) {
        const keys = branchKeys(subject, branches);
        assert.equal(new Set(keys).size, keys.length, 'each key once');
        for (const other of names) {
          assert.equal(
            keys.includes(ownBranchKey(other)),
            branchKey(other, branches) === branchKey(subject, branches),
            `${JSON.stringify(branches)}: ${other} against ${subject}`,
          );
        }
      }
    }
  });

  it("asks for the subject's significant words and the window's start", () => {
    assert.deepEqual(titleWords('Fix the Accessible date-picker, the DATE picker'), [
      'accessible',
      'date',
      'picker',
    ]);
    assert.deepEqual(titleWords('!!! — a b'), []);
    assert.deepEqual(QUERY, {
      branchKeys: branchKeys('IITB', NAMES),
      words: ['accessible', 'date', 'picker'],
      since: '2025-11-23T15:00:00.000Z',
    });
    assert.deepEqual(lookbackQuery({ title: 'x', branch: 'Ops' }, NOW).branchKeys, ['ops']);
  });

  it('names a supplier only when a name is given, trimmed', () => {
    assert.equal(supplierOf({ selection: { supplierName: '  Ada Dev ' } }), 'Ada Dev');
    assert.equal(supplierOf({ selection: { supplierName: ' \t ' } }), undefined);
    assert.equal(supplierOf({ selection: {} }), undefined);
  });

  it("answers with the branch's live records of the window that share a word or name a supplier", () => {
    const answers = (o: Opportunity) => answersLookback(o, QUERY);
    assert.equal(answers(candidate({ title: 'Date picker for payroll' })), true);
    assert.equal(answers(candidate({ title: 'Sélecteur de DATE' })), true, 'accents and case aside');
    assert.equal(answers(candidate({ title: 'Payroll export' })), false);
    assert.equal(answers(candidate({ title: 'Payroll export', supplier: 'Ada Dev' })), true);
    assert.equal(answers(candidate({ title: 'Payroll export', supplier: '  ' })), false);
    assert.equal(
      answers(candidate({ title: 'Date picker', branch: 'Innovation, information and technology branch' })),
      true,
    );
    assert.equal(
      answers(candidate({ title: 'Date picker', branch: 'D.G.I.I.T.' })),
      false,
      'another spelling is another name',
    );
    assert.equal(answers(candidate({ title: 'Date picker', branch: 'dgiit' })), true);
    assert.equal(answers(candidate({ title: 'Date picker', branch: 'CFOB' })), false);
    for (const status of ['cancelled', 'rejected'] as const) {
      assert.equal(answers(candidate({ title: 'Date picker', supplier: 'Ada Dev', status })), false, status);
    }
    for (const status of ['draft', 'submitted', 'in_approval', 'paid', 'terminated'] as const) {
      assert.equal(answers(candidate({ title: 'Date picker', status })), true, status);
    }
  });

  it('answers from the first instant of the window, whatever offset a record was written with', () => {
    const answers = (createdAt: string) =>
      answersLookback(candidate({ title: 'Date picker', createdAt }), QUERY);
    assert.equal(answers('2025-11-23T15:00:00.000Z'), true);
    assert.equal(answers('2025-11-23T14:59:59.999Z'), false);
    assert.equal(answers('2025-11-23T10:00:00.000-05:00'), true);
    assert.equal(answers('2025-11-23T09:59:59.999-05:00'), false);
  });

  it('makes of a record the row a store returns: its UTC creation time, a supplier only when named', () => {
    const o = candidate({ createdAt: '2026-03-02T09:00:00-05:00', supplier: ' Ada Dev ', cents: 123_456 });
    assert.deepEqual(lookbackRow(o), {
      reference: 'MA-2026-0002',
      title: 'Payroll export',
      status: o.status,
      createdAt: '2026-03-02T14:00:00.000Z',
      client: { branch: 'IITB' },
      pricing: { fixedPriceCents: 123_456 },
      selection: { supplierName: 'Ada Dev' },
    });
    assert.deepEqual(lookbackRow(candidate({ supplier: ' ' })).selection, {});
    assert.deepEqual(lookbackRow(lookbackRow(o)), lookbackRow(o));
  });

  it('shows from the rows a store returns what it shows from every record', () => {
    const statuses: Status[] = ['submitted', 'cancelled', 'rejected', 'in_approval', 'paid'];
    const titles = [
      'Accessible date picker',
      'Accessible date picker, phase 2',
      'Sélecteur de date accessible',
      'Payroll export to CSV',
      'Date',
      '—',
    ];
    const branchNames = ['IITB', 'dgiit', 'Innovation information and technology branch', 'CFOB', 'Ops'];
    const suppliers = [undefined, 'Ada Dev', ' ada dev', '  '];
    const dates = [NOW, '2025-11-23T15:00:00.000Z', '2025-11-23T14:59:59.999Z', '2026-01-05T10:00:00.000Z'];
    const records: Opportunity[] = [];
    for (let i = 0; i < 600; i++) {
      records.push(
        candidate({
          reference: `MA-2026-${String(600 - i).padStart(4, '0')}`,
          title: titles[i % titles.length],
          branch: branchNames[i % 5],
          status: statuses[(i >> 1) % statuses.length],
          supplier: suppliers[(i >> 2) % suppliers.length],
          createdAt: dates[(i >> 3) % dates.length],
          cents: 10_000 * (i % 7),
        }),
      );
    }
    let shown = 0;
    let read = 0;
    for (const branches of [[], NAMES]) {
      for (const title of titles) {
        for (const branch of ['IITB', 'dgiit', 'CFOB', 'Ops', 'Nowhere']) {
          const subject = { title, branch, reference: 'MA-2026-0007' };
          const query = lookbackQuery(subject, NOW, branches);
          const rows = records.filter((o) => answersLookback(o, query)).map(lookbackRow);
          const whole = lookback(subject, records, NOW, branches);
          assert.deepEqual(lookback(subject, rows, NOW, branches), whole);
          shown += whole.similar.length + whole.suppliers.length;
          read += rows.length;
        }
      }
    }
    // Neither side empty: much is shown, and far fewer rows than records are read.
    assert.ok(shown > 1_000, String(shown));
    assert.ok(read < (records.length * 2 * titles.length * 5) / 4, String(read));
  });
});
