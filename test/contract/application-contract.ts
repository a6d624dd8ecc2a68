import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type {
  Application,
  ApplicationContent,
  ApplicationStore,
  NewApplication,
  SelfIdentification,
} from '../../src/services/applications';
import { ConcurrencyError } from '../../src/services/store';
import { type Closable, minutesAfter } from './question-contract';

/**
 * What every ApplicationStore adapter must do, stated through the port alone. `makeStore` gives a fresh,
 * empty store per test.
 */

export const OPPORTUNITY = 'MA-2026-0001';
const OTHER = 'MA-2026-0002';
const ROOMY = 100;
const NOBODY = { yes: 0, no: 0, unsaid: 0 };
const NO_ANSWERS = { newToGovernment: NOBODY, outsideNcr: NOBODY, equityGroup: NOBODY };

export const applicationContent = (overrides: Partial<ApplicationContent> = {}): ApplicationContent => ({
  name: 'Ana Tremblay',
  kind: 'individual',
  federalEmployee: false,
  answer: 'I built the form library « Formulaire » and its tests.\nSee the links.',
  links: ['https://github.com/ana/forms', 'https://gitlab.com/ana/tests'],
  ...overrides,
});

/** A first application as the public form makes it, `at` minutes after the suite's moment. */
export const applicationAt = (
  email: string,
  at: number,
  overrides: Partial<NewApplication> = {},
  content: Partial<ApplicationContent> = {},
): NewApplication => ({
  id: `a-${randomUUID()}`,
  reference: OPPORTUNITY,
  email,
  locale: 'en',
  createdAt: minutesAfter(at),
  pending: {
    content: applicationContent(content),
    token: randomBytes(32).toString('base64url'),
    at: minutesAfter(at),
  },
  ...overrides,
});

export function describeApplicationContract(
  name: string,
  makeStore: () => Promise<ApplicationStore & Closable>,
  cleanup?: () => Promise<void>,
): void {
  describe(`${name} (application contract)`, function () {
    let store: ApplicationStore & Closable;
    let clock = 0;

    beforeEach(async () => {
      clock = 0;
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    const application = (
      email: string,
      overrides: Partial<NewApplication> = {},
      content: Partial<ApplicationContent> = {},
    ) => applicationAt(email, ++clock, overrides, content);

    async function apply(
      email: string,
      overrides: Partial<NewApplication> = {},
      answers: SelfIdentification = {},
      content: Partial<ApplicationContent> = {},
    ): Promise<Application> {
      const outcome = await store.submitApplication(application(email, overrides, content), answers, ROOMY);
      assert.notEqual(outcome.outcome, 'full');
      return outcome.outcome === 'full' ? assert.fail() : outcome.application;
    }

    const confirm = (a: Application, at = minutesAfter(++clock)) =>
      store.confirmApplication(a.id, a.version, at);

    async function confirmed(
      email: string,
      answers: SelfIdentification = {},
      overrides: Partial<NewApplication> = {},
    ): Promise<Application> {
      return confirm(await apply(email, overrides, answers));
    }

    /** Every application of an opportunity, page by page, and the pages' lengths. */
    async function everyApplication(
      reference: string,
      limit: number,
      confirmedOnly = false,
    ): Promise<{ emails: string[]; pages: number[] }> {
      const emails: string[] = [];
      const pages: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.applicationsOf(
          reference,
          { confirmedOnly },
          { limit, ...(cursor ? { cursor } : {}) },
        );
        emails.push(...page.items.map((a) => a.email));
        pages.push(page.items.length);
        cursor = page.nextCursor;
      } while (cursor && pages.length < 100);
      return { emails, pages };
    }

    const listed = async (reference = OPPORTUNITY) =>
      (await store.applicationsOf(reference, {}, { limit: 100 })).items;

    const staleVersion = (expectedVersion: number, actualVersion: number | undefined) => (err: unknown) => {
      assert.ok(err instanceof ConcurrencyError, String(err));
      assert.equal(err.expectedVersion, expectedVersion);
      assert.equal(err.actualVersion, actualVersion);
      return true;
    };

    describe('applying', () => {
      it('keeps a first application waiting for its confirmation link, at version 1, without its self-identification', async () => {
        const input = application('ana@example.com', { locale: 'fr' }, { publicLink: 'https://ana.dev' });
        const outcome = await store.submitApplication(input, { newToGovernment: 'yes' }, 10);
        const stored = { ...input, version: 1 };
        assert.deepEqual(outcome, { outcome: 'created', application: stored });
        assert.deepEqual(await store.getApplication(input.id), stored);
        assert.deepEqual(await store.applicationByToken(input.pending.token), stored);
        assert.deepEqual(await listed(), [stored]);
        assert.deepEqual(
          (await store.applicationsOf(OPPORTUNITY, { confirmedOnly: true }, { limit: 10 })).items,
          [],
        );
        // Waiting answers are nobody's statistics yet.
        assert.deepEqual(await store.selfIdentificationCounts([OPPORTUNITY]), NO_ANSWERS);
      });

      it('keeps the address as typed, without the spaces around it', async () => {
        const a = await apply('  Ana.Tremblay@Example.com ');
        assert.equal(a.email, 'Ana.Tremblay@Example.com');
      });

      it('takes a second application from an address, whatever its case, as a change: the old link stops working', async () => {
        const first = await apply('Ana@Example.com');
        const again = application('ana@EXAMPLE.com', { locale: 'fr' }, { answer: 'A better answer.' });
        const outcome = await store.submitApplication(again, {}, ROOMY);
        const changed: Application = { ...first, locale: 'fr', pending: again.pending, version: 2 };
        assert.deepEqual(outcome, { outcome: 'changed', application: changed });
        assert.equal(await store.applicationByToken(first.pending?.token ?? ''), undefined);
        assert.deepEqual(await store.applicationByToken(again.pending.token), changed);
        assert.equal(await store.getApplication(again.id), undefined);
        assert.deepEqual(await listed(), [changed]);
      });

      it('keeps what was confirmed while a change waits for its own link', async () => {
        const first = await confirmed('ana@example.com');
        const again = application('ANA@example.com', {}, { answer: 'Changed my mind.' });
        const outcome = await store.submitApplication(again, {}, ROOMY);
        assert.equal(outcome.outcome, 'changed');
        const changed = outcome.outcome === 'changed' ? outcome.application : assert.fail();
        assert.deepEqual(changed, { ...first, pending: again.pending, version: 3 });
        assert.deepEqual(changed.content, applicationContent());
        assert.equal(changed.confirmedAt, first.confirmedAt);
        assert.deepEqual(
          (await store.applicationsOf(OPPORTUNITY, { confirmedOnly: true }, { limit: 10 })).items,
          [changed],
        );
      });

      it('takes the same address on another opportunity as an application of its own', async () => {
        const here = await apply('ana@example.com');
        const there = await store.submitApplication(
          application('Ana@example.com', { reference: OTHER }),
          {},
          ROOMY,
        );
        assert.equal(there.outcome, 'created');
        assert.deepEqual(await listed(), [here]);
        assert.equal((await listed(OTHER)).length, 1);
        assert.notEqual((await listed(OTHER))[0]?.id, here.id);
      });

      it('keeps one application when the same address is sent twice at the same moment', async () => {
        const outcomes = await Promise.all([
          store.submitApplication(application('bo@example.com'), {}, ROOMY),
          store.submitApplication(application('BO@example.com'), {}, ROOMY),
        ]);
        assert.deepEqual(outcomes.map((o) => o.outcome).sort(), ['changed', 'created']);
        const stored = await listed();
        assert.equal(stored.length, 1);
        assert.equal(stored[0]?.version, 2);
      });

      it('refuses an application that is not valid, storing nothing', async () => {
        const refused = [
          application('   '),
          application('a@example.com', { createdAt: 'yesterday' }),
          application('a@example.com', { id: '' }),
          application('a@example.com', {}, { kind: 'company' as 'business' }),
          { ...application('a@example.com'), extra: true } as NewApplication,
          application('a@example.com', { reference: 'MA-'.padEnd(250, '9') }),
        ];
        for (const input of refused)
          await assert.rejects(store.submitApplication(input, {}, ROOMY), RangeError);
        await assert.rejects(
          store.submitApplication(application('a@example.com'), { newToGovernment: 'maybe' as 'yes' }, ROOMY),
          RangeError,
        );
        await assert.rejects(
          store.submitApplication(
            application('a@example.com'),
            { favourite: 'yes' } as SelfIdentification,
            ROOMY,
          ),
          RangeError,
        );
        await assert.rejects(store.submitApplication(application('a@example.com'), {}, -1), RangeError);
        assert.deepEqual(await listed(), []);
      });
    });

    describe('the confirmation link', () => {
      it('finds an application by its exact token only', async () => {
        const token = 'Token-With-Case-0123456789abcdefghijklmnopq';
        const a = await apply('ana@example.com', {
          pending: { content: applicationContent(), token, at: minutesAfter(1) },
        });
        assert.deepEqual(await store.applicationByToken(token), a);
        assert.equal(await store.applicationByToken(token.toLowerCase()), undefined);
        assert.equal(await store.applicationByToken(token.slice(0, -1)), undefined);
        assert.equal(await store.applicationByToken(''), undefined);
        assert.equal(await store.applicationByToken('no-such-token'), undefined);
      });
    });

    describe('confirming', () => {
      it('makes the change the application and retires its link; a later confirmation keeps the first one’s time', async () => {
        const first = await apply('ana@example.com');
        const done = await store.confirmApplication(first.id, 1, minutesAfter(100));
        const { pending, ...rest } = first;
        assert.deepEqual(done, {
          ...rest,
          content: pending?.content,
          confirmedAt: minutesAfter(100),
          version: 2,
        });
        assert.deepEqual(await store.getApplication(first.id), done);
        assert.equal(await store.applicationByToken(pending?.token ?? ''), undefined);

        const change = application('ana@example.com', {}, { name: 'Ana B. Tremblay', kind: 'business' });
        await store.submitApplication(change, {}, ROOMY);
        const again = await store.confirmApplication(first.id, 3, minutesAfter(200));
        assert.deepEqual(again, { ...done, content: change.pending.content, version: 4 });
        assert.equal(again.confirmedAt, minutesAfter(100));
        assert.equal(await store.applicationByToken(change.pending.token), undefined);
      });

      it('refuses to confirm when no change waits, changing nothing', async () => {
        const a = await confirmed('ana@example.com');
        await assert.rejects(store.confirmApplication(a.id, a.version, minutesAfter(300)), RangeError);
        assert.deepEqual(await store.getApplication(a.id), a);
      });

      it('refuses a confirmation from a link a later change replaced, keeping the application as it is', async () => {
        const first = await apply('ana@example.com');
        await store.submitApplication(application('ana@example.com'), {}, ROOMY);
        const now = await store.getApplication(first.id);
        await assert.rejects(store.confirmApplication(first.id, 1, minutesAfter(100)), staleVersion(1, 2));
        assert.deepEqual(await store.getApplication(first.id), now);
      });

      it('refuses to confirm an application it does not have, saying it has no version', async () => {
        await assert.rejects(
          store.confirmApplication(`a-${randomUUID()}`, 1, minutesAfter(100)),
          staleVersion(1, undefined),
        );
      });

      it('confirms once when the link is followed twice at the same moment', async () => {
        const a = await apply('ana@example.com', {}, { newToGovernment: 'yes' });
        const results = await Promise.allSettled([
          store.confirmApplication(a.id, 1, minutesAfter(100)),
          store.confirmApplication(a.id, 1, minutesAfter(101)),
        ]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        const lost = results.find((r) => r.status === 'rejected');
        assert.ok(lost?.status === 'rejected' && lost.reason instanceof ConcurrencyError, String(lost));
        assert.equal((await store.getApplication(a.id))?.version, 2);
        assert.equal((await store.selfIdentificationCounts([OPPORTUNITY])).newToGovernment.yes, 1);
      });

      it('refuses a confirmation time that is not one', async () => {
        const a = await apply('ana@example.com');
        await assert.rejects(store.confirmApplication(a.id, 1, 'now'), RangeError);
        assert.deepEqual(await store.getApplication(a.id), a);
      });
    });

    describe('numbering and evaluating', () => {
      it('saves a number, an evaluation and a debrief link, each as the next version', async () => {
        const a = await confirmed('ana@example.com');
        const numbered = await store.saveApplication({ ...a, number: 3, version: a.version + 1 }, a.version);
        const evaluated: Application = {
          ...numbered,
          evaluation: {
            result: 'fail',
            rationale: 'The links show no tests.',
            by: { aadObjectId: 'evaluator-1', name: 'Sam Okafor' },
            at: minutesAfter(500),
          },
          version: numbered.version + 1,
        };
        assert.deepEqual(await store.saveApplication(evaluated, numbered.version), evaluated);
        const told = { ...evaluated, debriefToken: 'debrief-0123456789', version: evaluated.version + 1 };
        assert.deepEqual(await store.saveApplication(told, evaluated.version), told);
        assert.deepEqual(await store.getApplication(a.id), told);
        assert.deepEqual(await listed(), [told]);
      });

      it('refuses a version that does not follow the expected one, changing nothing', async () => {
        const a = await confirmed('ana@example.com');
        await assert.rejects(
          store.saveApplication({ ...a, number: 1, version: a.version + 2 }, a.version),
          RangeError,
        );
        await assert.rejects(store.saveApplication({ ...a, number: 1 }, a.version), RangeError);
        assert.deepEqual(await store.getApplication(a.id), a);
      });

      it('refuses a save made on a stale version, keeping the first one', async () => {
        const a = await confirmed('ana@example.com');
        const first = await store.saveApplication({ ...a, number: 1, version: a.version + 1 }, a.version);
        await assert.rejects(
          store.saveApplication({ ...a, number: 2, version: a.version + 1 }, a.version),
          staleVersion(a.version, a.version + 1),
        );
        assert.deepEqual(await store.getApplication(a.id), first);
      });

      it('refuses a save that moves the application to another opportunity or address', async () => {
        const a = await confirmed('ana@example.com');
        const next = { ...a, version: a.version + 1 };
        await assert.rejects(store.saveApplication({ ...next, reference: OTHER }, a.version), RangeError);
        await assert.rejects(
          store.saveApplication({ ...next, email: 'bo@example.com' }, a.version),
          RangeError,
        );
        await assert.rejects(
          store.saveApplication({ ...next, email: 'ANA@example.com' }, a.version),
          RangeError,
        );
        await assert.rejects(
          store.saveApplication({ ...next, id: `a-${randomUUID()}` }, a.version),
          staleVersion(a.version, undefined),
        );
        assert.deepEqual(await store.getApplication(a.id), a);
        assert.equal((await listed()).length, 1);
        assert.deepEqual(await listed(OTHER), []);
      });

      it('refuses an application that is not valid, changing nothing', async () => {
        const a = await confirmed('ana@example.com');
        await assert.rejects(
          store.saveApplication({ ...a, number: 0, version: a.version + 1 }, a.version),
          RangeError,
        );
        await assert.rejects(
          store.saveApplication({ ...a, unknown: 1, version: a.version + 1 } as Application, a.version),
          RangeError,
        );
        assert.deepEqual(await store.getApplication(a.id), a);
      });
    });

    describe('listing an opportunity’s applications', () => {
      it('lists them oldest first, page by page, a change keeping its place, and only that opportunity’s', async () => {
        for (const n of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) await apply(`${n}@example.com`);
        await apply('z@example.com', { reference: OTHER });
        await apply('B@example.com');
        const { emails, pages } = await everyApplication(OPPORTUNITY, 2);
        assert.deepEqual(
          emails,
          ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => `${n}@example.com`),
        );
        assert.ok(
          pages.every((n) => n <= 2),
          String(pages),
        );
        assert.ok(pages.length >= 4, String(pages));
        assert.deepEqual((await everyApplication(OPPORTUNITY, 100)).pages, [7]);
        assert.deepEqual((await everyApplication(OTHER, 100)).emails, ['z@example.com']);
      });

      it('lists only the confirmed ones when asked, in the order they applied', async () => {
        const made = [];
        for (const n of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) made.push(await apply(`${n}@example.com`));
        // Confirmed in another order than they applied in; c and f never confirm.
        for (const i of [4, 0, 6, 1, 3]) {
          const a = made[i];
          if (a) await confirm(a);
        }
        const { emails, pages } = await everyApplication(OPPORTUNITY, 2, true);
        assert.deepEqual(
          emails,
          ['a', 'b', 'd', 'e', 'g'].map((n) => `${n}@example.com`),
        );
        assert.ok(pages.length >= 3 && pages.every((n) => n <= 2), String(pages));
        assert.equal((await everyApplication(OPPORTUNITY, 100)).emails.length, 7);
      });

      it('goes on from a cursor without skipping anyone when others apply meanwhile', async () => {
        for (const n of ['a', 'b', 'c']) await apply(`${n}@example.com`);
        const first = await store.applicationsOf(OPPORTUNITY, {}, { limit: 2 });
        assert.deepEqual(
          first.items.map((a) => a.email),
          ['a@example.com', 'b@example.com'],
        );
        await apply('d@example.com');
        const rest: string[] = [];
        let cursor = first.nextCursor;
        while (cursor) {
          const page = await store.applicationsOf(OPPORTUNITY, {}, { limit: 2, cursor });
          rest.push(...page.items.map((a) => a.email));
          cursor = page.nextCursor;
        }
        assert.deepEqual(rest, ['c@example.com', 'd@example.com']);
      });

      it('lists nothing for an opportunity nobody applied to, and refuses a cursor it did not give', async () => {
        assert.deepEqual(await store.applicationsOf('MA-2026-9999', {}, { limit: 10 }), { items: [] });
        await assert.rejects(
          store.applicationsOf(OPPORTUNITY, {}, { limit: 2, cursor: 'not-a-cursor' }),
          RangeError,
        );
      });
    });

    describe('retention', () => {
      it('deletes an opportunity’s applications with their self-identification, and says how many', async () => {
        const a = await confirmed('a@example.com', { newToGovernment: 'yes', outsideNcr: 'no' });
        await confirmed('b@example.com', { newToGovernment: 'yes' });
        await apply('c@example.com', {}, { equityGroup: 'yes' });
        const elsewhere = await confirmed('a@example.com', { newToGovernment: 'no' }, { reference: OTHER });
        const before = await store.selfIdentificationCounts([OTHER]);

        assert.equal(await store.deleteApplications(OPPORTUNITY), 3);
        assert.equal(await store.getApplication(a.id), undefined);
        assert.deepEqual(await listed(), []);
        assert.deepEqual(await store.selfIdentificationCounts([OPPORTUNITY]), NO_ANSWERS);
        assert.deepEqual(await store.selfIdentificationCounts([OPPORTUNITY, OTHER]), before);
        assert.deepEqual(await store.getApplication(elsewhere.id), elsewhere);
        assert.equal(await store.deleteApplications(OPPORTUNITY), 0);
        // The address may apply again, afresh.
        const back = await store.submitApplication(application('A@example.com'), {}, ROOMY);
        assert.equal(back.outcome, 'created');
      });
    });

    describe('self-identification statistics', () => {
      it('counts every question and answer, 0 when nobody answered', async () => {
        assert.deepEqual(await store.selfIdentificationCounts([]), NO_ANSWERS);
        assert.deepEqual(await store.selfIdentificationCounts(['MA-2026-9999']), NO_ANSWERS);
        await confirmed('a@example.com');
        assert.deepEqual(await store.selfIdentificationCounts([OPPORTUNITY]), NO_ANSWERS);
      });

      it('counts only confirmed answers, over the opportunities asked for, each person once', async () => {
        await confirmed('a@example.com', { newToGovernment: 'yes', outsideNcr: 'no', equityGroup: 'unsaid' });
        await confirmed('b@example.com', { newToGovernment: 'yes', outsideNcr: 'yes' });
        await apply('c@example.com', {}, { newToGovernment: 'no', outsideNcr: 'no', equityGroup: 'yes' });
        await confirmed('d@example.com', { newToGovernment: 'no' }, { reference: OTHER });
        await confirmed('e@example.com', { equityGroup: 'yes' }, { reference: 'MA-2026-0003' });
        assert.deepEqual(await store.selfIdentificationCounts([OPPORTUNITY]), {
          newToGovernment: { yes: 2, no: 0, unsaid: 0 },
          outsideNcr: { yes: 1, no: 1, unsaid: 0 },
          equityGroup: { yes: 0, no: 0, unsaid: 1 },
        });
        assert.deepEqual(await store.selfIdentificationCounts([OPPORTUNITY, OTHER, OPPORTUNITY]), {
          newToGovernment: { yes: 2, no: 1, unsaid: 0 },
          outsideNcr: { yes: 1, no: 1, unsaid: 0 },
          equityGroup: { yes: 0, no: 0, unsaid: 1 },
        });
      });

      it('replaces a person’s answers when a change is confirmed, never adding to them', async () => {
        const a = await confirmed('a@example.com', { newToGovernment: 'yes', equityGroup: 'yes' });
        await store.submitApplication(application('a@example.com'), { newToGovernment: 'no' }, ROOMY);
        // Until the change is confirmed, the answers confirmed stay.
        assert.equal((await store.selfIdentificationCounts([OPPORTUNITY])).newToGovernment.yes, 1);
        await store.confirmApplication(a.id, a.version + 1, minutesAfter(300));
        assert.deepEqual(await store.selfIdentificationCounts([OPPORTUNITY]), {
          ...NO_ANSWERS,
          newToGovernment: { yes: 0, no: 1, unsaid: 0 },
        });
        // A change confirmed without answers leaves none.
        await store.submitApplication(application('A@example.com'), {}, ROOMY);
        await store.confirmApplication(a.id, a.version + 3, minutesAfter(400));
        assert.deepEqual(await store.selfIdentificationCounts([OPPORTUNITY]), NO_ANSWERS);
      });

      it('keeps the answers of a change that is never confirmed out of the statistics', async () => {
        const a = await confirmed('a@example.com', { outsideNcr: 'yes' });
        await store.submitApplication(application('a@example.com'), { outsideNcr: 'no' }, ROOMY);
        const changed = await store.getApplication(a.id);
        assert.ok(changed);
        // A save that drops the change drops its answers with it.
        const { pending: _pending, ...rest } = changed;
        await store.saveApplication({ ...rest, number: 1, version: changed.version + 1 }, changed.version);
        assert.deepEqual(await store.selfIdentificationCounts([OPPORTUNITY]), {
          ...NO_ANSWERS,
          outsideNcr: { yes: 1, no: 0, unsaid: 0 },
        });
      });

      it('refuses a list of opportunities that is not one', async () => {
        await assert.rejects(store.selfIdentificationCounts([''] as string[]), RangeError);
      });
    });

    describe('application figures for the summary', () => {
      const counts = (confirmed: number, evaluated = 0, passed = 0) => ({ confirmed, evaluated, passed });
      const evaluate = (a: Application, result: 'pass' | 'fail') =>
        store.saveApplication(
          {
            ...a,
            evaluation: {
              result,
              rationale: 'Read against the criterion.',
              by: { aadObjectId: 'evaluator-1', name: 'Sam Okafor' },
              at: minutesAfter(500),
            },
            version: a.version + 1,
          },
          a.version,
        );

      it('counts each address with a confirmed application once, whatever its case, over the opportunities asked for', async () => {
        await confirmed('Ana@Example.com');
        await confirmed('ana@example.COM', {}, { reference: OTHER });
        await confirmed('bo@example.com');
        await apply('cy@example.com');
        await confirmed('dee@example.com', {}, { reference: 'MA-2026-0003' });
        assert.deepEqual(await store.applicationFigures([OPPORTUNITY, OTHER]), {
          uniqueBidders: 2,
          perOpportunity: { [OPPORTUNITY]: counts(2), [OTHER]: counts(1) },
        });
        assert.deepEqual(await store.applicationFigures([OPPORTUNITY, OTHER, 'MA-2026-0003', OPPORTUNITY]), {
          uniqueBidders: 3,
          perOpportunity: { [OPPORTUNITY]: counts(2), [OTHER]: counts(1), 'MA-2026-0003': counts(1) },
        });
        // Never who: the figures hold no address.
        assert.doesNotMatch(JSON.stringify(await store.applicationFigures([OPPORTUNITY])), /@/);
      });

      it('counts the confirmed applications evaluated and those that passed', async () => {
        await evaluate(await confirmed('a@example.com'), 'pass');
        await evaluate(await confirmed('b@example.com'), 'fail');
        await confirmed('c@example.com');
        await apply('d@example.com');
        assert.deepEqual(await store.applicationFigures([OPPORTUNITY]), {
          uniqueBidders: 3,
          perOpportunity: { [OPPORTUNITY]: counts(3, 2, 1) },
        });
      });

      it('counts a confirmed application once while its change waits, and none once deleted', async () => {
        await confirmed('a@example.com');
        await store.submitApplication(application('A@example.com'), {}, ROOMY);
        assert.deepEqual(await store.applicationFigures([OPPORTUNITY]), {
          uniqueBidders: 1,
          perOpportunity: { [OPPORTUNITY]: counts(1) },
        });
        await store.deleteApplications(OPPORTUNITY);
        assert.deepEqual(await store.applicationFigures([OPPORTUNITY]), {
          uniqueBidders: 0,
          perOpportunity: { [OPPORTUNITY]: counts(0) },
        });
      });

      it('gives 0s for an opportunity nobody applied to, nothing for no opportunity, and refuses a list that is not one', async () => {
        await apply('a@example.com');
        assert.deepEqual(await store.applicationFigures([]), { uniqueBidders: 0, perOpportunity: {} });
        assert.deepEqual(await store.applicationFigures(['MA-2026-9999', OPPORTUNITY]), {
          uniqueBidders: 0,
          perOpportunity: { 'MA-2026-9999': counts(0), [OPPORTUNITY]: counts(0) },
        });
        await assert.rejects(store.applicationFigures([''] as string[]), RangeError);
      });
    });

    describe('the bound on applications waiting for their first confirmation', () => {
      it('stops taking new applications while the bound wait, storing nothing; changes still go through', async () => {
        const a = await apply('a@example.com');
        await apply('b@example.com');
        const refused = application('c@example.com');
        assert.deepEqual(await store.submitApplication(refused, {}, 2), { outcome: 'full' });
        assert.equal(await store.getApplication(refused.id), undefined);
        assert.equal(await store.applicationByToken(refused.pending.token), undefined);
        assert.equal((await listed()).length, 2);
        // An address already in changes its application, whatever the bound.
        assert.equal((await store.submitApplication(application('A@example.com'), {}, 2)).outcome, 'changed');
        // A confirmation frees a place, and a confirmed application's change takes none.
        const now = await store.getApplication(a.id);
        assert.ok(now);
        await confirm(now);
        assert.equal((await store.submitApplication(application('a@example.com'), {}, 2)).outcome, 'changed');
        assert.equal((await store.submitApplication(application('c@example.com'), {}, 2)).outcome, 'created');
        assert.deepEqual(await store.submitApplication(application('d@example.com'), {}, 2), {
          outcome: 'full',
        });
      });

      it('counts the applications waiting on every opportunity together', async () => {
        await apply('a@example.com');
        await apply('b@example.com', { reference: OTHER });
        assert.deepEqual(
          await store.submitApplication(application('c@example.com', { reference: 'MA-2026-0003' }), {}, 2),
          { outcome: 'full' },
        );
      });

      it('lets no more through than the bound when many arrive at once', async () => {
        const outcomes = await Promise.all(
          ['a', 'b', 'c', 'd', 'e'].map((n) =>
            store.submitApplication(application(`${n}@example.com`), {}, 3),
          ),
        );
        assert.equal(outcomes.filter((o) => o.outcome === 'created').length, 3);
        assert.equal(outcomes.filter((o) => o.outcome === 'full').length, 2);
        assert.equal((await listed()).length, 3);
      });
    });
  });
}
