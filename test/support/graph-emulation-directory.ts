/**
 * The directory part of the Graph emulation: users, groups and nested group membership, and a user's
 * group memberships, direct and transitive, with Graph's paging and errors. The emulation routes
 * `/users/…` here; its faults, throttling and request log apply as to any other route.
 *
 * Shapes and rules taken from Microsoft's documentation:
 * - Memberships:   https://learn.microsoft.com/en-us/graph/api/user-list-transitivememberof
 *                  (default page 100, at most 999; an OData cast keeps the groups)
 * - Groups:        https://learn.microsoft.com/en-us/graph/api/resources/group
 * - Paging:        https://learn.microsoft.com/en-us/graph/paging (an opaque $skiptoken in @odata.nextLink)
 * - Errors:        https://learn.microsoft.com/en-us/graph/errors (Request_ResourceNotFound, 404)
 */

const GRAPH_V1 = 'https://graph.microsoft.com/v1.0';
const DEFAULT_PAGE = 100;
const MAX_PAGE = 999;
const GROUP_CAST = 'microsoft.graph.group';
/** Query options Graph answers here only as advanced queries; the emulation does not model them. */
const NOT_EMULATED = ['filter', 'search', 'orderby', 'count', 'expand', 'skip'];

export interface DirectoryUser {
  id: string;
  displayName?: string;
  userPrincipalName?: string;
}

export interface DirectoryGroup {
  id: string;
  displayName?: string;
  description?: string;
  securityEnabled?: boolean;
  mailEnabled?: boolean;
  /** Direct members: users or groups, by id. */
  members?: readonly string[];
}

/** What to add to the directory; a group's members and `memberships` may name users or groups. */
export interface DirectorySeed {
  users?: readonly (string | DirectoryUser)[];
  groups?: readonly (string | DirectoryGroup)[];
  memberships?: readonly { readonly group: string; readonly member: string }[];
}

/** The parts of a request the directory reads (the emulation's own request record fits). */
export interface DirectoryRequest {
  readonly method: string;
  /** Path segments after /v1.0, decoded. */
  readonly segments: readonly string[];
  readonly params: URLSearchParams;
  readonly rawPath: string;
  readonly rawQuery: string;
}

/** A body to answer 200 with, or the error Graph would give. */
export type DirectoryAnswer =
  | { readonly status: 200; readonly body: Record<string, unknown> }
  | { readonly status: number; readonly code: string; readonly message: string };

interface GroupState {
  id: string;
  displayName: string;
  description: string | null;
  securityEnabled: boolean;
  mailEnabled: boolean;
  createdDateTime: string;
}

/** The group properties `$select` may name, as Graph spells them. */
const GROUP_PROPERTIES = [
  'id',
  'displayName',
  'description',
  'securityEnabled',
  'mailEnabled',
  'mailNickname',
  'mail',
  'groupTypes',
  'createdDateTime',
] as const;

const key = (id: string) => id.toLowerCase();

const failure = (status: number, code: string, message: string): DirectoryAnswer => ({
  status,
  code,
  message,
});

function param(params: URLSearchParams, name: string): string | undefined {
  return params.get(`$${name}`) ?? params.get(name) ?? undefined;
}

export class EmulatedDirectory {
  private readonly users = new Map<string, DirectoryUser>();
  private readonly groups = new Map<string, GroupState>();
  /** Each user's or group's direct parents: the groups it is a member of. */
  private readonly parents = new Map<string, Set<string>>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Adds all of the seed or, when a membership names someone unknown, none of it. */
  seed(seed: DirectorySeed): void {
    const users = (seed.users ?? []).map((entry) => (typeof entry === 'string' ? { id: entry } : entry));
    const groups = (seed.groups ?? []).map((entry) => (typeof entry === 'string' ? { id: entry } : entry));
    const members = [
      ...(seed.memberships ?? []),
      ...groups.flatMap((g) => (g.members ?? []).map((member) => ({ group: g.id, member }))),
    ];
    const newGroups = new Set(groups.map((g) => key(g.id)));
    const newUsers = new Set(users.map((u) => key(u.id)));
    const isGroup = (id: string) => this.groups.has(key(id)) || newGroups.has(key(id));
    const isUser = (id: string) => this.users.has(key(id)) || newUsers.has(key(id));
    for (const { group, member } of members) {
      if (!isGroup(group)) throw new Error(`No group ${group} in the emulated directory`);
      if (!isUser(member) && !isGroup(member)) {
        throw new Error(`No user or group ${member} in the emulated directory`);
      }
    }
    for (const user of users) this.users.set(key(user.id), { ...user });
    const created = this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    for (const group of groups) {
      this.groups.set(key(group.id), {
        id: group.id,
        displayName: group.displayName ?? `Group ${group.id.slice(0, 8)}`,
        description: group.description ?? null,
        securityEnabled: group.securityEnabled ?? true,
        mailEnabled: group.mailEnabled ?? false,
        createdDateTime: created,
      });
    }
    for (const { group, member } of members) {
      const set = this.parents.get(key(member)) ?? new Set<string>();
      set.add(key(group));
      this.parents.set(key(member), set);
    }
  }

  route(call: DirectoryRequest): DirectoryAnswer {
    const [, userRef, relation, cast, ...rest] = call.segments;
    if (userRef === undefined || relation === undefined) {
      return failure(400, 'Request_BadRequest', 'Only /users/{id}/transitiveMemberOf is emulated.');
    }
    if (relation !== 'transitiveMemberOf') {
      return failure(400, 'BadRequest', `Resource not found for the segment '${relation}'.`);
    }
    if (cast !== undefined && cast !== GROUP_CAST) {
      return failure(400, 'BadRequest', `Resource not found for the segment '${cast}'.`);
    }
    if (rest[0] !== undefined)
      return failure(400, 'BadRequest', `Resource not found for the segment '${rest[0]}'.`);
    if (call.method !== 'GET') {
      return failure(
        405,
        'Request_BadRequest',
        'Specified HTTP method is not allowed for the request target.',
      );
    }
    const user = this.findUser(userRef);
    if (user === undefined) {
      return failure(
        404,
        'Request_ResourceNotFound',
        `Resource '${userRef}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    for (const name of NOT_EMULATED) {
      if (param(call.params, name) !== undefined) {
        return failure(400, 'Request_UnsupportedQuery', `The query option '$${name}' is not emulated.`);
      }
    }
    const topText = param(call.params, 'top');
    const top = topText === undefined ? DEFAULT_PAGE : Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE) {
      return failure(
        400,
        'Request_UnsupportedQuery',
        `Invalid page size specified: '${topText ?? ''}'. Must be between 1 and ${MAX_PAGE} inclusive.`,
      );
    }
    const selectText = param(call.params, 'select');
    const select: (typeof GROUP_PROPERTIES)[number][] = [];
    for (const name of (selectText ?? '').split(',').map((s) => s.trim())) {
      if (name === '') continue;
      const known = GROUP_PROPERTIES.find((p) => p.toLowerCase() === name.toLowerCase());
      if (known === undefined) {
        return failure(
          400,
          'Request_BadRequest',
          `Could not find a property named '${name}' on type 'microsoft.graph.group'.`,
        );
      }
      if (!select.includes(known)) select.push(known);
    }
    const offset = this.offsetOf(param(call.params, 'skiptoken'));
    if (offset === undefined) {
      return failure(400, 'Request_BadRequest', 'The specified page token value is not valid.');
    }
    const all = this.transitiveGroups(user.id);
    const page = all.slice(offset, offset + top);
    const collection = cast === undefined ? 'directoryObjects' : 'groups';
    const body: Record<string, unknown> = {
      '@odata.context': `${GRAPH_V1}/$metadata#${collection}${select.length > 0 ? `(${select.join(',')})` : ''}`,
    };
    if (offset + top < all.length) body['@odata.nextLink'] = this.nextLink(call, offset + top);
    body.value = page.map((g) => ({
      // Without the cast the collection mixes object types, so each entry says its own.
      ...(cast === undefined ? { '@odata.type': '#microsoft.graph.group' } : {}),
      ...this.groupJson(g, select),
    }));
    return { status: 200, body };
  }

  private findUser(ref: string): DirectoryUser | undefined {
    const wanted = key(ref);
    const byId = this.users.get(wanted);
    if (byId !== undefined) return byId;
    for (const user of this.users.values()) {
      if (user.userPrincipalName !== undefined && key(user.userPrincipalName) === wanted) return user;
    }
    return undefined;
  }

  /** Every group the member is in, directly or through other groups, each once, nearest first. */
  private transitiveGroups(memberId: string): GroupState[] {
    const seen = new Set<string>();
    const queue = [...(this.parents.get(key(memberId)) ?? [])];
    const out: GroupState[] = [];
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      const group = this.groups.get(next);
      if (group !== undefined) out.push(group);
      for (const parent of this.parents.get(next) ?? []) if (!seen.has(parent)) queue.push(parent);
    }
    return out;
  }

  private groupJson(group: GroupState, select: readonly string[]): Record<string, unknown> {
    const full: Record<string, unknown> = {
      id: group.id,
      createdDateTime: group.createdDateTime,
      description: group.description,
      displayName: group.displayName,
      groupTypes: [],
      mail: null,
      mailEnabled: group.mailEnabled,
      mailNickname: group.displayName.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
      securityEnabled: group.securityEnabled,
    };
    if (select.length === 0) return full;
    return Object.fromEntries(select.map((name) => [name, full[name]]));
  }

  /** Directory tokens are opaque; this one carries the position, in a form a client cannot take for a number. */
  private offsetOf(token: string | undefined): number | undefined {
    if (token === undefined) return 0;
    const match = /^X'([0-9A-F]+)'$/.exec(token);
    const offset = match?.[1] === undefined ? NaN : parseInt(match[1], 16);
    return Number.isInteger(offset) && offset > 0 ? offset : undefined;
  }

  /** The request's own query, as the client encoded it, with the next page's token. */
  private nextLink(call: DirectoryRequest, offset: number): string {
    const kept = call.rawQuery.split('&').filter((part) => part !== '' && !/^\$?skiptoken=/i.test(part));
    kept.push(`$skiptoken=${encodeURIComponent(`X'${offset.toString(16).toUpperCase().padStart(8, '0')}'`)}`);
    return `${GRAPH_V1}${call.rawPath}?${kept.join('&')}`;
  }
}
