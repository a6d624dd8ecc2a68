import { Worker } from 'node:worker_threads';

/**
 * Another writer on the same SQLite file, in a thread of its own: it takes the write lock for `holdMs` at
 * a time, about `busyShare` of the time (always the first time), so the bot's writes meet a real
 * SQLITE_BUSY when they wait longer than their busy timeout. better-sqlite3 waits synchronously, hence a
 * thread and not a timer here. Resolves once the lock is first held.
 */
export async function holdWriteLockRandomly(
  file: string,
  options: { busyShare: number; holdMs: number; seed: number },
): Promise<{ stop(): Promise<void> }> {
  const worker = new Worker(
    `
    const { workerData, parentPort } = require('node:worker_threads');
    const Database = require('better-sqlite3');
    const db = new Database(workerData.file, { timeout: 5000 });
    let a = workerData.seed >>> 0;
    const random = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    let running = true;
    parentPort.on('message', () => { running = false; });
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    (async () => {
      let first = true;
      while (running) {
        if (first || random() < workerData.busyShare) {
          db.exec('BEGIN IMMEDIATE');
          if (first) parentPort.postMessage('holding');
          first = false;
          await sleep(workerData.holdMs);
          db.exec('COMMIT');
        } else {
          await sleep(workerData.holdMs);
        }
      }
      db.close();
      parentPort.postMessage('stopped');
    })();
    `,
    { eval: true, workerData: { file, ...options } },
  );
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  return {
    async stop() {
      const stopped = new Promise<void>((resolve) => worker.once('message', () => resolve()));
      worker.postMessage('stop');
      await stopped;
      await worker.terminate();
    },
  };
}
