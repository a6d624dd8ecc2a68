import Database from 'better-sqlite3';
import { type Resource, StoreUnavailableError } from '../services/store';

/**
 * What every table's adapter needs of the one SQLite connection: statements prepared once, IMMEDIATE
 * write transactions, and lock or I/O failures reported as StoreUnavailableError. It is the store's
 * Resource: the ports share its connection, so they are pinged and closed through it.
 */

/** Failures of the file or the lock, not of our data: the caller may retry later. */
const UNAVAILABLE_CODES =
  /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY|PROTOCOL|NOMEM|INTERRUPT|CORRUPT|NOTADB)/;

export function asUnavailable(err: unknown, what: string): StoreUnavailableError | undefined {
  if (err instanceof StoreUnavailableError) return err;
  if (err instanceof Database.SqliteError && UNAVAILABLE_CODES.test(err.code)) {
    return new StoreUnavailableError(`${what} failed: ${err.message}`, { cause: err });
  }
  return undefined;
}

export class SqliteAccess implements Resource {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    readonly db: Database.Database,
    readonly path: string,
  ) {}

  /** Runs `fn`, turning lock and I/O failures (and use after close) into StoreUnavailableError. */
  guard<T>(what: string, fn: () => T): T {
    if (!this.db.open) throw new StoreUnavailableError(`the store at ${this.path} is closed`);
    try {
      return fn();
    } catch (err) {
      throw asUnavailable(err, `${what} on ${this.path}`) ?? err;
    }
  }

  /**
   * One IMMEDIATE transaction: a second process takes its turn for the write lock up front, so what `fn`
   * counts is still true when it writes.
   */
  write<T>(what: string, fn: () => T): T {
    return this.guard(what, () => this.db.transaction(fn).immediate());
  }

  /** Prepared once per SQL text: preparing costs more than running. */
  sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  row<T>(text: string, ...params: unknown[]): T | undefined {
    return this.sql(text).get(...params) as T | undefined;
  }

  rows<T>(text: string, ...params: unknown[]): T[] {
    return this.sql(text).all(...params) as T[];
  }

  async ping(): Promise<void> {
    try {
      this.guard('ping', () => this.db.prepare('SELECT 1').get());
    } catch (err) {
      // Whatever stops the store answering means the same to a health check.
      throw (
        asUnavailable(err, `ping of ${this.path}`) ??
        new StoreUnavailableError(`ping of ${this.path} failed`, { cause: err })
      );
    }
  }

  forget(): void {
    this.statements.clear();
  }

  async close(): Promise<void> {
    this.forget();
    if (this.db.open) this.db.close();
  }
}
