import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, sep } from 'node:path';
import Database from 'better-sqlite3';
import {
  type DocumentStore,
  keptDocument,
  type NewDocument,
  nameToKeep,
  type StoredDocument,
} from '../services/documents';
import { StoreUnavailableError } from '../services/store';
import { type DocumentRow, documentLocation, documentOf, documentValues, sha256Of } from './document-rows';
import { SqliteAccess } from './sqlite-access';

/**
 * Requests' documents on this machine, beside the SQLite file: each file at
 * `documents/<reference>/<first 12 hex of its sha256>-<name>` under the SQLite file's directory, and what
 * is known of it (kind, digest, who sent it, when) in a small SQLite file of its own, beside the store's
 * (`microacq.db` → `microacq.documents.db`).
 *
 * A file of its own rather than a table in the store's: the store's file is brought up to date by its
 * own numbered migrations and refuses a file newer than it knows, so a table added from outside them
 * would be invisible to them; and writing a 10 MB document never waits on, or holds, the store's write
 * lock. Named after the store's file, two stores in one directory never see each other's documents.
 *
 * A file is written under a temporary name in `documents/.incoming`, flushed to disk, then renamed into
 * place, so a crash leaves no half file under a document's name; the metadata row comes after the file,
 * so a row always has its file. What a crash leaves in `.incoming` is cleared by a later put.
 */

export interface LocalDocumentsOptions {
  /** How long a write waits for another process's lock before the store is reported unavailable. */
  readonly busyTimeoutMs?: number;
}

const SCHEMA_VERSION = 1;
const DEFAULT_BUSY_TIMEOUT_MS = 3_000;
/** A temporary file this old was left by a crash, not by a write under way. */
const STALE_INCOMING_MS = 60 * 60_000;
/** File system failures that say the disk or its permissions are in trouble, not that our data is wrong. */
const UNAVAILABLE_FS = new Set([
  'ENOSPC',
  'EACCES',
  'EPERM',
  'EROFS',
  'EIO',
  'EMFILE',
  'ENFILE',
  'EDQUOT',
  'EBUSY',
]);

function unavailable(err: unknown, what: string): never {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code !== undefined && UNAVAILABLE_FS.has(code)) {
    throw new StoreUnavailableError(`${what} failed: ${(err as Error).message}`, { cause: err });
  }
  throw err;
}

/** Flushes a directory's entries (the rename) to disk; not every platform lets a directory be opened. */
async function syncDirectory(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The rename is done either way; only its durability across a power cut is the platform's.
  }
}

async function fileSha256(path: string): Promise<string | undefined> {
  try {
    return createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function connect(path: string, busyTimeoutMs: number): Database.Database {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
    const found = db.pragma('user_version', { simple: true }) as number;
    if (found > SCHEMA_VERSION) {
      throw new StoreUnavailableError(
        `${path} was written by a newer release (documents schema ${found}; this one knows ${SCHEMA_VERSION})`,
      );
    }
    if (found < SCHEMA_VERSION) {
      db.transaction(() => {
        db.exec(`
          CREATE TABLE IF NOT EXISTS documents (
            id TEXT PRIMARY KEY,
            reference TEXT NOT NULL,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            location TEXT NOT NULL,
            uploaded_at TEXT NOT NULL,
            uploaded_by_id TEXT NOT NULL,
            uploaded_by_name TEXT NOT NULL,
            UNIQUE (reference, kind, sha256)
          );
          CREATE INDEX IF NOT EXISTS documents_by_reference ON documents (reference, uploaded_at);
        `);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }).immediate();
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export class LocalDocuments implements DocumentStore {
  private constructor(
    private readonly access: SqliteAccess,
    /** The directory `location`s are relative to: the SQLite file's. */
    readonly root: string,
    /** A directory made for an in-memory store, removed on close. */
    private readonly throwaway: boolean,
  ) {}

  /**
   * The documents of the store whose SQLite file is `sqlitePath`. An in-memory store (`:memory:`) gets a
   * temporary directory of its own, gone when closed, as its records are.
   */
  static open(sqlitePath: string, options: LocalDocumentsOptions = {}): LocalDocuments {
    const throwaway = sqlitePath === ':memory:' || sqlitePath === '';
    const root = throwaway ? mkdtempSync(join(tmpdir(), 'microacq-documents-')) : dirname(sqlitePath);
    const file = throwaway
      ? join(root, 'documents.db')
      : join(root, `${basename(sqlitePath, extname(sqlitePath))}.documents.db`);
    try {
      mkdirSync(join(root, 'documents', '.incoming'), { recursive: true });
      const access = new SqliteAccess(connect(file, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS), file);
      return new LocalDocuments(access, root, throwaway);
    } catch (err) {
      if (throwaway) rmSync(root, { recursive: true, force: true });
      if (err instanceof StoreUnavailableError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new StoreUnavailableError(`cannot open the documents at ${file}: ${reason}`, { cause: err });
    }
  }

  private get incoming(): string {
    return join(this.root, 'documents', '.incoming');
  }

  /** Removes what a crash left half written; a write under way (a fresh file) is left alone. */
  private async clearIncoming(): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(this.incoming).catch(() => [] as string[])) {
      const path = join(this.incoming, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_INCOMING_MS)
        await rm(path, { force: true }).catch(() => undefined);
    }
  }

  private find(reference: string, kind: string, sha256: string): StoredDocument | undefined {
    const row = this.access.guard('read a document', () =>
      this.access.row<DocumentRow>(
        'SELECT * FROM documents WHERE reference = ? AND kind = ? AND sha256 = ?',
        reference,
        kind,
        sha256,
      ),
    );
    return row && documentOf(row);
  }

  /** Puts the bytes at `location` whole or not at all: a temporary file, flushed, then renamed. */
  private async writeFile(location: string, bytes: Buffer, sha256: string): Promise<void> {
    const target = join(this.root, location);
    if ((await fileSha256(target)) === sha256) return;
    const temporary = join(this.incoming, `${randomUUID()}.tmp`);
    try {
      await mkdir(dirname(target), { recursive: true });
      const handle = await open(temporary, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, target);
      await syncDirectory(dirname(target));
    } catch (err) {
      await rm(temporary, { force: true }).catch(() => undefined);
      unavailable(err, `keeping ${location}`);
    }
  }

  async put(doc: NewDocument): Promise<StoredDocument> {
    const name = nameToKeep(doc);
    const sha256 = sha256Of(doc.bytes);
    const kept = this.find(doc.reference, doc.kind, sha256);
    if (kept) return kept;
    await this.clearIncoming();
    const location = documentLocation(doc.reference, sha256, name);
    await this.writeFile(location, doc.bytes, sha256);
    const document = keptDocument(doc, { sha256, name, location });
    // Another writer with the same bytes may have come first: its row stands, and is the answer.
    this.access.write('keep a document', () =>
      this.access
        .sql(
          `INSERT INTO documents (id, reference, kind, name, content_type, size, sha256, location,
             uploaded_at, uploaded_by_id, uploaded_by_name)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
        )
        .run(...documentValues(document)),
    );
    return this.find(doc.reference, doc.kind, sha256) ?? document;
  }

  async list(reference: string): Promise<readonly StoredDocument[]> {
    return this.access
      .guard('list documents', () =>
        this.access.rows<DocumentRow>(
          'SELECT * FROM documents WHERE reference = ? ORDER BY uploaded_at, id',
          reference,
        ),
      )
      .map(documentOf);
  }

  async read(id: string): Promise<{ document: StoredDocument; bytes: Buffer } | undefined> {
    const row = this.access.guard('read a document', () =>
      this.access.row<DocumentRow>('SELECT * FROM documents WHERE id = ?', id),
    );
    if (!row) return undefined;
    const document = documentOf(row);
    const path = join(this.root, ...document.location.split('/'));
    if (!path.startsWith(join(this.root, 'documents') + sep)) {
      throw new Error(`the document ${id} points outside the documents directory`);
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return unavailable(err, `reading ${document.location}`);
    }
    if (sha256Of(bytes) !== document.sha256) {
      throw new Error(`the file of the document ${id} changed since it was kept`);
    }
    return { document, bytes };
  }

  async close(): Promise<void> {
    this.access.forget();
    if (this.access.db.open) this.access.db.close();
    if (this.throwaway) rmSync(this.root, { recursive: true, force: true });
  }
}
