import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import type { Config, GitHubPublisherConfig } from '../config';
import { t } from '../i18n';
import type { Logger } from '../log';
import { digestOf, type JekyllPost, jekyllPosts, type PublicViews } from './jekyll';
import { type Publisher, PublishError, type PublishResult } from './publisher';

/**
 * Publishes an opportunity to a Jekyll site kept on GitHub, the way the pilot's was: its two posts are
 * proposed in a pull request that the site's maintainers merge. Each opportunity has its own branch;
 * both files change in one commit made through the Git Data API (a tree on top of the parent's, a
 * commit, then the branch moved), so a reader of the branch never sees one language without the other.
 *
 * Nothing is written when the files already hold the views. While a pull request is open, changes go
 * to its branch; once it is merged or closed, the branch restarts from the base branch and a new pull
 * request carries the change. A branch moved by someone else between reading and writing is read again
 * (a few times); rate limits and GitHub's own failures become a PublishError saying whether, and when,
 * to try again: nothing here waits.
 */

export type GitHubAuth =
  | { readonly kind: 'token'; readonly token: string }
  | {
      readonly kind: 'app';
      /** The app's numeric id, or its client id. */
      readonly appId: string;
      readonly installationId: number;
      /** PEM, as GitHub gives it. */
      readonly privateKey: string;
    };

export interface GitHubPublisherOptions {
  /** owner/name */
  readonly repository: string;
  readonly baseBranch?: string;
  readonly apiUrl?: string;
  readonly auth: GitHubAuth;
  /** Each opportunity's branch is this followed by its reference. */
  readonly branchPrefix?: string;
  /** Where deadlines close: the department's time zone. */
  readonly timeZone?: string;
  readonly timeoutMs?: number;
  /** Times a write is tried again after the branch moved under it. */
  readonly conflictRetries?: number;
  readonly log?: Pick<Logger, 'info' | 'warn'>;
  /** For tests: the clock that rate-limit resets are measured against. */
  readonly now?: () => number;
}

const DEFAULT_API_URL = 'https://api.github.com';
const DEFAULT_TIMEOUT_MS = 30_000;
/** GitHub asks for at least a minute after a secondary limit that gives no time. */
const SECONDARY_LIMIT_WAIT_MS = 60_000;
const FILE_MODE = '100644';

interface PullSummary {
  readonly number: number;
  readonly state: string;
  readonly html_url: string;
}

export class GitHubPublisher implements Publisher {
  readonly target: string;
  private readonly octokit: Octokit;
  private readonly owner: string;
  private readonly repo: string;
  private readonly base: string;
  private readonly prefix: string;
  private readonly retries: number;
  private readonly now: () => number;
  private htmlUrl: string | undefined;

  constructor(private readonly options: GitHubPublisherOptions) {
    const [owner, repo, ...rest] = options.repository.split('/');
    if (!owner || !repo || rest.length > 0) throw new Error(`not owner/name: ${options.repository}`);
    this.owner = owner;
    this.repo = repo;
    this.base = options.baseBranch ?? 'main';
    this.prefix = options.branchPrefix ?? 'microacq/';
    this.retries = options.conflictRetries ?? 2;
    this.now = options.now ?? Date.now;
    this.target = `github:${owner}/${repo}@${this.base}`;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const log = options.log;
    const quiet = () => undefined;
    const common = {
      baseUrl: (options.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, ''),
      userAgent: 'microacq',
      log: {
        debug: quiet,
        info: quiet,
        warn: (message: string) => log?.warn({ github: message }, 'GitHub client warning'),
        error: quiet,
      },
      request: {
        // One slow answer must not hold the caller's queue: give up and let it try again later.
        fetch: (url: string | URL, init?: RequestInit) =>
          fetch(url, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) }),
      },
    };
    const { auth } = options;
    this.octokit =
      auth.kind === 'token'
        ? new Octokit({ ...common, auth: auth.token })
        : new Octokit({
            ...common,
            authStrategy: createAppAuth,
            auth: {
              appId: /^\d+$/.test(auth.appId) ? Number(auth.appId) : auth.appId,
              privateKey: auth.privateKey,
              installationId: auth.installationId,
            },
          });
  }

  /** The digest to note in the publication log for these views: it changes exactly when the posts do. */
  digest(views: PublicViews): string {
    return digestOf(views, { timeZone: this.options.timeZone });
  }

  /** The branch that carries an opportunity's pull requests. */
  branchOf(reference: string): string {
    return `${this.prefix}${reference}`;
  }

  async publish(reference: string, views: PublicViews): Promise<PublishResult> {
    if (views.en.reference !== reference || views.fr.reference !== reference) {
      throw new Error(`the views are not of ${reference}`);
    }
    const posts = jekyllPosts(views, { timeZone: this.options.timeZone });
    const branch = this.branchOf(reference);
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.attempt(views, posts, branch);
        this.options.log?.info(
          { reference, branch, changed: result.changed, pullRequest: result.pullRequestUrl },
          result.changed ? 'published to GitHub' : 'GitHub already holds this version',
        );
        return result;
      } catch (err) {
        if (err instanceof PublishError) throw err;
        if (isConflict(err)) {
          if (attempt < this.retries) {
            this.options.log?.warn(
              { reference, branch, attempt },
              'the branch moved while publishing: reading it again',
            );
            continue;
          }
          throw new PublishError(`the branch ${branch} kept moving while it was being written`, true, {
            status: statusOf(err),
            cause: err,
          });
        }
        throw this.explain(err);
      }
    }
  }

  private async attempt(
    views: PublicViews,
    posts: readonly JekyllPost[],
    branch: string,
  ): Promise<PublishResult> {
    const htmlUrl = await this.repository();
    const pulls = await this.pullsOf(branch);
    const open = pulls.find((p) => p.state === 'open');
    const branchHead = await this.headOf(branch);
    // An open pull request takes new commits on its branch; otherwise the branch starts again from base.
    const onOpenPull = open !== undefined && branchHead !== undefined;
    const parent = onOpenPull ? branchHead : await this.baseHead();

    if (await this.holds(parent, posts)) {
      const url = onOpenPull
        ? open.html_url
        : (pulls[0]?.html_url ??
          `${htmlUrl}/blob/${encodePath(this.base)}/${encodePath(posts[0]?.path ?? '')}`);
      return { pullRequestUrl: url, changed: false };
    }

    const reference = views.en.reference;
    const title = oneLine(t('en', 'publish.title', { reference, title: views.en.texts.title }));
    const message = `${title}\n\n${oneLine(t('fr', 'publish.title', { reference, title: views.fr.texts.title }))}\n`;
    const commit = await this.commitOnto(parent, posts, message);

    if (onOpenPull) {
      await this.octokit.rest.git.updateRef({
        ...this.repoParams(),
        ref: `heads/${branch}`,
        sha: commit,
        force: false,
      });
      return { pullRequestUrl: open.html_url, changed: true };
    }
    if (branchHead === undefined) {
      await this.octokit.rest.git.createRef({
        ...this.repoParams(),
        ref: `refs/heads/${branch}`,
        sha: commit,
      });
    } else {
      // No pull request uses the branch any more (merged, closed, or never opened): its old commits go.
      await this.octokit.rest.git.updateRef({
        ...this.repoParams(),
        ref: `heads/${branch}`,
        sha: commit,
        force: true,
      });
    }
    const pull = await this.openPull(branch, title, reference, posts);
    return { pullRequestUrl: pull.html_url, changed: true };
  }

  private repoParams() {
    return { owner: this.owner, repo: this.repo };
  }

  /** Checks the repository is there and visible, once; its web address names files in results. */
  private async repository(): Promise<string> {
    if (this.htmlUrl !== undefined) return this.htmlUrl;
    try {
      const { data } = await this.octokit.rest.repos.get(this.repoParams());
      this.htmlUrl = data.html_url;
      return data.html_url;
    } catch (err) {
      if (statusOf(err) === 404) {
        throw new PublishError(
          `the repository ${this.owner}/${this.repo} does not exist, or these credentials cannot see it`,
          false,
          { status: 404, cause: err },
        );
      }
      throw err;
    }
  }

  /** The branch's pull requests into the base branch, newest first. */
  private async pullsOf(branch: string): Promise<PullSummary[]> {
    const { data } = await this.octokit.rest.pulls.list({
      ...this.repoParams(),
      head: `${this.owner}:${branch}`,
      base: this.base,
      state: 'all',
      sort: 'created',
      direction: 'desc',
      per_page: 20,
    });
    return data.map((p) => ({ number: p.number, state: p.state, html_url: p.html_url }));
  }

  private async headOf(branch: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.git.getRef({ ...this.repoParams(), ref: `heads/${branch}` });
      return data.object.sha;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private async baseHead(): Promise<string> {
    const head = await this.headOf(this.base);
    if (head === undefined) {
      throw new PublishError(
        `the base branch ${this.base} does not exist in ${this.owner}/${this.repo}`,
        false,
        {
          status: 404,
        },
      );
    }
    return head;
  }

  /** Whether the commit holds every post byte for byte (compared by Git's blob ids). */
  private async holds(commit: string, posts: readonly JekyllPost[]): Promise<boolean> {
    for (const post of posts) {
      try {
        const { data } = await this.octokit.rest.repos.getContent({
          ...this.repoParams(),
          path: post.path,
          ref: commit,
        });
        if (Array.isArray(data) || data.type !== 'file' || data.sha !== blobId(post.content)) return false;
      } catch (err) {
        if (statusOf(err) === 404) return false;
        throw err;
      }
    }
    return true;
  }

  /** Both files in one new commit on top of `parent`; returns its id. */
  private async commitOnto(parent: string, posts: readonly JekyllPost[], message: string): Promise<string> {
    const params = this.repoParams();
    const { data: parentCommit } = await this.octokit.rest.git.getCommit({ ...params, commit_sha: parent });
    const { data: tree } = await this.octokit.rest.git.createTree({
      ...params,
      base_tree: parentCommit.tree.sha,
      tree: posts.map((p) => ({ path: p.path, mode: FILE_MODE, type: 'blob', content: p.content })),
    });
    const { data: commit } = await this.octokit.rest.git.createCommit({
      ...params,
      message,
      tree: tree.sha,
      parents: [parent],
    });
    return commit.sha;
  }

  private async openPull(
    branch: string,
    title: string,
    reference: string,
    posts: readonly JekyllPost[],
  ): Promise<PullSummary> {
    const files = posts.map((p) => `- \`${p.path}\``).join('\n');
    const body = [
      t('en', 'publish.pullBody', { reference }),
      t('fr', 'publish.pullBody', { reference }),
      files,
    ].join('\n\n');
    try {
      const { data } = await this.octokit.rest.pulls.create({
        ...this.repoParams(),
        head: branch,
        base: this.base,
        title,
        body,
      });
      return { number: data.number, state: data.state, html_url: data.html_url };
    } catch (err) {
      // Another publisher opened it between our look and our request: that one carries the change.
      if (statusOf(err) === 422 && /pull request already exists/i.test(errorText(err))) {
        const open = (await this.pullsOf(branch)).find((p) => p.state === 'open');
        if (open) return open;
      }
      throw err;
    }
  }

  /** A failed request as a PublishError: retryable or not, and when GitHub said to come back. */
  private explain(err: unknown): PublishError {
    const status = statusOf(err);
    const text = errorText(err);
    const where = `${this.owner}/${this.repo}`;
    if (status === undefined) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      return new PublishError(
        timedOut ? 'GitHub did not answer in time' : `publishing to GitHub failed: ${text}`,
        timedOut,
        { cause: err },
      );
    }
    if (status === 403 || status === 429) {
      const wait = rateLimitWait(err, this.now());
      if (wait !== undefined) {
        const at = new Date(this.now() + wait).toISOString();
        return new PublishError(`GitHub's rate limit is reached: try again after ${at}`, true, {
          status,
          retryAfterMs: wait,
          cause: err,
        });
      }
      return new PublishError(
        `GitHub refused the change to ${where} (${status}): the credentials need write access to its contents and pull requests`,
        false,
        { status, cause: err },
      );
    }
    if (status === 401) {
      return new PublishError(`GitHub refused the credentials (401): ${text}`, false, { status, cause: err });
    }
    if (status === 404) {
      return new PublishError(`GitHub found nothing at ${where} for this request (404): ${text}`, false, {
        status,
        cause: err,
      });
    }
    if (status === 422) {
      return new PublishError(`GitHub refused the change to ${where} (422): ${text}`, false, {
        status,
        cause: err,
      });
    }
    if (status >= 500) {
      return new PublishError(`GitHub failed (${status}): try again later`, true, { status, cause: err });
    }
    return new PublishError(`GitHub answered ${status}: ${text}`, false, { status, cause: err });
  }
}

/** Makes the publisher the configuration asks for; none when the bot's own site is the only one. */
export function createPublisher(
  config: Pick<Config, 'publisher' | 'department'>,
  options: { readonly log?: Pick<Logger, 'info' | 'warn'>; readonly now?: () => number } = {},
): GitHubPublisher | undefined {
  if (config.publisher.kind !== 'github') return undefined;
  const github: GitHubPublisherConfig = config.publisher;
  const auth: GitHubAuth =
    github.auth.kind === 'token'
      ? { kind: 'token', token: github.auth.token }
      : {
          kind: 'app',
          appId: github.auth.appId,
          installationId: github.auth.installationId,
          privateKey: github.auth.privateKey ?? readFileSync(github.auth.privateKeyPath ?? '', 'utf8'),
        };
  return new GitHubPublisher({
    repository: github.repository,
    baseBranch: github.baseBranch,
    apiUrl: github.apiUrl,
    auth,
    timeZone: config.department.timeZone,
    ...(options.log ? { log: options.log } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}

// ---------------------------------------------------------------------------------------------------

/** Git's id of a file holding `content`: what GitHub reports as the file's sha. */
export function blobId(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

interface HttpFailure {
  readonly status: number;
  readonly message: string;
  readonly response?: { readonly headers?: Record<string, unknown>; readonly data?: unknown };
}

function isHttpFailure(err: unknown): err is HttpFailure {
  return err instanceof Error && typeof (err as Partial<HttpFailure>).status === 'number';
}

function statusOf(err: unknown): number | undefined {
  return isHttpFailure(err) ? err.status : undefined;
}

/** GitHub's message and its validation errors' messages, which is where it says what went wrong. */
function errorText(err: unknown): string {
  if (!isHttpFailure(err)) return err instanceof Error ? err.message : String(err);
  const data = err.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const parts = [typeof data?.message === 'string' ? data.message : err.message];
  if (Array.isArray(data?.errors)) {
    for (const e of data.errors as unknown[]) {
      const m = typeof e === 'string' ? e : (e as { message?: unknown } | null)?.message;
      if (typeof m === 'string') parts.push(m);
    }
  }
  return parts.join(': ');
}

/** The branch moved, or appeared, between our read and our write: reading again resolves it. */
function isConflict(err: unknown): boolean {
  const status = statusOf(err);
  if (status === 409) return true;
  return (
    status === 422 &&
    /not a fast forward|reference already exists|reference update failed|no commits between/i.test(
      errorText(err),
    )
  );
}

function header(err: HttpFailure, name: string): string | undefined {
  const value = err.response?.headers?.[name];
  return value === undefined || value === null ? undefined : String(value);
}

/** How long GitHub asks us to wait, when a 403 or 429 is a rate limit; undefined when it is not one. */
function rateLimitWait(err: unknown, now: number): number | undefined {
  if (!isHttpFailure(err)) return undefined;
  const retryAfter = header(err, 'retry-after');
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = Number(header(err, 'x-ratelimit-reset'));
  if (header(err, 'x-ratelimit-remaining') === '0' && Number.isFinite(reset)) {
    return Math.max(0, reset * 1000 - now);
  }
  if (err.status === 429 || /rate limit/i.test(errorText(err))) return SECONDARY_LIMIT_WAIT_MS;
  return undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
