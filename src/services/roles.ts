/** Who may act. Configured roles come from the directory; "requester" is relative to one record. */

export const CONFIGURED_ROLES = ['procurement', 'finance', 'union', 'manager'] as const;
export type ConfiguredRole = (typeof CONFIGURED_ROLES)[number];

/** The roles a transition can require: the configured ones, the record's requester, a team's lead, and the clock. */
export const ACTING_ROLES = ['requester', ...CONFIGURED_ROLES, 'lead', 'system'] as const;
export type ActingRole = (typeof ACTING_ROLES)[number];

export interface Actor {
  /** Entra object id from the authenticated activity; "system" for timers. */
  readonly id: string;
  readonly name: string;
  readonly roles: ReadonlySet<ConfiguredRole | 'system'>;
  /** The client branches a role is limited to; a role not named here holds for every branch. */
  readonly branches?: Readonly<Partial<Record<ConfiguredRole, readonly string[]>>>;
  /** The teams this person leads: a lead may give the team's pending decisions to a colleague. */
  readonly leads?: ReadonlySet<ConfiguredRole>;
  /** Roles held only as a colleague's delegate, and whose: decisions taken with them say "on behalf of". */
  readonly delegatedBy?: Readonly<Partial<Record<ConfiguredRole, DelegatingPerson>>>;
  /** The directory could not be read: roles that come from groups may be missing. */
  readonly directoryUnavailable?: boolean;
}

/** Who named a delegate, as their decisions record it. */
export interface DelegatingPerson {
  readonly aadObjectId: string;
  readonly name: string;
}

export const SYSTEM_ACTOR: Actor = { id: 'system', name: 'Microacq', roles: new Set(['system']) };

/** Entra object ids are GUIDs that reach us in either case: one id, whatever its case. */
export function idKey(id: string): string {
  return id.toLowerCase();
}

/** Whether two object ids name the same person. */
export function sameId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a !== '' && idKey(a) === idKey(b);
}

/** Role mapping: each configured role lists Entra object ids or group ids. */
export type RoleMapping = Readonly<Record<ConfiguredRole, readonly string[]>>;
