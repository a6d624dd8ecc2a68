import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  type DocumentStore,
  documentId,
  MAX_DOCUMENT_BYTES,
  type NewDocument,
  type StoredDocument,
} from '../../src/services/documents';
import { StoreUnavailableError } from '../../src/services/store';
import { type Closable, minutesAfter } from './question-contract';

/**
 * What every DocumentStore adapter must do, stated through the port alone, with what each adapter's
 * backing service does when it is busy or out of reach given by the harness.
 */

export interface DocumentHarness {
  /** A fresh, empty store. */
  open(): Promise<DocumentStore & Closable>;
  /** The same store again, as after a restart (the one before it is closed first). */
  reopen(): Promise<DocumentStore & Closable>;
  /** The service is busy for a moment (throttled, or its lock held): to be waited out, not reported. */
  busyBriefly(): Promise<void>;
  /**
   * The service is out of reach until `restore`. Says whether reading fails too: another process
   * holding a SQLite file's write lock stops writes only, while an unreachable Graph stops everything.
   */
  takeDown(): Promise<{ readsFail: boolean }>;
  restore(): Promise<void>;
  cleanup?(): Promise<void>;
}

export const PDF_MAGIC = Buffer.from('%PDF-1.7\n');
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
export const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** A PDF of `size` bytes, different every time unless `seed` says otherwise. */
export function pdfBytes(size = 2_000, seed?: string): Buffer {
  const body =
    seed === undefined
      ? randomBytes(Math.max(0, size - PDF_MAGIC.length))
      : Buffer.alloc(Math.max(0, size - PDF_MAGIC.length), seed);
  return Buffer.concat([PDF_MAGIC, body]).subarray(0, size);
}

const RILEY = { aadObjectId: 'requester-1', name: 'Riley Tremblay' };
const FARAH = { aadObjectId: 'finance-1', name: 'Farah Haddad' };

export const newDocument = (overrides: Partial<NewDocument> = {}): NewDocument => ({
  reference: 'MA-2026-0042',
  kind: 'terms',
  name: 'terms.pdf',
  contentType: 'application/pdf',
  bytes: pdfBytes(),
  uploadedBy: RILEY,
  at: minutesAfter(1),
  ...overrides,
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export function describeDocumentContract(name: string, harness: DocumentHarness): void {
  describe(`${name} (document contract)`, function () {
    this.timeout(60_000);
    let store: DocumentStore & Closable;

    beforeEach(async () => {
      store = await harness.open();
    });
    afterEach(async () => {
      await harness.restore();
      await store.close();
      await harness.cleanup?.();
    });

    async function readBack(doc: StoredDocument): Promise<Buffer> {
      const read = await store.read(doc.id);
      assert.ok(read, `${doc.id} could not be read`);
      assert.deepEqual(read.document, doc);
      return read.bytes;
    }

    describe('keeping and reading', () => {
      it('keeps a document, lists it and reads its bytes back', async () => {
        const input = newDocument({ at: '2026-03-02T09:01:00-05:00' });
        const kept = await store.put(input);
        assert.deepEqual(
          { ...kept, location: undefined },
          {
            id: documentId('MA-2026-0042', 'terms', sha256(input.bytes)),
            reference: 'MA-2026-0042',
            kind: 'terms',
            name: 'terms.pdf',
            contentType: 'application/pdf',
            size: input.bytes.length,
            sha256: sha256(input.bytes),
            location: undefined,
            uploadedAt: '2026-03-02T14:01:00.000Z',
            uploadedBy: RILEY,
          },
        );
        assert.ok(kept.location.includes('MA-2026-0042'), kept.location);
        assert.deepEqual(await store.list('MA-2026-0042'), [kept]);
        assert.deepEqual(await readBack(kept), input.bytes);
      });

      it('keeps every accepted format: PDF, PNG, JPEG and Word', async () => {
        const inputs = [
          newDocument({ name: 'terms.pdf' }),
          newDocument({
            name: 'scan.png',
            contentType: 'image/png',
            bytes: Buffer.concat([PNG_MAGIC, randomBytes(500)]),
          }),
          newDocument({
            kind: 'invoice',
            name: 'invoice.JPG',
            contentType: 'image/jpeg',
            bytes: Buffer.concat([JPEG_MAGIC, randomBytes(500)]),
          }),
          newDocument({
            kind: 'invoice',
            name: 'invoice.docx',
            contentType: DOCX,
            bytes: Buffer.concat([ZIP_MAGIC, randomBytes(500)]),
          }),
        ];
        for (const [i, input] of inputs.entries()) {
          const kept = await store.put({ ...input, at: minutesAfter(i + 1) });
          assert.deepEqual(await readBack(kept), input.bytes);
        }
        assert.deepEqual(
          (await store.list('MA-2026-0042')).map((d) => [d.name, d.contentType]),
          inputs.map((d) => [d.name, d.contentType]),
        );
      });

      it('keeps a 6 MB file and reads back exactly its bytes', async () => {
        const input = newDocument({ name: 'signed terms.pdf', bytes: pdfBytes(6 * 1024 * 1024) });
        const kept = await store.put(input);
        assert.equal(kept.size, 6 * 1024 * 1024);
        const bytes = await readBack(kept);
        assert.equal(sha256(bytes), sha256(input.bytes));
        assert.ok(bytes.equals(input.bytes));
      });

      it('keeps a file of the largest size allowed, 10 MB', async () => {
        const input = newDocument({ bytes: pdfBytes(MAX_DOCUMENT_BYTES) });
        assert.ok((await readBack(await store.put(input))).equals(input.bytes));
      });

      it('keeps the file under a safe name, whatever name it was sent with', async () => {
        const kept = await store.put(
          newDocument({ name: 'C:\\Users\\riley\\Cafe\u0301: conditions\u0007 signées.pdf' }),
        );
        assert.equal(kept.name, 'Café_ conditions signées.pdf');
        assert.ok((await store.read(kept.id))?.bytes.length);
      });

      it('lists a request’s documents the first received first, and only that request’s', async () => {
        const later = await store.put(
          newDocument({ kind: 'invoice', name: 'invoice.pdf', at: minutesAfter(30) }),
        );
        const earlier = await store.put(newDocument({ at: minutesAfter(10) }));
        const other = await store.put(newDocument({ reference: 'MA-2026-0043', at: minutesAfter(20) }));
        assert.deepEqual(
          (await store.list('MA-2026-0042')).map((d) => d.id),
          [earlier.id, later.id],
        );
        assert.deepEqual(await store.list('MA-2026-0043'), [other]);
      });

      it('knows no document it was never given', async () => {
        assert.deepEqual(await store.list('MA-2026-0042'), []);
        assert.equal(await store.read(documentId('MA-2026-0042', 'terms', sha256(pdfBytes()))), undefined);
        assert.equal(await store.read('no such document'), undefined);
      });
    });

    describe('sent more than once', () => {
      it('keeps the same bytes sent again once, and answers the first document', async () => {
        const input = newDocument();
        const first = await store.put(input);
        const again = await store.put({
          ...input,
          name: 'terms (copy).pdf',
          uploadedBy: FARAH,
          at: minutesAfter(9),
        });
        assert.deepEqual(again, first);
        assert.deepEqual(await store.list('MA-2026-0042'), [first]);
      });

      it('keeps the same bytes sent twice at once only once', async () => {
        const input = newDocument({ bytes: pdfBytes(5 * 1024 * 1024) });
        const [a, b] = await Promise.all([store.put(input), store.put({ ...input, at: minutesAfter(2) })]);
        assert.deepEqual(a, b);
        assert.deepEqual(await store.list('MA-2026-0042'), [a]);
        assert.ok((await readBack(a)).equals(input.bytes));
      });

      it('keeps the same bytes as terms and as an invoice apart', async () => {
        const bytes = pdfBytes();
        const terms = await store.put(newDocument({ bytes }));
        const invoice = await store.put(newDocument({ kind: 'invoice', bytes, at: minutesAfter(2) }));
        assert.notEqual(terms.id, invoice.id);
        assert.deepEqual(await store.list('MA-2026-0042'), [terms, invoice]);
        assert.ok((await readBack(invoice)).equals(bytes));
      });

      it('keeps two different files of the same name, both', async () => {
        const one = newDocument({ bytes: pdfBytes(3_000, 'a') });
        const two = newDocument({ bytes: pdfBytes(3_000, 'b'), at: minutesAfter(2) });
        const first = await store.put(one);
        const second = await store.put(two);
        assert.notEqual(first.id, second.id);
        assert.notEqual(first.location, second.location);
        assert.deepEqual(
          (await store.list('MA-2026-0042')).map((d) => [d.name, d.sha256]),
          [
            ['terms.pdf', sha256(one.bytes)],
            ['terms.pdf', sha256(two.bytes)],
          ],
        );
        assert.ok((await readBack(first)).equals(one.bytes));
        assert.ok((await readBack(second)).equals(two.bytes));
      });
    });

    it('finds every document again after a restart', async () => {
      const small = await store.put(newDocument());
      const large = await store.put(
        newDocument({ kind: 'invoice', bytes: pdfBytes(6 * 1024 * 1024), at: minutesAfter(2) }),
      );
      store = await harness.reopen();
      assert.deepEqual(await store.list('MA-2026-0042'), [small, large]);
      assert.equal(sha256(await readBack(large)), large.sha256);
      const again = await readBack(small);
      assert.deepEqual(await store.put(newDocument({ bytes: again, at: minutesAfter(3) })), small);
    });

    describe('refusing', () => {
      const refused = async (overrides: Partial<NewDocument>) => {
        await assert.rejects(store.put(newDocument(overrides)), RangeError);
      };

      it('refuses a file that is not a PDF, PNG, JPEG or Word file, or not what it says, keeping nothing', async () => {
        await refused({ name: 'notes.txt', contentType: 'text/plain', bytes: Buffer.from('hello') });
        await refused({ name: 'terms.png' });
        await refused({ contentType: 'image/png' });
        await refused({ bytes: Buffer.concat([ZIP_MAGIC, randomBytes(100)]) });
        assert.deepEqual(await store.list('MA-2026-0042'), []);
      });

      it('refuses an empty file and one over 10 MB', async () => {
        await refused({ bytes: Buffer.alloc(0) });
        await refused({ bytes: pdfBytes(MAX_DOCUMENT_BYTES + 1) });
        assert.deepEqual(await store.list('MA-2026-0042'), []);
      });

      it('refuses a document of no request, of no kind, from no one or at no time', async () => {
        await refused({ reference: '../../etc' });
        await refused({ reference: 'MA-2026-0042/..' });
        await refused({ kind: 'receipt' as 'terms' });
        await refused({ uploadedBy: { aadObjectId: ' ', name: 'Nobody' } });
        await refused({ at: 'yesterday' });
        assert.deepEqual(await store.list('MA-2026-0042'), []);
      });
    });

    describe('when the service is busy or out of reach', () => {
      it('waits out a service busy for a moment', async () => {
        await harness.busyBriefly();
        const input = newDocument();
        const kept = await store.put(input);
        assert.deepEqual(await store.list('MA-2026-0042'), [kept]);
        assert.ok((await readBack(kept)).equals(input.bytes));
      });

      it('reports a service out of reach as unavailable, and keeps the document once it is back', async () => {
        const before = await store.put(newDocument({ kind: 'invoice', name: 'invoice.pdf' }));
        const { readsFail } = await harness.takeDown();
        const input = newDocument({ at: minutesAfter(5) });
        const unavailable = (err: unknown) => err instanceof StoreUnavailableError;
        await assert.rejects(store.put(input), unavailable);
        if (readsFail) {
          await assert.rejects(store.list('MA-2026-0042'), unavailable);
          await assert.rejects(store.read(before.id), unavailable);
        } else {
          assert.deepEqual(await store.list('MA-2026-0042'), [before]);
        }
        await harness.restore();
        const kept = await store.put(input);
        assert.deepEqual(await store.list('MA-2026-0042'), [before, kept]);
        assert.ok((await readBack(kept)).equals(input.bytes));
      });
    });
  });
}
