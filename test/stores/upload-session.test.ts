import { strict as assert } from 'node:assert';
import { type SendRange, sendInRanges, UPLOAD_RANGE } from '../../src/stores/upload-session';

/**
 * What an upload session answers is another service's word: a session that answers oddly ends the
 * upload with an error the person is told about, within a bounded number of requests, never a turn
 * held without end.
 */

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A session answering with `answer`, counting the requests it gets. */
function session(answer: (init: RequestInit, n: number) => Response): {
  send: SendRange;
  readonly count: number;
} {
  let count = 0;
  return {
    send: async (_url, init) => answer(init, ++count),
    get count() {
      return count;
    },
  };
}

describe('sending a file to an upload session', () => {
  const file = Buffer.alloc(2 * UPLOAD_RANGE + 10, 'x');

  it('takes the file in ranges, each starting where the session says', async () => {
    const ranges: string[] = [];
    const s = session((init) => {
      const range = String((init.headers as Record<string, string>)['Content-Range']);
      ranges.push(range);
      const end = Number(/-(\d+)\//.exec(range)?.[1]);
      return end === file.length - 1
        ? json(201, { id: 'item', name: 'f' })
        : json(202, { nextExpectedRanges: [`${end + 1}-`] });
    });
    assert.deepEqual(await sendInRanges(s.send, 'https://x/u', file), { id: 'item', name: 'f' });
    assert.deepEqual(ranges, [
      `bytes 0-${UPLOAD_RANGE - 1}/${file.length}`,
      `bytes ${UPLOAD_RANGE}-${2 * UPLOAD_RANGE - 1}/${file.length}`,
      `bytes ${2 * UPLOAD_RANGE}-${file.length - 1}/${file.length}`,
    ]);
  });

  it('gives up on a session that keeps asking again for the first range', async () => {
    const s = session(() => json(202, { nextExpectedRanges: ['0-'] }));
    await assert.rejects(sendInRanges(s.send, 'https://x/u', file), /could not take the file/);
    assert.ok(s.count <= 20, `${s.count} requests`);
  });

  it('gives up on a session that fails every other request, however it moves', async () => {
    const s = session((init, n) =>
      init.method === 'GET'
        ? json(200, { nextExpectedRanges: ['0-'] })
        : n % 2 === 0
          ? json(503, {})
          : json(202, { nextExpectedRanges: [`${UPLOAD_RANGE}-`] }),
    );
    // Retry-After is absent, so each wait is a second: keep the test short with a one-range file.
    const small = Buffer.alloc(UPLOAD_RANGE + 1, 'x');
    await assert.rejects(sendInRanges(s.send, 'https://x/u', small), /could not take the file/);
    assert.ok(s.count <= 20, `${s.count} requests`);
  });

  it('reads an answer that is not JSON as no news, not as a crash', async () => {
    const s = session(() => new Response('<html>busy</html>', { status: 202 }));
    await assert.rejects(sendInRanges(s.send, 'https://x/u', file), /could not take the file/);
  });
});
