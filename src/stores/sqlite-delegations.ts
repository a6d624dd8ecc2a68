import { type Delegation, DELEGATIONS_LISTED, isIsoDate } from '../services/delegation';
import { idKey } from '../services/roles';
import type { DelegationStore, Person } from '../services/store';
import { nonEmpty } from './rows';
import type { SqliteAccess } from './sqlite-access';
import {
  delegationEnd,
  type DelegationRow,
  endedDelegation,
  newDelegation,
  toDelegation,
} from './working-rows';

/**
 * Who acts for whom, in the SQLite file (table `delegations`, migration 11). Person ids are kept in lower
 * case (idKey); a delegator has at most one delegation not ended, which the table's unique index holds.
 */
export class SqliteDelegations implements DelegationStore {
  constructor(private readonly access: SqliteAccess) {}

  async saveDelegation(delegation: Delegation): Promise<Delegation> {
    const d = newDelegation(delegation);
    const delegator = idKey(d.delegator.aadObjectId);
    return this.access.write('saveDelegation', () => {
      const known = this.delegation(d.id);
      if (known) return known;
      // The one running before is replaced, in the same write: never two running for one person.
      const running = this.access.rows<DelegationRow>(
        'SELECT id, data FROM delegations WHERE delegator_id = ? AND ended_at IS NULL',
        delegator,
      );
      for (const row of running) this.writeEnd(toDelegation(row, 'text'), d.delegator, d.createdAt);
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
    const { endedBy, endedAt } = delegationEnd(by, at);
    return this.access.write('endDelegation', () => {
      const row = this.access.row<DelegationRow>(
        'SELECT id, data FROM delegations WHERE id = ? AND ended_at IS NULL',
        id,
      );
      if (!row) return false;
      this.writeEnd(toDelegation(row, 'text'), endedBy, endedAt);
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
        .map((row) => toDelegation(row, 'text')),
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
        .map((row) => toDelegation(row, 'text')),
    );
  }

  private delegation(id: string): Delegation | undefined {
    const row = this.access.row<DelegationRow>('SELECT id, data FROM delegations WHERE id = ?', id);
    return row && toDelegation(row, 'text');
  }

  /** Marks a delegation ended; call inside a write transaction. */
  private writeEnd(d: Delegation, by: Person, at: string): void {
    this.access
      .sql('UPDATE delegations SET ended_at = ?, data = ? WHERE id = ?')
      .run(at, JSON.stringify(endedDelegation(d, by, at)), d.id);
  }
}
