import { createHash } from 'node:crypto';
import { DOCUMENT_KINDS, type DocumentKind, type StoredDocument } from '../services/documents';

/** A kept document's row, without its bytes, as the SQLite and PostgreSQL tables both hold it. */
export interface DocumentRow {
  id: string;
  reference: string;
  kind: string;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  location: string;
  uploaded_at: string;
  uploaded_by_id: string;
  uploaded_by_name: string;
}

/** A row read back; one whose kind this release does not know fails, naming the document. */
export function documentOf(row: DocumentRow): StoredDocument {
  if (!DOCUMENT_KINDS.includes(row.kind as DocumentKind)) {
    throw new Error(`the document ${row.id} has an unknown kind: ${row.kind}`);
  }
  return {
    id: row.id,
    reference: row.reference,
    kind: row.kind as DocumentKind,
    name: row.name,
    contentType: row.content_type,
    size: row.size,
    sha256: row.sha256,
    location: row.location,
    uploadedAt: row.uploaded_at,
    uploadedBy: { aadObjectId: row.uploaded_by_id, name: row.uploaded_by_name },
  };
}

/** A document's digest, as every document store keeps and checks it. */
export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Where a kept document is, in the same words whichever store keeps it; forward slashes whatever the
 * platform, since a location is an id as much as a path.
 */
export function documentLocation(reference: string, sha256: string, name: string): string {
  return ['documents', reference, `${sha256.slice(0, 12)}-${name}`].join('/');
}

/** A document's columns in the order both tables list them, bytes aside. */
export function documentValues(d: StoredDocument): unknown[] {
  return [
    d.id,
    d.reference,
    d.kind,
    d.name,
    d.contentType,
    d.size,
    d.sha256,
    d.location,
    d.uploadedAt,
    d.uploadedBy.aadObjectId,
    d.uploadedBy.name,
  ];
}
