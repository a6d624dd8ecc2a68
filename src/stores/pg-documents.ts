import {
  type DocumentStore,
  keptDocument,
  type NewDocument,
  nameToKeep,
  type StoredDocument,
} from '../services/documents';
import { StoreUnavailableError } from '../services/store';
import { type DocumentRow, documentLocation, documentOf, documentValues, sha256Of } from './document-rows';
import { migrate } from './pg-schema';
import { PgAccess, type PgStoreOptions } from './pg-access';

/**
 * Requests' documents in the PostgreSQL database the replicas share, so every replica reads what any
 * of them kept: the bytes in a `bytea` column beside what LocalDocuments keeps of each (kind, digest,
 * who sent it, when), in a table `documents` of their own.
 *
 * The table is migration 4 of the store's schema (pg-schema.ts): `open` migrates as the store does,
 * since documents are opened apart from the store and may come first.
 *
 * A row is written whole or not at all, bytes and all, so there is no half document to clear after a
 * crash. `location` has the shape LocalDocuments gives it (`documents/<reference>/<12 hex>-<name>`):
 * the same document is known by the same words whichever store keeps it.
 */

/**
 * Timestamps and ids are compared in the "C" collation: text order is then time order, and ties are
 * broken as `inListOrder` breaks them. The size is checked against the bytes, so the two cannot part.
 */
export const DOCUMENTS_SCHEMA = `
  CREATE TABLE documents (
    id text COLLATE "C" PRIMARY KEY,
    reference text NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    content_type text NOT NULL,
    size integer NOT NULL CHECK (size > 0),
    sha256 text NOT NULL,
    location text NOT NULL,
    uploaded_at text COLLATE "C" NOT NULL,
    uploaded_by_id text NOT NULL,
    uploaded_by_name text NOT NULL,
    bytes bytea NOT NULL CHECK (octet_length(bytes) = size),
    UNIQUE (reference, kind, sha256)
  );
  CREATE INDEX documents_by_reference ON documents (reference, uploaded_at, id);
`;

/** Everything but the bytes: listing a request's documents must not fetch megabytes. */
const METADATA = `id, reference, kind, name, content_type, size, sha256, location, uploaded_at,
  uploaded_by_id, uploaded_by_name`;

export class PgDocuments implements DocumentStore {
  private constructor(private readonly db: PgAccess) {}

  /** The documents in the database (and schema) of `options`, their table made if missing. */
  static async open(options: PgStoreOptions): Promise<PgDocuments> {
    let db: PgAccess | undefined;
    try {
      db = PgAccess.connect(options);
      const access = db;
      await migrate(access, options.schema);
      return new PgDocuments(access);
    } catch (err) {
      await db?.close().catch(() => undefined);
      if (err instanceof StoreUnavailableError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new StoreUnavailableError(
        `cannot open the documents in ${db?.label ?? 'PostgreSQL'}: ${reason}`,
        {
          cause: err,
        },
      );
    }
  }

  private async find(reference: string, kind: string, sha256: string): Promise<StoredDocument | undefined> {
    const row = await this.db.row<DocumentRow>(
      `SELECT ${METADATA} FROM documents WHERE reference = $1 AND kind = $2 AND sha256 = $3`,
      reference,
      kind,
      sha256,
    );
    return row && documentOf(row);
  }

  async put(doc: NewDocument): Promise<StoredDocument> {
    const name = nameToKeep(doc);
    const sha256 = sha256Of(doc.bytes);
    // Asked first so that bytes already kept are not sent to the server again.
    const kept = await this.find(doc.reference, doc.kind, sha256);
    if (kept) return kept;
    const location = documentLocation(doc.reference, sha256, name);
    const document = keptDocument(doc, { sha256, name, location });
    // Another replica with the same bytes may have come first: its row stands, and is the answer.
    await this.db.query(
      `INSERT INTO documents (id, reference, kind, name, content_type, size, sha256, location,
         uploaded_at, uploaded_by_id, uploaded_by_name, bytes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT DO NOTHING`,
      [...documentValues(document), doc.bytes],
    );
    return (await this.find(doc.reference, doc.kind, sha256)) ?? document;
  }

  async list(reference: string): Promise<readonly StoredDocument[]> {
    const rows = await this.db.rows<DocumentRow>(
      `SELECT ${METADATA} FROM documents WHERE reference = $1 ORDER BY uploaded_at, id`,
      reference,
    );
    return rows.map(documentOf);
  }

  async read(id: string): Promise<{ document: StoredDocument; bytes: Buffer } | undefined> {
    const row = await this.db.row<DocumentRow & { bytes: Buffer }>(
      `SELECT ${METADATA}, bytes FROM documents WHERE id = $1`,
      id,
    );
    if (!row) return undefined;
    const { bytes, ...metadata } = row;
    const document = documentOf(metadata);
    if (sha256Of(bytes) !== document.sha256) {
      throw new Error(`the bytes of the document ${id} changed since it was kept`);
    }
    return { document, bytes };
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
