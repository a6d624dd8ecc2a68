import assert from 'node:assert/strict';
import type { Opportunity } from '../src/services/opportunity';
import { storePosted } from './support/published';
import { startTestBot, type TestBot } from './support/teams';

/**
 * Applications are personal information: the clock deletes an opportunity's applications, and the
 * self-identification that came with them, once it ended longer ago than the retention period, and the
 * request's history says so.
 */

describe('the retention of applications', function () {
  this.timeout(20_000);
  let bot: TestBot;
  let now: Date;

  beforeEach(async () => {
    now = new Date('2026-03-05T15:00:00Z');
    bot = await startTestBot({ APPLICATION_RETENTION_DAYS: '30' }, { now: () => now, background: false });
  });
  afterEach(async () => bot.server.stop());

  const applyTo = async (reference: string, n: number) => {
    const submitted = await bot.store.submitApplication(
      {
        id: `a-00000000-0000-4000-8000-00000000000${n}`,
        reference,
        email: `applicant${n}@example.ca`,
        locale: 'en',
        createdAt: now.toISOString(),
        pending: {
          content: {
            name: `Applicant ${n}`,
            kind: 'individual',
            federalEmployee: false,
            answer: 'Yes.',
            links: ['https://x.ca'],
          },
          token: `${String(n).repeat(43)}`.slice(0, 43),
          at: now.toISOString(),
        },
      },
      { outsideNcr: 'yes' },
      100,
    );
    assert.ok(submitted.outcome === 'created');
    await bot.store.confirmApplication(
      submitted.application.id,
      submitted.application.version,
      now.toISOString(),
    );
  };
  const end = async (o: Opportunity, at: string) =>
    bot.store.transition({ ...o, status: 'cancelled', version: o.version + 1, updatedAt: at }, o.version, {
      at,
      actor: { aadObjectId: 'p', name: 'Priya' },
      action: 'cancel',
      from: o.status,
      to: 'cancelled',
      outcome: 'applied',
    });
  const applications = async (reference: string) =>
    (await bot.store.applicationsOf(reference, {}, { limit: 10 })).items.length;

  it('deletes them once their opportunity ended longer ago than the period, once, and audits it', async () => {
    const ended = await storePosted(bot.store);
    const running = await storePosted(bot.store);
    for (const n of [1, 2]) await applyTo(ended.reference, n);
    await applyTo(running.reference, 3);
    await end(ended, '2026-03-05T16:00:00.000Z');

    now = new Date('2026-04-03T15:00:00Z');
    await bot.server.tick();
    assert.equal(await applications(ended.reference), 2, 'kept within the period');

    now = new Date('2026-04-05T15:00:00Z');
    await bot.server.tick();
    assert.equal(await applications(ended.reference), 0);
    assert.equal(await applications(running.reference), 1, 'a running opportunity keeps its applications');
    const counts = await bot.store.selfIdentificationCounts([ended.reference, running.reference]);
    assert.equal(counts.outsideNcr.yes, 1, 'their self-identification went with them');
    const deletions = (await bot.store.auditTrail(ended.reference)).filter(
      (e) => e.action === 'applications_deleted',
    );
    assert.deepEqual(
      deletions.map((e) => [e.actor.name, e.comment]),
      [['Microacq', '2']],
    );

    now = new Date('2026-04-06T15:00:00Z');
    await bot.server.tick();
    assert.equal(
      (await bot.store.auditTrail(ended.reference)).filter((e) => e.action === 'applications_deleted').length,
      1,
      'nothing more to delete, nothing more said',
    );
  });
});
