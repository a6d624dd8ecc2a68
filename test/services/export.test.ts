import { strict as assert } from 'node:assert';
import { csvCell, recordsCsv } from '../../src/services/export';
import { INVOICE, submitted, TERMS } from '../support/opportunities';

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

  it('carries every column of the pilot’s tracker, from the request to its payment or termination', () => {
    const header = recordsCsv([], { fundReservation: true }).replace('\uFEFF', '').trim().split(',');
    for (const column of [
      'vetted_at',
      'section_32_approver',
      'section_32_at',
      'posted_at',
      'application_deadline',
      'extended_application_deadline',
      'delivery_date',
      'extended_delivery_date',
      'supplier',
      'terms_document',
      'invoice_number',
      'invoice_total',
      'section_34_certifier',
      'section_34_at',
      'payment_method',
      'paid_on',
      'days_to_pay',
      'termination',
      'termination_reason',
      'fund_reservation_number',
    ])
      assert.ok(header.includes(column), column);
  });

  it('writes a paid record’s finance figures, the delegate’s principal, and the days from invoice to payment', () => {
    const paid = {
      ...submitted(),
      status: 'paid' as const,
      finance: {
        fundsStatus: 'approved' as const,
        fundReservationNumber: 'FR-1',
        section32Approver: { aadObjectId: 'd', name: 'Sam', onBehalfOf: { aadObjectId: 'f', name: 'Farah' } },
        invoice: INVOICE,
        section34Certifier: { aadObjectId: 'c', name: 'Marc' },
        paymentMethod: 'paypal' as const,
        paymentAmountCents: 460_000,
        paymentDate: '2026-11-27',
      },
      terms: TERMS,
    };
    const [header, row] = recordsCsv([paid], { fundReservation: false })
      .replace('\uFEFF', '')
      .trim()
      .split('\r\n');
    const cells = Object.fromEntries(
      (header ?? '').split(',').map((name, i) => [name, (row ?? '').split(',')[i]]),
    );
    assert.equal(cells.section_32_approver, 'Sam (for Farah)');
    assert.equal(cells.invoice_number, 'INV-0042');
    assert.equal(cells.invoice_total, '4600.00');
    assert.equal(cells.payment_amount, '4600.00');
    // From the invoice of 20 November to the payment of 27 November.
    assert.equal(cells.days_to_pay, '7');
    assert.equal(cells.terms_document, TERMS.document.location);
  });

  it('writes a termination for convenience with the share completed and its price', () => {
    const o = {
      ...submitted(),
      status: 'accepted' as const,
      delivery: {
        revisionsRequested: 0,
        terminationReason: 'Priorities changed',
        termination: {
          kind: 'convenience' as const,
          percentComplete: 40,
          amountCents: 160_000,
          proposedBy: { aadObjectId: 'p', name: 'Priya' },
          proposedAt: '2026-11-24T15:00:00.000Z',
        },
      },
    };
    const csv = recordsCsv([o], { fundReservation: false });
    assert.match(csv, /,convenience,Priorities changed,40,1600\.00,/);
  });
});
