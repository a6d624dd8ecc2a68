import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Opportunity, type NewOpportunity } from '../services/opportunity';
import {
  type AuditEntry,
  ConcurrencyError,
  type ConversationReferenceJson,
  type Draft,
  type NewAuditEntry,
  type OpportunityFilter,
  type OpportunityStore,
  type Page,
  type PageRequest,
  StoreUnavailableError,
} from '../services/store';

/** Schema changes, applied in order; PRAGMA user_version records how many have run. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE opportunities (
     reference TEXT PRIMARY KEY,
     year INTEGER NOT NULL,
     seq INTEGER NOT NULL,
     version INTEGER NOT NULL,
     status TEXT NOT NULL,
     requester_id TEXT NOT NULL,
     branch TEXT NOT NULL,
     created_at TEXT NOT NULL,
     data TEXT NOT NULL,
     UNIQUE (year, seq));
   CREATE INDEX opportunities_status ON opportunities (status, created_at DESC, reference DESC);
   CREATE INDEX opportunities_requester ON opportunities (requester_id, created_at DESC, reference DESC);
   CREATE INDEX opportunities_branch ON opportunities (branch, created_at DESC, reference DESC);
   CREATE INDEX opportunities_created ON opportunities (created_at DESC, reference DESC);
   CREATE TABLE reference_counters (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);
   CREATE TABLE idempotency_keys (key TEXT PRIMARY KEY, reference TEXT NOT NULL REFERENCES opportunities);
   CREATE TABLE audit (
     id TEXT PRIMARY KEY,
     reference TEXT NOT NULL,
     seq INTEGER NOT NULL,
     at TEXT NOT NULL,
     data TEXT NOT NULL);
   CREATE INDEX audit_reference ON audit (reference, seq);
   CREATE TABLE drafts (
     owner_id TEXT NOT NULL,
     id TEXT NOT NULL,
     version INTEGER NOT NULL,
     updated_at TEXT NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (owner_id, id));
   CREATE TABLE conversations (key TEXT PRIMARY KEY, data TEXT NOT NULL);`,
];

const MAX_PAGE = 100;

interface Cursor {
  readonly c: string;
  readonly r: string;
}

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(text: string): Cursor {
  const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Cursor>;
  if (typeof c.c !== 'string' || typeof c.r !== 'string') throw new RangeError('invalid page cursor');
  return { c: c.c, r: c.r };
}

/** Wraps SQLite faults (busy, I/O, closed) so callers can tell "try again" from a bug. */
function guarded<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConcurrencyError || err instanceof RangeError) throw err;
    if (err instanceof Database.SqliteError || (err instanceof TypeError && /database/i.test(err.message))) {
      throw new StoreUnavailableError(`${what}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** The embedded store: one SQLite file in WAL mode, every write a single transaction. */
export class SqliteStore implements OpportunityStore {
  private constructor(private readonly db: Database.Database) {}

  static open(file: string): SqliteStore {
    let db: Database.Database;
    try {
      if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
    } catch (err) {
      throw new StoreUnavailableError(`cannot open the SQLite store at ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const applied = db.pragma('user_version', { simple: true }) as number;
    if (applied > MIGRATIONS.length) {
      db.close();
      throw new StoreUnavailableError(
        `the SQLite store at ${file} has schema version ${applied}, newer than this Microacq (${MIGRATIONS.length}): upgrade Microacq`,
      );
    }
    db.transaction(() => {
      MIGRATIONS.slice(applied).forEach((sql) => db.exec(sql));
      db.pragma(`user_version = ${MIGRATIONS.length}`);
    })();
    return new SqliteStore(db);
  }

  private parse(row: { data: string } | undefined): Opportunity | undefined {
    return row ? Opportunity.parse(JSON.parse(row.data)) : undefined;
  }

  async create(record: NewOpportunity, audit: NewAuditEntry, idempotencyKey: string): Promise<Opportunity> {
    return guarded('create', () =>
      this.db.transaction(() => {
        const existing = this.db
          .prepare(
            'SELECT o.data FROM idempotency_keys k JOIN opportunities o USING (reference) WHERE k.key = ?',
          )
          .get(idempotencyKey) as { data: string } | undefined;
        if (existing) return this.parse(existing) as Opportunity;
        const year = Number(record.createdAt.slice(0, 4));
        const { last } = this.db
          .prepare(
            'INSERT INTO reference_counters (year, last) VALUES (?, 1) ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last',
          )
          .get(year) as { last: number };
        const reference = `MA-${year}-${String(last).padStart(4, '0')}`;
        const saved = Opportunity.parse({ ...record, reference, version: 1 });
        this.db
          .prepare(
            `INSERT INTO opportunities (reference, year, seq, version, status, requester_id, branch, created_at, data)
             VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)`,
          )
          .run(
            reference,
            year,
            last,
            saved.status,
            saved.requester.aadObjectId,
            saved.client.branch,
            saved.createdAt,
            JSON.stringify(saved),
          );
        this.db
          .prepare('INSERT INTO idempotency_keys (key, reference) VALUES (?, ?)')
          .run(idempotencyKey, reference);
        this.insertAudit(reference, audit);
        return saved;
      })(),
    );
  }

  async get(reference: string): Promise<Opportunity | undefined> {
    return guarded('get', () =>
      this.parse(
        this.db.prepare('SELECT data FROM opportunities WHERE reference = ?').get(reference) as
          { data: string } | undefined,
      ),
    );
  }

  async query(filter: OpportunityFilter, page: PageRequest): Promise<Page<Opportunity>> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.statuses) {
      if (filter.statuses.length === 0) return { items: [] };
      where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
      args.push(...filter.statuses);
    }
    const equal: [string, string | undefined][] = [
      ['requester_id = ?', filter.requesterId],
      ['branch = ?', filter.branch],
      ['created_at >= ?', filter.createdSince],
    ];
    for (const [clause, value] of equal) {
      if (value === undefined) continue;
      where.push(clause);
      args.push(value);
    }
    if (page.cursor) {
      const c = decodeCursor(page.cursor);
      where.push('(created_at < ? OR (created_at = ? AND reference < ?))');
      args.push(c.c, c.c, c.r);
    }
    const limit = Math.min(Math.max(Math.trunc(page.limit), 1), MAX_PAGE);
    const sql = `SELECT data FROM opportunities ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY created_at DESC, reference DESC LIMIT ?`;
    const rows = guarded('query', () => this.db.prepare(sql).all(...args, limit + 1) as { data: string }[]);
    const items = rows.slice(0, limit).map((r) => this.parse(r) as Opportunity);
    const last = items[items.length - 1];
    return rows.length > limit && last
      ? { items, nextCursor: encodeCursor({ c: last.createdAt, r: last.reference }) }
      : { items };
  }

  async transition(next: Opportunity, expectedVersion: number, audit: NewAuditEntry): Promise<Opportunity> {
    if (next.version !== expectedVersion + 1) {
      throw new RangeError(
        `version must go from ${expectedVersion} to ${expectedVersion + 1}, not ${next.version}`,
      );
    }
    const saved = Opportunity.parse(next);
    return guarded('transition', () =>
      this.db.transaction(() => {
        const changed = this.db
          .prepare(
            'UPDATE opportunities SET version = ?, status = ?, data = ? WHERE reference = ? AND version = ?',
          )
          .run(saved.version, saved.status, JSON.stringify(saved), saved.reference, expectedVersion).changes;
        if (changed === 0) {
          const actual = this.db
            .prepare('SELECT version FROM opportunities WHERE reference = ?')
            .get(saved.reference) as { version: number } | undefined;
          throw new ConcurrencyError(saved.reference, expectedVersion, actual?.version);
        }
        this.insertAudit(saved.reference, audit);
        return saved;
      })(),
    );
  }

  private insertAudit(reference: string, entry: NewAuditEntry): AuditEntry {
    const saved: AuditEntry = { ...entry, id: randomUUID(), reference };
    const { seq } = this.db
      .prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM audit WHERE reference = ?')
      .get(reference) as { seq: number };
    this.db
      .prepare('INSERT INTO audit (id, reference, seq, at, data) VALUES (?, ?, ?, ?, ?)')
      .run(saved.id, reference, seq, saved.at, JSON.stringify(saved));
    return saved;
  }

  async appendAudit(reference: string, entry: NewAuditEntry): Promise<AuditEntry> {
    return guarded('appendAudit', () => this.db.transaction(() => this.insertAudit(reference, entry))());
  }

  async auditTrail(reference: string): Promise<readonly AuditEntry[]> {
    return guarded('auditTrail', () =>
      (
        this.db.prepare('SELECT data FROM audit WHERE reference = ? ORDER BY seq').all(reference) as {
          data: string;
        }[]
      ).map((r) => JSON.parse(r.data) as AuditEntry),
    );
  }

  async saveDraft(draft: Omit<Draft, 'version'>, expectedVersion?: number): Promise<Draft> {
    return guarded('saveDraft', () =>
      this.db.transaction(() => {
        const current = this.db
          .prepare('SELECT version FROM drafts WHERE owner_id = ? AND id = ?')
          .get(draft.ownerId, draft.id) as { version: number } | undefined;
        if (expectedVersion !== undefined && current?.version !== expectedVersion) {
          throw new ConcurrencyError(draft.id, expectedVersion, current?.version);
        }
        const saved: Draft = { ...draft, version: (current?.version ?? 0) + 1 };
        this.db
          .prepare(
            `INSERT INTO drafts (owner_id, id, version, updated_at, data) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (owner_id, id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at, data = excluded.data`,
          )
          .run(saved.ownerId, saved.id, saved.version, saved.updatedAt, JSON.stringify(saved));
        return saved;
      })(),
    );
  }

  async getDraft(ownerId: string, id: string): Promise<Draft | undefined> {
    return guarded('getDraft', () => {
      const row = this.db
        .prepare('SELECT data FROM drafts WHERE owner_id = ? AND id = ?')
        .get(ownerId, id) as { data: string } | undefined;
      return row ? (JSON.parse(row.data) as Draft) : undefined;
    });
  }

  async listDrafts(ownerId: string): Promise<readonly Draft[]> {
    return guarded('listDrafts', () =>
      (
        this.db
          .prepare('SELECT data FROM drafts WHERE owner_id = ? ORDER BY updated_at DESC, id')
          .all(ownerId) as {
          data: string;
        }[]
      ).map((r) => JSON.parse(r.data) as Draft),
    );
  }

  async deleteDraft(ownerId: string, id: string): Promise<boolean> {
    return guarded(
      'deleteDraft',
      () => this.db.prepare('DELETE FROM drafts WHERE owner_id = ? AND id = ?').run(ownerId, id).changes > 0,
    );
  }

  async saveConversation(key: string, reference: ConversationReferenceJson): Promise<void> {
    guarded('saveConversation', () =>
      this.db
        .prepare(
          'INSERT INTO conversations (key, data) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET data = excluded.data',
        )
        .run(key, JSON.stringify(reference)),
    );
  }

  async getConversation(key: string): Promise<ConversationReferenceJson | undefined> {
    return guarded('getConversation', () => {
      const row = this.db.prepare('SELECT data FROM conversations WHERE key = ?').get(key) as
        { data: string } | undefined;
      return row ? (JSON.parse(row.data) as ConversationReferenceJson) : undefined;
    });
  }

  async deleteConversation(key: string): Promise<boolean> {
    return guarded(
      'deleteConversation',
      () => this.db.prepare('DELETE FROM conversations WHERE key = ?').run(key).changes > 0,
    );
  }

  async ping(): Promise<void> {
    guarded('ping', () => this.db.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
