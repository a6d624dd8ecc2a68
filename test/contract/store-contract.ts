import assert from 'node:assert/strict';
import type { Delegation } from '../../src/services/delegation';
import type { Opportunity } from '../../src/services/opportunity';
import {
  ConcurrencyError,
  type NewAuditEntry,
  type NewOutboxMessage,
  type OpportunityFilter,
  type OpportunityStore,
  type Preferences,
} from '../../src/services/store';
import {
  actor,
  PROCUREMENT,
  contentAt,
  type FixtureOptions,
  newOpportunity,
  NOW,
  plain,
  step,
  submittedAudit,
} from './fixtures';
import { describeLookbackRows } from './lookback-contract';
import { CHECKLIST, TRANSLATION } from '../support/opportunities';

/**
 * What every OpportunityStore adapter must do, stated through the interface alone. A new adapter
 * passes by calling describeStoreContract with a factory that gives a fresh, empty store per test.
 */
export function describeStoreContract(
  name: string,
  makeStore: () => Promise<OpportunityStore>,
  cleanup?: () => Promise<void>,
): void {
  describe(`${name} (store contract)`, function () {
    let store: OpportunityStore;
    let keys = 0;

    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    const create = (options: FixtureOptions = {}, key = `submission-${++keys}`): Promise<Opportunity> => {
      const record = newOpportunity(options);
      return store.create(record, submittedAudit(record), key);
    };

    /** Every record the filter matches, following cursors page by page. */
    async function everything(filter: OpportunityFilter, limit: number): Promise<Opportunity[][]> {
      const pages: Opportunity[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.query(filter, { limit, ...(cursor ? { cursor } : {}) });
        pages.push([...page.items]);
        cursor = page.nextCursor;
      } while (cursor && pages.length < 1_000);
      return pages;
    }
    const refs = (records: readonly Opportunity[]) => records.map((r) => r.reference);
    /** The latest reference first: the latest year, then the highest number (as numbers, not text). */
    const newestFirst = (records: readonly Opportunity[]) => {
      const place = (r: Opportunity) => r.reference.split('-').slice(1).map(Number) as [number, number];
      return [...records]
        .sort((a, b) => place(b)[0] - place(a)[0] || place(b)[1] - place(a)[1])
        .map((r) => r.reference);
    };

    describe('creating records', () => {
      it('gives each new record the next reference of its year, at version 1', async () => {
        const input = newOpportunity();
        const first = await store.create(input, submittedAudit(input), 'a');
        const second = await create();
        const third = await create();
        const { referenceYear: _year, ...kept } = input;
        assert.deepEqual(plain(first), plain({ ...kept, reference: 'MA-2026-0001', version: 1 }));
        assert.deepEqual([second.reference, third.reference], ['MA-2026-0002', 'MA-2026-0003']);
        assert.deepEqual(await store.get('MA-2026-0001'), first);
      });

      it('starts a new sequence each year, taking the year from the creation date', async () => {
        const a = await create({ at: '2026-12-31T10:00:00.000Z' });
        const b = await create({ at: '2027-01-04T10:00:00.000Z' });
        const c = await create({ at: '2026-12-31T11:00:00.000Z' });
        const d = await create({ at: '2027-01-05T10:00:00.000Z' });
        assert.deepEqual(refs([a, b, c, d]), [
          'MA-2026-0001',
          'MA-2027-0001',
          'MA-2026-0002',
          'MA-2027-0002',
        ]);
      });

      it("numbers a request in the department's year at submission: New Year's Eve evening is the old year, whatever UTC says", async () => {
        // 22:30 on December 31 in Toronto is 03:30 on January 1 in UTC; 00:30 there is the new year.
        const eve = await create({ at: '2027-01-01T03:30:00.000Z' });
        const newYear = await create({ at: '2027-01-01T05:30:00.000Z' });
        assert.deepEqual(refs([eve, newYear]), ['MA-2026-0001', 'MA-2027-0001']);
        assert.deepEqual(refs((await store.query({}, { limit: 10 })).items), [
          'MA-2027-0001',
          'MA-2026-0001',
        ]);
        const since = await store.query({ createdSince: '2027-01-01T05:00:00.000Z' }, { limit: 10 });
        assert.deepEqual(refs(since.items), ['MA-2027-0001']);
        // Created in UTC's new year, numbered in the old: a search by creation time still finds it.
        const utcNewYear = await store.query({ createdSince: '2027-01-01T00:00:00.000Z' }, { limit: 10 });
        assert.deepEqual(refs(utcNewYear.items), ['MA-2027-0001', 'MA-2026-0001']);
      });

      it('returns the first record when the same submission arrives twice', async () => {
        const first = await create({ title: 'First arrival' }, 'same-key');
        const again = await create({ title: 'Second arrival' }, 'same-key');
        assert.deepEqual(again, first);
        assert.equal((await store.get(first.reference))?.title, 'First arrival');
        assert.equal((await store.auditTrail(first.reference)).length, 1);
        assert.deepEqual(refs((await store.query({}, { limit: 100 })).items), [first.reference]);
        // The repeat used no number: the next submission takes the one after the first.
        assert.equal((await create()).reference, 'MA-2026-0002');
      });

      it('keeps one record when the same submission arrives twice at the same moment', async () => {
        const [a, b] = await Promise.all([
          create({ title: 'One arrival' }, 'same-moment'),
          create({ title: 'Another arrival' }, 'same-moment'),
        ]);
        assert.deepEqual(a, b);
        assert.deepEqual(refs((await store.query({}, { limit: 100 })).items), [a.reference]);
        assert.equal((await store.auditTrail(a.reference)).length, 1);
      });

      it('numbers records created at the same moment without gaps or duplicates', async () => {
        const made = await Promise.all(Array.from({ length: 8 }, (_, i) => create({}, `moment-${i}`)));
        assert.deepEqual(
          made.map((o) => o.reference).sort(),
          Array.from({ length: 8 }, (_, i) => `MA-2026-000${i + 1}`),
        );
      });

      it('writes the first audit entry with the new record', async () => {
        const record = await create();
        const trail = await store.auditTrail(record.reference);
        assert.equal(trail.length, 1);
        const [entry] = trail;
        assert.ok(entry && entry.id.length > 0);
        assert.deepEqual(
          plain({ ...entry, id: undefined }),
          plain({ ...submittedAudit(record), reference: record.reference }),
        );
      });

      it('knows nothing of a reference it never issued', async () => {
        await create();
        assert.equal(await store.get('MA-2026-0999'), undefined);
        assert.deepEqual(await store.auditTrail('MA-2026-0999'), []);
      });
    });

    describe('transitions', () => {
      it('replaces the record and appends its audit entry', async () => {
        const record = await create();
        const { next, audit } = step(record, 'vet_go', CHECKLIST, undefined, '2026-03-03T09:00:00.000Z');
        const saved = await store.transition(next, 1, audit);
        assert.deepEqual(plain(saved), plain(next));
        assert.deepEqual(await store.get(record.reference), saved);
        const trail = await store.auditTrail(record.reference);
        assert.deepEqual(
          trail.map((e) => [e.action, e.from, e.to]),
          [
            ['submit', undefined, 'submitted'],
            ['vet_go', 'submitted', 'in_approval'],
          ],
        );
      });

      it("refuses a transition from a stale version and keeps the winner's record", async () => {
        const record = await create();
        const winner = step(record, 'request_edits', { comment: 'Winner: add a budget line.' });
        const loser = step(record, 'vet_no_go', { reason: 'Loser: out of scope.' });
        const saved = await store.transition(winner.next, 1, winner.audit);
        await assert.rejects(store.transition(loser.next, 1, loser.audit), (err: unknown) => {
          assert.ok(err instanceof ConcurrencyError);
          assert.equal(err.reference, record.reference);
          assert.equal(err.expectedVersion, 1);
          assert.equal(err.actualVersion, 2);
          return true;
        });
        assert.deepEqual(await store.get(record.reference), saved);
        assert.equal(saved.status, 'changes_requested');
      });

      it('writes the audit entry with the transition, or neither', async () => {
        const record = await create();
        const first = step(record, 'vet_go');
        await store.transition(first.next, 1, first.audit);
        const stale = step(record, 'request_edits', { comment: 'Too late.' });
        await assert.rejects(store.transition(stale.next, 1, stale.audit), ConcurrencyError);
        const trail = await store.auditTrail(record.reference);
        assert.deepEqual(
          trail.map((e) => e.action),
          ['submit', 'vet_go'],
        );
        assert.equal(
          trail.some((e) => e.comment === 'Too late.'),
          false,
        );
      });

      it('refuses a next version that does not follow the expected one, writing nothing', async () => {
        const record = await create();
        const { next, audit } = step(record, 'vet_go');
        await assert.rejects(store.transition({ ...next, version: 3 }, 1, audit));
        await assert.rejects(store.transition(next, 2, audit));
        assert.deepEqual(await store.get(record.reference), record);
        assert.equal((await store.auditTrail(record.reference)).length, 1);
      });

      it('refuses a transition of a record that does not exist', async () => {
        const record = await create();
        const { next, audit } = step(record, 'vet_go');
        const ghost = { ...next, reference: 'MA-2026-0777' };
        await assert.rejects(store.transition(ghost, 1, audit), (err: unknown) => {
          assert.ok(err instanceof ConcurrencyError);
          assert.equal(err.actualVersion, undefined);
          return true;
        });
        assert.equal(await store.get('MA-2026-0777'), undefined);
      });

      it("keeps a change's events as its pending notification until they are settled", async () => {
        const record = await create();
        assert.deepEqual(await store.pendingNotifications(10), []);
        const { next, audit } = step(record, 'vet_go', CHECKLIST, undefined, '2026-03-03T09:00:00.000Z');
        const events = [
          {
            type: 'vetted' as const,
            reference: record.reference,
            at: audit.at,
            actor: audit.actor,
            from: 'submitted' as const,
            to: 'in_approval' as const,
            comment: 'Ça va « bien »',
          },
        ];
        await store.transition(next, 1, audit, events);
        assert.deepEqual(await store.pendingNotifications(10), [
          { reference: record.reference, version: 2, events, at: audit.at },
        ]);
        await store.settleNotification(record.reference, 2);
        assert.deepEqual(await store.pendingNotifications(10), []);
      });

      it('keeps no pending notification for a transition that was refused', async () => {
        const record = await create();
        const first = step(record, 'vet_go');
        await store.transition(first.next, 1, first.audit);
        const stale = step(record, 'request_edits', { comment: 'Too late.' });
        const event = {
          type: 'edits_requested' as const,
          reference: record.reference,
          at: stale.audit.at,
          actor: stale.audit.actor,
          from: 'submitted' as const,
          to: 'changes_requested' as const,
        };
        await assert.rejects(store.transition(stale.next, 1, stale.audit, [event]), ConcurrencyError);
        assert.deepEqual(await store.pendingNotifications(10), []);
      });

      it('lets exactly one of 20 concurrent transitions from the same version win', async () => {
        const record = await create();
        const attempts = Array.from({ length: 20 }, (_, i) =>
          step(record, 'request_edits', { comment: `Attempt ${i}` }),
        );
        const results = await Promise.allSettled(attempts.map((a) => store.transition(a.next, 1, a.audit)));
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        assert.equal(won.length, 1);
        assert.equal(lost.length, 19);
        for (const r of lost) assert.ok(r.reason instanceof ConcurrencyError, String(r.reason));
        const stored = await store.get(record.reference);
        assert.deepEqual(stored, won[0]?.value);
        const trail = await store.auditTrail(record.reference);
        assert.equal(trail.length, 2);
        assert.equal(trail[1]?.comment, stored?.decisionNote);
      });

      it('carries a record through successive versions', async () => {
        let record = await create();
        for (const [action, payload, by] of [
          ['vet_go', CHECKLIST, PROCUREMENT],
          ['confirm_translation', TRANSLATION, PROCUREMENT],
          ['approve_funds', { fundReservationNumber: 'FR-1' }, actor('finance-1', 'Finance', 'finance')],
        ] as const) {
          const { next, audit } = step(record, action, payload, by);
          record = await store.transition(next, record.version, audit);
        }
        assert.equal(record.version, 4);
        assert.deepEqual(await store.get(record.reference), record);
        assert.equal((await store.auditTrail(record.reference)).length, 4);
      });
    });

    describe('audit trail', () => {
      it('appends entries on their own, oldest first', async () => {
        const record = await create();
        const refused: NewAuditEntry = {
          at: '2026-03-02T15:00:00.000Z',
          actor: { aadObjectId: 'someone', name: 'Someone' },
          action: 'approve_funds',
          outcome: 'refused',
          reason: 'role',
        };
        const noted: NewAuditEntry = {
          ...refused,
          at: '2026-03-02T16:00:00.000Z',
          reason: 'guard',
          comment: 'Tried again.',
        };
        const a = await store.appendAudit(record.reference, refused);
        const b = await store.appendAudit(record.reference, noted);
        assert.deepEqual(plain({ ...a, id: undefined }), plain({ ...refused, reference: record.reference }));
        assert.notEqual(a.id, b.id);
        const trail = await store.auditTrail(record.reference);
        assert.deepEqual(trail.slice(1), [a, b]);
        assert.equal(new Set(trail.map((e) => e.id)).size, 3);
      });

      it('keeps the colleague a delegate acted for on the entry of their decision', async () => {
        const record = await create();
        const { next, audit } = step(record, 'vet_go');
        const forWhom = { aadObjectId: 'aad-on-leave', name: 'Farah Haddad' };
        await store.transition(next, 1, { ...audit, actor: { ...audit.actor, onBehalfOf: forWhom } });
        const trail = await store.auditTrail(record.reference);
        assert.deepEqual(trail.at(-1)?.actor.onBehalfOf, forWhom);
        // Entries of people acting for themselves name nobody.
        assert.equal(trail[0]?.actor.onBehalfOf, undefined);
      });

      it("keeps each record's trail apart", async () => {
        const one = await create();
        const two = await create();
        const { next, audit } = step(two, 'vet_go');
        await store.transition(next, 1, audit);
        assert.equal((await store.auditTrail(one.reference)).length, 1);
        assert.ok((await store.auditTrail(two.reference)).every((e) => e.reference === two.reference));
      });

      it('refuses an audit entry for a record that does not exist', async () => {
        const record = await create();
        await assert.rejects(store.appendAudit('MA-2026-0555', submittedAudit(record)));
        assert.deepEqual(await store.auditTrail('MA-2026-0555'), []);
      });
    });

    describe('queries', () => {
      it('pages through every record exactly once, the latest reference first', async () => {
        const times = [
          '2026-03-05T10:00:00.000Z',
          '2026-01-15T10:00:00.000Z',
          '2026-03-05T10:00:00.000Z',
          '2025-11-20T10:00:00.000Z',
          '2026-02-01T10:00:00.000Z',
          '2026-03-05T10:00:00.000Z',
          '2026-02-28T23:59:59.999Z',
          '2026-01-15T10:00:00.001Z',
          '2026-04-01T08:00:00.000Z',
          '2025-12-31T10:00:00.000Z',
        ];
        const created: Opportunity[] = [];
        for (const at of times) created.push(await create({ at }));
        const pages = await everything({}, 3);
        assert.deepEqual(
          pages.map((p) => p.length),
          [3, 3, 3, 1],
        );
        const seen = refs(pages.flat());
        assert.deepEqual(seen, newestFirst(created));
        assert.equal(new Set(seen).size, created.length);
      });

      it('ends without a cursor when the last page is exactly full', async () => {
        for (let i = 0; i < 4; i++) await create({ at: `2026-03-0${i + 1}T10:00:00.000Z` });
        const pages = await everything({}, 2);
        assert.deepEqual(
          pages.map((p) => p.length),
          [2, 2],
        );
        const empty = await store.query({}, { limit: 10 });
        assert.equal(empty.items.length, 4);
        assert.equal(empty.nextCursor, undefined);
      });

      it('keeps its place when newer records arrive between pages', async () => {
        for (let i = 1; i <= 4; i++) await create({ at: `2026-03-0${i}T10:00:00.000Z` });
        const first = await store.query({}, { limit: 2 });
        await create({ at: '2026-03-09T10:00:00.000Z' });
        assert.ok(first.nextCursor);
        const second = await store.query({}, { limit: 2, cursor: first.nextCursor });
        assert.deepEqual(refs([...first.items, ...second.items]), [
          'MA-2026-0004',
          'MA-2026-0003',
          'MA-2026-0002',
          'MA-2026-0001',
        ]);
        assert.equal(second.nextCursor, undefined);
      });

      it('keeps the page size between 1 and 100', async () => {
        for (let i = 0; i < 101; i++) await create();
        const tiny = await store.query({}, { limit: 0 });
        assert.equal(tiny.items.length, 1);
        assert.equal((await store.query({}, { limit: -5 })).items.length, 1);
        const huge = await store.query({}, { limit: 1_000 });
        assert.equal(huge.items.length, 100);
        assert.ok(huge.nextCursor);
        const rest = await store.query({}, { limit: 1_000, cursor: huge.nextCursor });
        assert.equal(rest.items.length, 1);
        assert.equal(rest.nextCursor, undefined);
      });

      it('filters by status, requester, branch and creation date', async () => {
        const alice = actor('alice');
        const bob = actor('bob');
        const a = await create({ at: '2026-01-10T10:00:00.000Z', requester: alice, branch: 'Policy' });
        const bRecord = await create({ at: '2026-02-10T10:00:00.000Z', requester: bob, branch: 'Policy' });
        const c = await create({ at: '2026-05-10T10:00:00.000Z', requester: alice, branch: 'Service' });
        const d = await create({ at: '2026-07-10T10:00:00.000Z', requester: bob, branch: 'Service' });
        const e = await create({ at: '2025-12-01T10:00:00.000Z', requester: alice, branch: 'Policy' });
        const edits = step(bRecord, 'request_edits', { comment: 'Split the deliverables.' });
        await store.transition(edits.next, 1, edits.audit);
        const vetted = step(c, 'vet_go');
        await store.transition(vetted.next, 1, vetted.audit);

        const matching = async (filter: OpportunityFilter) => refs((await everything(filter, 2)).flat());
        assert.deepEqual(await matching({ statuses: ['submitted'] }), refs([d, a, e]));
        assert.deepEqual(
          await matching({ statuses: ['changes_requested', 'in_approval'] }),
          refs([c, bRecord]),
        );
        assert.deepEqual(await matching({ requesterId: 'alice' }), refs([c, a, e]));
        assert.deepEqual(await matching({ branch: 'Service' }), refs([d, c]));
        assert.deepEqual(await matching({ createdSince: '2026-02-10T10:00:00.000Z' }), refs([d, c, bRecord]));
        assert.deepEqual(
          await matching({
            requesterId: 'alice',
            branch: 'Policy',
            createdSince: '2026-01-01T00:00:00.000Z',
          }),
          refs([a]),
        );
        assert.deepEqual(await matching({ statuses: ['paid'] }), []);
        assert.deepEqual(await matching({ requesterId: 'nobody' }), []);
        // Filtered results come back as the current version.
        const [changed] = (await store.query({ statuses: ['changes_requested'] }, { limit: 10 })).items;
        assert.equal(changed?.version, 2);
      });

      it('matches nothing for an empty status list', async () => {
        await create();
        const page = await store.query({ statuses: [] }, { limit: 10 });
        assert.deepEqual(page.items, []);
        assert.equal(page.nextCursor, undefined);
      });

      it('rejects a cursor it did not issue', async () => {
        await create();
        await assert.rejects(store.query({}, { limit: 10, cursor: 'not-a-cursor' }));
      });

      it('finds records by words of the title, description, branch or skills, accents and case aside', async () => {
        const picker = await create({ title: 'Zebra timetable widget', at: '2026-03-01T10:00:00.000Z' });
        const payroll = await create({
          title: 'Ledger export',
          branch: 'Développement économique',
          at: '2026-03-02T10:00:00.000Z',
          content: { requiredSkills: ['PostgreSQL', 'C#'] },
        });
        const found = async (text: string, filter: OpportunityFilter = {}) =>
          refs((await everything({ ...filter, text }, 2)).flat());
        assert.deepEqual(await found('zebra TIMETABLE'), refs([picker]));
        assert.deepEqual(await found('zeb'), refs([picker]));
        assert.deepEqual(await found('developpement'), refs([payroll]));
        assert.deepEqual(await found('postgres'), refs([payroll]));
        assert.deepEqual(await found('ledger zebra'), []);
        assert.deepEqual(await found('ledger', { requesterId: 'nobody' }), []);
      });

      it('finds a record by its new words once they change, and still after other changes', async () => {
        const record = await create({ title: 'Zebra timetable widget' });
        const edits = step(record, 'request_edits', { comment: 'Rename it.' });
        const sent = await store.transition(edits.next, 1, edits.audit);
        const renamed = step(
          sent,
          'resubmit',
          { content: { ...contentAt(NOW), title: 'Okapi calendar widget' } },
          actor(record.requester.aadObjectId),
        );
        const again = await store.transition(renamed.next, 2, renamed.audit);
        const found = async (text: string) => refs((await everything({ text }, 2)).flat());
        assert.deepEqual(await found('okapi'), refs([again]));
        assert.deepEqual(await found('zebra'), []);
        const vetted = step(again, 'vet_go');
        await store.transition(vetted.next, 3, vetted.audit);
        assert.deepEqual(await found('okapi calendar'), refs([again]));
      });

      it('pages through search results, each once, most recent first', async () => {
        const made: Opportunity[] = [];
        for (let i = 1; i <= 5; i++)
          made.push(await create({ title: `Quokka survey ${i}`, at: `2026-03-0${i}T10:00:00.000Z` }));
        await create({ title: 'Unrelated work' });
        const pages = await everything({ text: 'quokka' }, 2);
        assert.deepEqual(
          pages.map((p) => p.length),
          [2, 2, 1],
        );
        assert.deepEqual(refs(pages.flat()), refs([...made].reverse()));
      });

      it('treats search text as words only: quotes, operators and wildcards match literally or not at all', async () => {
        const record = await create({ title: "O'Brien's 100% data* export" });
        const found = async (text: string) => refs((await store.query({ text }, { limit: 10 })).items);
        assert.deepEqual(await found("o'brien"), refs([record]));
        assert.deepEqual(await found('"data" OR export'), []);
        assert.deepEqual(await found('100% data*'), refs([record]));
        assert.deepEqual(await found(`NEAR(x y) ${'z'.repeat(10_000)}`), []);
        assert.deepEqual(await found('*** ?!'), []);
      });
    });

    describeLookbackRows(() => store);

    describe('drafts', () => {
      const draft = (ownerId: string, id: string, updatedAt: string, data: Record<string, unknown> = {}) => ({
        ownerId,
        id,
        step: 'title',
        data,
        updatedAt,
      });

      it("keeps drafts per person, newest first, and never shows one person's draft to another", async () => {
        await store.saveDraft(draft('alice', 'd1', '2026-03-02T10:00:00.000Z', { title: 'Alice one' }));
        await store.saveDraft(draft('alice', 'd2', '2026-03-02T11:00:00.000Z', { title: 'Alice two' }));
        await store.saveDraft(draft('bob', 'd1', '2026-03-02T12:00:00.000Z', { title: 'Bob one' }));

        const ids = async (owner: string) =>
          (await store.listDrafts(owner)).map((d) => `${d.ownerId}/${d.id}`);
        assert.deepEqual(await ids('alice'), ['alice/d2', 'alice/d1']);
        assert.deepEqual(await ids('bob'), ['bob/d1']);
        assert.deepEqual(await ids('carol'), []);
        assert.equal((await store.getDraft('alice', 'd1'))?.data['title'], 'Alice one');
        assert.equal((await store.getDraft('bob', 'd1'))?.data['title'], 'Bob one');
        assert.equal(await store.getDraft('bob', 'd2'), undefined);

        await store.saveDraft(
          draft('alice', 'd1', '2026-03-02T13:00:00.000Z', { title: 'Alice one, edited' }),
        );
        assert.deepEqual(await ids('alice'), ['alice/d1', 'alice/d2']);
        assert.equal((await store.getDraft('bob', 'd1'))?.data['title'], 'Bob one');
      });

      it('numbers draft versions from 1 upward and returns what it stored', async () => {
        const input = draft('alice', 'd1', NOW, { title: 'T', skills: ['a', 'b'], nested: { n: 1 } });
        const first = await store.saveDraft(input);
        assert.deepEqual(first, { ...input, version: 1 });
        assert.equal((await store.saveDraft(input)).version, 2);
        const third = await store.saveDraft({ ...input, step: 'pricing' }, 2);
        assert.equal(third.version, 3);
        assert.deepEqual(await store.getDraft('alice', 'd1'), third);
      });

      it('refuses a draft save from a stale version', async () => {
        const input = draft('alice', 'd1', NOW, { title: 'Kept' });
        await store.saveDraft(input);
        await store.saveDraft(input, 1);
        await assert.rejects(store.saveDraft({ ...input, data: { title: 'Lost' } }, 1), (err: unknown) => {
          assert.ok(err instanceof ConcurrencyError);
          assert.equal(err.reference, 'd1');
          assert.equal(err.expectedVersion, 1);
          assert.equal(err.actualVersion, 2);
          return true;
        });
        const stored = await store.getDraft('alice', 'd1');
        assert.equal(stored?.version, 2);
        assert.equal(stored?.data['title'], 'Kept');
        await assert.rejects(store.saveDraft(draft('alice', 'missing', NOW), 1), ConcurrencyError);
        assert.equal(await store.getDraft('alice', 'missing'), undefined);
      });

      it('deletes a draft only for its owner', async () => {
        await store.saveDraft(draft('alice', 'd1', NOW));
        assert.equal(await store.deleteDraft('bob', 'd1'), false);
        assert.ok(await store.getDraft('alice', 'd1'));
        assert.equal(await store.deleteDraft('alice', 'd1'), true);
        assert.equal(await store.getDraft('alice', 'd1'), undefined);
        assert.equal(await store.deleteDraft('alice', 'd1'), false);
      });
    });

    describe('conversations', () => {
      it('stores, replaces and forgets conversation references', async () => {
        const reference = {
          conversation: { id: 'a:1', tenantId: 't' },
          serviceUrl: 'https://smba.trafficmanager.net/amer/',
          user: { id: '29:1', aadObjectId: 'alice' },
        };
        assert.equal(await store.getConversation('alice'), undefined);
        await store.saveConversation('alice', reference);
        assert.deepEqual(await store.getConversation('alice'), reference);
        const moved = { ...reference, serviceUrl: 'https://smba.trafficmanager.net/emea/' };
        await store.saveConversation('alice', moved);
        assert.deepEqual(await store.getConversation('alice'), moved);
        assert.equal(await store.getConversation('bob'), undefined);
        assert.equal(await store.deleteConversation('alice'), true);
        assert.equal(await store.getConversation('alice'), undefined);
        assert.equal(await store.deleteConversation('alice'), false);
      });

      it('lists the people it can reach in a personal chat, by name, and nobody else', async () => {
        const personal = (id: string, name?: string) => ({
          conversation: { id: `a:${id}`, conversationType: 'personal' },
          user: { id: `29:${id}`, aadObjectId: id, ...(name ? { name } : {}) },
        });
        await store.saveConversation('user:c', personal('c', 'Chloé Gagné'));
        await store.saveConversation('user:a', personal('a', 'alex Martin'));
        await store.saveConversation('user:b', personal('b'));
        await store.saveConversation('user:d', { conversation: { id: 'a:d' }, user: { id: '29:d' } });
        await store.saveConversation('conversation:19:x', personal('x', 'A channel, not a person'));
        assert.deepEqual(await store.peopleInChat(10), [
          { aadObjectId: 'a', name: 'alex Martin' },
          { aadObjectId: 'c', name: 'Chloé Gagné' },
          // Someone whose chat names nobody is listed by id, last, rather than left out.
          { aadObjectId: 'b', name: 'b' },
        ]);
        assert.equal((await store.peopleInChat(2)).length, 2);
      });
    });

    describe('preferences', () => {
      it('has no preferences for someone who never chose any', async () => {
        assert.deepEqual(await store.getPreferences('alice'), {});
      });

      it('returns the saved locale, and what it stored', async () => {
        assert.deepEqual(await store.savePreferences('alice', { locale: 'fr' }), { locale: 'fr' });
        assert.deepEqual(await store.getPreferences('alice'), { locale: 'fr' });
      });

      it('replaces the preferences on a second save', async () => {
        await store.savePreferences('alice', { locale: 'fr' });
        assert.deepEqual(await store.savePreferences('alice', { locale: 'en' }), { locale: 'en' });
        assert.deepEqual(await store.getPreferences('alice'), { locale: 'en' });
      });

      it('forgets a cleared locale, so the person follows Teams again', async () => {
        await store.savePreferences('alice', { locale: 'fr' });
        assert.deepEqual(await store.savePreferences('alice', {}), {});
        assert.deepEqual(await store.getPreferences('alice'), {});
        await store.savePreferences('alice', { locale: 'fr' });
        assert.deepEqual(await store.savePreferences('alice', { locale: undefined }), {});
        assert.deepEqual(await store.getPreferences('alice'), {});
      });

      it("never shows one person's preferences to another", async () => {
        await store.savePreferences('alice', { locale: 'fr' });
        await store.savePreferences('bob', { locale: 'en' });
        assert.deepEqual(await store.getPreferences('alice'), { locale: 'fr' });
        assert.deepEqual(await store.getPreferences('bob'), { locale: 'en' });
        assert.deepEqual(await store.getPreferences('carol'), {});
        await store.savePreferences('bob', {});
        assert.deepEqual(await store.getPreferences('alice'), { locale: 'fr' });
      });

      it('rejects a missing person or an unknown setting with RangeError, writing nothing', async () => {
        await store.savePreferences('alice', { locale: 'fr' });
        await assert.rejects(store.getPreferences(''), RangeError);
        await assert.rejects(store.savePreferences('', { locale: 'en' }), RangeError);
        await assert.rejects(store.savePreferences('  ', { locale: 'en' }), RangeError);
        const invalid: unknown[] = [
          { locale: 'de' },
          { locale: 'EN' },
          { locale: 1 },
          { colour: 'blue' },
          null,
        ];
        for (const preferences of invalid) {
          await assert.rejects(
            store.savePreferences('alice', preferences as Preferences),
            RangeError,
            JSON.stringify(preferences),
          );
        }
        assert.deepEqual(await store.getPreferences('alice'), { locale: 'fr' });
      });
    });

    describe('delegations', () => {
      const farah = { aadObjectId: 'aad-farah', name: 'Farah Haddad' };
      const marc = { aadObjectId: 'aad-marc', name: 'Marc Gagnon' };
      const dana = { aadObjectId: 'aad-dana', name: 'Dana Cho' };
      const sam = { aadObjectId: 'aad-sam', name: 'Sam Finance' };
      const minutes = (n: number) => new Date(Date.parse(NOW) + n * 60_000).toISOString();
      const named = (id: string, overrides: Partial<Delegation> = {}): Delegation => ({
        id,
        delegator: farah,
        delegate: sam,
        until: '2026-03-20',
        createdAt: NOW,
        ...overrides,
      });
      const ids = (list: readonly Delegation[]) => list.map((d) => d.id);

      it('keeps a delegation and gives it back to the delegate and the delegator', async () => {
        const d = named('d-1');
        assert.deepEqual(await store.saveDelegation(d), d);
        assert.deepEqual(await store.delegationsTo(sam.aadObjectId, '2026-03-02'), [d]);
        assert.deepEqual(await store.delegationsBy(farah.aadObjectId), [d]);
        assert.deepEqual(await store.delegationsTo(farah.aadObjectId, '2026-03-02'), []);
        assert.deepEqual(await store.delegationsBy(sam.aadObjectId), []);
      });

      it('holds a delegation to the end of its last day, and not the day after', async () => {
        await store.saveDelegation(named('d-1', { until: '2026-03-20' }));
        assert.deepEqual(ids(await store.delegationsTo(sam.aadObjectId, '2026-03-20')), ['d-1']);
        assert.deepEqual(await store.delegationsTo(sam.aadObjectId, '2026-03-21'), []);
        // Lapsed, it is still the delegator's to read.
        assert.deepEqual(ids(await store.delegationsBy(farah.aadObjectId)), ['d-1']);
      });

      it('ends the running delegation when its delegator names another, keeping it', async () => {
        await store.saveDelegation(named('d-1'));
        const next = named('d-2', { delegate: dana, createdAt: minutes(5) });
        await store.saveDelegation(next);
        assert.deepEqual(await store.delegationsTo(sam.aadObjectId, '2026-03-02'), []);
        assert.deepEqual(await store.delegationsTo(dana.aadObjectId, '2026-03-02'), [next]);
        const [running, ended] = await store.delegationsBy(farah.aadObjectId);
        assert.deepEqual(running, next);
        assert.deepEqual(ended, { ...named('d-1'), endedAt: minutes(5), endedBy: farah });
      });

      it('lets several people name the same delegate, each ending only their own', async () => {
        await store.saveDelegation(named('d-1'));
        await store.saveDelegation(named('d-2', { delegator: marc, until: '2026-04-01' }));
        assert.deepEqual(ids(await store.delegationsTo(sam.aadObjectId, '2026-03-02')), ['d-1', 'd-2']);
        await store.saveDelegation(named('d-3', { delegator: marc, delegate: dana }));
        assert.deepEqual(ids(await store.delegationsTo(sam.aadObjectId, '2026-03-02')), ['d-1']);
        assert.deepEqual(ids(await store.delegationsBy(farah.aadObjectId)), ['d-1']);
      });

      it('ends a delegation once, and says whether it did', async () => {
        await store.saveDelegation(named('d-1'));
        assert.equal(await store.endDelegation('d-1', farah, minutes(30)), true);
        assert.equal(await store.endDelegation('d-1', marc, minutes(40)), false);
        assert.equal(await store.endDelegation('nowhere', farah, minutes(40)), false);
        assert.deepEqual(await store.delegationsTo(sam.aadObjectId, '2026-03-02'), []);
        assert.deepEqual(await store.delegationsBy(farah.aadObjectId), [
          { ...named('d-1'), endedAt: minutes(30), endedBy: farah },
        ]);
        // Ended, the delegator may name someone again.
        await store.saveDelegation(named('d-2', { createdAt: minutes(50) }));
        assert.deepEqual(ids(await store.delegationsBy(farah.aadObjectId)), ['d-2', 'd-1']);
      });

      it('keeps the first delegation saved under an id, whatever comes again under it', async () => {
        const first = named('d-1');
        await store.saveDelegation(first);
        assert.deepEqual(await store.saveDelegation(named('d-1', { delegate: dana })), first);
        assert.deepEqual(await store.delegationsBy(farah.aadObjectId), [first]);
      });

      it('finds a person whatever the case of their id', async () => {
        await store.saveDelegation(
          named('d-1', {
            delegator: { ...farah, aadObjectId: 'AAD-Farah' },
            delegate: { ...sam, aadObjectId: 'Aad-SAM' },
          }),
        );
        assert.deepEqual(ids(await store.delegationsTo('aad-sam', '2026-03-02')), ['d-1']);
        assert.deepEqual(ids(await store.delegationsBy('AAD-FARAH')), ['d-1']);
        await store.saveDelegation(named('d-2', { createdAt: minutes(1) }));
        assert.deepEqual(ids(await store.delegationsTo('AAD-SAM', '2026-03-02')), ['d-2']);
      });

      it('lists at most 50 of a delegator’s delegations, the running one first, then the newest', async () => {
        for (let i = 1; i <= 55; i++) {
          await store.saveDelegation(named(`d-${i}`, { createdAt: minutes(i) }));
          if (i === 30) await store.endDelegation('d-30', farah, minutes(30));
        }
        const listed = ids(await store.delegationsBy(farah.aadObjectId));
        assert.equal(listed.length, 50);
        assert.deepEqual(listed.slice(0, 3), ['d-55', 'd-54', 'd-53']);
        assert.equal(listed.at(-1), 'd-6');
      });

      it('rejects what is not a running delegation with RangeError, writing nothing', async () => {
        const invalid: unknown[] = [
          named(''),
          named('d-x', { until: '2026-02-30' }),
          named('d-x', { until: '20 March 2026' }),
          named('d-x', { createdAt: 'yesterday' }),
          named('d-x', { delegate: { aadObjectId: '', name: 'Nobody' } }),
          named('d-x', { endedAt: minutes(1), endedBy: farah }),
          null,
        ];
        for (const d of invalid) {
          await assert.rejects(store.saveDelegation(d as Delegation), RangeError, JSON.stringify(d));
        }
        assert.deepEqual(await store.delegationsBy(farah.aadObjectId), []);
        await assert.rejects(store.delegationsTo('', '2026-03-02'), RangeError);
        await assert.rejects(store.delegationsTo(sam.aadObjectId, 'today'), RangeError);
        await assert.rejects(store.delegationsBy(''), RangeError);
        await assert.rejects(store.endDelegation('d-1', farah, 'now'), RangeError);
        await assert.rejects(store.endDelegation('', farah, minutes(1)), RangeError);
      });
    });

    describe('handled activities', () => {
      const at = (seconds: number) => new Date(Date.parse(NOW) + seconds * 1_000).toISOString();
      const key = 'msteams|a:chat-1|f:activity-1';
      const response = { status: 200, body: { statusCode: 200, type: 'x', value: { text: 'Déjà fait' } } };

      it('recalls the first answer to an activity, whatever is remembered for it later', async () => {
        assert.equal(await store.recallActivity(key), undefined);
        await store.rememberActivity({ key, response, at: NOW });
        await store.rememberActivity({ key, response: { status: 500 }, at: NOW });
        assert.deepEqual(await store.recallActivity(key), { key, response, at: NOW });
      });

      it('remembers a message that had no invoke response', async () => {
        await store.rememberActivity({ key, at: NOW });
        assert.deepEqual(await store.recallActivity(key), { key, at: NOW });
      });

      it('forgets only activities answered before the given moment', async () => {
        await store.rememberActivity({ key: 'old', at: '2026-03-01T00:00:00.000Z' });
        await store.rememberActivity({ key: 'new', at: NOW });
        assert.equal(await store.forgetActivities('2026-03-02T00:00:00.000Z'), 1);
        assert.equal(await store.recallActivity('old'), undefined);
        assert.ok(await store.recallActivity('new'));
      });

      it('refuses an empty key with RangeError', async () => {
        await assert.rejects(store.rememberActivity({ key: '', at: NOW }), RangeError);
      });

      it('lets one replica claim an activity and tells the others it runs until the claim passes', async () => {
        assert.deepEqual(await store.claimActivity(key, NOW, at(30)), { kind: 'claimed' });
        assert.deepEqual(await store.claimActivity(key, at(10), at(40)), { kind: 'running', until: at(30) });
        assert.deepEqual(await store.claimActivity(key, at(29), at(59)), { kind: 'running', until: at(30) });
      });

      it('recalls no answer while a claim runs', async () => {
        await store.claimActivity(key, NOW, at(30));
        assert.equal(await store.recallActivity(key), undefined);
      });

      it('hands a claim whose time has passed to the next claimant, until its own time passes', async () => {
        await store.claimActivity(key, NOW, at(30));
        assert.deepEqual(await store.claimActivity(key, at(31), at(61)), { kind: 'claimed' });
        assert.deepEqual(await store.claimActivity(key, at(40), at(70)), { kind: 'running', until: at(61) });
      });

      it('gives the answer that ended a claim to every later claim, and keeps the first answer', async () => {
        assert.deepEqual(await store.claimActivity(key, NOW, at(30)), { kind: 'claimed' });
        await store.rememberActivity({ key, response, at: at(5) });
        const first = { key, response, at: at(5) };
        assert.deepEqual(await store.recallActivity(key), first);
        assert.deepEqual(await store.claimActivity(key, at(6), at(36)), {
          kind: 'answered',
          activity: first,
        });
        await store.rememberActivity({ key, response: { status: 500 }, at: at(7) });
        // Long after the claim would have passed, the answer still stands.
        assert.deepEqual(await store.claimActivity(key, at(3_600), at(3_630)), {
          kind: 'answered',
          activity: first,
        });
      });

      it('answers a claim for an activity answered without one', async () => {
        await store.rememberActivity({ key, at: NOW });
        assert.deepEqual(await store.claimActivity(key, at(1), at(31)), {
          kind: 'answered',
          activity: { key, at: NOW },
        });
      });

      it('forgets answers given before the moment and claims that passed before it, keeping the rest', async () => {
        await store.rememberActivity({ key: 'answered-long-ago', at: '2026-03-01T00:00:00.000Z' });
        await store.claimActivity('given-up', '2026-03-01T00:00:00.000Z', '2026-03-01T00:01:00.000Z');
        await store.claimActivity('still-running', '2026-03-01T23:59:00.000Z', at(30));
        await store.rememberActivity({ key: 'answered-today', at: NOW });
        assert.equal(await store.forgetActivities('2026-03-02T00:00:00.000Z'), 2);
        assert.equal(await store.recallActivity('answered-long-ago'), undefined);
        assert.deepEqual(await store.claimActivity('still-running', NOW, at(60)), {
          kind: 'running',
          until: at(30),
        });
        assert.ok(await store.recallActivity('answered-today'));
      });

      it('refuses a claim without a key or with a time that is not one, with RangeError', async () => {
        await assert.rejects(store.claimActivity('', NOW, at(30)), RangeError);
        await assert.rejects(store.claimActivity(key, 'now', at(30)), RangeError);
        await assert.rejects(store.claimActivity(key, NOW, 'later'), RangeError);
        assert.deepEqual(await store.claimActivity(key, NOW, at(30)), { kind: 'claimed' });
      });
    });

    describe('outbox', () => {
      const at = (seconds: number) => new Date(Date.parse(NOW) + seconds * 1_000).toISOString();
      const message = (id: string, overrides: Partial<NewOutboxMessage> = {}): NewOutboxMessage => ({
        id,
        conversationKey: 'channel:finance',
        kind: 'post',
        activity: { type: 'message', text: `Text of ${id}` },
        createdAt: NOW,
        ...overrides,
      });
      const due = async (now: string, limit = 100) => (await store.dueMessages(now, limit)).map((m) => m.id);

      it('queues a message once, pending and due at once, and refuses the same id again', async () => {
        const input = message('post:MA-2026-0001:finance:v1', {
          messageKey: 'card:MA-2026-0001:finance',
          activity: { type: 'message', attachments: [{ contentType: 'x', content: { body: [1, 'é'] } }] },
        });
        assert.equal(await store.enqueue(input), true);
        const [queued, ...rest] = await store.dueMessages(NOW, 10);
        assert.deepEqual(rest, []);
        assert.deepEqual(queued, { ...input, attempts: 0, notBefore: NOW, state: 'pending' });

        assert.equal(await store.enqueue({ ...input, activity: { type: 'message', text: 'Second' } }), false);
        assert.deepEqual(await store.dueMessages(NOW, 10), [queued]);
        assert.deepEqual(await store.outboxCounts(), { pending: 1, dead: 0 });
      });

      it('refuses an id already sent or given up, so an update is never sent twice', async () => {
        await store.enqueue(message('a'));
        await store.enqueue(message('b'));
        await store.markSent('a');
        await store.markDead('b', 'gone');
        assert.equal(await store.enqueue(message('a')), false);
        assert.equal(await store.enqueue(message('b')), false);
        assert.deepEqual(await due(at(3_600)), []);
      });

      it('gives due messages oldest first, by creation time then the order queued, and respects the limit', async () => {
        await store.enqueue(message('c', { createdAt: at(2) }));
        await store.enqueue(message('b', { createdAt: at(1), conversationKey: 'user:alice' }));
        await store.enqueue(message('z2', { createdAt: at(2), conversationKey: 'user:bob' }));
        await store.enqueue(message('a1', { createdAt: at(2), conversationKey: 'user:carol' }));
        await store.enqueue(message('later', { createdAt: at(60) }));
        assert.deepEqual(await due(at(59)), ['b', 'c', 'z2', 'a1']);
        assert.deepEqual(await due(at(60)), ['b', 'c', 'z2', 'a1', 'later']);
        assert.deepEqual(await due(at(60), 2), ['b', 'c']);
        assert.deepEqual(await due(at(0)), []);
      });

      it('orders by the instant whatever offset the creation time was written with', async () => {
        await store.enqueue(
          message('paris', { createdAt: '2026-03-02T15:00:00.000+01:00', conversationKey: 'x' }),
        );
        await store.enqueue(message('utc', { createdAt: '2026-03-02T14:30:00.000Z', conversationKey: 'y' }));
        assert.deepEqual(await due(at(3_600)), ['paris', 'utc']);
        assert.equal((await store.dueMessages(at(3_600), 1))[0]?.createdAt, NOW);
      });

      it('caps the messages of one conversation in a batch, so the others are not crowded out', async () => {
        for (let i = 1; i <= 5; i++) await store.enqueue(message(`busy-${i}`, { createdAt: at(i) }));
        await store.enqueue(message('quiet', { createdAt: at(10), conversationKey: 'user:alice' }));
        const ids = (await store.dueMessages(at(60), 3, { perConversation: 2 })).map((m) => m.id);
        assert.deepEqual(ids, ['busy-1', 'busy-2', 'quiet']);
      });

      it('makes a retried message wait, counting the attempt and keeping the error', async () => {
        await store.enqueue(message('a', { conversationKey: 'user:alice' }));
        await store.enqueue(message('b', { conversationKey: 'user:bob', createdAt: at(1) }));
        await store.markRetry('a', at(30), '429 Too Many Requests');
        assert.deepEqual(await due(at(29)), ['b']);
        const [retried] = await store.dueMessages(at(30), 1);
        assert.deepEqual(
          { ...retried },
          {
            ...message('a', { conversationKey: 'user:alice' }),
            attempts: 1,
            notBefore: at(30),
            state: 'pending',
            lastError: '429 Too Many Requests',
          },
        );
        await store.markRetry('a', at(90), '502 Bad Gateway');
        const [again] = await store.dueMessages(at(90), 1);
        assert.equal(again?.attempts, 2);
        assert.equal(again?.lastError, '502 Bad Gateway');
        assert.deepEqual(await store.outboxCounts(), { pending: 2, dead: 0 });
      });

      it("keeps a conversation's order: nothing overtakes a message waiting for its retry", async () => {
        await store.enqueue(message('first', { createdAt: at(1) }));
        await store.enqueue(message('second', { createdAt: at(2) }));
        await store.enqueue(message('elsewhere', { createdAt: at(3), conversationKey: 'user:alice' }));
        await store.markRetry('first', at(60), '502');
        assert.deepEqual(await due(at(30)), ['elsewhere']);
        assert.deepEqual(await due(at(60)), ['first', 'second', 'elsewhere']);
        await store.markDead('first', 'gave up');
        assert.deepEqual(await due(at(60)), ['second', 'elsewhere']);
      });

      it('never gives a sent or dead message again, and counts what is pending and dead', async () => {
        await store.enqueue(message('sent'));
        await store.enqueue(message('dead', { conversationKey: 'user:alice' }));
        await store.enqueue(message('waiting', { conversationKey: 'user:bob' }));
        assert.deepEqual(await store.outboxCounts(), { pending: 3, dead: 0 });
        await store.markSent('sent');
        await store.markDead('dead', '403 Forbidden');
        assert.deepEqual(await due(at(86_400)), ['waiting']);
        assert.deepEqual(await store.outboxCounts(), { pending: 1, dead: 1 });
        // A late mark leaves a settled message settled.
        await store.markRetry('sent', at(1), 'late');
        await store.markRetry('dead', at(1), 'late');
        await store.markSent('dead');
        assert.deepEqual(await due(at(86_400)), ['waiting']);
        assert.deepEqual(await store.outboxCounts(), { pending: 1, dead: 1 });
      });

      it('queues the messages of a change at once, leaving out updates of cards never posted', async () => {
        const queued = await store.enqueueAll([
          message('post:a', { messageKey: 'card:a' }),
          message('update:a', { kind: 'update', messageKey: 'card:a' }),
          message('update:never-posted', { kind: 'update', messageKey: 'card:b' }),
          message('line:a', { conversationKey: 'user:alice' }),
        ]);
        assert.equal(queued, 3);
        assert.deepEqual(await due(at(1)), ['post:a', 'update:a', 'line:a']);
        await store.saveMessageId('card:c', 'm-1');
        assert.equal(
          await store.enqueueAll([message('update:c', { kind: 'update', messageKey: 'card:c' })]),
          1,
        );
        assert.equal(
          await store.enqueueAll([message('post:a'), message('line:a')]),
          0,
          'known ids stay as they are',
        );
      });

      it('has nothing due and nothing counted when the outbox is empty', async () => {
        assert.deepEqual(await store.dueMessages(NOW, 10), []);
        assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 0 });
      });

      it('rejects caller mistakes with RangeError, queuing nothing', async () => {
        const invalid: unknown[] = [
          message(''),
          message('  '),
          message('x', { conversationKey: '' }),
          message('x', { kind: 'delete' as 'post' }),
          message('x', { kind: 'update' }),
          message('x', { kind: 'update', messageKey: '' }),
          message('x', { activity: null as unknown as Record<string, unknown> }),
          message('x', { activity: [] as unknown as Record<string, unknown> }),
          message('x', { createdAt: 'yesterday' }),
        ];
        for (const input of invalid) {
          await assert.rejects(store.enqueue(input as NewOutboxMessage), RangeError, JSON.stringify(input));
        }
        assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 0 });
        await assert.rejects(store.dueMessages('not a time', 10), RangeError);
        await assert.rejects(store.markSent('unknown'), RangeError);
        await assert.rejects(store.markRetry('unknown', NOW, 'e'), RangeError);
        await assert.rejects(store.markDead('unknown', 'e'), RangeError);
        await store.enqueue(message('known'));
        await assert.rejects(store.markRetry('known', 'soon', 'e'), RangeError);
        await assert.rejects(store.saveMessageId('', 'id'), RangeError);
        await assert.rejects(store.saveMessageId('key', ''), RangeError);
        assert.deepEqual(await due(NOW), ['known']);
        assert.equal((await store.dueMessages(NOW, 1))[0]?.attempts, 0);
      });

      describe('leases', () => {
        const lease = (owner: string, until: string) => ({ lease: { owner, until } });
        const taken = async (now: string, owner: string, until: string, limit = 100) =>
          (await store.dueMessages(now, limit, lease(owner, until))).map((m) => m.id);

        it('gives a leased message to no one until its lease has passed, then again, attempts unchanged', async () => {
          await store.enqueue(message('a'));
          await store.enqueue(message('b', { conversationKey: 'user:alice' }));
          const [first] = await store.dueMessages(NOW, 1);
          assert.deepEqual(await taken(NOW, 'replica-1', at(30)), ['a', 'b']);
          assert.deepEqual(await taken(at(10), 'replica-2', at(40)), []);
          assert.deepEqual(await taken(at(10), 'replica-1', at(40)), [], 'nor to its own replica again');
          assert.deepEqual(await due(at(29)), []);
          assert.deepEqual(await taken(at(30), 'replica-2', at(60)), ['a', 'b']);
          assert.deepEqual(await due(at(60)), ['a', 'b']);
          assert.deepEqual((await store.dueMessages(at(60), 1))[0], first);
          assert.deepEqual(await store.outboxCounts(), { pending: 2, dead: 0 });
        });

        it("holds back the later messages of a leased message's conversation, not other conversations", async () => {
          await store.enqueue(message('first', { createdAt: at(1) }));
          await store.enqueue(message('second', { createdAt: at(2) }));
          await store.enqueue(message('elsewhere', { createdAt: at(3), conversationKey: 'user:alice' }));
          assert.deepEqual(await taken(at(10), 'replica-1', at(60), 1), ['first']);
          assert.deepEqual(await due(at(10)), ['elsewhere']);
          assert.deepEqual(await taken(at(10), 'replica-2', at(60)), ['elsewhere']);
          await store.markSent('first');
          assert.deepEqual(await due(at(10)), ['second']);
        });

        it('ends the lease when a message is marked sent, retried or given up', async () => {
          await store.enqueue(message('sent'));
          await store.enqueue(message('retried', { conversationKey: 'user:alice' }));
          await store.enqueue(message('dead', { conversationKey: 'user:bob' }));
          await store.enqueue(message('next-after-sent', { createdAt: at(1) }));
          await store.enqueue(message('next-after-dead', { createdAt: at(1), conversationKey: 'user:bob' }));
          assert.deepEqual(await taken(NOW, 'replica-1', at(3_600)), ['sent', 'retried', 'dead']);
          await store.markSent('sent');
          await store.markRetry('retried', at(5), '429 Too Many Requests');
          await store.markDead('dead', '403 Forbidden');
          assert.deepEqual(await due(at(4)), ['next-after-sent', 'next-after-dead']);
          const [retried] = (await store.dueMessages(at(5), 100)).filter((m) => m.id === 'retried');
          assert.equal(retried?.attempts, 1);
          assert.deepEqual(await store.outboxCounts(), { pending: 3, dead: 1 });
        });

        it('releases messages taken but not sent: due again at once, no attempt counted', async () => {
          await store.enqueue(message('a', { createdAt: at(1) }));
          await store.enqueue(message('b', { createdAt: at(2) }));
          await store.enqueue(message('c', { createdAt: at(3), conversationKey: 'user:alice' }));
          await store.enqueue(message('sent', { createdAt: at(4), conversationKey: 'user:bob' }));
          assert.deepEqual(await taken(at(5), 'replica-1', at(3_600)), ['a', 'b', 'c', 'sent']);
          await store.markSent('sent');
          await store.releaseMessages(['b', 'a', 'sent', 'never-queued']);
          await store.releaseMessages([]);
          const again = await store.dueMessages(at(5), 100);
          assert.deepEqual(
            again.map((m) => [m.id, m.attempts]),
            [
              ['a', 0],
              ['b', 0],
            ],
          );
          assert.deepEqual(await store.outboxCounts(), { pending: 3, dead: 0 });
        });

        it('refuses a lease without an owner or a time with RangeError, leasing nothing', async () => {
          await store.enqueue(message('a'));
          await assert.rejects(store.dueMessages(NOW, 10, lease('', at(30))), RangeError);
          await assert.rejects(store.dueMessages(NOW, 10, lease('replica-1', 'soon')), RangeError);
          assert.deepEqual(await due(NOW), ['a']);
        });
      });

      it('stores, replaces and reads the ids of posted messages', async () => {
        assert.equal(await store.getMessageId('card:MA-2026-0001:finance'), undefined);
        await store.saveMessageId('card:MA-2026-0001:finance', '1:first');
        await store.saveMessageId('card:MA-2026-0001:union', '1:other');
        assert.equal(await store.getMessageId('card:MA-2026-0001:finance'), '1:first');
        await store.saveMessageId('card:MA-2026-0001:finance', '1:second');
        assert.equal(await store.getMessageId('card:MA-2026-0001:finance'), '1:second');
        assert.equal(await store.getMessageId('card:MA-2026-0001:union'), '1:other');
      });
    });

    describe('coordination', () => {
      const at = (seconds: number) => new Date(Date.parse(NOW) + seconds * 1_000).toISOString();
      const ms = (millis: number) => new Date(Date.parse(NOW) + millis).toISOString();

      it('gives a free lease, keeps it from others until it passes, and renews it for its owner', async () => {
        assert.equal(await store.holdLease('digest', 'replica-1', NOW, at(60)), true);
        assert.equal(await store.holdLease('digest', 'replica-2', at(30), at(90)), false);
        assert.equal(await store.holdLease('digest', 'replica-1', at(30), at(120)), true);
        assert.equal(
          await store.holdLease('digest', 'replica-2', at(90), at(150)),
          false,
          'renewed until 120',
        );
        assert.equal(await store.holdLease('digest', 'replica-2', at(121), at(180)), true);
        assert.equal(await store.holdLease('digest', 'replica-1', at(130), at(190)), false);
      });

      it('lets another take a lease at once when its owner releases it, and only its owner', async () => {
        await store.holdLease('digest', 'replica-1', NOW, at(60));
        await store.releaseLease('digest', 'replica-2');
        assert.equal(await store.holdLease('digest', 'replica-2', at(1), at(61)), false);
        await store.releaseLease('digest', 'replica-1');
        assert.equal(await store.holdLease('digest', 'replica-2', at(2), at(62)), true);
        await store.releaseLease('never-held', 'replica-1');
      });

      it('keeps leases of different names apart', async () => {
        assert.equal(await store.holdLease('digest', 'replica-1', NOW, at(60)), true);
        assert.equal(await store.holdLease('reminders', 'replica-2', NOW, at(60)), true);
        assert.equal(await store.holdLease('digest', 'replica-2', NOW, at(60)), false);
      });

      it('takes operations while they fit every window, and tells how long to wait without taking one', async () => {
        const windows = [
          { limit: 2, ms: 1_000 },
          { limit: 3, ms: 10_000 },
        ];
        assert.equal(await store.takeRate('conversation:a', ms(0), windows), 0);
        assert.equal(await store.takeRate('conversation:a', ms(100), windows), 0);
        assert.equal(await store.takeRate('conversation:a', ms(200), windows), 800);
        // The refused one was not counted: one second on, the first has left the short window.
        assert.equal(await store.takeRate('conversation:a', ms(1_000), windows), 0);
        assert.equal(await store.takeRate('conversation:a', ms(1_200), windows), 8_800);
        assert.equal(await store.takeRate('conversation:a', ms(10_000), windows), 0);
      });

      it('counts an operation in a window no longer once the window has passed it', async () => {
        const windows = [{ limit: 1, ms: 1_000 }];
        assert.equal(await store.takeRate('app', ms(0), windows), 0);
        assert.equal(await store.takeRate('app', ms(999), windows), 1);
        assert.equal(await store.takeRate('app', ms(1_000), windows), 0);
      });

      it('lets exactly as many of 20 operations taken at once through as the window holds', async () => {
        const windows = [{ limit: 5, ms: 60_000 }];
        const waits = await Promise.all(
          Array.from({ length: 20 }, () => store.takeRate('conversation:busy', NOW, windows)),
        );
        assert.equal(waits.filter((w) => w === 0).length, 5);
        assert.deepEqual(
          waits.filter((w) => w !== 0),
          Array.from({ length: 15 }, () => 60_000),
        );
      });

      it('keeps the rates of different keys apart', async () => {
        const windows = [{ limit: 1, ms: 60_000 }];
        assert.equal(await store.takeRate('conversation:a', NOW, windows), 0);
        assert.equal(await store.takeRate('conversation:a', NOW, windows), 60_000);
        assert.equal(await store.takeRate('conversation:b', NOW, windows), 0);
      });

      it('forgets the operations taken before the time given, and keeps those taken since', async () => {
        const windows = [{ limit: 1, ms: 3_600_000 }];
        assert.equal(await store.takeRate('site:forms:192.0.2.1', ms(0), windows), 0);
        assert.equal(await store.takeRate('site:forms:192.0.2.2', ms(2_000), windows), 0);
        await store.forgetRates(ms(1_000));
        assert.equal(await store.takeRate('site:forms:192.0.2.1', ms(3_000), windows), 0);
        assert.equal(await store.takeRate('site:forms:192.0.2.2', ms(3_000), windows), 3_600_000 - 1_000);
      });

      it('refuses a window longer than a day, which it would not keep, with RangeError', async () => {
        await assert.rejects(store.takeRate('app', NOW, [{ limit: 1, ms: 24 * 3_600_000 + 1 }]), RangeError);
        await assert.rejects(store.takeRate('app', NOW, [{ limit: 0, ms: 1_000 }]), RangeError);
        assert.equal(await store.takeRate('app', NOW, [{ limit: 1, ms: 24 * 3_600_000 }]), 0);
      });
    });

    describe('text', () => {
      const title = `"Quoted" l'été 100% & #1 — café ñ ü 🎉👩🏽‍💻`;
      const tricky = `${title} '); DROP TABLE x; -- \\ _ % end`;

      it('keeps text with quotes, percent signs, ampersands, hashes, emoji and accents exactly', async () => {
        const requester = actor(`id-'%"&#é`, `Zoë Lévesque-Núñez 🎉 "Z" 100%`);
        const record = await create({
          title: title,
          branch: `Branch & "Co" 100% #1 ✓`,
          requester,
          content: { background: `${tricky}\nSecond line\twith a tab.` },
        });
        const stored = await store.get(record.reference);
        assert.equal(stored?.title, title);
        assert.equal(stored?.background, `${tricky}\nSecond line\twith a tab.`);
        assert.equal(stored?.requester.name, `Zoë Lévesque-Núñez 🎉 "Z" 100%`);
        assert.deepEqual(
          refs((await store.query({ branch: `Branch & "Co" 100% #1 ✓` }, { limit: 10 })).items),
          [record.reference],
        );
        assert.deepEqual(refs((await store.query({ requesterId: `id-'%"&#é` }, { limit: 10 })).items), [
          record.reference,
        ]);

        const { next, audit } = step(record, 'request_edits', { comment: tricky });
        await store.transition(next, 1, audit);
        assert.equal((await store.auditTrail(record.reference))[1]?.comment, tricky);

        const saved = await store.saveDraft({
          ownerId: tricky,
          id: tricky,
          step: tricky,
          data: { tricky },
          updatedAt: NOW,
        });
        assert.deepEqual(await store.getDraft(tricky, tricky), saved);
        assert.equal(saved.data['tricky'], tricky);
        await store.saveConversation(tricky, { tricky });
        assert.deepEqual(await store.getConversation(tricky), { tricky });
        await store.savePreferences(tricky, { locale: 'fr' });
        assert.deepEqual(await store.getPreferences(tricky), { locale: 'fr' });
      });

      it('treats filter values literally, not as patterns', async () => {
        await create({ requester: actor('a%b'), branch: 'Ops_1' });
        const count = async (filter: OpportunityFilter) =>
          (await store.query(filter, { limit: 10 })).items.length;
        assert.equal(await count({ requesterId: '%' }), 0);
        assert.equal(await count({ requesterId: 'a_b' }), 0);
        assert.equal(await count({ branch: 'Ops%' }), 0);
        assert.equal(await count({ branch: "Ops_1' OR '1'='1" }), 0);
        assert.equal(await count({ requesterId: 'a%b' }), 1);
      });
    });

    describe('health', () => {
      it('answers a ping', async () => {
        await store.ping();
      });

      it('can be closed more than once', async () => {
        await store.close();
        await store.close();
      });
    });
  });
}
