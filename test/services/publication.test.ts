import assert from 'node:assert/strict';
import { type Opportunity, STATUSES } from '../../src/services/opportunity';
import {
  AFTER_POSTING,
  isPublished,
  PUBLIC_EVENTS,
  publicOpportunity,
  publicStatus,
  publicUpdates,
  sitePath,
} from '../../src/services/publication';
import { POSTED_AT, posted, submitted, TRANSLATION } from '../support/opportunities';

/** What suppliers may read of a request: the public view, for every state and both languages. */

describe('the public view of a request', () => {
  it('is published from post on, whatever state follows, and never before', () => {
    const o = submitted();
    for (const status of STATUSES) {
      const record: Opportunity = { ...o, status };
      assert.equal(isPublished(record), false, status);
      assert.equal(publicOpportunity(record, 'en'), undefined, status);
      assert.equal(isPublished({ ...record, timeline: { posted: POSTED_AT } }), true, status);
    }
  });

  it('reads each state as suppliers know it: open, closed, awarded or cancelled', () => {
    const selected = { ...posted().selection, supplierName: 'Ada Dev' };
    const expected: Record<string, string> = {
      posted: 'open',
      closed: 'closed',
      cancelled: 'cancelled',
      rejected: 'cancelled',
    };
    for (const status of STATUSES) {
      const withSupplier = publicStatus({ status, selection: selected });
      const without = publicStatus({ status, selection: posted().selection });
      assert.equal(withSupplier, expected[status] ?? 'awarded', status);
      // A state past selection without a supplier's name (no award) reads as closed, not awarded.
      assert.equal(without, expected[status] ?? 'closed', status);
    }
  });

  it('tells of what happened after posting only, newest first', () => {
    const eventAt = Object.fromEntries([
      ['vetted', '2026-11-20T15:00:00.000Z'],
      ['applications_extended', '2026-11-26T15:00:00.000Z'],
      ['applications_closed', '2026-12-15T05:00:00.000Z'],
      ['supplier_selected', '2026-12-16T15:00:00.000Z'],
      // An event suppliers are told of, but from before the post (a cancelled earlier attempt): left out.
      ['cancelled', '2026-11-01T15:00:00.000Z'],
      // At the very moment of posting: it is part of the posting, so told.
      ['supplier_declined', POSTED_AT],
    ]);
    assert.deepEqual(
      publicUpdates({ eventAt, timeline: { posted: POSTED_AT } }).map((u) => u.event),
      ['supplier_selected', 'applications_closed', 'applications_extended', 'supplier_declined'],
    );
    assert.deepEqual(publicUpdates({ eventAt, timeline: {} }), []);
    for (const event of PUBLIC_EVENTS) {
      const later = { [event]: '2026-11-30T15:00:00.000Z' };
      assert.equal(publicUpdates({ eventAt: later, timeline: { posted: POSTED_AT } }).length, 1, event);
    }
  });

  it('holds only what the pilot published: no reservation, cost centre, requester, contact or consultation', () => {
    const view = publicOpportunity(posted(), 'en');
    assert.ok(view);
    assert.deepEqual(Object.keys(view).sort(), [
      'deadline',
      'deliveryDate',
      'department',
      'licence',
      'locale',
      'postedAt',
      'provisional',
      'reference',
      'repositoryUrl',
      'skills',
      'startDate',
      'status',
      'texts',
      'updatedAt',
      'updates',
      'valueCents',
    ]);
    const json = JSON.stringify(view);
    for (const secret of ['FR-1', 'CC-1', 'Priya', 'riley.tremblay@example.gc.ca', 'Riley Tremblay']) {
      assert.ok(!json.includes(secret), secret);
    }
  });

  it('gives each language its own texts, and says when a language is not confirmed yet', () => {
    const fr = publicOpportunity(posted(), 'fr');
    assert.equal(fr?.texts.title, TRANSLATION.title);
    assert.equal(fr?.provisional, false);
    assert.equal(publicOpportunity(posted(), 'en')?.provisional, false);
    const unconfirmed = publicOpportunity(posted({ translationConfirmed: false }), 'fr');
    assert.equal(unconfirmed?.provisional, true);
    const none = publicOpportunity(posted({ translation: undefined, translationConfirmed: false }), 'fr');
    assert.equal(none?.provisional, true);
    assert.equal(none?.texts.title, submitted().title);
  });

  it('shows the deadline in force, with the one first published when it was extended', () => {
    const o = posted();
    const extended = publicOpportunity(
      posted({ dates: { ...o.dates, extendedApplicationDeadline: '2026-12-21' } }),
      'en',
    );
    assert.equal(extended?.deadline, '2026-12-21');
    assert.equal(extended?.originalDeadline, o.dates.applicationDeadline);
    assert.equal(publicOpportunity(o, 'en')?.originalDeadline, undefined);
  });

  it('names the supplier and the delivered work only once awarded', () => {
    const o = posted({
      status: 'delivered',
      selection: { ...posted().selection, supplierName: 'Ada Dev', supplierLink: 'https://ada.example/' },
      delivery: { ...posted().delivery, deliveredLink: 'https://github.com/example/pr/1' },
    });
    const view = publicOpportunity(o, 'en');
    assert.deepEqual(view?.supplier, { name: 'Ada Dev', link: 'https://ada.example/' });
    assert.equal(view?.deliveredLink, 'https://github.com/example/pr/1');
    const cancelled = publicOpportunity({ ...o, status: 'cancelled' }, 'en');
    assert.equal(cancelled?.supplier, undefined);
    assert.equal(cancelled?.deliveredLink, undefined);
  });

  it('knows where a posted request may be: every state after posting in the process, none before', () => {
    assert.ok(AFTER_POSTING.includes('closed') && AFTER_POSTING.includes('cancelled'));
    for (const before of ['draft', 'submitted', 'changes_requested', 'in_approval', 'posted'] as const) {
      assert.ok(!AFTER_POSTING.includes(before), before);
    }
  });

  it('gives each page its address: one reference, a section named in each language', () => {
    assert.equal(sitePath('en'), '/en/opportunities');
    assert.equal(sitePath('fr'), '/fr/possibilites');
    assert.equal(sitePath('en', 'MA-2026-0042'), '/en/opportunities/MA-2026-0042');
    assert.equal(sitePath('fr', 'MA-2026-0042'), '/fr/possibilites/MA-2026-0042');
    assert.equal(sitePath('fr', undefined, 'feed.xml'), '/fr/possibilites/feed.xml');
  });

  it('shows the SHA-256 of the draw’s seed once applications closed, and never the seed', () => {
    assert.equal(publicOpportunity(posted(), 'en')?.drawCommitment, undefined);
    const seed = 'Zp3-kq9_Xv71mB4sLr0tYw2a';
    const closed = posted({ status: 'closed', selection: { ...posted().selection, drawSeed: seed } });
    for (const locale of ['en', 'fr'] as const) {
      const view = publicOpportunity(closed, locale);
      // As `printf %s <seed> | sha256sum` gives it.
      assert.equal(view?.drawCommitment, 'd4ca873c53b2a16fdcbe331b973967540ca70ee9caeeb427b03f6c0eda41299c');
      assert.ok(!JSON.stringify(view).includes(seed));
    }
  });
});
