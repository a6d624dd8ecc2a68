import { z } from 'zod';
import { branchKey, type BranchNames } from './lookback';
import { CONFIGURED_ROLES, type ConfiguredRole, idKey, type RoleMapping } from './roles';

/**
 * Who holds which role, from the ROLE_* variables and the roles file: each grant gives one role to people,
 * to members of Entra ID groups (nested groups included) and to team leads, for every client branch or
 * for some. Pure: reading the file and asking the directory happen in src/bot/directory.ts.
 */

/** Bounds that keep a mistaken file (a pasted export, a runaway script) from slowing every look-up. */
export const ROLES_FILE_LIMITS = {
  grantsPerRole: 100,
  idsPerList: 1_000,
  branchesPerGrant: 100,
  labelLength: 200,
  branchLength: 255,
} as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const objectId = z
  .string({ error: 'must be an Entra object id (a GUID), in quotes or not' })
  .trim()
  .regex(GUID, 'must be an Entra object id, a GUID such as 6e7b768e-07e2-4810-8459-485f84f8f204');

/** A repeated id is most often a copy-paste slip where another id was meant, so it is refused. */
function idList(what: string) {
  return z
    .array(objectId, { error: `must be a list of ${what} object ids` })
    .max(ROLES_FILE_LIMITS.idsPerList, `lists at most ${ROLES_FILE_LIMITS.idsPerList} ${what} ids`)
    .superRefine((ids, ctx) => {
      const seen = new Set<string>();
      ids.forEach((id, i) => {
        if (seen.has(idKey(id))) {
          ctx.addIssue({ code: 'custom', path: [i], message: `repeats ${id} (ids ignore case)` });
        }
        seen.add(idKey(id));
      });
    });
}

const GrantSchema = z
  .strictObject(
    {
      label: z
        .string({ error: 'must be text' })
        .trim()
        .min(1, 'must not be empty (leave label out instead)')
        .max(ROLES_FILE_LIMITS.labelLength, `must be at most ${ROLES_FILE_LIMITS.labelLength} characters`)
        .optional(),
      branches: z
        .array(
          z
            .string({ error: 'must be a branch name' })
            .trim()
            .min(1, 'must not be empty')
            .max(
              ROLES_FILE_LIMITS.branchLength,
              `must be at most ${ROLES_FILE_LIMITS.branchLength} characters`,
            ),
          { error: 'must be a list of branch names' },
        )
        .min(1, 'must name at least one branch; leave branches out for every branch')
        .max(
          ROLES_FILE_LIMITS.branchesPerGrant,
          `lists at most ${ROLES_FILE_LIMITS.branchesPerGrant} branches`,
        )
        .optional(),
      groups: idList('group').optional(),
      people: idList('person').optional(),
      leads: idList('team lead').optional(),
    },
    { error: 'must be a grant: label, branches, groups, people, leads' },
  )
  .refine((g) => (g.groups?.length ?? 0) + (g.people?.length ?? 0) + (g.leads?.length ?? 0) > 0, {
    message: 'must name at least one group, person or lead',
  });

const RoleGrantsSchema = z
  .array(GrantSchema, { error: 'must be a list of grants (each starting with "-")' })
  .min(1, 'must list at least one grant; leave the role out instead')
  .max(ROLES_FILE_LIMITS.grantsPerRole, `lists at most ${ROLES_FILE_LIMITS.grantsPerRole} grants`);

/** The roles file: each configured role, when present, lists one or more grants. */
export const RolesFile = z.strictObject(
  Object.fromEntries(CONFIGURED_ROLES.map((role) => [role, RoleGrantsSchema.optional()])) as Record<
    ConfiguredRole,
    z.ZodOptional<typeof RoleGrantsSchema>
  >,
  { error: `must map roles (${CONFIGURED_ROLES.join(', ')}) to lists of grants` },
);
export type RolesFile = z.infer<typeof RolesFile>;

/** Where a problem is, as a person finds it in the file: `finance[0].groups[2]`. */
function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `${out === '' ? '' : '.'}${String(part)}`;
  }
  return out === '' ? 'the file' : out;
}

/** Each problem of a roles file, one line each, starting with where it is. */
export function rolesFileProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const allowed =
        issue.path.length === 0 ? CONFIGURED_ROLES.join(', ') : 'label, branches, groups, people, leads';
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      return `${pathOf(issue.path)}: unknown ${issue.keys.length > 1 ? 'keys' : 'key'} ${keys} (expected ${allowed})`;
    }
    return `${pathOf(issue.path)}: ${issue.message}`;
  });
}

/** The file as read from YAML, or what is wrong with it. */
export function checkRolesFile(
  raw: unknown,
): { readonly file: RolesFile } | { readonly problems: readonly string[] } {
  const parsed = RolesFile.safeParse(raw);
  return parsed.success ? { file: parsed.data } : { problems: rolesFileProblems(parsed.error) };
}

/** One line of the role mapping: a role given to people, group members and leads, maybe for some branches. */
export interface Grant {
  readonly role: ConfiguredRole;
  readonly label?: string;
  /** The client branches the role holds for; absent: every branch. */
  readonly branches?: readonly string[];
  readonly groups: readonly string[];
  readonly people: readonly string[];
  readonly leads: readonly string[];
  /** `ROLE_FINANCE` and the like, or the roles file's name. */
  readonly source: string;
}

/** The variable each role is read from. */
export function envVariable(role: ConfiguredRole): string {
  return `ROLE_${role.toUpperCase()}`;
}

/**
 * ROLE_* lists object ids without saying whether each is a person or a group, so each id is tried as
 * both: a person's id never turns up among group ids, nor a group's among people.
 */
export function grantsFromEnv(mapping: RoleMapping): Grant[] {
  return CONFIGURED_ROLES.filter((role) => mapping[role].length > 0).map((role) => ({
    role,
    groups: [...mapping[role]],
    people: [...mapping[role]],
    leads: [],
    source: envVariable(role),
  }));
}

export function grantsFromFile(file: RolesFile, source: string): Grant[] {
  return CONFIGURED_ROLES.flatMap((role) =>
    (file[role] ?? []).map((g) => ({
      role,
      ...(g.label !== undefined ? { label: g.label } : {}),
      ...(g.branches !== undefined ? { branches: g.branches } : {}),
      groups: g.groups ?? [],
      people: g.people ?? [],
      leads: g.leads ?? [],
      source,
    })),
  );
}

/** Whether any grant names a group, so that a look-up needs the person's memberships. */
export function usesGroups(grants: readonly Grant[]): boolean {
  return grants.some((g) => g.groups.length > 0);
}

/** How a person came to hold a role: named, named as a lead, or a member of a group. */
export type RoleSource =
  | { readonly kind: 'person' | 'lead'; readonly source: string; readonly label?: string }
  | { readonly kind: 'group'; readonly id: string; readonly source: string; readonly label?: string };

export interface HeldRole {
  readonly role: ConfiguredRole;
  /** The client branches the role holds for; undefined: every branch. */
  readonly branches?: readonly string[];
  readonly lead: boolean;
  readonly via: readonly RoleSource[];
}

/**
 * Whether two client branch names are one branch: case, accents, spacing and punctuation aside, and any
 * of a branch's names (`BRANCHES`) when given.
 */
export function sameBranch(a: string, b: string, names: BranchNames = []): boolean {
  const ka = branchKey(a, names);
  return ka !== '' && ka === branchKey(b, names);
}

/**
 * The roles a person holds, given their object id and the groups they belong to (transitively), in
 * CONFIGURED_ROLES order. A role held through any grant for every branch holds for every branch; else
 * for the branches of all its grants together, each once, as first written.
 */
export function heldRoles(
  grants: readonly Grant[],
  objectId: string,
  groupIds: readonly string[],
): HeldRole[] {
  const me = idKey(objectId);
  const memberOf = new Set(groupIds.map(idKey));
  const held: HeldRole[] = [];
  for (const role of CONFIGURED_ROLES) {
    const via: RoleSource[] = [];
    let lead = false;
    let everyBranch = false;
    const branches: string[] = [];
    for (const grant of grants) {
      if (grant.role !== role) continue;
      const label = grant.label !== undefined ? { label: grant.label } : {};
      const matched: RoleSource[] = [];
      if (me !== '' && grant.leads.some((id) => idKey(id) === me)) {
        matched.push({ kind: 'lead', source: grant.source, ...label });
        lead = true;
      } else if (me !== '' && grant.people.some((id) => idKey(id) === me)) {
        matched.push({ kind: 'person', source: grant.source, ...label });
      }
      for (const id of grant.groups) {
        if (memberOf.has(idKey(id))) matched.push({ kind: 'group', id, source: grant.source, ...label });
      }
      if (matched.length === 0) continue;
      via.push(...matched);
      if (grant.branches === undefined) everyBranch = true;
      else {
        for (const b of grant.branches) if (!branches.some((k) => sameBranch(k, b))) branches.push(b);
      }
    }
    if (via.length === 0) continue;
    held.push({ role, ...(everyBranch ? {} : { branches }), lead, via });
  }
  return held;
}

/**
 * The people a role's grants name (people and leads, not group members, whom only the directory lists):
 * who a reminder mentions and who an escalation reaches.
 */
export function namedPeople(grants: readonly Grant[], role: ConfiguredRole): string[] {
  const ids = grants.filter((g) => g.role === role).flatMap((g) => [...g.people, ...g.leads]);
  // Each person once, as first written.
  return ids.filter((id, i) => ids.findIndex((other) => idKey(other) === idKey(id)) === i);
}

/**
 * The people a role's grants limited to `branch` name (people and leads): a branch's own approvers, who
 * get its cards in their chats when the branch has no channel of its own. Grants for every branch name
 * nobody here: the team's channel serves them.
 */
export function branchApprovers(
  grants: readonly Grant[],
  role: ConfiguredRole,
  branch: string,
  names: BranchNames = [],
): string[] {
  const scoped = grants.filter(
    (g) => g.role === role && g.branches?.some((b) => sameBranch(b, branch, names)),
  );
  return namedPeople(scoped, role);
}
