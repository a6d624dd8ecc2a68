import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config';
import {
  blobId,
  createPublisher,
  GitHubPublisher,
  type GitHubPublisherOptions,
} from '../../src/publish/github';
import { PublishError } from '../../src/publish/publisher';
import { digestOf, jekyllPosts, type PublicViews } from '../../src/publish/jekyll';
import type { Opportunity } from '../../src/services/opportunity';
import { publicOpportunity } from '../../src/services/publication';
import { SqliteStore } from '../../src/stores/sqlite-store';
import { GitHubEmulation, gitBlobId } from '../support/github-emulation';
import { storeAwarded, storePosted } from '../support/published';

/** The publisher against an emulated GitHub: branches, one commit per change, pull requests, failures. */

const TOKEN = 'github_pat_test_0001';

function viewsOf(o: Opportunity): PublicViews {
  const en = publicOpportunity(o, 'en');
  const fr = publicOpportunity(o, 'fr');
  assert.ok(en && fr);
  return { en, fr };
}

async function publishError(promise: Promise<unknown>): Promise<PublishError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof PublishError, `not a PublishError: ${String(err)}`);
    return err;
  }
  assert.fail('published anyway');
}

describe('publishing to GitHub through pull requests', function () {
  this.timeout(20_000);
  let store: SqliteStore;
  let posted: Opportunity;
  let awarded: Opportunity;
  let delivered: Opportunity;
  let github: GitHubEmulation;
  /** The clock both sides read, moved forward by tests that wait out a rate limit. */
  let skew = 0;
  const now = () => Date.now() + skew;

  const publisherFor = (options: Partial<GitHubPublisherOptions> = {}) =>
    new GitHubPublisher({
      repository: github.fullName,
      apiUrl: github.url,
      auth: { kind: 'token', token: TOKEN },
      now,
      ...options,
    });
  const branchOf = (o: Opportunity) => `microacq/${o.reference}`;
  const pullUrl = (n: number) => `https://github.com/${github.fullName}/pull/${n}`;
  const writes = () => github.writes().map((r) => `${r.method} ${r.url.replace(/\?.*$/, '')}`);

  before(async () => {
    store = SqliteStore.open(':memory:');
    posted = await storePosted(store);
    awarded = { ...(await storeAwarded(store)), reference: posted.reference };
    delivered = {
      ...awarded,
      status: 'delivered',
      delivery: { ...awarded.delivery, deliveredLink: 'https://github.com/example/benefits-form/pull/12' },
      eventAt: { ...awarded.eventAt, delivered: '2026-04-20T14:00:00.000Z' },
    };
  });
  after(async () => store.close());

  beforeEach(async () => {
    skew = 0;
    github = await GitHubEmulation.start({
      tokens: [TOKEN],
      now,
      files: {
        '_config.yml': 'markdown: kramdown\n',
        '_posts/en/template-opportunity.md': '---\nlayout: post\n---\n',
      },
    });
  });
  afterEach(async () => {
    assert.deepEqual(github.unknown, [], 'the publisher called an endpoint the emulation does not know');
    await github.close();
  });

  it('creates the branch, one commit with both posts, and a pull request the first time', async () => {
    const mainBefore = github.head('main');
    const result = await publisherFor().publish(posted.reference, viewsOf(posted));
    assert.deepEqual(result, { pullRequestUrl: pullUrl(1), changed: true });

    const branch = branchOf(posted);
    assert.deepEqual(github.branches(), ['main', branch]);
    assert.equal(github.head('main'), mainBefore, 'the base branch is left alone');
    const [commit] = github.history(branch);
    assert.ok(commit);
    assert.deepEqual(github.commit(commit)?.parents, [mainBefore]);
    assert.match(
      github.commit(commit)?.message ?? '',
      new RegExp(`^${posted.reference}: Accessible date picker`),
    );
    for (const post of jekyllPosts(viewsOf(posted)))
      assert.equal(github.file(branch, post.path), post.content);
    assert.equal(github.file(branch, '_config.yml'), 'markdown: kramdown\n', 'the rest of the site is kept');

    const [pull] = github.pulls();
    assert.ok(pull);
    assert.equal(pull.head, branch);
    assert.equal(pull.base, 'main');
    assert.equal(pull.state, 'open');
    assert.match(pull.title, new RegExp(`^${posted.reference}: `));
    assert.match(pull.body ?? '', /_posts\/en\/2026-03-03-MA-2026-\d+\.md/);
    assert.deepEqual(writes(), [
      `POST /repos/${github.fullName}/git/trees`,
      `POST /repos/${github.fullName}/git/commits`,
      `POST /repos/${github.fullName}/git/refs`,
      `POST /repos/${github.fullName}/pulls`,
    ]);
  });

  it('writes nothing when the files already hold the views', async () => {
    const publisher = publisherFor();
    await publisher.publish(posted.reference, viewsOf(posted));
    const before = github.requests.length;
    const again = await publisher.publish(posted.reference, viewsOf(posted));
    assert.deepEqual(again, { pullRequestUrl: pullUrl(1), changed: false });
    assert.deepEqual(
      github.requests.slice(before).filter((r) => r.method !== 'GET'),
      [],
    );
  });

  it('adds the award to the same pull request while it is open', async () => {
    const publisher = publisherFor();
    await publisher.publish(posted.reference, viewsOf(posted));
    const first = github.head(branchOf(posted));
    const before = github.writes().length;
    const result = await publisher.publish(awarded.reference, viewsOf(awarded));
    assert.deepEqual(result, { pullRequestUrl: pullUrl(1), changed: true });
    assert.equal(github.pulls().length, 1);
    const [head, parent] = github.history(branchOf(posted));
    assert.equal(parent, first, 'a fast-forward on the pull request’s branch');
    assert.ok(head);
    for (const post of jekyllPosts(viewsOf(awarded)))
      assert.equal(github.file(head, post.path), post.content);
    assert.match(
      github.file(head, jekyllPosts(viewsOf(awarded))[0]?.path ?? '') ?? '',
      /selected_bidder: "Ada Dev"/,
    );
    const patch = github
      .writes()
      .slice(before)
      .find((r) => r.method === 'PATCH');
    assert.deepEqual(patch?.body, { sha: head, force: false });
  });

  it('opens a new pull request for a change after the first was merged, from the merged base', async () => {
    const publisher = publisherFor();
    const branch = branchOf(posted);
    await publisher.publish(posted.reference, viewsOf(posted));
    github.merge(1);
    // Merged, branch kept: nothing to do for the same views.
    const before = github.writes().length;
    assert.deepEqual(await publisher.publish(posted.reference, viewsOf(posted)), {
      pullRequestUrl: pullUrl(1),
      changed: false,
    });
    assert.equal(github.writes().length, before);

    github.push('main', { 'about.md': 'Someone else’s page\n' }, 'Another change');
    const result = await publisher.publish(awarded.reference, viewsOf(awarded));
    assert.deepEqual(result, { pullRequestUrl: pullUrl(2), changed: true });
    const [head] = github.history(branch);
    assert.ok(head);
    assert.deepEqual(github.commit(head)?.parents, [github.head('main')], 'restarted from the base branch');
    assert.equal(github.pulls()[1]?.state, 'open');
    const patch = github.writes().find((r) => r.method === 'PATCH');
    assert.deepEqual(patch?.body, { sha: head, force: true });

    // Merged with its branch deleted: the delivery comes on a new branch of the same name.
    github.merge(2, { deleteBranch: true });
    assert.deepEqual(await publisher.publish(awarded.reference, viewsOf(awarded)), {
      pullRequestUrl: pullUrl(2),
      changed: false,
    });
    const third = await publisher.publish(delivered.reference, viewsOf(delivered));
    assert.deepEqual(third, { pullRequestUrl: pullUrl(3), changed: true });
    github.merge(3);
    for (const post of jekyllPosts(viewsOf(delivered)))
      assert.equal(github.file('main', post.path), post.content);
    assert.equal(github.file('main', 'about.md'), 'Someone else’s page\n');
  });

  it('reads the branch again when someone moves it between the read and the write', async () => {
    const publisher = publisherFor();
    const branch = branchOf(posted);
    await publisher.publish(posted.reference, viewsOf(posted));
    github.before('PATCH', /\/git\/refs\/heads/, () => {
      github.push(branch, { 'NOTES.md': 'A reviewer’s note\n' }, 'Review note');
    });
    const result = await publisher.publish(awarded.reference, viewsOf(awarded));
    assert.deepEqual(result, { pullRequestUrl: pullUrl(1), changed: true });
    const refused = github.requests.filter((r) => r.method === 'PATCH');
    assert.deepEqual(
      refused.map((r) => r.status),
      [422, 200],
    );
    const [head, parent] = github.history(branch);
    assert.equal(github.commit(parent ?? '')?.message, 'Review note', 'the reviewer’s commit is kept');
    assert.equal(github.file(head ?? '', 'NOTES.md'), 'A reviewer’s note\n');
    for (const post of jekyllPosts(viewsOf(awarded)))
      assert.equal(github.file(branch, post.path), post.content);
  });

  it('retries a 409 conflict, and a branch created by someone else meanwhile', async () => {
    const publisher = publisherFor();
    github.before('POST', /\/git\/refs$/, () => {
      github.push(branchOf(posted), { 'draft.md': 'x\n' }, 'Someone’s draft');
    });
    const result = await publisher.publish(posted.reference, viewsOf(posted));
    assert.deepEqual(result, { pullRequestUrl: pullUrl(1), changed: true });
    assert.deepEqual(
      github.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/git/refs')).map((r) => r.status),
      [422],
    );
    // The branch had no pull request: it restarts from the base branch, without the stray commit.
    assert.equal(github.file(branchOf(posted), 'draft.md'), undefined);

    github.fail({ status: 409, method: 'PATCH', path: /\/git\/refs\//, message: 'Reference update failed' });
    const before = github.requests.length;
    assert.equal((await publisher.publish(awarded.reference, viewsOf(awarded))).changed, true);
    assert.deepEqual(
      github.requests
        .slice(before)
        .filter((r) => r.method === 'PATCH')
        .map((r) => r.status),
      [409, 200],
    );
  });

  it('gives up, retryable, when the branch keeps moving', async () => {
    const publisher = publisherFor();
    await publisher.publish(posted.reference, viewsOf(posted));
    let n = 0;
    github.before(
      'PATCH',
      /\/git\/refs\/heads/,
      () => github.push(branchOf(posted), { [`n${++n}.md`]: 'x\n' }),
      10,
    );
    const err = await publishError(publisher.publish(awarded.reference, viewsOf(awarded)));
    assert.equal(err.retryable, true);
    assert.match(err.message, /kept moving/);
    assert.equal(github.requests.filter((r) => r.method === 'PATCH').length, 3);
  });

  it('reuses a pull request someone opened between the look and the request', async () => {
    const publisher = publisherFor();
    github.before('POST', /\/pulls$/, () => {
      github.openPull(branchOf(posted), 'Opened by hand');
    });
    const result = await publisher.publish(posted.reference, viewsOf(posted));
    assert.deepEqual(result, { pullRequestUrl: pullUrl(1), changed: true });
    assert.equal(github.pulls().length, 1);
  });

  it('says when to try again after the primary rate limit, without waiting', async () => {
    const publisher = publisherFor();
    for (const status of [403, 429] as const) {
      github.primaryLimitStatus = status;
      github.exhaustRateLimit(120);
      const started = Date.now();
      const err = await publishError(publisher.publish(posted.reference, viewsOf(posted)));
      assert.ok(Date.now() - started < 5_000, 'it did not wait');
      assert.equal(err.retryable, true);
      assert.equal(err.status, status);
      assert.ok(err.retryAfterMs !== undefined && err.retryAfterMs > 118_000 && err.retryAfterMs <= 120_000);
      assert.match(err.message, /rate limit.*try again after \d{4}-\d{2}-\d{2}T/);
      skew += 121_000;
    }
    assert.equal((await publisher.publish(posted.reference, viewsOf(posted))).changed, true);
  });

  it('says when to try again after a secondary rate limit: its retry-after, else a minute', async () => {
    const publisher = publisherFor();
    github.secondaryRateLimit({ retryAfterSeconds: 30 });
    const first = await publishError(publisher.publish(posted.reference, viewsOf(posted)));
    assert.deepEqual([first.retryable, first.status, first.retryAfterMs], [true, 403, 30_000]);
    github.secondaryRateLimit({ status: 429 });
    const second = await publishError(publisher.publish(posted.reference, viewsOf(posted)));
    assert.deepEqual([second.retryable, second.status, second.retryAfterMs], [true, 429, 60_000]);
    assert.equal((await publisher.publish(posted.reference, viewsOf(posted))).changed, true);
  });

  it('reports GitHub’s own failures as retryable, and picks up where a failed attempt stopped', async () => {
    const publisher = publisherFor();
    github.fail({ status: 502 });
    const gateway = await publishError(publisher.publish(posted.reference, viewsOf(posted)));
    assert.deepEqual([gateway.retryable, gateway.status, gateway.retryAfterMs], [true, 502, undefined]);

    // The branch is made, then the pull request fails: the next try opens it.
    github.fail({ status: 500, method: 'POST', path: /\/pulls$/ });
    const server = await publishError(publisher.publish(posted.reference, viewsOf(posted)));
    assert.deepEqual([server.retryable, server.status], [true, 500]);
    assert.deepEqual(github.branches(), ['main', branchOf(posted)]);
    assert.equal(github.pulls().length, 0);
    assert.deepEqual(await publisher.publish(posted.reference, viewsOf(posted)), {
      pullRequestUrl: pullUrl(1),
      changed: true,
    });
  });

  it('does not retry what trying again cannot fix: a missing repository or base branch, bad credentials', async () => {
    const missing = await publishError(
      publisherFor({ repository: `${github.owner}/no-such-site` }).publish(posted.reference, viewsOf(posted)),
    );
    assert.deepEqual([missing.retryable, missing.status], [false, 404]);
    assert.match(missing.message, /no-such-site/);

    const noBase = await publishError(
      publisherFor({ baseBranch: 'gh-pages' }).publish(posted.reference, viewsOf(posted)),
    );
    assert.deepEqual([noBase.retryable, noBase.status], [false, 404]);
    assert.match(noBase.message, /base branch gh-pages/);

    const badToken = await publishError(
      publisherFor({ auth: { kind: 'token', token: 'wrong' } }).publish(posted.reference, viewsOf(posted)),
    );
    assert.deepEqual([badToken.retryable, badToken.status], [false, 401]);
    assert.deepEqual(github.writes(), []);
  });

  it('authenticates as a GitHub App installation, with a token it asks for once', async () => {
    await github.close();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    github = await GitHubEmulation.start({ app: { id: 424242, installationId: 77, publicKey } });
    const publisher = publisherFor({
      auth: { kind: 'app', appId: '424242', installationId: 77, privateKey },
    });
    assert.equal((await publisher.publish(posted.reference, viewsOf(posted))).changed, true);
    assert.equal((await publisher.publish(awarded.reference, viewsOf(awarded))).changed, true);
    assert.deepEqual(
      github.requests.filter((r) => r.url.startsWith('/app/')).map((r) => `${r.method} ${r.url} ${r.status}`),
      ['POST /app/installations/77/access_tokens 201'],
    );

    const other = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const wrongKey = await publishError(
      publisherFor({
        auth: { kind: 'app', appId: '424242', installationId: 77, privateKey: other.privateKey },
      }).publish(posted.reference, viewsOf(posted)),
    );
    assert.deepEqual([wrongKey.retryable, wrongKey.status], [false, 401]);
  });

  it('compares files by Git’s blob ids, as GitHub reports them', () => {
    for (const text of ['', 'a\n', 'é😀\n'.repeat(100)]) assert.equal(blobId(text), gitBlobId(text));
    assert.equal(blobId('hello\n'), 'ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('is made from the configuration only when PUBLISHER=github', async () => {
    assert.equal(createPublisher(parseConfig({})), undefined);
    const withToken = createPublisher(
      parseConfig({
        PUBLISHER: 'github',
        GITHUB_REPOSITORY: github.fullName,
        GITHUB_TOKEN: TOKEN,
        GITHUB_API_URL: `${github.url}/`,
      }),
    );
    assert.ok(withToken instanceof GitHubPublisher);
    assert.equal(withToken.target, `github:${github.fullName}@main`);
    assert.equal(withToken.digest(viewsOf(posted)), digestOf(viewsOf(posted)));
    assert.equal((await withToken.publish(posted.reference, viewsOf(posted))).changed, true);

    const dir = mkdtempSync(path.join(tmpdir(), 'microacq-app-'));
    try {
      const { privateKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      const keyPath = path.join(dir, 'app.pem');
      writeFileSync(keyPath, privateKey);
      const viaApp = createPublisher(
        parseConfig({
          PUBLISHER: 'github',
          GITHUB_REPOSITORY: 'canada-ca/micro-acquisition',
          GITHUB_BASE_BRANCH: 'gh-pages',
          GITHUB_APP_ID: '1',
          GITHUB_APP_INSTALLATION_ID: '2',
          GITHUB_APP_PRIVATE_KEY_PATH: keyPath,
        }),
      );
      assert.equal(viaApp?.target, 'github:canada-ca/micro-acquisition@gh-pages');
      assert.equal(viaApp?.branchOf('MA-2026-0007'), 'microacq/MA-2026-0007');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
