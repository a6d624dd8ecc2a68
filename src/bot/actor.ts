import type { HeldRole } from '../services/role-grants';
import type { Actor, ConfiguredRole, DelegatingPerson } from '../services/roles';
import type { Deps } from './turn';

/**
 * Who a person is to the workflow: the roles the directory gives them (groups, people, leads, each maybe
 * limited to some client branches), plus the roles of colleagues who named them their delegate for today.
 * Built at the edge from the authenticated id, never from card data.
 */

export type ActorDeps = Pick<Deps, 'directory' | 'store' | 'clock' | 'log'>;

export interface ActorRoles {
  readonly actor: Actor;
  /** The roles as the directory gave them, with where each comes from (for `help`). */
  readonly own: readonly HeldRole[];
  /** The roles held as someone's delegate, and whose. */
  readonly delegated: readonly {
    readonly held: HeldRole;
    readonly for: DelegatingPerson;
    readonly until: string;
  }[];
}

export async function actorRoles(deps: ActorDeps, id: string, name: string): Promise<ActorRoles> {
  if (!id) return { actor: { id, name, roles: new Set() }, own: [], delegated: [] };
  const own = await deps.directory.lookup(id);
  let unavailable = own.directory === 'unavailable';
  const delegated: ActorRoles['delegated'][number][] = [];
  const delegations = await deps.store.delegationsTo(id, deps.clock.today()).catch((err: unknown) => {
    // A person's own roles still work when the delegations cannot be read.
    deps.log.warn({ err }, 'could not read the delegations');
    return [];
  });
  for (const d of delegations) {
    const theirs = await deps.directory.lookup(d.delegator.aadObjectId);
    unavailable ||= theirs.directory === 'unavailable';
    for (const held of theirs.roles) {
      // A role of one's own wins: a delegation adds roles, it never narrows or widens one already held.
      if (own.roles.some((r) => r.role === held.role) || delegated.some((x) => x.held.role === held.role))
        continue;
      delegated.push({
        held,
        for: { aadObjectId: d.delegator.aadObjectId, name: d.delegator.name },
        until: d.until,
      });
    }
  }
  const all = [...own.roles, ...delegated.map((d) => d.held)];
  const branches: Partial<Record<ConfiguredRole, readonly string[]>> = {};
  for (const h of all) if (h.branches) branches[h.role] = h.branches;
  const actor: Actor = {
    id,
    name,
    roles: new Set(all.map((h) => h.role)),
    branches,
    leads: new Set(all.filter((h) => h.lead).map((h) => h.role)),
    delegatedBy: Object.fromEntries(delegated.map((d) => [d.held.role, d.for])),
    ...(unavailable ? { directoryUnavailable: true } : {}),
  };
  return { actor, own: own.roles, delegated };
}

/** The actor alone, for the turns that only need to know what the person may do. */
export async function actorOf(deps: ActorDeps, id: string, name: string): Promise<Actor> {
  return (await actorRoles(deps, id, name)).actor;
}
