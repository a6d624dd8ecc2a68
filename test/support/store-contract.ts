import { strict as assert } from 'node:assert';
import { decide } from '../../src/services/lifecycle';
import type { NewOpportunity, Opportunity } from '../../src/services/opportunity';
import { ConcurrencyError, type NewAuditEntry, type OpportunityStore } from '../../src/services/store';
import { clock, content, person, submitted } from './opportunities';

/**
 * What every store adapter must do, written against the interface only. The SQLite store runs it now;
 * any later adapter (a SharePoint list) must pass the same suite unchanged.
 */

const PROCUREMENT = person('proc-1', 'procurement');

export function newRecord(overrides: Partial<NewOpportunity> = {}): NewOpportunity {
  const { reference: _r, version: _v, ...record } = submitted();
  return { ...record, ...overrides };
}

const audit = (action: string, at = '2026-11-23T15:00:00.000Z'): NewAuditEntry => ({
  at,
  actor: { aadObjectId: 'req-1', name: 'Riley' },
  action,
  outcome: 'applied',
});

export function describeStoreContract(name: string, makeStore: () => Promise<OpportunityStore>): void {
  describe(`${name} store contract`, () => {
    let store: OpportunityStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    const create = (key: string, overrides: Partial<NewOpportunity> = {}) =>
      store.create(newRecord(overrides), audit('submit'), key);

    it('gives each new record the next reference of its year, at version 1', async () => {
      const a = await create('k1');
      const b = await create('k2');
      assert.deepEqual([a.reference, b.reference, a.version], ['MA-2026-0001', 'MA-2026-0002', 1]);
      assert.deepEqual(await store.get('MA-2026-0002'), b);
    });

    it('starts a new sequence each year', async () => {
      await create('k1');
      const next = await create('k2', { createdAt: '2027-01-04T14:00:00.000Z' });
      assert.equal(next.reference, 'MA-2027-0001');
    });

    it('returns the first record when the same submission arrives twice', async () => {
      const first = await create('same-key');
      const again = await create('same-key', { title: 'A different title' });
      assert.deepEqual(again, first);
      assert.equal((await store.query({}, { limit: 10 })).items.length, 1);
      assert.equal((await store.auditTrail(first.reference)).length, 1);
    });

    it('answers nothing for a reference it does not hold', async () => {
      assert.equal(await store.get('MA-2026-9999'), undefined);
    });

    it('keeps every field of a record exactly, including quotes, symbols, emoji and accents', async () => {
      const title = `L'outil « d'accès » 100% & #1 — ✅ "quoted" \\ ${'${x}'}`;
      const saved = await create('k', { title, requiredSkills: ['C#', 'F#', "O'Caml", 'Node.js & TS'] });
      assert.deepEqual(await store.get(saved.reference), saved);
      assert.equal(saved.title, title);
    });

    it('applies a transition from the current version and records its audit entry', async () => {
      const saved = await create('k');
      const outcome = decide(saved, 'vet_go', {}, PROCUREMENT, clock());
      assert.ok(outcome.ok);
      const next = await store.transition(
        outcome.next,
        saved.version,
        audit('vet_go', '2026-11-23T16:00:00.000Z'),
      );
      assert.equal(next.version, 2);
      assert.deepEqual(await store.get(saved.reference), outcome.next);
      assert.deepEqual(
        (await store.auditTrail(saved.reference)).map((e) => e.action),
        ['submit', 'vet_go'],
      );
    });

    it('refuses a transition from a stale version and keeps the winner’s record', async () => {
      const saved = await create('k');
      const winner = decide(saved, 'vet_go', {}, PROCUREMENT, clock());
      const loser = decide(saved, 'vet_no_go', { reason: 'late click' }, PROCUREMENT, clock());
      assert.ok(winner.ok && loser.ok);
      await store.transition(winner.next, 1, audit('vet_go'));
      await assert.rejects(store.transition(loser.next, 1, audit('vet_no_go')), ConcurrencyError);
      assert.equal((await store.get(saved.reference))?.status, 'in_approval');
      assert.equal(
        (await store.auditTrail(saved.reference)).length,
        2,
        'no audit entry for the refused write',
      );
    });

    it('lets exactly one of many simultaneous transitions from the same version win', async () => {
      const saved = await create('k');
      const attempts = Array.from({ length: 20 }, (_, i) => {
        const outcome = decide(saved, 'request_edits', { comment: `edit ${i}` }, PROCUREMENT, clock());
        assert.ok(outcome.ok);
        return store.transition(outcome.next, 1, audit(`edit ${i}`));
      });
      const results = await Promise.allSettled(attempts);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.ok(results.every((r) => r.status === 'fulfilled' || r.reason instanceof ConcurrencyError));
      assert.equal((await store.auditTrail(saved.reference)).length, 2);
    });

    it('records refused attempts in the audit trail, oldest first', async () => {
      const saved = await create('k');
      await store.appendAudit(saved.reference, {
        ...audit('approve_funds'),
        outcome: 'refused',
        reason: 'own_request',
      });
      const trail = await store.auditTrail(saved.reference);
      assert.deepEqual(
        trail.map((e) => [e.action, e.outcome, e.reason]),
        [
          ['submit', 'applied', undefined],
          ['approve_funds', 'refused', 'own_request'],
        ],
      );
      assert.ok(trail.every((e) => e.reference === saved.reference && e.id));
    });

    it('pages through every record exactly once, newest first', async () => {
      for (let i = 0; i < 7; i++) {
        await create(`k${i}`, {
          createdAt: `2026-11-${String(10 + (i % 3)).padStart(2, '0')}T10:00:00.000Z`,
        });
      }
      const seen: Opportunity[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.query({}, { limit: 3, ...(cursor ? { cursor } : {}) });
        assert.ok(page.items.length <= 3);
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      assert.equal(new Set(seen.map((o) => o.reference)).size, 7);
      const order = seen.map((o) => `${o.createdAt}|${o.reference}`);
      assert.deepEqual(order, [...order].sort().reverse());
    });

    it('filters by status, requester, branch and creation date', async () => {
      const a = await create('a', { createdAt: '2026-10-01T10:00:00.000Z' });
      await create('b', { requester: { aadObjectId: 'req-2', name: 'Julie' } });
      await create('c', { client: { ...content().client, branch: 'Service Canada' } });
      const vetted = decide(a, 'vet_go', {}, PROCUREMENT, clock());
      assert.ok(vetted.ok);
      await store.transition(vetted.next, 1, audit('vet_go'));
      const refs = async (filter: Parameters<OpportunityStore['query']>[0]) =>
        (await store.query(filter, { limit: 10 })).items.map((o) => o.reference).sort();
      assert.deepEqual(await refs({ statuses: ['in_approval'] }), ['MA-2026-0001']);
      assert.deepEqual(await refs({ statuses: ['submitted', 'in_approval'] }), [
        'MA-2026-0001',
        'MA-2026-0002',
        'MA-2026-0003',
      ]);
      assert.deepEqual(await refs({ statuses: [] }), []);
      assert.deepEqual(await refs({ requesterId: 'req-2' }), ['MA-2026-0002']);
      assert.deepEqual(await refs({ branch: 'Service Canada' }), ['MA-2026-0003']);
      assert.deepEqual(await refs({ createdSince: '2026-11-01T00:00:00.000Z' }), [
        'MA-2026-0002',
        'MA-2026-0003',
      ]);
    });

    it('keeps drafts per person, newest first, and never shows one person’s draft to another', async () => {
      await store.saveDraft({
        id: 'd1',
        ownerId: 'req-1',
        step: 'basics',
        data: { title: 'One' },
        updatedAt: '2026-11-23T10:00:00Z',
      });
      await store.saveDraft({
        id: 'd2',
        ownerId: 'req-1',
        step: 'work',
        data: { title: 'Two' },
        updatedAt: '2026-11-23T11:00:00Z',
      });
      await store.saveDraft({
        id: 'd3',
        ownerId: 'req-2',
        step: 'basics',
        data: {},
        updatedAt: '2026-11-23T12:00:00Z',
      });
      assert.deepEqual(
        (await store.listDrafts('req-1')).map((d) => d.id),
        ['d2', 'd1'],
      );
      assert.equal(await store.getDraft('req-2', 'd1'), undefined);
      assert.deepEqual((await store.getDraft('req-1', 'd1'))?.data, { title: 'One' });
      assert.equal(await store.deleteDraft('req-2', 'd1'), false);
      assert.equal(await store.deleteDraft('req-1', 'd1'), true);
      assert.deepEqual(
        (await store.listDrafts('req-1')).map((d) => d.id),
        ['d2'],
      );
    });

    it('refuses a draft save from a stale version, keeping what was saved first', async () => {
      const base = { id: 'd1', ownerId: 'req-1', step: 'basics', updatedAt: '2026-11-23T10:00:00Z' };
      const v1 = await store.saveDraft({ ...base, data: { title: 'First' } });
      const v2 = await store.saveDraft({ ...base, data: { title: 'Second' } }, v1.version);
      assert.deepEqual([v1.version, v2.version], [1, 2]);
      await assert.rejects(
        store.saveDraft({ ...base, data: { title: 'Stale' } }, v1.version),
        ConcurrencyError,
      );
      assert.deepEqual((await store.getDraft('req-1', 'd1'))?.data, { title: 'Second' });
    });

    it('stores, replaces and forgets conversation references', async () => {
      await store.saveConversation('user:req-1', {
        conversation: { id: 'a:1' },
        serviceUrl: 'https://smba.example',
      });
      await store.saveConversation('user:req-1', {
        conversation: { id: 'a:2' },
        serviceUrl: 'https://smba.example',
      });
      assert.deepEqual(await store.getConversation('user:req-1'), {
        conversation: { id: 'a:2' },
        serviceUrl: 'https://smba.example',
      });
      assert.equal(await store.deleteConversation('user:req-1'), true);
      assert.equal(await store.getConversation('user:req-1'), undefined);
    });

    it('answers a ping while open', async () => {
      await store.ping();
    });
  });
}
