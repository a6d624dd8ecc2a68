import { strict as assert } from 'node:assert';
import { csvCell, recordsCsv } from '../../src/services/export';
import { submitted } from '../support/opportunities';

describe('CSV export', () => {
  it('quotes cells holding commas, quotes or line breaks', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a, b'), '"a, b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('two\nlines'), '"two\nlines"');
  });

  it('writes typed text that starts like a formula as text, never as a formula', () => {
    for (const text of ['=HYPERLINK("x")', '+1', '-2+3', '@SUM(A1)'])
      assert.equal(csvCell(text)[0] === "'" || csvCell(text)[1] === "'", true);
    assert.equal(csvCell(-5), '-5');
  });

  it('gives one line per record with the header first, and a byte order mark for accents', () => {
    const csv = recordsCsv(
      [submitted('MA-2026-0001'), { ...submitted('MA-2026-0002'), title: 'Développement, phase 2' }],
      {
        fundReservation: false,
      },
    );
    assert.ok(csv.startsWith('\uFEFFreference,title,status,stage'));
    const lines = csv.trim().split('\r\n');
    assert.equal(lines.length, 3);
    assert.match(lines[2] ?? '', /^MA-2026-0002,"Développement, phase 2",submitted,1,/);
    assert.ok(!csv.includes('fund_reservation_number'));
  });

  it('includes fund reservation numbers only for those who may see them', () => {
    const o = {
      ...submitted(),
      finance: { fundsStatus: 'approved' as const, fundReservationNumber: 'FR-77' },
    };
    assert.match(recordsCsv([o], { fundReservation: true }), /FR-77/);
    assert.doesNotMatch(recordsCsv([o], { fundReservation: false }), /FR-77/);
  });
});
