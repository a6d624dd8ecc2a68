import { strict as assert } from 'node:assert';
import { Agent, request } from 'node:http';
import { nextTurn, TurnGate } from '../src/bot/next-turn';
import { cardAction, PEOPLE, startTestBot, type TestBot } from './support/teams';

/**
 * Under load, the bot starts one activity per turn of the event loop. Node accepts one new connection per
 * turn; with every waiting activity run in one long turn, the tenth connection opened at a busy moment
 * waited ten such turns before its first activity was read.
 */

describe('the turn gate', () => {
  it('lets a caller start at once while the turn has room', async () => {
    const gate = new TurnGate(1);
    let started = false;
    void gate.pass().then(() => (started = true));
    await Promise.resolve();
    assert.equal(started, true);
  });

  it('starts the others one per turn of the event loop, in the order they came', async () => {
    const gate = new TurnGate(1);
    const started: number[] = [];
    for (let i = 0; i < 5; i++) void gate.pass().then(() => started.push(i));
    await Promise.resolve();
    assert.deepEqual(started, [0]);
    for (let turn = 1; turn < 5; turn++) {
      await nextTurn();
      assert.deepEqual(started, [0, 1, 2, 3, 4].slice(0, turn + 1), `after turn ${turn}`);
    }
  });

  it('starts as many per turn as it was given', async () => {
    const gate = new TurnGate(3);
    const started: number[] = [];
    for (let i = 0; i < 7; i++) void gate.pass().then(() => started.push(i));
    await Promise.resolve();
    assert.deepEqual(started, [0, 1, 2]);
    await nextTurn();
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
    await nextTurn();
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
  });
});

describe('a bot kept busy by open connections', function () {
  this.timeout(60_000);
  /** A loopback serviceUrl: the `help.show` cards are answered in the HTTP response, so nothing is sent there. */
  const SERVICE_URL = 'http://127.0.0.1:9/';
  let bot: TestBot;

  before(async () => {
    bot = await startTestBot();
  });

  after(() => bot.server.stop());

  const post = (agent: Agent, body: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(
        `${bot.server.url}/api/messages`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  it('answers the first activity of each new connection after about one round of those already waiting', async () => {
    const BUSY = 30;
    const NEW = 10;
    const help = () =>
      JSON.stringify(cardAction({ serviceUrl: SERVICE_URL, from: PEOPLE.requester }, 'help.show', {}));
    // Connections that stay open, each sending its next activity as soon as the last is answered.
    const busy = new Agent({ keepAlive: true, maxSockets: BUSY });
    let answered = 0;
    let running = true;
    const loops = Array.from({ length: BUSY }, async () => {
      while (running) {
        await post(busy, help());
        answered++;
      }
    });
    while (answered < 3 * BUSY) await new Promise((r) => setTimeout(r, 5));

    // Ten people open connections at the same moment; each answer is counted in the busy ones answered since.
    const opened = answered;
    const waited = await Promise.all(
      Array.from({ length: NEW }, async () => {
        const fresh = new Agent({ keepAlive: false });
        await post(fresh, help());
        return answered - opened;
      }),
    );
    running = false;
    await Promise.all(loops);
    busy.destroy();

    // First come, first served: a new activity waits for those already queued (at most the busy ones)
    // and the new ones before it, not for a whole round of them per connection before it.
    const bound = 2 * (BUSY + NEW);
    for (const [i, n] of waited.entries())
      assert.ok(
        n <= bound,
        `new connection ${i} answered after ${n} others (at most ${bound}): ${waited.join(', ')}`,
      );
  });
});
