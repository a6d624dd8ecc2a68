import { REFERENCE_PATTERN } from './opportunity';

/**
 * The documents kept with a request: the signed one-page terms and the supplier's invoice. What a file
 * must be to be kept (`checkDocument`), the name it is kept under (`safeFileName`), and the port both
 * adapters implement: files beside the SQLite file, or the SharePoint site's document library.
 */

export const DOCUMENT_KINDS = ['terms', 'invoice'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** The largest document kept: 10 MB. */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

export interface Uploader {
  readonly aadObjectId: string;
  readonly name: string;
}

export interface StoredDocument {
  /** The same for the same bytes of the same kind for the same request, whichever store keeps them. */
  readonly id: string;
  readonly reference: string;
  readonly kind: DocumentKind;
  /** The name as kept (`safeFileName` of the name sent). */
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  /** Lower-case hex. */
  readonly sha256: string;
  /** A web link to the file (SharePoint's webUrl), or its path under the SQLite file's directory. */
  readonly location: string;
  readonly uploadedAt: string;
  readonly uploadedBy: Uploader;
}

export interface NewDocument {
  readonly reference: string;
  readonly kind: DocumentKind;
  readonly name: string;
  readonly contentType: string;
  readonly bytes: Buffer;
  readonly uploadedBy: Uploader;
  /** When it was received (ISO). */
  readonly at: string;
}

/**
 * Where documents are kept. Putting the same bytes again for the same request and kind returns the
 * document already kept, so a retried or doubled send keeps nothing twice; two different files of the
 * same name are both kept. A store that cannot be reached rejects with StoreUnavailableError, and a
 * document `checkDocument` refuses is refused with a RangeError, nothing kept.
 */
export interface DocumentStore {
  put(doc: NewDocument): Promise<StoredDocument>;
  /** A request's documents, the first received first. */
  list(reference: string): Promise<readonly StoredDocument[]>;
  /**
   * The document and its bytes, or undefined when there is no such document (or its file is gone);
   * rejects when its file no longer holds the bytes kept (changed by hand, or damaged).
   */
  read(id: string): Promise<{ document: StoredDocument; bytes: Buffer } | undefined>;
}

export type DocumentProblem = 'type' | 'size' | 'empty';

export interface DocumentFacts {
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  /** The file's first bytes, when they are at hand: the format must be what the name and type say. */
  readonly head?: Uint8Array;
}

interface Format {
  readonly contentTypes: readonly string[];
  readonly extensions: readonly string[];
  readonly magic: readonly number[];
}

const FORMATS: readonly Format[] = [
  { contentTypes: ['application/pdf'], extensions: ['pdf'], magic: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  {
    contentTypes: ['image/png'],
    extensions: ['png'],
    magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  },
  // Some clients still name JPEG `image/jpg`.
  { contentTypes: ['image/jpeg', 'image/jpg'], extensions: ['jpg', 'jpeg'], magic: [0xff, 0xd8, 0xff] },
  {
    contentTypes: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    extensions: ['docx'],
    // A .docx is a zip file; its first entry's local header comes first.
    magic: [0x50, 0x4b, 0x03, 0x04],
  },
];

/** The content type without its parameters, in lower case (`Application/PDF; x=y` → `application/pdf`). */
function bareType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
}

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  return head.length >= magic.length && magic.every((byte, i) => head[i] === byte);
}

/** The content type a file of this name would have among those kept, if any: `report.PDF` → `application/pdf`. */
export function contentTypeFor(name: string): string | undefined {
  const extension = extensionOf(name);
  return FORMATS.find((f) => f.extensions.includes(extension))?.contentTypes[0];
}

/**
 * Why a file cannot be kept, if it cannot: a PDF, PNG, JPEG or Word (.docx) file only, its type, its
 * name's extension and (given its first bytes) its contents all saying the same format; not empty; at
 * most 10 MB.
 */
export function checkDocument(doc: DocumentFacts): DocumentProblem[] {
  const problems: DocumentProblem[] = [];
  const format = FORMATS.find((f) => f.contentTypes.includes(bareType(doc.contentType)));
  const empty = !(doc.size > 0);
  const contentsAgree =
    doc.head === undefined || empty || (format !== undefined && startsWith(doc.head, format.magic));
  if (!format || !format.extensions.includes(extensionOf(safeFileName(doc.name))) || !contentsAgree) {
    problems.push('type');
  }
  if (empty) problems.push('empty');
  else if (doc.size > MAX_DOCUMENT_BYTES) problems.push('size');
  return problems;
}

/** The most characters a kept name has. */
export const MAX_NAME_CHARS = 120;
/**
 * And the most bytes in UTF-8: a file system's name holds 255, and the local store puts 13 characters of
 * the file's digest before it.
 */
const MAX_NAME_BYTES = 240;
/** Characters SharePoint and Windows refuse in a file name (the colon would also end a Graph path). */
const RESERVED = /[:*?"<>|]/g;
/** Direction overrides, which can make `fdp.exe` read as `exe.pdf`. */
const BIDI_CONTROLS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const EXTENSION = /\.[\p{L}\p{N}]{1,10}$/u;

const utf8 = new TextEncoder();
const fits = (name: string) =>
  [...name].length <= MAX_NAME_CHARS && utf8.encode(name).length <= MAX_NAME_BYTES;

/**
 * A name safe to keep a file under, in a folder or a document library: the last part of a path only,
 * in NFC, without control characters or characters file systems refuse, without leading or trailing
 * dots and spaces, and cut to 120 characters (whole characters, emoji included) keeping its extension.
 */
export function safeFileName(name: string): string {
  const last = name.normalize('NFC').split(/[/\\]/).pop() ?? '';
  const clean = last
    .replace(/\s+/gu, ' ')
    .replace(/\p{Cc}/gu, '')
    .replace(BIDI_CONTROLS, '')
    .replace(RESERVED, '_')
    .replace(/^[\s.]+|[\s.]+$/gu, '');
  if (clean === '') return 'document';
  if (fits(clean)) return clean;
  const extension = EXTENSION.exec(clean)?.[0] ?? '';
  let stem = '';
  for (const { segment } of new Intl.Segmenter('und', { granularity: 'grapheme' }).segment(
    clean.slice(0, clean.length - extension.length),
  )) {
    if (!fits(stem + segment + extension)) break;
    stem += segment;
  }
  return `${stem.replace(/[\s.]+$/u, '') || 'document'}${extension}`;
}

/** The id of a request's document of a kind with these bytes: what makes a second put of it the first. */
export function documentId(reference: string, kind: DocumentKind, sha256: string): string {
  return `${reference}.${kind}.${sha256}`;
}

/**
 * The name a new document is kept under, once it passes every rule; a RangeError says which it does
 * not. The same rules for every store.
 */
export function nameToKeep(doc: NewDocument): string {
  if (!REFERENCE_PATTERN.test(doc.reference))
    throw new RangeError(`not a request reference: ${doc.reference}`);
  if (!DOCUMENT_KINDS.includes(doc.kind)) throw new RangeError(`not a kind of document: ${String(doc.kind)}`);
  if (!Buffer.isBuffer(doc.bytes)) throw new RangeError('a document comes with its bytes');
  const name = safeFileName(doc.name);
  const problems = checkDocument({
    name,
    contentType: doc.contentType,
    size: doc.bytes.length,
    head: doc.bytes,
  });
  if (problems.length > 0) throw new RangeError(`the document cannot be kept: ${problems.join(', ')}`);
  if (doc.uploadedBy.aadObjectId.trim() === '') throw new RangeError('a document is kept with who sent it');
  if (Number.isNaN(Date.parse(doc.at))) throw new RangeError(`not an ISO timestamp: ${doc.at}`);
  return name;
}

/** A request's documents in the order `list` gives them: the first received first. */
export function inListOrder(documents: readonly StoredDocument[]): StoredDocument[] {
  return [...documents].sort(
    (a, b) => Date.parse(a.uploadedAt) - Date.parse(b.uploadedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** A document as kept: what was sent, under the name and at the place its store gave it. */
export function keptDocument(
  doc: NewDocument,
  kept: { sha256: string; name: string; location: string },
): StoredDocument {
  return {
    id: documentId(doc.reference, doc.kind, kept.sha256),
    reference: doc.reference,
    kind: doc.kind,
    name: kept.name,
    contentType: doc.contentType,
    size: doc.bytes.length,
    sha256: kept.sha256,
    location: kept.location,
    uploadedAt: new Date(doc.at).toISOString(),
    uploadedBy: { aadObjectId: doc.uploadedBy.aadObjectId, name: doc.uploadedBy.name },
  };
}
