/**
 * An in-memory GitHub REST API limited to the endpoints the publisher calls, over loopback HTTP, with
 * GitHub's response shapes, errors, authentication and rate limits, so the publisher's tests run with
 * no network. Its repository (branches → commits → trees → files) can be read back and changed the way
 * people on GitHub change it (a push, a merge), and faults can be injected: failures, rate limits, and
 * a branch moved between the publisher's read and its write.
 *
 * Shapes and rules taken from GitHub's REST documentation:
 * - Repository:     https://docs.github.com/rest/repos/repos#get-a-repository
 * - References:     https://docs.github.com/rest/git/refs (get: 404; create: 422 "Reference already
 *                   exists"; update: 422 "Update is not a fast forward" unless `force`)
 * - Commits:        https://docs.github.com/rest/git/commits
 * - Trees:          https://docs.github.com/rest/git/trees#create-a-tree (`base_tree`, `content`)
 * - Contents:       https://docs.github.com/rest/repos/contents#get-repository-content (base64, `sha`)
 * - Pull requests:  https://docs.github.com/rest/pulls/pulls (list filtered by `head=owner:branch`;
 *                   create: 422 "A pull request already exists for owner:branch.")
 * - App tokens:     https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app
 *                   (a JWT signed RS256 by the app's key, issued by its id, ten minutes at most)
 * - Rate limits:    https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api (primary:
 *                   403 or 429 with x-ratelimit-remaining 0 and x-ratelimit-reset; secondary: 403 or 429
 *                   saying so, with retry-after)
 * - Errors:         https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api
 */
import { createHash, type KeyObject, randomBytes, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EmulatedApp {
  readonly id: number;
  readonly installationId: number;
  /** The public half of the key the app signs its JWTs with. */
  readonly publicKey: string | KeyObject;
}

export interface GitHubEmulationOptions {
  readonly owner?: string;
  readonly repo?: string;
  readonly defaultBranch?: string;
  /** Tokens accepted as they are (personal or fine-grained). */
  readonly tokens?: readonly string[];
  readonly app?: EmulatedApp;
  /** The files of the default branch's first commit. */
  readonly files?: Readonly<Record<string, string>>;
  /** Requests an hour before the primary rate limit. */
  readonly rateLimit?: number;
  readonly now?: () => number;
}

export interface RecordedRequest {
  readonly method: string;
  /** The path as sent, query included. */
  readonly url: string;
  readonly status: number;
  readonly body?: unknown;
}

export interface EmulatedPull {
  readonly number: number;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  readonly head: string;
  readonly base: string;
  /** The head commit when the pull request stopped following its branch (merged or closed). */
  headSha: string;
  readonly createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergeCommitSha: string | null;
}

export interface EmulatedCommit {
  readonly tree: string;
  readonly parents: readonly string[];
  readonly message: string;
  readonly date: string;
}

/** A failure to answer instead of the real response. */
export interface Fault {
  readonly status: number;
  readonly times?: number;
  readonly message?: string;
  /** Only requests with this method, whose path matches. */
  readonly method?: string;
  readonly path?: RegExp;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const DOCS = 'https://docs.github.com/rest';
const HTML = 'https://github.com';
const ZERO = '0'.repeat(40);

const sha1 = (text: string | Buffer) => createHash('sha1').update(text).digest('hex');

/** Git's id of a blob: what GitHub reports as a file's sha. */
export function gitBlobId(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return sha1(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]));
}

export class GitHubEmulation {
  readonly owner: string;
  readonly repo: string;
  readonly defaultBranch: string;
  readonly requests: RecordedRequest[] = [];
  /** Requests to a route the emulation does not know: the publisher should make none. */
  readonly unknown: RecordedRequest[] = [];
  url = '';

  private readonly blobs = new Map<string, string>();
  /** A tree is flat here: every file's path to its blob. */
  private readonly trees = new Map<string, ReadonlyMap<string, string>>();
  private readonly commits = new Map<string, EmulatedCommit>();
  private readonly refs = new Map<string, string>();
  private readonly pullRequests: EmulatedPull[] = [];
  private readonly tokens: Set<string>;
  private readonly installationTokens = new Map<string, number>();
  private readonly faults: { fault: Fault; left: number }[] = [];
  private readonly hooks: { method: string; path: RegExp; hook: () => void; left: number }[] = [];
  private secondary: { status: number; retryAfterSeconds?: number; left: number } | undefined;
  private readonly limit: number;
  private used = 0;
  private resetAt = 0;
  private commitCount = 0;
  private readonly now: () => number;
  private server: ReturnType<typeof createServer> | undefined;

  private constructor(private readonly options: GitHubEmulationOptions) {
    this.owner = options.owner ?? 'canada-ca';
    this.repo = options.repo ?? 'micro-acquisition';
    this.defaultBranch = options.defaultBranch ?? 'main';
    this.tokens = new Set(options.tokens ?? []);
    this.limit = options.rateLimit ?? 5000;
    this.now = options.now ?? Date.now;
    const first = this.writeCommit(
      this.writeTree(new Map(), options.files ?? { '_config.yml': 'markdown: kramdown\n' }),
      [],
      'Initial commit',
    );
    this.refs.set(this.defaultBranch, first);
  }

  static async start(options: GitHubEmulationOptions = {}): Promise<GitHubEmulation> {
    const emulation = new GitHubEmulation(options);
    const server = createServer((req, res) => void emulation.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    emulation.server = server;
    emulation.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return emulation;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ------------------------------------------------------------------------------------------------
  // Reading the repository back

  get fullName(): string {
    return `${this.owner}/${this.repo}`;
  }

  branches(): string[] {
    return [...this.refs.keys()].sort();
  }

  head(branch: string): string | undefined {
    return this.refs.get(branch);
  }

  /** Every file at a branch or a commit. */
  files(branchOrSha: string): Record<string, string> {
    const commit = this.commits.get(this.refs.get(branchOrSha) ?? branchOrSha);
    if (!commit) throw new Error(`no branch or commit ${branchOrSha}`);
    const tree = this.trees.get(commit.tree) ?? new Map<string, string>();
    return Object.fromEntries([...tree].map(([path, blob]) => [path, this.blobs.get(blob) ?? '']));
  }

  file(branchOrSha: string, path: string): string | undefined {
    return this.files(branchOrSha)[path];
  }

  commit(sha: string): EmulatedCommit | undefined {
    return this.commits.get(sha);
  }

  /** The commits of a branch, newest first, following first parents. */
  history(branch: string): string[] {
    const shas: string[] = [];
    for (let sha = this.refs.get(branch); sha !== undefined; sha = this.commits.get(sha)?.parents[0]) {
      shas.push(sha);
    }
    return shas;
  }

  pulls(): readonly EmulatedPull[] {
    return this.pullRequests;
  }

  /** Requests that change something. */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && !r.url.startsWith('/app/'));
  }

  // ------------------------------------------------------------------------------------------------
  // What people do on GitHub

  /** A commit pushed to `branch` (made from the default branch if new); null deletes a file. */
  push(branch: string, changes: Readonly<Record<string, string | null>>, message = 'Edit'): string {
    const parent = this.refs.get(branch) ?? this.refs.get(this.defaultBranch);
    if (parent === undefined) throw new Error('no default branch');
    const base = this.trees.get(this.commits.get(parent)?.tree ?? '') ?? new Map<string, string>();
    const sha = this.writeCommit(this.writeTree(base, changes), [parent], message);
    this.refs.set(branch, sha);
    return sha;
  }

  /** Merges a pull request into its base, as the "Merge pull request" button does. */
  merge(number: number, options: { deleteBranch?: boolean; squash?: boolean } = {}): string {
    const pull = this.pullRequests.find((p) => p.number === number);
    if (!pull || pull.state !== 'open') throw new Error(`no open pull request ${number}`);
    const headSha = this.refs.get(pull.head);
    const baseSha = this.refs.get(pull.base);
    if (headSha === undefined || baseSha === undefined) throw new Error('a branch is gone');
    const since = this.treeOf(this.mergeBase(headSha, baseSha));
    const ours = this.treeOf(headSha);
    const changes: Record<string, string | null> = {};
    for (const [path, blob] of ours) if (since.get(path) !== blob) changes[path] = this.blobs.get(blob) ?? '';
    for (const path of since.keys()) if (!ours.has(path)) changes[path] = null;
    const merged = this.writeCommit(
      this.writeTree(this.treeOf(baseSha), changes),
      options.squash ? [baseSha] : [baseSha, headSha],
      `Merge pull request #${number} from ${this.owner}/${pull.head}`,
    );
    this.refs.set(pull.base, merged);
    const at = this.iso();
    Object.assign(pull, {
      state: 'closed',
      headSha,
      mergedAt: at,
      closedAt: at,
      updatedAt: at,
      mergeCommitSha: merged,
    });
    if (options.deleteBranch) this.refs.delete(pull.head);
    return merged;
  }

  /** Opens a pull request from `head` into the default branch, as someone on GitHub does. */
  openPull(head: string, title = 'Opened by hand'): number {
    const { payload } = this.createPull({ head, base: this.defaultBranch, title });
    return (payload as { number: number }).number;
  }

  /** Closes a pull request without merging it. */
  closePull(number: number): void {
    const pull = this.pullRequests.find((p) => p.number === number);
    if (!pull) throw new Error(`no pull request ${number}`);
    Object.assign(pull, {
      state: 'closed',
      headSha: this.refs.get(pull.head) ?? pull.headSha,
      closedAt: this.iso(),
      updatedAt: this.iso(),
    });
  }

  // ------------------------------------------------------------------------------------------------
  // Faults

  /** The next matching requests (`times`, default 1) get `status` instead of their answer. */
  fail(fault: Fault): void {
    this.faults.push({ fault, left: fault.times ?? 1 });
  }

  /** Runs `hook` just before the next matching request is handled: e.g. someone pushes meanwhile. */
  before(method: string, path: RegExp, hook: () => void, times = 1): void {
    this.hooks.push({ method, path, hook, left: times });
  }

  /** Uses up the hour's requests: every request is refused until the reset, `resetInSeconds` from now. */
  exhaustRateLimit(resetInSeconds: number): void {
    this.used = this.limit;
    this.resetAt = Math.floor(this.now() / 1000) + resetInSeconds;
  }

  /** The next requests (`times`, default 1) hit a secondary rate limit, with retry-after when given. */
  secondaryRateLimit(options: { status?: 403 | 429; retryAfterSeconds?: number; times?: number } = {}): void {
    this.secondary = {
      status: options.status ?? 403,
      ...(options.retryAfterSeconds !== undefined ? { retryAfterSeconds: options.retryAfterSeconds } : {}),
      left: options.times ?? 1,
    };
  }

  /** Status answered when the primary limit is used up: GitHub documents either. */
  primaryLimitStatus: 403 | 429 = 403;

  // ------------------------------------------------------------------------------------------------
  // The object store

  private iso(): string {
    return new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private treeOf(commit: string): ReadonlyMap<string, string> {
    return this.trees.get(this.commits.get(commit)?.tree ?? '') ?? new Map<string, string>();
  }

  private writeTree(
    base: ReadonlyMap<string, string>,
    changes: Readonly<Record<string, string | null>>,
    blobChanges: Readonly<Record<string, string | null>> = {},
  ): string {
    const entries = new Map(base);
    for (const [path, content] of Object.entries(changes)) {
      if (content === null) entries.delete(path);
      else {
        const blob = gitBlobId(content);
        this.blobs.set(blob, content);
        entries.set(path, blob);
      }
    }
    for (const [path, blob] of Object.entries(blobChanges)) {
      if (blob === null) entries.delete(path);
      else entries.set(path, blob);
    }
    const sorted = new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const sha = this.treeId(sorted, '');
    this.trees.set(sha, sorted);
    return sha;
  }

  /** The id of the tree of the files under `prefix` (the whole tree for ''). */
  private treeId(tree: ReadonlyMap<string, string>, prefix: string): string {
    const lines = [...tree].filter(([path]) => path.startsWith(prefix)).map(([p, b]) => `${p}\0${b}`);
    return sha1(`tree\0${prefix}\0${lines.join('\n')}`);
  }

  private writeCommit(tree: string, parents: string[], message: string): string {
    const date = this.iso();
    const sha = sha1(JSON.stringify({ tree, parents, message, date, n: this.commitCount++ }));
    this.commits.set(sha, { tree, parents, message, date });
    return sha;
  }

  private isAncestor(ancestor: string, of: string): boolean {
    const seen = new Set<string>();
    const stack = [of];
    while (stack.length > 0) {
      const sha = stack.pop() as string;
      if (sha === ancestor) return true;
      if (seen.has(sha)) continue;
      seen.add(sha);
      stack.push(...(this.commits.get(sha)?.parents ?? []));
    }
    return false;
  }

  private mergeBase(a: string, b: string): string {
    const queue = [a];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const sha = queue.shift() as string;
      if (seen.has(sha)) continue;
      seen.add(sha);
      if (this.isAncestor(sha, b)) return sha;
      queue.push(...(this.commits.get(sha)?.parents ?? []));
    }
    return ZERO;
  }

  // ------------------------------------------------------------------------------------------------
  // Response shapes

  private api(path: string): string {
    return `${this.url}/repos/${this.fullName}${path}`;
  }

  private user() {
    return { login: this.owner, id: 1, node_id: 'O_1', type: 'Organization', site_admin: false };
  }

  private repository() {
    return {
      id: 1,
      node_id: 'R_1',
      name: this.repo,
      full_name: this.fullName,
      private: false,
      owner: this.user(),
      html_url: `${HTML}/${this.fullName}`,
      description: null,
      fork: false,
      url: `${this.url}/repos/${this.fullName}`,
      default_branch: this.defaultBranch,
      visibility: 'public',
    };
  }

  private refShape(branch: string, sha: string) {
    return {
      ref: `refs/heads/${branch}`,
      node_id: `REF_${sha1(branch).slice(0, 12)}`,
      url: this.api(`/git/refs/heads/${branch}`),
      object: { sha, type: 'commit', url: this.api(`/git/commits/${sha}`) },
    };
  }

  private commitShape(sha: string, c: EmulatedCommit) {
    const person = { name: 'Microacq', email: 'microacq@example.gc.ca', date: c.date };
    return {
      sha,
      node_id: `C_${sha.slice(0, 12)}`,
      url: this.api(`/git/commits/${sha}`),
      html_url: `${HTML}/${this.fullName}/commit/${sha}`,
      author: person,
      committer: person,
      message: c.message,
      tree: { sha: c.tree, url: this.api(`/git/trees/${c.tree}`) },
      parents: c.parents.map((p) => ({
        sha: p,
        url: this.api(`/git/commits/${p}`),
        html_url: `${HTML}/${this.fullName}/commit/${p}`,
      })),
      verification: {
        verified: false,
        reason: 'unsigned',
        signature: null,
        payload: null,
        verified_at: null,
      },
    };
  }

  private treeShape(sha: string) {
    const tree = this.trees.get(sha) ?? new Map<string, string>();
    const top = new Map<
      string,
      { path: string; mode: string; type: string; sha: string; size?: number; url: string }
    >();
    for (const [path, blob] of tree) {
      const [first = '', ...rest] = path.split('/');
      if (rest.length === 0) {
        top.set(first, {
          path: first,
          mode: '100644',
          type: 'blob',
          sha: blob,
          size: Buffer.byteLength(this.blobs.get(blob) ?? ''),
          url: this.api(`/git/blobs/${blob}`),
        });
      } else if (!top.has(first)) {
        const subtree = this.treeId(tree, `${first}/`);
        top.set(first, {
          path: first,
          mode: '040000',
          type: 'tree',
          sha: subtree,
          url: this.api(`/git/trees/${subtree}`),
        });
      }
    }
    return { sha, url: this.api(`/git/trees/${sha}`), tree: [...top.values()], truncated: false };
  }

  private pullShape(p: EmulatedPull) {
    const headSha = p.state === 'open' ? (this.refs.get(p.head) ?? p.headSha) : p.headSha;
    const side = (ref: string, sha: string) => ({
      label: `${this.owner}:${ref}`,
      ref,
      sha,
      user: this.user(),
      repo: this.repository(),
    });
    return {
      url: this.api(`/pulls/${p.number}`),
      id: 1000 + p.number,
      node_id: `PR_${p.number}`,
      html_url: `${HTML}/${this.fullName}/pull/${p.number}`,
      diff_url: `${HTML}/${this.fullName}/pull/${p.number}.diff`,
      patch_url: `${HTML}/${this.fullName}/pull/${p.number}.patch`,
      issue_url: this.api(`/issues/${p.number}`),
      number: p.number,
      state: p.state,
      locked: false,
      title: p.title,
      user: this.user(),
      body: p.body,
      created_at: p.createdAt,
      updated_at: p.updatedAt,
      closed_at: p.closedAt,
      merged_at: p.mergedAt,
      merge_commit_sha: p.mergeCommitSha,
      draft: false,
      head: side(p.head, headSha),
      base: side(p.base, this.refs.get(p.base) ?? ZERO),
      author_association: 'OWNER',
    };
  }

  // ------------------------------------------------------------------------------------------------
  // HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    let body: unknown;
    let status = 500;
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    let payload: unknown;
    let unknownRoute = false;
    try {
      const raw = await readBody(req);
      try {
        body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
      } catch {
        throw new HttpError(400, 'Problems parsing JSON');
      }
      const hook = this.hooks.find((h) => h.left > 0 && h.method === method && h.path.test(url));
      if (hook) {
        hook.left--;
        hook.hook();
      }
      this.authenticate(req, url);
      const fault = this.faults.find(
        (f) =>
          f.left > 0 &&
          (!f.fault.method || f.fault.method === method) &&
          (!f.fault.path || f.fault.path.test(url)),
      );
      if (fault) {
        fault.left--;
        throw new HttpError(
          fault.fault.status,
          fault.fault.message ?? (fault.fault.status >= 500 ? 'Server Error' : 'Conflict'),
        );
      }
      Object.assign(headers, this.countRequest());
      ({ status, payload } = this.route(method, url, body));
    } catch (err) {
      if (err instanceof HttpError) {
        status = err.status;
        unknownRoute = err.extra.unknownRoute === true;
        Object.assign(headers, err.extra.headers as Record<string, string> | undefined);
        // GitHub's front end answers a 502 with an HTML page, not its JSON error.
        payload =
          err.status === 502
            ? undefined
            : {
                message: err.message,
                ...(err.extra.errors ? { errors: err.extra.errors } : {}),
                documentation_url: DOCS,
                status: String(err.status),
              };
      } else {
        status = 500;
        payload = { message: err instanceof Error ? err.message : String(err) };
      }
    }
    const record = { method, url, status, ...(body === undefined ? {} : { body }) };
    this.requests.push(record);
    if (unknownRoute) this.unknown.push(record);
    if (payload === undefined) {
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return;
    }
    res.writeHead(status, headers);
    res.end(status === 204 ? undefined : JSON.stringify(payload));
  }

  private authenticate(req: IncomingMessage, url: string): void {
    const header = req.headers.authorization ?? '';
    const [scheme = '', credential = ''] = header.split(/\s+/, 2);
    if (header === '') throw new HttpError(401, 'Requires authentication');
    if (url.startsWith('/app/')) {
      if (scheme.toLowerCase() !== 'bearer' || !this.validJwt(credential)) {
        throw new HttpError(401, 'A JSON web token could not be decoded');
      }
      return;
    }
    if (!['token', 'bearer'].includes(scheme.toLowerCase())) throw new HttpError(401, 'Bad credentials');
    const expires = this.installationTokens.get(credential);
    if (this.tokens.has(credential) || (expires !== undefined && expires > this.now())) return;
    throw new HttpError(401, 'Bad credentials');
  }

  private validJwt(jwt: string): boolean {
    const app = this.options.app;
    if (!app) return false;
    const [header, payload, signature] = jwt.split('.');
    if (!header || !payload || !signature) return false;
    try {
      const h = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string };
      const p = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
        iat?: number;
        exp?: number;
        iss?: unknown;
      };
      const ok = verify(
        'sha256',
        Buffer.from(`${header}.${payload}`),
        app.publicKey,
        Buffer.from(signature, 'base64url'),
      );
      // The app signs with the real clock, whatever clock the emulation keeps for rate limits.
      const now = Math.floor(Date.now() / 1000);
      return (
        ok &&
        h.alg === 'RS256' &&
        String(p.iss) === String(app.id) &&
        typeof p.iat === 'number' &&
        typeof p.exp === 'number' &&
        p.iat <= now + 60 &&
        p.exp > now &&
        p.exp - p.iat <= 660
      );
    } catch {
      return false;
    }
  }

  /** Counts a request against the hour, or refuses it when the hour's, or a burst's, limit is reached. */
  private countRequest(): Record<string, string> {
    const nowSeconds = Math.floor(this.now() / 1000);
    if (this.secondary && this.secondary.left > 0) {
      this.secondary.left--;
      const { status, retryAfterSeconds } = this.secondary;
      throw new HttpError(
        status,
        'You have exceeded a secondary rate limit. Please wait before trying again.',
        {
          headers: {
            ...(retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {}),
            ...this.limitHeaders(nowSeconds),
          },
        },
      );
    }
    if (nowSeconds >= this.resetAt) {
      this.used = 0;
      this.resetAt = nowSeconds + 3600;
    }
    if (this.used >= this.limit) {
      throw new HttpError(this.primaryLimitStatus, `API rate limit exceeded for ${this.owner}.`, {
        headers: this.limitHeaders(nowSeconds),
      });
    }
    this.used++;
    return this.limitHeaders(nowSeconds);
  }

  private limitHeaders(nowSeconds: number): Record<string, string> {
    return {
      'x-ratelimit-limit': String(this.limit),
      'x-ratelimit-remaining': String(Math.max(0, this.limit - this.used)),
      'x-ratelimit-used': String(this.used),
      'x-ratelimit-reset': String(this.resetAt > nowSeconds ? this.resetAt : nowSeconds + 3600),
      'x-ratelimit-resource': 'core',
    };
  }

  private route(method: string, url: string, body: unknown): { status: number; payload: unknown } {
    const { pathname, searchParams } = new URL(url, 'http://emulation');
    const installation = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(pathname);
    if (installation && method === 'POST') return this.createInstallationToken(Number(installation[1]));
    const repoPath = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(pathname);
    if (!repoPath) throw new HttpError(404, 'Not Found', { unknownRoute: true });
    const [, owner = '', repo = '', rest = ''] = repoPath;
    if (decodeURIComponent(owner) !== this.owner || decodeURIComponent(repo) !== this.repo) {
      throw new HttpError(404, 'Not Found');
    }
    const input = (body ?? {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;
    if (rest === '' && method === 'GET') return ok(this.repository());
    if ((m = /^\/git\/ref\/(.+)$/.exec(rest)) && method === 'GET')
      return this.getRef(decodeURIComponent(m[1] ?? ''));
    if (rest === '/git/refs' && method === 'POST') return this.createRef(input);
    if ((m = /^\/git\/refs\/(.+)$/.exec(rest)) && method === 'PATCH') {
      return this.updateRef(decodeURIComponent(m[1] ?? ''), input);
    }
    if ((m = /^\/git\/commits\/([0-9a-f]{40})$/.exec(rest)) && method === 'GET') {
      const c = this.commits.get(m[1] ?? '');
      if (!c) throw new HttpError(404, 'Not Found');
      return ok(this.commitShape(m[1] ?? '', c));
    }
    if (rest === '/git/commits' && method === 'POST') return this.createCommit(input);
    if (rest === '/git/trees' && method === 'POST') return this.createTree(input);
    if ((m = /^\/contents\/(.*)$/.exec(rest)) && method === 'GET') {
      return this.getContent(decodeURIComponent(m[1] ?? ''), searchParams.get('ref'));
    }
    if (rest === '/pulls' && method === 'GET') return this.listPulls(searchParams);
    if (rest === '/pulls' && method === 'POST') return this.createPull(input);
    throw new HttpError(404, 'Not Found', { unknownRoute: true });
  }

  private createInstallationToken(id: number) {
    if (id !== this.options.app?.installationId) throw new HttpError(404, 'Not Found');
    const token = `ghs_${randomBytes(18).toString('base64url')}`;
    const expires = this.now() + 3_600_000;
    this.installationTokens.set(token, expires);
    return {
      status: 201,
      payload: {
        token,
        expires_at: new Date(expires).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: { contents: 'write', pull_requests: 'write', metadata: 'read' },
        repository_selection: 'selected',
      },
    };
  }

  private getRef(ref: string) {
    const branch = ref.startsWith('heads/') ? ref.slice('heads/'.length) : undefined;
    const sha = branch === undefined ? undefined : this.refs.get(branch);
    if (branch === undefined || sha === undefined) throw new HttpError(404, 'Not Found');
    return ok(this.refShape(branch, sha));
  }

  private createRef(input: Record<string, unknown>) {
    const { ref, sha } = input;
    if (typeof ref !== 'string' || !/^refs\/heads\/.+/.test(ref) || typeof sha !== 'string') {
      throw new HttpError(422, 'Reference name is invalid');
    }
    const branch = ref.slice('refs/heads/'.length);
    if (!this.commits.has(sha)) throw new HttpError(422, 'Object does not exist');
    if (this.refs.has(branch)) throw new HttpError(422, 'Reference already exists');
    this.refs.set(branch, sha);
    return { status: 201, payload: this.refShape(branch, sha) };
  }

  private updateRef(ref: string, input: Record<string, unknown>) {
    const branch = ref.startsWith('heads/') ? ref.slice('heads/'.length) : undefined;
    const current = branch === undefined ? undefined : this.refs.get(branch);
    if (branch === undefined || current === undefined) throw new HttpError(422, 'Reference does not exist');
    const { sha, force } = input;
    if (typeof sha !== 'string' || !this.commits.has(sha)) throw new HttpError(422, 'Object does not exist');
    if (force !== true && !this.isAncestor(current, sha))
      throw new HttpError(422, 'Update is not a fast forward');
    this.refs.set(branch, sha);
    return ok(this.refShape(branch, sha));
  }

  private createCommit(input: Record<string, unknown>) {
    const { message, tree, parents } = input;
    if (typeof message !== 'string' || typeof tree !== 'string') throw new HttpError(422, 'Invalid request.');
    if (!this.trees.has(tree)) throw new HttpError(422, 'Tree SHA does not exist');
    const list = Array.isArray(parents) ? (parents as unknown[]) : [];
    if (list.some((p) => typeof p !== 'string' || !this.commits.has(p))) {
      throw new HttpError(422, 'Parent SHA does not exist or is not a commit object');
    }
    const sha = this.writeCommit(tree, list as string[], message);
    return { status: 201, payload: this.commitShape(sha, this.commits.get(sha) as EmulatedCommit) };
  }

  private createTree(input: Record<string, unknown>) {
    const { base_tree: baseTree, tree } = input;
    let base: ReadonlyMap<string, string> = new Map();
    if (baseTree !== undefined) {
      const found = typeof baseTree === 'string' ? this.trees.get(baseTree) : undefined;
      if (!found) throw new HttpError(422, 'Invalid tree info');
      base = found;
    }
    if (!Array.isArray(tree)) throw new HttpError(422, 'Invalid tree info');
    const contents: Record<string, string | null> = {};
    const blobs: Record<string, string | null> = {};
    for (const entry of tree as Record<string, unknown>[]) {
      const { path, mode, type, content, sha } = entry;
      if (
        typeof path !== 'string' ||
        path === '' ||
        path.startsWith('/') ||
        mode !== '100644' ||
        type !== 'blob'
      ) {
        throw new HttpError(422, 'Invalid tree info', { errors: [`tree.path "${String(path)}" is invalid`] });
      }
      if (typeof content === 'string') contents[path] = content;
      else if (sha === null) blobs[path] = null;
      else if (typeof sha === 'string' && this.blobs.has(sha)) blobs[path] = sha;
      else throw new HttpError(422, 'Invalid tree info');
    }
    const sha = this.writeTree(base, contents, blobs);
    return { status: 201, payload: this.treeShape(sha) };
  }

  private getContent(path: string, ref: string | null) {
    const name = ref ?? this.defaultBranch;
    const commit = this.refs.get(name) ?? (this.commits.has(name) ? name : undefined);
    if (commit === undefined) throw new HttpError(404, `No commit found for the ref ${name}`);
    const tree = this.treeOf(commit);
    const blob = tree.get(path);
    const links = (kind: string, sha: string) => ({
      url: `${this.api(`/contents/${path}`)}?ref=${encodeURIComponent(name)}`,
      git_url: this.api(`/git/${kind}/${sha}`),
      html_url: `${HTML}/${this.fullName}/${kind === 'blobs' ? 'blob' : 'tree'}/${name}/${path}`,
    });
    if (blob !== undefined) {
      const content = this.blobs.get(blob) ?? '';
      const l = links('blobs', blob);
      return ok({
        type: 'file',
        encoding: 'base64',
        size: Buffer.byteLength(content),
        name: path.split('/').pop(),
        path,
        content:
          (
            Buffer.from(content)
              .toString('base64')
              .match(/.{1,60}/g) ?? []
          ).join('\n') + '\n',
        sha: blob,
        ...l,
        download_url: `https://raw.githubusercontent.com/${this.fullName}/${name}/${path}`,
        _links: { self: l.url, git: l.git_url, html: l.html_url },
      });
    }
    const prefix = path === '' ? '' : `${path}/`;
    const children = [...tree.keys()].filter((p) => p.startsWith(prefix));
    if (children.length === 0) throw new HttpError(404, 'Not Found');
    const names = new Map<string, 'file' | 'dir'>();
    for (const child of children) {
      const [first = '', ...rest] = child.slice(prefix.length).split('/');
      names.set(first, rest.length === 0 ? 'file' : 'dir');
    }
    return ok(
      [...names].map(([n, type]) => ({
        type,
        name: n,
        path: `${prefix}${n}`,
        sha: type === 'file' ? tree.get(`${prefix}${n}`) : this.treeId(tree, `${prefix}${n}/`),
      })),
    );
  }

  private listPulls(query: URLSearchParams) {
    const state = query.get('state') ?? 'open';
    const head = query.get('head');
    const base = query.get('base');
    const [headOwner, headBranch] = head?.includes(':')
      ? head.split(/:(.*)/s)
      : [this.owner, head ?? undefined];
    const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
    const ascending = query.get('direction') === 'asc';
    const found = this.pullRequests
      .filter((p) => state === 'all' || p.state === state)
      .filter((p) => head === null || (headOwner === this.owner && p.head === headBranch))
      .filter((p) => base === null || p.base === base)
      .sort((a, b) => (ascending ? a.number - b.number : b.number - a.number))
      .slice(0, perPage);
    return ok(found.map((p) => this.pullShape(p)));
  }

  private createPull(input: Record<string, unknown>) {
    const { title, head, base, body } = input;
    if (typeof title !== 'string' || typeof head !== 'string' || typeof base !== 'string') {
      throw new HttpError(422, 'Validation Failed', {
        errors: [{ resource: 'PullRequest', code: 'missing_field', field: 'title' }],
      });
    }
    const branch = head.includes(':') ? head.slice(head.indexOf(':') + 1) : head;
    const headSha = this.refs.get(branch);
    const baseSha = this.refs.get(base);
    if (headSha === undefined) {
      throw new HttpError(422, 'Validation Failed', {
        errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }],
      });
    }
    if (baseSha === undefined) {
      throw new HttpError(422, 'Validation Failed', {
        errors: [{ resource: 'PullRequest', field: 'base', code: 'invalid' }],
      });
    }
    if (this.pullRequests.some((p) => p.state === 'open' && p.head === branch && p.base === base)) {
      throw new HttpError(422, 'Validation Failed', {
        errors: [
          {
            resource: 'PullRequest',
            code: 'custom',
            message: `A pull request already exists for ${this.owner}:${branch}.`,
          },
        ],
      });
    }
    if (this.isAncestor(headSha, baseSha)) {
      throw new HttpError(422, 'Validation Failed', {
        errors: [
          { resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${branch}` },
        ],
      });
    }
    const at = this.iso();
    const pull: EmulatedPull = {
      number: this.pullRequests.length + 1,
      state: 'open',
      title,
      body: typeof body === 'string' ? body : null,
      head: branch,
      base,
      headSha,
      createdAt: at,
      updatedAt: at,
      closedAt: null,
      mergedAt: null,
      mergeCommitSha: null,
    };
    this.pullRequests.push(pull);
    return { status: 201, payload: this.pullShape(pull) };
  }
}

function ok(payload: unknown) {
  return { status: 200, payload };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
