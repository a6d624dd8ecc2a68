import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { GitHubPublisher } from '../../src/publish/github';
import { jekyllPosts, type PublicViews } from '../../src/publish/jekyll';
import type { Opportunity } from '../../src/services/opportunity';
import { publicOpportunity } from '../../src/services/publication';
import { SqliteStore } from '../../src/stores/sqlite-store';
import { storeAwarded, storePosted } from '../support/published';

/**
 * The publisher against real GitHub, on a repository set aside for it: GITHUB_LIVE_TOKEN (contents and
 * pull requests: write) and GITHUB_LIVE_REPOSITORY (owner/name), GITHUB_LIVE_BASE_BRANCH optionally
 * (else the repository's default branch). It opens a pull request from a branch of its own, then
 * closes it and deletes the branch. Without those variables it is skipped, and says so.
 */

const token = process.env.GITHUB_LIVE_TOKEN ?? '';
const repository = process.env.GITHUB_LIVE_REPOSITORY ?? '';
const apiUrl = process.env.GITHUB_LIVE_API_URL || 'https://api.github.com';
const PREFIX = 'microacq-live-test/';

function viewsOf(o: Opportunity, reference: string): PublicViews {
  const en = publicOpportunity({ ...o, reference }, 'en');
  const fr = publicOpportunity({ ...o, reference }, 'fr');
  assert.ok(en && fr);
  return { en, fr };
}

describe('publishing to real GitHub (GITHUB_LIVE_TOKEN, GITHUB_LIVE_REPOSITORY)', function () {
  this.timeout(120_000);
  const reference = `MA-2099-${randomInt(100_000, 999_999)}`;
  const [owner = '', repo = ''] = repository.split('/');
  let octokit: Octokit;
  let store: SqliteStore | undefined;
  let publisher: GitHubPublisher;
  let base = '';
  let posted: Opportunity;
  let awarded: Opportunity;

  before(async function () {
    if (token === '' || repository === '') {
      console.log(
        '      skipped: GITHUB_LIVE_TOKEN and GITHUB_LIVE_REPOSITORY are not both set, so nothing is sent to GitHub',
      );
      this.skip();
    }
    octokit = new Octokit({ auth: token, baseUrl: apiUrl });
    base =
      process.env.GITHUB_LIVE_BASE_BRANCH ||
      (await octokit.rest.repos.get({ owner, repo })).data.default_branch;
    publisher = new GitHubPublisher({
      repository,
      apiUrl,
      baseBranch: base,
      auth: { kind: 'token', token },
      branchPrefix: PREFIX,
    });
    store = SqliteStore.open(':memory:');
    posted = await storePosted(store);
    awarded = await storeAwarded(store);
  });

  after(async () => {
    await store?.close();
    if (token === '' || repository === '') return;
    // Leave the repository as it was: the test's pull requests closed, its branch gone.
    const branch = `${PREFIX}${reference}`;
    const { data: pulls } = await octokit.rest.pulls.list({
      owner,
      repo,
      head: `${owner}:${branch}`,
      state: 'open',
    });
    for (const pull of pulls) {
      await octokit.rest.pulls.update({ owner, repo, pull_number: pull.number, state: 'closed' });
    }
    await octokit.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` }).catch(() => undefined);
  });

  it('opens a pull request, leaves it alone when nothing changed, and adds the award to it', async () => {
    const first = await publisher.publish(reference, viewsOf(posted, reference));
    assert.equal(first.changed, true);
    assert.match(first.pullRequestUrl, /\/pull\/\d+$/);

    const again = await publisher.publish(reference, viewsOf(posted, reference));
    assert.deepEqual(again, { pullRequestUrl: first.pullRequestUrl, changed: false });

    const award = await publisher.publish(reference, viewsOf(awarded, reference));
    assert.deepEqual(award, { pullRequestUrl: first.pullRequestUrl, changed: true });

    for (const post of jekyllPosts(viewsOf(awarded, reference))) {
      const { data } = await octokit.rest.repos.getContent({
        owner,
        repo,
        path: post.path,
        ref: `${PREFIX}${reference}`,
      });
      assert.ok(!Array.isArray(data) && data.type === 'file');
      assert.equal(Buffer.from(data.content, 'base64').toString('utf8'), post.content);
    }
  });
});
