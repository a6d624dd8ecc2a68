import { z } from 'zod';
import { type Delegation, DELEGATIONS_LISTED, isIsoDate, StoredDelegation } from '../services/delegation';
import { idKey } from '../services/roles';
import type { DelegationStore, Person } from '../services/store';
import type { SqliteAccess } from './sqlite-access';
import { nonEmpty } from './sqlite-rows';

/**
 * Who acts for whom, in the SQLite file (table `delegations`, migration 11). Person ids are kept in lower
 * case (idKey); a delegator has at most one delegation not ended, which the table's unique index holds.
 */
export class SqliteDelegations implements DelegationStore {
  constructor(private readonly access: SqliteAccess) {}

  async saveDelegation(delegation: Delegation): Promise<Delegation> {
    const d = delegationOf(delegation);
    if (d.endedAt !== undefined || d.endedBy !== undefined)
      throw new RangeError(`delegation ${d.id} is saved running, and ended with endDelegation`);
    const delegator = idKey(d.delegator.aadObjectId);
    return this.access.write('saveDelegation', () => {
      const known = this.delegation(d.id);
      if (known) return known;
      // The one running before is replaced, in the same write: never two running for one person.
      const running = this.access.rows<DelegationRow>(
        'SELECT id, data FROM delegations WHERE delegator_id = ? AND ended_at IS NULL',
        delegator,
      );
      for (const row of running) this.writeEnd(toDelegation(row), d.delegator, d.createdAt);
      this.access
        .sql('INSERT INTO delegations (id, delegator_id, delegate_id, until, data) VALUES (?, ?, ?, ?, ?)')
        .run(d.id, delegator, idKey(d.delegate.aadObjectId), d.until, JSON.stringify(d));
      const saved = this.delegation(d.id);
      if (!saved) throw new Error(`delegation ${d.id} vanished while being saved`);
      return saved;
    });
  }

  async endDelegation(id: string, by: Person, at: string): Promise<boolean> {
    nonEmpty(id, 'a delegation id');
    const who = StoredDelegation.shape.endedBy.safeParse(by);
    const when = StoredDelegation.shape.endedAt.safeParse(at);
    if (!who.success || !who.data || !when.success || !when.data)
      throw new RangeError('a delegation is ended by someone, at an ISO time');
    const [endedBy, endedAt] = [who.data, when.data];
    return this.access.write('endDelegation', () => {
      const row = this.access.row<DelegationRow>(
        'SELECT id, data FROM delegations WHERE id = ? AND ended_at IS NULL',
        id,
      );
      if (!row) return false;
      this.writeEnd(toDelegation(row), endedBy, endedAt);
      return true;
    });
  }

  async delegationsTo(delegateId: string, today: string): Promise<readonly Delegation[]> {
    const id = idKey(nonEmpty(delegateId, 'a delegate id'));
    if (!isIsoDate(today)) throw new RangeError(`not a date: ${today}`);
    return this.access.guard('delegationsTo', () =>
      this.access
        .rows<DelegationRow>(
          'SELECT id, data FROM delegations WHERE delegate_id = ? AND ended_at IS NULL AND until >= ? ORDER BY seq',
          id,
          today,
        )
        .map(toDelegation),
    );
  }

  async delegationsBy(delegatorId: string): Promise<readonly Delegation[]> {
    const id = idKey(nonEmpty(delegatorId, 'a delegator id'));
    return this.access.guard('delegationsBy', () =>
      this.access
        .rows<DelegationRow>(
          `SELECT id, data FROM delegations WHERE delegator_id = ?
           ORDER BY ended_at IS NULL DESC, seq DESC LIMIT ?`,
          id,
          DELEGATIONS_LISTED,
        )
        .map(toDelegation),
    );
  }

  private delegation(id: string): Delegation | undefined {
    const row = this.access.row<DelegationRow>('SELECT id, data FROM delegations WHERE id = ?', id);
    return row && toDelegation(row);
  }

  /** Marks a delegation ended; call inside a write transaction. */
  private writeEnd(d: Delegation, by: Person, at: string): void {
    const ended: Delegation = {
      ...d,
      endedAt: at,
      endedBy: { aadObjectId: by.aadObjectId, name: by.name },
    };
    this.access
      .sql('UPDATE delegations SET ended_at = ?, data = ? WHERE id = ?')
      .run(at, JSON.stringify(ended), d.id);
  }
}

interface DelegationRow {
  readonly id: string;
  readonly data: string;
}

/** A delegation as given, checked; RangeError when it is not one. */
function delegationOf(input: unknown): Delegation {
  const parsed = StoredDelegation.safeParse(input);
  if (!parsed.success) {
    throw new RangeError(`not a valid delegation: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** Like records, an unreadable delegation fails loudly rather than granting roles half-read. */
function toDelegation(row: DelegationRow): Delegation {
  try {
    return StoredDelegation.parse(JSON.parse(row.data));
  } catch (cause) {
    throw new Error(`stored delegation ${row.id} is unreadable`, { cause });
  }
}
