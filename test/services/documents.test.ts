import assert from 'node:assert/strict';
import {
  checkDocument,
  contentTypeFor,
  DOCUMENT_KINDS,
  documentId,
  inListOrder,
  MAX_DOCUMENT_BYTES,
  MAX_NAME_CHARS,
  nameToKeep,
  type NewDocument,
  safeFileName,
  type StoredDocument,
} from '../../src/services/documents';

/** What a document must be to be kept, and the name it is kept under. */

const PDF = Buffer.from('%PDF-1.7\n%âãÏÓ\n');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]);
const DOCX_BYTES = Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 6, 0]);
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8');

describe('documents', () => {
  it('keeps two kinds: the signed terms and the invoice', () => {
    assert.deepEqual(DOCUMENT_KINDS, ['terms', 'invoice']);
  });

  describe('checkDocument', () => {
    const ok = (name: string, contentType: string, head: Buffer) =>
      assert.deepEqual(checkDocument({ name, contentType, size: 1_000, head }), [], `${name} ${contentType}`);
    const wrong = (name: string, contentType: string, head?: Buffer) =>
      assert.deepEqual(
        checkDocument({ name, contentType, size: 1_000, ...(head ? { head } : {}) }),
        ['type'],
        `${name} ${contentType}`,
      );

    it('accepts a PDF, a PNG, a JPEG and a Word file whose type, extension and first bytes agree', () => {
      ok('terms.pdf', 'application/pdf', PDF);
      ok('scan.png', 'image/png', PNG);
      ok('scan.jpg', 'image/jpeg', JPEG);
      ok('scan.jpeg', 'image/jpeg', JPEG);
      ok('terms.docx', DOCX, DOCX_BYTES);
    });

    it('reads the type and the extension in any case, the type without its parameters', () => {
      ok('TERMS.PDF', 'Application/PDF; name="terms.pdf"', PDF);
      ok('terms.pdf', '  application/pdf  ', PDF);
      ok('photo.JPG', 'image/jpg', JPEG);
    });

    it('judges the type and extension alone when the first bytes are not at hand', () => {
      assert.deepEqual(checkDocument({ name: 'terms.pdf', contentType: 'application/pdf', size: 10 }), []);
    });

    it('refuses other formats', () => {
      wrong('notes.txt', 'text/plain');
      wrong('terms.doc', 'application/msword');
      wrong('page.html', 'text/html');
      wrong('image.gif', 'image/gif');
      wrong('archive.zip', 'application/zip', DOCX_BYTES);
      wrong('terms.pdf', 'application/octet-stream', PDF);
      wrong('terms.pdf', '', PDF);
    });

    it('refuses an extension that is not the type’s, or none', () => {
      wrong('terms.png', 'application/pdf', PDF);
      wrong('terms', 'application/pdf', PDF);
      wrong('terms.pdf.exe', 'application/pdf', PDF);
      wrong('scan.jpg', 'image/png', PNG);
      wrong('terms.pdf', DOCX, DOCX_BYTES);
    });

    it('refuses contents that are not what the type and extension say', () => {
      wrong('terms.pdf', 'application/pdf', PNG);
      wrong('scan.png', 'image/png', JPEG);
      wrong('scan.jpg', 'image/jpeg', PDF);
      wrong('terms.docx', DOCX, PDF);
      wrong('terms.docx', DOCX, Buffer.from([0x50, 0x4b, 0x05, 0x06]));
      wrong('terms.pdf', 'application/pdf', Buffer.from('%PDF'));
      ok('terms.pdf', 'application/pdf', Buffer.from('%PDF-'));
      wrong('terms.pdf', 'application/pdf', Buffer.from(' %PDF-1.7'));
    });

    it('refuses an empty file as empty alone, and a file over 10 MB', () => {
      assert.deepEqual(
        checkDocument({ name: 'a.pdf', contentType: 'application/pdf', size: 0, head: Buffer.alloc(0) }),
        ['empty'],
      );
      assert.deepEqual(checkDocument({ name: 'a.pdf', contentType: 'application/pdf', size: -1 }), ['empty']);
      assert.deepEqual(checkDocument({ name: 'a.pdf', contentType: 'application/pdf', size: NaN }), [
        'empty',
      ]);
      assert.deepEqual(
        checkDocument({ name: 'a.pdf', contentType: 'application/pdf', size: MAX_DOCUMENT_BYTES }),
        [],
      );
      assert.deepEqual(
        checkDocument({ name: 'a.pdf', contentType: 'application/pdf', size: MAX_DOCUMENT_BYTES + 1 }),
        ['size'],
      );
      assert.equal(MAX_DOCUMENT_BYTES, 10 * 1024 * 1024);
    });

    it('says every problem at once', () => {
      assert.deepEqual(
        checkDocument({ name: 'a.exe', contentType: 'application/x-msdownload', size: 11 * 1024 * 1024 }),
        ['type', 'size'],
      );
      assert.deepEqual(checkDocument({ name: 'a.exe', contentType: 'text/plain', size: 0 }), [
        'type',
        'empty',
      ]);
    });

    it('judges the extension of the name the file will be kept under', () => {
      assert.deepEqual(
        checkDocument({ name: 'C:\\scans\\terms.pdf ', contentType: 'application/pdf', size: 9, head: PDF }),
        [],
      );
      assert.deepEqual(
        checkDocument({ name: 'terms.pdf/', contentType: 'application/pdf', size: 9, head: PDF }),
        ['type'],
      );
    });
  });

  describe('contentTypeFor', () => {
    it('gives the type of each accepted extension, and nothing for others', () => {
      assert.equal(contentTypeFor('a.PDF'), 'application/pdf');
      assert.equal(contentTypeFor('a.png'), 'image/png');
      assert.equal(contentTypeFor('a.jpg'), 'image/jpeg');
      assert.equal(contentTypeFor('a.jpeg'), 'image/jpeg');
      assert.equal(contentTypeFor('a.docx'), DOCX);
      assert.equal(contentTypeFor('a.txt'), undefined);
      assert.equal(contentTypeFor('pdf'), undefined);
    });
  });

  describe('safeFileName', () => {
    it('keeps a plain name as it is', () => {
      assert.equal(safeFileName('Signed terms (final).pdf'), 'Signed terms (final).pdf');
    });

    it('keeps only the last part of a path, whichever separator it uses', () => {
      assert.equal(safeFileName('C:\\Users\\riley\\terms.pdf'), 'terms.pdf');
      assert.equal(safeFileName('/home/riley/../../etc/passwd'), 'passwd');
      assert.equal(safeFileName('../terms.pdf'), 'terms.pdf');
      assert.equal(safeFileName('..'), 'document');
      assert.equal(safeFileName('folder/'), 'document');
    });

    it('removes control characters and direction overrides, and makes any space one space', () => {
      assert.equal(safeFileName('ter\u0000ms\u0007.pdf'), 'terms.pdf');
      assert.equal(safeFileName('invoice\u202Efdp.exe'), 'invoicefdp.exe');
      assert.equal(safeFileName('signed\t\nterms \u00a0 v2.pdf'), 'signed terms v2.pdf');
      assert.equal(safeFileName('\u007f.pdf'), 'pdf');
    });

    it('replaces the characters file systems and SharePoint refuse', () => {
      assert.equal(safeFileName('terms: "final" <v2>?*|.pdf'), 'terms_ _final_ _v2____.pdf');
    });

    it('trims spaces and dots at both ends', () => {
      assert.equal(safeFileName('  .hidden terms.pdf. '), 'hidden terms.pdf');
      assert.equal(safeFileName(' ... '), 'document');
      assert.equal(safeFileName(''), 'document');
    });

    it('writes the name in NFC', () => {
      const decomposed = 'Re\u0301sume\u0301 signe\u0301.pdf';
      assert.equal(safeFileName(decomposed), 'Résumé signé.pdf');
      assert.equal(safeFileName(decomposed).length, 'Résumé signé.pdf'.length);
    });

    it('cuts a long name to 120 characters keeping its extension', () => {
      const cut = safeFileName(`${'a'.repeat(300)}.docx`);
      assert.equal(cut, `${'a'.repeat(MAX_NAME_CHARS - 5)}.docx`);
      assert.equal([...cut].length, MAX_NAME_CHARS);
      assert.equal(safeFileName('a'.repeat(200)), 'a'.repeat(MAX_NAME_CHARS));
      assert.equal(safeFileName(`${'b'.repeat(120)}.pdf`).endsWith('.pdf'), true);
    });

    it('cuts between whole characters, emoji and accents included, within 240 bytes', () => {
      const family = '👨‍👩‍👧';
      const cut = safeFileName(`${family.repeat(60)}.pdf`);
      assert.ok(cut.endsWith('.pdf'));
      assert.equal(cut.slice(0, -4).length % family.length, 0, 'no emoji cut in half');
      assert.ok(utf8Length(cut) <= 240 && [...cut].length <= MAX_NAME_CHARS, cut);
      const accents = safeFileName(`${'é'.repeat(150)}.pdf`);
      assert.equal(accents, `${'é'.repeat(116)}.pdf`);
    });

    it('keeps whole a name of exactly 120 characters, or of exactly 240 bytes', () => {
      const chars = `${'a'.repeat(116)}.pdf`;
      assert.equal(safeFileName(chars), chars);
      const bytes = `${'€'.repeat(78)}ab.pdf`;
      assert.equal(utf8Length(bytes), 240);
      assert.equal(safeFileName(bytes), bytes);
      assert.equal(safeFileName(`${'€'.repeat(79)}ab.pdf`), `${'€'.repeat(78)}.pdf`);
    });

    it('keeps only an extension of ten letters or digits at most, and names a file with no room for its name', () => {
      assert.equal(safeFileName(`${'a'.repeat(200)}.abcdefghijk`), 'a'.repeat(MAX_NAME_CHARS));
      assert.equal(safeFileName(`${'a'.repeat(200)}.abcdefghij`), `${'a'.repeat(109)}.abcdefghij`);
      assert.equal(safeFileName(`x${'\u0333'.repeat(200)}.pdf`), 'document.pdf');
    });

    it('cuts no space or dot to the end of the shortened part', () => {
      assert.equal(safeFileName(`${'a'.repeat(114)}  ...  bbbbbbbb.pdf`), `${'a'.repeat(114)}.pdf`);
    });

    it('gives the same name when given a name it made', () => {
      for (const name of [
        'C:\\a\\b: c.pdf',
        `${'x'.repeat(500)}.png`,
        ' .. ',
        'Re\u0301sume\u0301.docx',
        '👍'.repeat(100),
      ]) {
        assert.equal(safeFileName(safeFileName(name)), safeFileName(name), name);
      }
    });
  });

  describe('nameToKeep', () => {
    const doc = (overrides: Partial<NewDocument> = {}): NewDocument => ({
      reference: 'MA-2026-0042',
      kind: 'terms',
      name: 'C:\\scans\\terms.pdf',
      contentType: 'application/pdf',
      bytes: PDF,
      uploadedBy: { aadObjectId: 'procurement-1', name: 'Priya Raman' },
      at: '2026-03-02T14:00:00.000Z',
      ...overrides,
    });

    it('gives the safe name of a document that passes every rule', () => {
      assert.equal(nameToKeep(doc()), 'terms.pdf');
    });

    it('refuses, with a RangeError, what any rule refuses', () => {
      for (const overrides of [
        { reference: 'MA-26-1' },
        { reference: '../MA-2026-0042' },
        { kind: 'receipt' as 'terms' },
        { bytes: 'text' as unknown as Buffer },
        { bytes: PNG },
        { bytes: Buffer.alloc(0) },
        { name: 'terms.txt' },
        { uploadedBy: { aadObjectId: '  ', name: 'No one' } },
        { at: 'not a date' },
      ]) {
        assert.throws(() => nameToKeep(doc(overrides)), RangeError, JSON.stringify(overrides));
      }
    });
  });

  it('gives a document an id from its request, kind and digest', () => {
    assert.equal(
      documentId('MA-2026-0042', 'invoice', 'ab'.repeat(32)),
      `MA-2026-0042.invoice.${'ab'.repeat(32)}`,
    );
  });

  it('lists documents the first received first, ties by id', () => {
    const at = (id: string, uploadedAt: string) => ({ id, uploadedAt }) as StoredDocument;
    const listed = inListOrder([
      at('c', '2026-03-02T15:00:00.000Z'),
      at('b', '2026-03-02T09:00:00-05:00'),
      at('a', '2026-03-02T15:00:00.000Z'),
    ]);
    assert.deepEqual(
      listed.map((d) => d.id),
      ['b', 'a', 'c'],
    );
  });
});
