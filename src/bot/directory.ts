import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Client } from '@microsoft/microsoft-graph-client';
import { parse as parseYaml } from 'yaml';
import {
  checkRolesFile,
  type Grant,
  grantsFromEnv,
  grantsFromFile,
  type HeldRole,
  heldRoles,
  usesGroups,
} from '../services/role-grants';
import { CONFIGURED_ROLES, idKey, type RoleMapping } from '../services/roles';

/** What the directory logs through: pino's logger fits, and so does a test's. */
export interface DirectoryLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RoleDirectoryOptions {
  /** The YAML roles file; without it, roles come from ROLE_* alone. */
  readonly rolesFile?: string;
  readonly envMapping: RoleMapping;
  /** Graph, to read group memberships; none in local mode, where groups count as empty. */
  readonly graph?: Client;
  readonly now?: () => number;
  readonly log: DirectoryLog;
  /** How long a person's memberships are used before Graph is asked again. */
  readonly cacheMs?: number;
  /** How old memberships may be and still stand in while Graph fails. */
  readonly staleMs?: number;
  /** How often the roles file is checked for a change. */
  readonly pollMs?: number;
  /** The most a look-up waits for Graph, every page together. */
  readonly timeoutMs?: number;
  /** Groups asked for per page (Graph allows 999). */
  readonly pageSize?: number;
}

/**
 * `ok`: memberships were read (or recently were); `unavailable`: Graph failed and no recent reading stood
 * in, so roles from groups may be missing; `not_needed`: no grant names a group, or there is no Graph.
 */
export type DirectoryState = 'ok' | 'unavailable' | 'not_needed';

export interface RoleLookup {
  readonly roles: HeldRole[];
  readonly directory: DirectoryState;
}

/** What a reload did: new grants, the same text again, or a file refused (the grants kept). */
export type ReloadOutcome = 'loaded' | 'unchanged' | 'refused';

const DEFAULTS = {
  cacheMs: 5 * 60_000,
  staleMs: 60 * 60_000,
  pollMs: 2_000,
  // Within the few seconds Teams gives a turn; a slower answer still fills the cache for the next turn.
  timeoutMs: 4_000,
  pageSize: 999,
};
/** A roles file is a few kilobytes; anything far larger is a mistake, not a mapping. */
const MAX_FILE_BYTES = 1024 * 1024;
/** Graph pages never loop, but a wrong nextLink must not hold a look-up forever (11,000 groups at 999). */
const MAX_PAGES = 50;
/** People remembered at most; the oldest reading goes first. */
const MAX_CACHED = 20_000;

interface Memberships {
  readonly groups: readonly string[];
  readonly at: number;
}

/** Why a roles file cannot be used, with the file named. */
export class RolesFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`Roles file ${file} cannot be used:\n${problems.map((p) => `- ${p}`).join('\n')}`);
    this.name = 'RolesFileError';
  }
}

/** Grants from a roles file's text, or a RolesFileError naming each problem. */
export function grantsFromYaml(text: string, file: string): Grant[] {
  // An editor that rewrites in place empties the file first: an empty read is refused, never "no roles".
  if (text.trim() === '') throw new RolesFileError(file, ['the file is empty (write {} for no grants)']);
  let raw: unknown;
  try {
    raw = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    throw new RolesFileError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  const checked = checkRolesFile(raw);
  if ('problems' in checked) throw new RolesFileError(file, checked.problems);
  return grantsFromFile(checked.file, basename(file));
}

/** What tells one version of the file from another without reading it; a missing file is a version too. */
async function markOf(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch (err) {
    return `unseen:${codeOf(err) ?? 'error'}`;
  }
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' && status > 0 ? status : undefined;
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Who holds which role: the ROLE_* variables and the roles file, whose changes apply without a restart,
 * and each person's Entra ID groups, read from Graph and kept a few minutes.
 */
export class RoleDirectory {
  private readonly envGrants: readonly Grant[];
  private fileGrants: readonly Grant[] = [];
  private lastText: string | undefined;
  private readonly cache = new Map<string, Memberships>();
  private readonly pending = new Map<string, Promise<readonly string[]>>();
  private reloading: Promise<unknown> = Promise.resolve();
  private poller: NodeJS.Timeout | undefined;
  /** The file as last seen by the poll (identity, size, times), or why it could not be seen. */
  private seen = '';
  private polling = false;
  private readonly now: () => number;
  private readonly settings: typeof DEFAULTS;

  constructor(private readonly options: RoleDirectoryOptions) {
    this.envGrants = grantsFromEnv(options.envMapping);
    this.now = options.now ?? Date.now;
    this.settings = {
      cacheMs: options.cacheMs ?? DEFAULTS.cacheMs,
      staleMs: options.staleMs ?? DEFAULTS.staleMs,
      pollMs: options.pollMs ?? DEFAULTS.pollMs,
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      pageSize: Math.min(999, Math.max(1, options.pageSize ?? DEFAULTS.pageSize)),
    };
  }

  /** Reads the roles file (throwing RolesFileError if it cannot be used), then watches it. */
  async start(): Promise<void> {
    const file = this.options.rolesFile;
    if (file === undefined || this.poller !== undefined) return;
    // Seen before it is read: a change made while it is read still differs from what was seen.
    const seen = await markOf(file);
    const text = await this.readText(file);
    this.fileGrants = grantsFromYaml(text, file);
    this.lastText = text;
    this.seen = seen;
    this.options.log.info(this.counts(), 'roles file loaded');
    // Polling the path rather than fs.watch on the file: editors and config mounts replace the file by
    // renaming another over it, and fs.watch follows the old inode and goes quiet (watching the directory
    // differs by platform and misses network and container volumes). The poll is ours, not fs.watchFile,
    // whose starting point is taken in the background and can miss a change made just after start.
    this.poller = setInterval(() => void this.poll(file), this.settings.pollMs);
    this.poller.unref();
  }

  stop(): void {
    clearInterval(this.poller);
    this.poller = undefined;
  }

  /** Every grant in force: ROLE_* first, then the roles file's, in its order. */
  grants(): readonly Grant[] {
    return [...this.envGrants, ...this.fileGrants];
  }

  /**
   * Reads the roles file again: a usable file replaces the grants at once; one that cannot be used keeps
   * the grants in force, and says why in the log. Reloads run one at a time, in order.
   */
  reload(): Promise<ReloadOutcome> {
    const run = this.reloading.then(() => this.reloadNow());
    this.reloading = run.catch(() => undefined);
    return run;
  }

  /** The roles a person holds, and whether their groups could be read. Never throws. */
  async lookup(objectId: string): Promise<RoleLookup> {
    const id = objectId.trim();
    if (this.options.graph === undefined || !usesGroups(this.grants()) || id === '') {
      return { roles: heldRoles(this.grants(), id, []), directory: 'not_needed' };
    }
    const key = idKey(id);
    const known = this.cache.get(key);
    if (known !== undefined && this.now() - known.at < this.settings.cacheMs) {
      return { roles: heldRoles(this.grants(), id, known.groups), directory: 'ok' };
    }
    try {
      const groups = await this.withinTimeout(this.memberships(id));
      return { roles: heldRoles(this.grants(), id, groups), directory: 'ok' };
    } catch (err) {
      const facts = { status: statusOf(err), code: codeOf(err), err: (err as Error).message };
      const last = this.cache.get(key);
      const age = last === undefined ? Infinity : this.now() - last.at;
      if (last !== undefined && age <= this.settings.staleMs) {
        this.options.log.warn({ ...facts, ageMs: age }, 'directory failed: using earlier groups');
        return { roles: heldRoles(this.grants(), id, last.groups), directory: 'ok' };
      }
      this.options.log.warn(facts, 'directory failed: roles from groups unknown');
      return { roles: heldRoles(this.grants(), id, []), directory: 'unavailable' };
    }
  }

  private async poll(file: string): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const mark = await markOf(file);
      if (mark === this.seen) return;
      this.seen = mark;
      await this.reload();
    } finally {
      this.polling = false;
    }
  }

  private async reloadNow(): Promise<ReloadOutcome> {
    const file = this.options.rolesFile;
    if (file === undefined) return 'unchanged';
    try {
      const text = await this.readText(file);
      if (text === this.lastText) return 'unchanged';
      this.fileGrants = grantsFromYaml(text, file);
      this.lastText = text;
      this.options.log.info(this.counts(), 'roles file reloaded');
      return 'loaded';
    } catch (err) {
      const problems = err instanceof RolesFileError ? err.problems : [(err as Error).message];
      this.options.log.error({ file, problems }, 'roles file refused: the roles in force are kept');
      return 'refused';
    }
  }

  private async readText(file: string): Promise<string> {
    try {
      const size = (await stat(file)).size;
      if (size > MAX_FILE_BYTES) {
        throw new RolesFileError(file, [
          `the file is ${size} bytes; a roles file is at most ${MAX_FILE_BYTES}`,
        ]);
      }
      return await readFile(file, 'utf8');
    } catch (err) {
      if (err instanceof RolesFileError) throw err;
      throw new RolesFileError(file, [`cannot be read: ${(err as Error).message}`]);
    }
  }

  private counts(): Record<string, unknown> {
    const grants = this.grants();
    return {
      file: this.options.rolesFile,
      grants: grants.length,
      fromFile: this.fileGrants.length,
      byRole: Object.fromEntries(CONFIGURED_ROLES.map((r) => [r, grants.filter((g) => g.role === r).length])),
      groups: new Set(grants.flatMap((g) => g.groups.map(idKey))).size,
    };
  }

  /** One reading per person at a time: people who click together share it, and it fills the cache. */
  private memberships(objectId: string): Promise<readonly string[]> {
    const key = idKey(objectId);
    let reading = this.pending.get(key);
    if (reading === undefined) {
      reading = this.readGroups(objectId)
        .then((groups) => {
          this.remember(key, groups);
          return groups;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, reading);
    }
    return reading;
  }

  private async readGroups(objectId: string): Promise<readonly string[]> {
    const graph = this.options.graph as Client;
    const groups: string[] = [];
    let next: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      let body: { value?: unknown; '@odata.nextLink'?: unknown };
      try {
        body =
          next === undefined
            ? await graph
                .api(`/users/${encodeURIComponent(objectId)}/transitiveMemberOf/microsoft.graph.group`)
                .select('id')
                .top(this.settings.pageSize)
                .get()
            : await graph.api(next).get();
      } catch (err) {
        // Someone Entra ID does not know (a guest of another tenant) belongs to no group here.
        if (statusOf(err) === 404 && codeOf(err) === 'Request_ResourceNotFound') return [];
        throw err;
      }
      for (const entry of Array.isArray(body.value) ? (body.value as unknown[]) : []) {
        const id = (entry as { id?: unknown } | null)?.id;
        if (typeof id === 'string') groups.push(id);
      }
      if (typeof body['@odata.nextLink'] !== 'string') return groups;
      next = body['@odata.nextLink'];
    }
    throw new Error(`group memberships ran past ${MAX_PAGES} pages`);
  }

  private remember(key: string, groups: readonly string[]): void {
    this.cache.delete(key);
    this.cache.set(key, { groups, at: this.now() });
    if (this.cache.size > MAX_CACHED) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  private withinTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new Error(`the directory did not answer within ${this.settings.timeoutMs} ms`);
        err.name = 'TimeoutError';
        reject(err);
      }, this.settings.timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}
