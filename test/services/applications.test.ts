import assert from 'node:assert/strict';
import {
  type Application,
  applicationFiguresOf,
  APPLY_FORM,
  applicationsKeptUntil,
  applicationsOpen,
  CONFIRMATION_MS,
  confirmationState,
  confirmedApplications,
  DECLARATIONS,
  MAX_LINKS,
  readApplication,
  SELF_IDENTIFICATION,
} from '../../src/services/applications';
import { Calendar } from '../../src/services/calendar';
import { type Opportunity, STATUSES } from '../../src/services/opportunity';
import { submitted } from '../support/opportunities';

/** Applying on the public page: what the form takes, until when, and how long a confirmation link works. */

const calendar = new Calendar({ timeZone: 'America/Toronto', province: 'ON' });
const ticked = Object.fromEntries(DECLARATIONS.map((d) => [d, 'yes']));
const FORM = {
  name: 'Ada Dev',
  email: 'ada@example.ca',
  kind: 'student',
  federalEmployee: 'no',
  answer: 'I shipped the accessible date picker of the city’s forms.',
  links: 'https://github.com/ada/picker\n  https://gitlab.com/ada/forms ',
  publicLink: '',
  ...ticked,
  terms: 'yes',
};
const withDeadline = (deadline: string, status: Opportunity['status'] = 'posted') => {
  const o = submitted();
  return { status, dates: { ...o.dates, applicationDeadline: deadline } };
};

describe('reading an application', () => {
  it('takes the application, its links one per line, and no self-identification when none is given', () => {
    const read = readApplication(FORM);
    assert.ok(read.ok);
    assert.deepEqual(read.content, {
      name: 'Ada Dev',
      kind: 'student',
      federalEmployee: false,
      answer: 'I shipped the accessible date picker of the city’s forms.',
      links: ['https://github.com/ada/picker', 'https://gitlab.com/ada/forms'],
    });
    assert.deepEqual(read.selfIdentification, {});
  });

  it('records a federal public servant, a link to publish, and the self-identification answers given', () => {
    const read = readApplication({
      ...FORM,
      federalEmployee: 'yes',
      publicLink: 'https://ada.example.ca',
      newToGovernment: 'yes',
      equityGroup: 'unsaid',
    });
    assert.ok(read.ok);
    assert.equal(read.content.federalEmployee, true);
    assert.equal(read.content.publicLink, 'https://ada.example.ca');
    assert.deepEqual(read.selfIdentification, { newToGovernment: 'yes', equityGroup: 'unsaid' });
  });

  for (const declaration of [...DECLARATIONS, 'terms']) {
    it(`refuses an application without ${declaration} confirmed, naming it`, () => {
      const read = readApplication({ ...FORM, [declaration]: undefined });
      assert.ok(!read.ok);
      assert.deepEqual(read.problems, [{ field: declaration, code: 'required' }]);
    });
  }

  const bad: [string, Record<string, unknown>, string, string][] = [
    ['an unknown kind of applicant', { kind: 'robot' }, 'kind', 'required'],
    ['no answer to the federal question', { federalEmployee: '' }, 'federalEmployee', 'required'],
    ['an answer of 4,001 characters', { answer: 'a'.repeat(4_001) }, 'answer', 'too_long'],
    ['no links', { links: '  ' }, 'links', 'required'],
    [
      `${MAX_LINKS + 1} links`,
      { links: Array.from({ length: MAX_LINKS + 1 }, (_, i) => `https://x.ca/${i}`).join(' ') },
      'links',
      'too_many_links',
    ],
    ['a link that runs a script', { links: 'javascript:alert(1)' }, 'links', 'invalid_url'],
    ['a link to a file server', { links: 'ftp://files.example.ca/work' }, 'links', 'invalid_url'],
    ['words for a link', { links: 'my github' }, 'links', 'invalid_url'],
    ['a link to publish that is not one', { publicLink: 'ada' }, 'publicLink', 'invalid_url'],
    ['one good link and one bad', { links: 'https://x.ca/a\nnot-a-link' }, 'links', 'invalid_url'],
    ['links of 2,001 characters', { links: `https://x.ca/${'a'.repeat(1_990)}` }, 'links', 'too_long'],
    [
      'a self-identification answer the form does not offer',
      { outsideNcr: 'maybe' },
      'outsideNcr',
      'required',
    ],
    ['a list for a name', { name: ['Ada', 'Bob'] }, 'name', 'wrong_type'],
  ];
  for (const [what, patch, field, code] of bad) {
    it(`names ${field} for ${what}, keeping what was typed`, () => {
      const read = readApplication({ ...FORM, ...patch });
      assert.ok(!read.ok);
      assert.deepEqual(
        read.problems.map((p) => [p.field, p.code]),
        [[field, code]],
      );
      assert.equal(read.kept.answer, field === 'answer' ? 'a'.repeat(4_000) : FORM.answer);
    });
  }

  it('names every problem at once: a bad link beside a missing name, a link to publish too long once', () => {
    const read = readApplication({ ...FORM, name: '', links: 'not-a-link', publicLink: 'x'.repeat(501) });
    assert.ok(!read.ok);
    assert.deepEqual(
      read.problems.map((p) => [p.field, p.code]),
      [
        ['name', 'required'],
        ['publicLink', 'too_long'],
        ['links', 'invalid_url'],
      ],
    );
  });

  it('takes as many links as allowed, and says how many when there are more', () => {
    const five = Array.from({ length: MAX_LINKS }, (_, i) => `http://x.ca/${i}`);
    const read = readApplication({ ...FORM, links: five.join('\n') });
    assert.ok(read.ok);
    assert.deepEqual(read.content.links, five);
    const six = readApplication({ ...FORM, links: [...five, 'https://x.ca/6'].join(' ') });
    assert.ok(!six.ok);
    assert.deepEqual(six.problems, [{ field: 'links', code: 'too_many_links', params: { max: 5 } }]);
  });

  it('offers every self-identification question as optional, and nothing else', () => {
    const optional = Object.entries(APPLY_FORM)
      .filter(([, rule]) => 'optional' in rule && rule.optional)
      .map(([field]) => field);
    assert.deepEqual(optional.sort(), ['publicLink', ...SELF_IDENTIFICATION].sort());
  });
});

describe('the application period', () => {
  // 2026-03-16 closes at 23:59:59 EDT (03:59:59 UTC the next day); 2026-11-30 at 23:59:59 EST (04:59:59 UTC).
  const cases: [string, string, boolean][] = [
    ['2026-03-16', '2026-03-17T03:59:59.999Z', true],
    ['2026-03-16', '2026-03-17T04:00:00.000Z', false],
    ['2026-11-30', '2026-12-01T04:59:59.999Z', true],
    ['2026-11-30', '2026-12-01T05:00:00.000Z', false],
    ['2026-11-30', '2026-11-30T12:00:00.000Z', true],
  ];
  for (const [deadline, now, open] of cases) {
    it(`is ${open ? 'open' : 'closed'} at ${now} for a deadline on ${deadline}, where the department works`, () => {
      assert.equal(applicationsOpen(withDeadline(deadline), now, calendar), open);
    });
  }

  it('is open only while the opportunity is posted', () => {
    for (const status of STATUSES) {
      assert.equal(
        applicationsOpen(withDeadline('2026-11-30', status), '2026-11-20T12:00:00.000Z', calendar),
        status === 'posted',
        status,
      );
    }
  });
});

describe('a confirmation link', () => {
  const sentAt = '2026-11-20T12:00:00.000Z';
  const pending = { pending: { content: {} as never, token: 't', at: sentAt } };
  const after = (ms: number) => new Date(Date.parse(sentAt) + ms).toISOString();

  it('works for 48 hours, then not', () => {
    assert.equal(CONFIRMATION_MS, 172_800_000);
    assert.equal(
      confirmationState(pending, withDeadline('2026-11-30'), after(CONFIRMATION_MS), calendar),
      'usable',
    );
    assert.equal(
      confirmationState(pending, withDeadline('2026-11-30'), after(CONFIRMATION_MS + 1), calendar),
      'expired',
    );
  });

  it('confirms nothing once applications are closed, nor when nothing waits', () => {
    assert.equal(
      confirmationState(pending, withDeadline('2026-11-20'), after(24 * 3_600_000), calendar),
      'closed',
    );
    assert.equal(confirmationState({}, withDeadline('2026-11-30'), after(1), calendar), 'nothing_pending');
  });
});

describe('the retention of applications', () => {
  it('runs from the end of an opportunity, and never while it runs', () => {
    for (const status of STATUSES) {
      const until = applicationsKeptUntil({ status, updatedAt: '2026-01-31T12:00:00.000Z' }, 730);
      const ended = ['paid', 'terminated', 'rejected', 'cancelled'].includes(status);
      assert.equal(until, ended ? '2028-01-31T12:00:00.000Z' : undefined, status);
    }
  });
});

describe('application figures and paging', () => {
  const at = '2026-12-01T15:00:00.000Z';
  const confirmed = (reference: string, email: string, result?: 'pass' | 'fail') => ({
    reference,
    email,
    confirmedAt: at,
    ...(result ? { evaluation: { result, rationale: 'r', by: { aadObjectId: 'r', name: 'R' }, at } } : {}),
  });

  it('counts each address once across opportunities, whatever its case or surrounding spaces', () => {
    const figures = applicationFiguresOf(
      ['MA-2026-0001', 'MA-2026-0002', 'MA-2026-0003'],
      [
        confirmed('MA-2026-0001', 'Ada@Example.ca', 'pass'),
        confirmed('MA-2026-0002', ' ada@example.ca ', 'fail'),
        confirmed('MA-2026-0002', 'bo@example.ca'),
        { reference: 'MA-2026-0001', email: 'unconfirmed@example.ca' },
        confirmed('MA-2026-0099', 'other@example.ca', 'pass'),
      ],
    );
    assert.equal(figures.uniqueBidders, 2);
    assert.deepEqual(figures.perOpportunity, {
      'MA-2026-0001': { confirmed: 1, evaluated: 1, passed: 1 },
      'MA-2026-0002': { confirmed: 2, evaluated: 1, passed: 0 },
      'MA-2026-0003': { confirmed: 0, evaluated: 0, passed: 0 },
    });
  });

  it('reads every confirmed application of an opportunity, page after page', async () => {
    const all = Array.from({ length: 5 }, (_, i) => ({ id: `a-${i}` }) as Application);
    const asked: unknown[] = [];
    const store = {
      async applicationsOf(
        reference: string,
        options: { readonly confirmedOnly?: boolean },
        page: { readonly limit: number; readonly cursor?: string },
      ) {
        asked.push([reference, options, page]);
        const from = Number(page.cursor ?? 0);
        const items = all.slice(from, from + page.limit);
        return {
          items,
          ...(from + page.limit < all.length ? { nextCursor: String(from + page.limit) } : {}),
        };
      },
    };
    assert.deepEqual(
      (await confirmedApplications(store, 'MA-2026-0001', 2)).map((a) => a.id),
      ['a-0', 'a-1', 'a-2', 'a-3', 'a-4'],
    );
    assert.deepEqual(asked, [
      ['MA-2026-0001', { confirmedOnly: true }, { limit: 2 }],
      ['MA-2026-0001', { confirmedOnly: true }, { limit: 2, cursor: '2' }],
      ['MA-2026-0001', { confirmedOnly: true }, { limit: 2, cursor: '4' }],
    ]);
  });
});
