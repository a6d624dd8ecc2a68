import assert from 'node:assert/strict';
import type { Opportunity } from '../../src/services/opportunity';
import { GitHubEmulation } from '../support/github-emulation';
import { storePosted } from '../support/published';
import { startTestBot, type TestBot } from '../support/teams';

/**
 * PUBLISHER=github through the running bot: its clock publishes each posted request to the pilot's
 * repository as a pull request, publishes again only what changed, and waits out GitHub's limits.
 */

const TOKEN = 'github_pat_sync_0001';

describe('the pilot’s site kept in step by the bot', function () {
  this.timeout(30_000);
  let github: GitHubEmulation;
  let bot: TestBot;
  let now: Date;

  beforeEach(async () => {
    now = new Date('2026-03-05T15:00:00Z');
    github = await GitHubEmulation.start({
      tokens: [TOKEN],
      now: () => now.getTime(),
      files: { '_config.yml': 'markdown: kramdown\n' },
    });
    bot = await startTestBot(
      {
        PUBLISHER: 'github',
        GITHUB_TOKEN: TOKEN,
        GITHUB_REPOSITORY: github.fullName,
        GITHUB_API_URL: github.url,
      },
      { now: () => now, background: false },
    );
  });
  afterEach(async () => {
    await bot.server.stop();
    assert.deepEqual(github.unknown, []);
    await github.close();
  });

  const tick = async (minutes = 1) => {
    now = new Date(now.getTime() + minutes * 60_000);
    await bot.server.tick();
  };

  it('opens one pull request with both posts, and writes nothing while nothing changed', async () => {
    const o = await storePosted(bot.store);
    await tick();
    const [pull] = github.pulls();
    assert.equal(pull?.state, 'open');
    assert.equal(pull?.head, `microacq/${o.reference}`);
    const files = Object.keys(github.files(`microacq/${o.reference}`)).filter((f) => f.startsWith('_posts/'));
    assert.deepEqual(files.sort(), [
      `_posts/en/2026-03-03-${o.reference}.md`,
      `_posts/fr/2026-03-03-${o.reference}.md`,
    ]);
    const writes = github.writes().length;
    await tick();
    await tick();
    assert.equal(github.writes().length, writes, 'an unchanged request is not written again');
  });

  it('updates the same pull request when the request changes in public (an extension)', async () => {
    const o = await storePosted(bot.store);
    await tick();
    const extended: Opportunity = {
      ...o,
      version: o.version + 1,
      dates: { ...o.dates, extendedApplicationDeadline: '2026-03-23' },
      eventAt: { ...o.eventAt, applications_extended: '2026-03-05T16:00:00.000Z' },
    };
    await bot.store.transition(extended, o.version, {
      at: '2026-03-05T16:00:00.000Z',
      actor: { aadObjectId: 'p', name: 'Priya' },
      action: 'extend_applications',
      outcome: 'applied',
    });
    await tick();
    assert.equal(github.pulls().length, 1);
    const en = github.file(`microacq/${o.reference}`, `_posts/en/2026-03-03-${o.reference}.md`) ?? '';
    assert.match(en, /closing_date: 2026-03-23T23:59:59-04:00/);
    assert.equal(
      github.history(`microacq/${o.reference}`).length,
      3,
      'the base commit and one commit per change',
    );
  });

  it('waits out a rate limit and publishes on a later tick, losing nothing', async () => {
    const o = await storePosted(bot.store);
    github.exhaustRateLimit(300);
    await tick();
    assert.equal(github.pulls().length, 0);
    const asked = github.requests.length;
    await tick(2);
    assert.equal(github.requests.length, asked, 'no request while GitHub asked to wait');
    await tick(3);
    assert.equal(github.pulls()[0]?.head, `microacq/${o.reference}`);
  });
});
