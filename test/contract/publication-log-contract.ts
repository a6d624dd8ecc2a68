import assert from 'node:assert/strict';
import type { PublicationLog } from '../../src/services/publication';
import { type Closable, minutesAfter } from './question-contract';

/** What every PublicationLog adapter must do; `makeStore` gives a fresh, empty store per test. */
export function describePublicationLogContract(
  name: string,
  makeStore: () => Promise<PublicationLog & Closable>,
  cleanup?: () => Promise<void>,
): void {
  describe(`${name} (publication log contract)`, function () {
    let store: PublicationLog & Closable;

    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    it('knows nothing was published of a request never published', async () => {
      assert.equal(await store.lastPublished('github-pages', 'MA-2026-0001'), undefined);
    });

    it('remembers the last digest published of each request, for each target apart', async () => {
      await store.notePublished('github-pages', 'MA-2026-0001', 'sha256:aaa', minutesAfter(1));
      await store.notePublished('github-pages', 'MA-2026-0002', 'sha256:bbb', minutesAfter(2));
      await store.notePublished('mirror', 'MA-2026-0001', 'sha256:ccc', minutesAfter(3));
      await store.notePublished('github-pages', 'MA-2026-0001', 'sha256:ddd', minutesAfter(4));
      assert.equal(await store.lastPublished('github-pages', 'MA-2026-0001'), 'sha256:ddd');
      assert.equal(await store.lastPublished('github-pages', 'MA-2026-0002'), 'sha256:bbb');
      assert.equal(await store.lastPublished('mirror', 'MA-2026-0001'), 'sha256:ccc');
      assert.equal(await store.lastPublished('mirror', 'MA-2026-0002'), undefined);
    });

    it('refuses an entry without a target, a reference or a digest', async () => {
      await assert.rejects(store.notePublished('', 'MA-2026-0001', 'd', minutesAfter(1)), RangeError);
      await assert.rejects(store.notePublished('t', ' ', 'd', minutesAfter(1)), RangeError);
      await assert.rejects(store.notePublished('t', 'MA-2026-0001', '', minutesAfter(1)), RangeError);
      assert.equal(await store.lastPublished('t', 'MA-2026-0001'), undefined);
    });
  });
}
