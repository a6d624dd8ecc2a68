import { strict as assert } from 'node:assert';
import type { Opportunity } from '../src/services/opportunity';
import { recordsCsv, recordsCsvBytes, recordsCsvSize } from '../src/services/export';
import { INVOICE, submitted, TERMS } from './support/opportunities';

/**
 * What keeps a large export within the heap size `npm start` sets: the CSV is written record by record as
 * the store's pages arrive, into bytes outside the heap, and is the very file the whole list would give.
 */

async function* pages(records: readonly Opportunity[]): AsyncGenerator<Opportunity> {
  for (const o of records) yield o;
}

describe('an export written page by page', () => {
  const records: Opportunity[] = Array.from({ length: 1_203 }, (_, i) => ({
    ...submitted(`MA-2026-${String(i + 1).padStart(4, '0')}`),
    // Accents, commas, quotes, line breaks and a would-be formula: every kind of cell.
    title: i % 3 === 0 ? `Développement, phase "${i}"\nsuite` : `=SUM(A${i})`,
    ...(i % 2 === 0
      ? {
          finance: { fundsStatus: 'approved' as const, fundReservationNumber: `FR-${i}`, invoice: INVOICE },
          terms: TERMS,
        }
      : {}),
  }));

  for (const fundReservation of [false, true]) {
    it(`is byte for byte the CSV of the whole list${fundReservation ? ', fund reservations included' : ''}`, async () => {
      const { bytes, count } = await recordsCsvBytes(pages(records), { fundReservation });
      assert.equal(count, records.length);
      assert.equal(bytes.toString('utf8'), recordsCsv(records, { fundReservation }));
      assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 byte order mark');
    });
  }

  it('offers the size the file will have, without keeping its bytes', async () => {
    const { bytes } = await recordsCsvBytes(pages(records), { fundReservation: true });
    assert.deepEqual(await recordsCsvSize(pages(records), { fundReservation: true }), {
      size: bytes.length,
      count: records.length,
    });
  });

  it('gives the header alone when there is no record', async () => {
    const { bytes, count } = await recordsCsvBytes(pages([]), { fundReservation: false });
    assert.equal(count, 0);
    assert.equal(bytes.toString('utf8'), recordsCsv([], { fundReservation: false }));
  });
});
