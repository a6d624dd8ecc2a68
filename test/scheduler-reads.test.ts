import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpportunityFilter } from '../src/services/store';
import { SqliteStore } from '../src/stores/sqlite-store';
import { actor, newOpportunity, submittedAudit } from './contract/fixtures';
import { startTestBot, type TestBot } from './support/teams';
import { replacing } from './support/partial-store';

/**
 * The clock's tick reads what it may act on: every waiting request once a day, for the reminders (which
 * count whole business days), and otherwise only the requests whose consultation or applications it may
 * close, so that thousands of waiting requests are not decoded every minute beside people's clicks.
 */
describe("the clock's reads", () => {
  let bot: TestBot;
  let now: Date;
  const filters: OpportunityFilter[] = [];

  beforeEach(async () => {
    now = new Date('2026-03-02T14:00:00.000Z');
    const store = SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'microacq-clock-')), 'bot.db'));
    const requester = actor('aad-requester', 'Riley Tremblay');
    const submitted = newOpportunity({ at: now.toISOString(), requester });
    await store.create(submitted, submittedAudit(submitted), 'waiting');
    const counting = replacing(store, 'query', (query) => (filter, page) => {
      filters.push(filter);
      return query(filter, page);
    });
    filters.length = 0;
    bot = await startTestBot({}, { now: () => now, background: false }, { store: counting });
  });

  afterEach(() => bot.server.stop());

  const readSubmitted = () => filters.some((f) => f.statuses?.includes('submitted'));

  it('walks every waiting request at the first tick of a day, and only the clock-closed statuses after', async () => {
    await bot.server.tick();
    assert.ok(readSubmitted(), 'the first tick of the day reads the waiting requests, for reminders');
    filters.length = 0;
    now = new Date(now.getTime() + 60_000);
    await bot.server.tick();
    assert.ok(!readSubmitted(), 'later ticks that day read no submitted request');
    assert.ok(
      filters.some((f) => f.statuses?.includes('in_approval') && f.statuses.includes('posted')),
      'they read the requests whose consultation or applications may close',
    );
    filters.length = 0;
    now = new Date(now.getTime() + 24 * 3_600_000);
    await bot.server.tick();
    assert.ok(readSubmitted(), 'the next day walks them again');
  });

  // The day is the department's (America/Toronto here), not UTC's: across its midnight, its DST changes
  // and its holidays, a second tick walks again exactly when the local date has changed.
  const pairs: [string, string, string, boolean][] = [
    ['a minute either side of midnight in Ottawa', '2026-03-03T04:59:00Z', '2026-03-03T05:01:00Z', true],
    [
      "across UTC's midnight, the same evening in Ottawa",
      '2026-03-02T23:30:00Z',
      '2026-03-03T00:30:00Z',
      false,
    ],
    ['across the spring-forward hour', '2026-03-08T06:59:00Z', '2026-03-08T07:01:00Z', false],
    ['the first midnight after spring forward', '2026-03-09T03:59:00Z', '2026-03-09T04:01:00Z', true],
    ['the repeated hour of fall back', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', false],
    ['the first midnight after fall back', '2026-11-02T04:59:00Z', '2026-11-02T05:01:00Z', true],
    ['into Canada Day, a holiday', '2026-07-01T03:59:00Z', '2026-07-01T04:01:00Z', true],
    ['within Good Friday, a holiday', '2026-04-03T13:00:00Z', '2026-04-03T20:00:00Z', false],
  ];
  for (const [name, first, second, walks] of pairs) {
    it(`${walks ? 'walks again' : 'does not walk again'} ${name}`, async () => {
      now = new Date(first);
      await bot.server.tick();
      filters.length = 0;
      now = new Date(second);
      await bot.server.tick();
      assert.equal(readSubmitted(), walks);
    });
  }
});
