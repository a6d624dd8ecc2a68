import { strict as assert } from 'node:assert';
import type { Store } from '../src/services/store';
import { openPgStore } from '../src/stores/pg-store';
import { type FreshSchema, freshSchema, requirePostgres } from './support/postgres';
import { startTestBot, type TestBot } from './support/teams';

/**
 * Work that must happen once among replicas on one database: the clock's (consultations closed,
 * reminders, retention) and the e-mail sender's. Each replica's loop runs; only the one holding the
 * job's lease acts, and when it stops another takes the job over.
 */

/** The store a replica uses, counting the reads only the clock's work makes. */
function counted(store: Store): { store: Store; ticks: () => number; drains: () => number } {
  let ticks = 0;
  let drains = 0;
  const watched = new Proxy(store, {
    get(target, method: keyof Store) {
      if (method === 'pendingNotifications') ticks++;
      if (method === 'dueMail') drains++;
      return target[method];
    },
  });
  return { store: watched, ticks: () => ticks, drains: () => drains };
}

describe('replicas on one PostgreSQL database', function () {
  this.timeout(60_000);
  let schema: FreshSchema;
  const bots: TestBot[] = [];

  before(requirePostgres);
  beforeEach(async () => {
    schema = await freshSchema();
  });
  afterEach(async () => {
    for (const bot of bots.splice(0)) await bot.server.stop();
    await schema.drop();
  });

  const replica = async () => {
    const watched = counted(await openPgStore({ connectionString: schema.url, schema: schema.schema }));
    const bot = await startTestBot({}, { background: false }, { store: watched.store });
    bots.push(bot);
    return { bot, ...watched };
  };

  it("runs the clock's work and the e-mail sender on one replica at a time", async () => {
    const [one, two] = [await replica(), await replica()];
    for (let round = 0; round < 3; round++) {
      await one.bot.server.tick();
      await two.bot.server.tick();
    }
    assert.deepEqual([one.ticks(), two.ticks()], [3, 0], 'the first to tick holds the clock');
    assert.deepEqual([one.drains(), two.drains()], [3, 0], 'and the mail');
  });

  it('hands the work over when the replica holding it stops', async () => {
    const [one, two] = [await replica(), await replica()];
    await one.bot.server.tick();
    await two.bot.server.tick();
    assert.equal(two.ticks(), 0);
    await one.bot.server.stop();
    bots.splice(bots.indexOf(one.bot), 1);
    await two.bot.server.tick();
    assert.equal(two.ticks(), 1, 'the other replica took the clock over at once');
    assert.equal(two.drains(), 1, 'and the mail');
  });
});
