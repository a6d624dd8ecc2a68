/** Who may act. Configured roles come from the directory; "requester" is relative to one record. */

export const CONFIGURED_ROLES = ['procurement', 'finance', 'union', 'manager'] as const;
export type ConfiguredRole = (typeof CONFIGURED_ROLES)[number];

/** The roles a transition can require: the configured ones, the record's requester, and the clock. */
export const ACTING_ROLES = ['requester', ...CONFIGURED_ROLES, 'system'] as const;
export type ActingRole = (typeof ACTING_ROLES)[number];

export interface Actor {
  /** Entra object id from the authenticated activity; "system" for timers. */
  readonly id: string;
  readonly name: string;
  readonly roles: ReadonlySet<ConfiguredRole | 'system'>;
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

/**
 * The configured roles of a person, given their object id and the groups they belong to.
 * Ids compare case-insensitively because Entra GUIDs appear in both cases.
 */
export function rolesFor(
  mapping: RoleMapping,
  objectId: string,
  // Stryker disable next-line ArrayDeclaration: a group nobody is in maps no role
  groupIds: readonly string[] = [],
): Set<ConfiguredRole> {
  const ids = new Set([objectId, ...groupIds].map(idKey));
  const roles = new Set<ConfiguredRole>();
  for (const role of CONFIGURED_ROLES) {
    if (mapping[role].some((id) => ids.has(idKey(id)))) roles.add(role);
  }
  return roles;
}
