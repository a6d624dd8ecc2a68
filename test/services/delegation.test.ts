import { strict as assert } from 'node:assert';
import {
  activeOn,
  checkDelegation,
  type Delegation,
  type DelegationCheck,
  isIsoDate,
  oneYearAfter,
  ownRoles,
  parseDelegateCommand,
  StoredDelegation,
} from '../../src/services/delegation';
import type { Actor, ConfiguredRole } from '../../src/services/roles';

/** Acting for a colleague on leave: the command's words, the rules, and which delegations run. */

const FARAH = { aadObjectId: 'aad-farah', name: 'Farah Haddad' };
const SAM = { aadObjectId: 'aad-sam', name: 'Sam Finance' };
const TODAY = '2026-03-02';

const someone = (id: string, name: string, roles: ConfiguredRole[], extra: Partial<Actor> = {}): Actor => ({
  id,
  name,
  roles: new Set(roles),
  ...extra,
});
const farah = someone('aad-farah', 'Farah Haddad', ['finance']);

const delegation = (overrides: Partial<Delegation> = {}): Delegation => ({
  id: 'd-1',
  delegator: FARAH,
  delegate: SAM,
  until: '2026-03-20',
  createdAt: '2026-03-02T14:00:00.000Z',
  ...overrides,
});

describe('delegation: reading the command', () => {
  const named = (who: object, until: string) => ({ kind: 'name', who, until });
  const problems = (...list: string[]) => ({ kind: 'problems', problems: list });

  it('lists the delegations when nothing follows the word, or the word for a list', () => {
    for (const args of ['', '   ', 'list', 'LISTE', 'liste.'])
      assert.deepEqual(parseDelegateCommand(args, 'en'), { kind: 'list' }, args);
  });

  it('ends the running delegation on end, fin and their synonyms, in either language', () => {
    for (const args of ['end', 'End', 'fin', 'FIN', 'stop', 'arrêter', 'Terminer', ' end! ']) {
      for (const locale of ['en', 'fr'] as const)
        assert.deepEqual(parseDelegateCommand(args, locale), { kind: 'end' }, `${args} ${locale}`);
    }
  });

  it('reads an English command: a name, with or without @, and the last day', () => {
    assert.deepEqual(
      parseDelegateCommand('@Sam Finance until 2027-01-15', 'en'),
      named({ name: 'Sam Finance' }, '2027-01-15'),
    );
    assert.deepEqual(
      parseDelegateCommand('Sam   Finance UNTIL 2027-01-15', 'en'),
      named({ name: 'Sam Finance' }, '2027-01-15'),
    );
    assert.deepEqual(parseDelegateCommand('sam till 2027-01-15', 'en'), named({ name: 'sam' }, '2027-01-15'));
  });

  it('reads a French command with jusqu’au (either apostrophe), jusqu’à or au', () => {
    for (const until of ["jusqu'au", 'jusqu’au', 'Jusqu’à', 'au']) {
      assert.deepEqual(
        parseDelegateCommand(`@Chloé Gagné ${until} 2027-01-15`, 'fr'),
        named({ name: 'Chloé Gagné' }, '2027-01-15'),
        until,
      );
    }
  });

  it('reads the words of both languages whatever the person’s language', () => {
    assert.deepEqual(
      parseDelegateCommand('Sam Finance jusqu’au 2027-01-15', 'en'),
      named({ name: 'Sam Finance' }, '2027-01-15'),
    );
    assert.deepEqual(
      parseDelegateCommand('Sam Finance until 2027-01-15', 'fr'),
      named({ name: 'Sam Finance' }, '2027-01-15'),
    );
  });

  it('takes the last “until” as the one before the date, so a name may hold “Au”', () => {
    assert.deepEqual(
      parseDelegateCommand('Jean Au au 2027-01-15', 'fr'),
      named({ name: 'Jean Au' }, '2027-01-15'),
    );
    assert.deepEqual(
      parseDelegateCommand('Jean Au until 2027-01-15', 'en'),
      named({ name: 'Jean Au' }, '2027-01-15'),
    );
  });

  it('reads a date that ends the message without “until”', () => {
    assert.deepEqual(
      parseDelegateCommand('Sam Finance 2027-01-15', 'en'),
      named({ name: 'Sam Finance' }, '2027-01-15'),
    );
    assert.deepEqual(
      parseDelegateCommand('Sam Finance 15 janvier 2027', 'fr'),
      named({ name: 'Sam Finance' }, '2027-01-15'),
    );
    assert.deepEqual(
      parseDelegateCommand('Sam Finance vendredi 15 janvier 2027', 'fr'),
      named({ name: 'Sam Finance' }, '2027-01-15'),
    );
  });

  it('reads every month’s name and short form, and every weekday, in each language', () => {
    const months = {
      en: [
        ['January', 'Jan'],
        ['February', 'Feb'],
        ['March', 'Mar'],
        ['April', 'Apr'],
        ['May'],
        ['June', 'Jun'],
        ['July', 'Jul'],
        ['August', 'Aug'],
        ['September', 'Sep', 'Sept'],
        ['October', 'Oct'],
        ['November', 'Nov'],
        ['December', 'Dec'],
      ],
      fr: [
        ['janvier', 'janv.'],
        ['février', 'févr.', 'fév.'],
        ['mars'],
        ['avril', 'avr.'],
        ['mai'],
        ['juin'],
        ['juillet', 'juil.'],
        ['août'],
        ['septembre', 'sept.'],
        ['octobre', 'oct.'],
        ['novembre', 'nov.'],
        ['décembre', 'déc.'],
      ],
    } as const;
    for (const locale of ['en', 'fr'] as const) {
      months[locale].forEach((names, i) => {
        const iso = `2027-${String(i + 1).padStart(2, '0')}-15`;
        for (const name of names) {
          const typed = locale === 'en' ? `${name} 15, 2027` : `15 ${name} 2027`;
          assert.deepEqual(parseDelegateCommand(`Sam ${typed}`, locale), named({ name: 'Sam' }, iso), typed);
        }
      });
    }
    const weekdays = {
      en: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
      fr: ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'],
    };
    for (const locale of ['en', 'fr'] as const) {
      for (const day of weekdays[locale]) {
        const typed = locale === 'en' ? `${day}, March 1st, 2027` : `${day} 1er mars 2027`;
        assert.deepEqual(
          parseDelegateCommand(`Sam ${typed}`, locale),
          named({ name: 'Sam' }, '2027-03-01'),
          typed,
        );
      }
    }
    // Days as English writes them, and none that does not exist.
    for (const [day, n] of [
      ['2nd', '02'],
      ['3rd', '03'],
      ['4th', '04'],
    ] as const)
      assert.deepEqual(
        parseDelegateCommand(`Sam March ${day}, 2027`, 'en'),
        named({ name: 'Sam' }, `2027-03-${n}`),
      );
    assert.equal(parseDelegateCommand('Sam until February 29, 2027', 'en').kind, 'problems');
    assert.equal(parseDelegateCommand('Sam until 2027-02-29', 'en').kind, 'problems');
    assert.equal(parseDelegateCommand('Sam until 2028-02-29', 'en').kind, 'name');
  });

  it('reads a date written out in the person’s language', () => {
    const en = [
      'January 15, 2027',
      '15 January 2027',
      'Jan 15 2027',
      'Friday, January 15, 2027',
      'January 15th, 2027',
    ];
    for (const date of en)
      assert.deepEqual(
        parseDelegateCommand(`Sam until ${date}`, 'en'),
        named({ name: 'Sam' }, '2027-01-15'),
        date,
      );
    const fr = ['15 janvier 2027', 'vendredi 15 janvier 2027', '15 JANV. 2027'];
    for (const date of fr)
      assert.deepEqual(
        parseDelegateCommand(`Sam jusqu’au ${date}`, 'fr'),
        named({ name: 'Sam' }, '2027-01-15'),
        date,
      );
    assert.deepEqual(
      parseDelegateCommand('Sam jusqu’au 1er mars 2027', 'fr'),
      named({ name: 'Sam' }, '2027-03-01'),
    );
    assert.deepEqual(parseDelegateCommand('Sam au 3 août 2027', 'fr'), named({ name: 'Sam' }, '2027-08-03'));
    // Month names are read in the person's language only.
    assert.deepEqual(parseDelegateCommand('Sam until 15 janvier 2027', 'en'), problems('date_malformed'));
    assert.deepEqual(parseDelegateCommand('Sam jusqu’au January 15, 2027', 'fr'), problems('date_malformed'));
  });

  it('takes the person a Teams mention names, whatever text stands for them', () => {
    const mention = { id: '29:sam', name: 'Sam Finance' };
    assert.deepEqual(
      parseDelegateCommand('until 2027-01-15', 'en', [mention]),
      named({ mention }, '2027-01-15'),
    );
    assert.deepEqual(
      parseDelegateCommand('<at>Sam Finance</at> jusqu’au 2027-01-15', 'fr', [mention]),
      named({ mention }, '2027-01-15'),
    );
    // The same person mentioned twice is one person.
    assert.deepEqual(
      parseDelegateCommand('until 2027-01-15', 'en', [mention, mention]),
      named({ mention }, '2027-01-15'),
    );
    // A list or an end ignores mentions.
    assert.deepEqual(parseDelegateCommand('end', 'en', [mention]), { kind: 'end' });
  });

  it('says what is missing: the name, the date, or both', () => {
    assert.deepEqual(parseDelegateCommand('until 2027-01-15', 'en'), problems('name_missing'));
    assert.deepEqual(parseDelegateCommand('@ until 2027-01-15', 'en'), problems('name_missing'));
    assert.deepEqual(parseDelegateCommand('2027-01-15', 'en'), problems('name_missing'));
    assert.deepEqual(parseDelegateCommand('Sam Finance', 'en'), problems('date_missing'));
    assert.deepEqual(parseDelegateCommand('Sam Finance until', 'en'), problems('date_missing'));
    assert.deepEqual(parseDelegateCommand('Sam jusqu’au', 'fr'), problems('date_missing'));
    assert.deepEqual(parseDelegateCommand('until', 'en'), problems('name_missing', 'date_missing'));
    assert.deepEqual(parseDelegateCommand('end now', 'en'), problems('date_missing'));
  });

  it('refuses a date it cannot read, or that is no real day', () => {
    for (const date of [
      'tomorrow',
      '2027-13-01',
      '2027-02-29',
      '2027-04-31',
      '2027-1-15',
      '15/01/2027',
      '2027-01-15 noon',
      '32 January 2027',
    ])
      assert.deepEqual(parseDelegateCommand(`Sam until ${date}`, 'en'), problems('date_malformed'), date);
    assert.deepEqual(parseDelegateCommand('Sam 2027-02-30', 'en'), problems('date_malformed'));
    assert.deepEqual(parseDelegateCommand('until demain', 'fr'), problems('name_missing', 'date_malformed'));
    // 29 February is a day in a leap year.
    assert.deepEqual(
      parseDelegateCommand('Sam until 2028-02-29', 'en'),
      named({ name: 'Sam' }, '2028-02-29'),
    );
  });

  it('refuses two people at once', () => {
    const mentions = [
      { id: '29:sam', name: 'Sam Finance' },
      { id: '29:dana', name: 'Dana Cho' },
    ];
    assert.deepEqual(parseDelegateCommand('until 2027-01-15', 'en', mentions), problems('several_names'));
    assert.deepEqual(
      parseDelegateCommand('until someday', 'en', mentions),
      problems('several_names', 'date_malformed'),
    );
  });
});

describe('delegation: the rules', () => {
  const check = (overrides: Partial<DelegationCheck> = {}) =>
    checkDelegation({
      delegator: farah,
      delegate: SAM,
      until: '2026-03-20',
      today: TODAY,
      existing: [],
      ...overrides,
    });

  it('accepts a role holder naming someone else from today to a year on', () => {
    assert.deepEqual(check(), []);
    for (const role of ['procurement', 'finance', 'union', 'manager'] as const)
      assert.deepEqual(check({ delegator: someone('aad-x', 'X', [role]) }), [], role);
  });

  it('refuses someone without a configured role of their own', () => {
    assert.deepEqual(check({ delegator: someone('aad-riley', 'Riley', []) }), ['no_role']);
    const clock: Actor = { id: 'system', name: 'Microacq', roles: new Set(['system']) };
    assert.deepEqual(check({ delegator: clock }), ['no_role']);
  });

  it('refuses a delegate passing on the roles they hold for someone else', () => {
    const sam = someone('aad-sam', 'Sam Finance', ['finance'], { delegatedBy: { finance: FARAH } });
    assert.deepEqual(check({ delegator: sam, delegate: { aadObjectId: 'aad-dana', name: 'Dana' } }), [
      'no_role',
    ]);
    // Their own roles they may pass on; the delegated ones are not counted.
    const both = someone('aad-sam', 'Sam Finance', ['finance', 'manager'], {
      delegatedBy: { finance: FARAH },
    });
    assert.deepEqual(check({ delegator: both, delegate: { aadObjectId: 'aad-dana', name: 'Dana' } }), []);
    assert.deepEqual(ownRoles(both), ['manager']);
  });

  it('refuses a delegate nobody found, and the delegator themself whatever the case of the id', () => {
    assert.deepEqual(check({ delegate: undefined }), ['delegate_unknown']);
    assert.deepEqual(check({ delegate: { aadObjectId: 'AAD-Farah', name: 'Farah Haddad' } }), ['self']);
  });

  it('takes today as the last day, and not yesterday', () => {
    assert.deepEqual(check({ until: TODAY }), []);
    assert.deepEqual(check({ until: '2026-03-01' }), ['date_past']);
    assert.deepEqual(check({ until: '2025-12-31' }), ['date_past']);
  });

  it('takes the same day a year on as the last day, and not the day after', () => {
    assert.deepEqual(check({ until: '2027-03-02' }), []);
    assert.deepEqual(check({ until: '2027-03-03' }), ['date_too_far']);
    // A year from 29 February is 28 February.
    assert.deepEqual(check({ today: '2028-02-29', until: '2029-02-28' }), []);
    assert.deepEqual(check({ today: '2028-02-29', until: '2029-03-01' }), ['date_too_far']);
  });

  it('judges the dates on the department’s calendar as given, whatever the time of day', () => {
    // Late in the evening where the department works, it is already tomorrow in UTC: `today` decides.
    assert.deepEqual(check({ today: '2026-12-31', until: '2026-12-31' }), []);
    assert.deepEqual(check({ today: '2027-01-01', until: '2026-12-31' }), ['date_past']);
  });

  it('refuses a last day that is no date', () => {
    assert.deepEqual(check({ until: '2026-02-30' }), ['date_malformed']);
    assert.deepEqual(check({ until: 'soon' }), ['date_malformed']);
  });

  it('says every problem at once', () => {
    assert.deepEqual(
      check({ delegator: someone('aad-riley', 'Riley', []), delegate: undefined, until: '2020-01-01' }),
      ['no_role', 'delegate_unknown', 'date_past'],
    );
  });

  it('refuses naming again the same person to the same day, and nothing else', () => {
    const running = delegation();
    assert.deepEqual(check({ existing: [running] }), ['unchanged']);
    assert.deepEqual(check({ existing: [running], until: '2026-03-21' }), []);
    assert.deepEqual(check({ existing: [running], delegate: { aadObjectId: 'aad-dana', name: 'Dana' } }), []);
    assert.deepEqual(
      check({ existing: [{ ...running, endedAt: '2026-03-02T15:00:00.000Z', endedBy: FARAH }] }),
      [],
    );
    assert.deepEqual(check({ existing: [{ ...running, delegate: { ...SAM, aadObjectId: 'AAD-SAM' } }] }), [
      'unchanged',
    ]);
  });
});

describe('delegation: which run', () => {
  it('runs until the end of its last day, and not once ended', () => {
    assert.equal(activeOn(delegation(), TODAY), true);
    assert.equal(activeOn(delegation(), '2026-03-20'), true);
    assert.equal(activeOn(delegation(), '2026-03-21'), false);
    assert.equal(activeOn(delegation({ endedAt: '2026-03-02T15:00:00.000Z', endedBy: FARAH }), TODAY), false);
  });

  it('gives a person’s own roles in the usual order, a delegated one left out', () => {
    const actor = someone('a', 'A', ['manager', 'procurement', 'union'], {
      delegatedBy: { union: { aadObjectId: 'b', name: 'B' } },
    });
    assert.deepEqual(ownRoles(actor), ['procurement', 'manager']);
    assert.deepEqual(ownRoles(someone('a', 'A', [])), []);
  });

  it('reads dates and counts a year as the calendar does', () => {
    assert.equal(isIsoDate('2026-03-02'), true);
    assert.equal(isIsoDate('2026-3-2'), false);
    assert.equal(isIsoDate('2026-02-29'), false);
    assert.equal(isIsoDate('2024-02-29'), true);
    assert.equal(oneYearAfter('2026-03-02'), '2027-03-02');
    assert.equal(oneYearAfter('2026-12-31'), '2027-12-31');
    assert.equal(oneYearAfter('2028-02-29'), '2029-02-28');
  });

  it('keeps what a store holds of the people and nothing else they carry', () => {
    const stored = StoredDelegation.parse(
      delegation({ delegate: { ...SAM, onBehalfOf: FARAH } as unknown as typeof SAM }),
    );
    assert.deepEqual(stored.delegate, SAM);
    assert.equal(StoredDelegation.safeParse(delegation({ until: '2026-02-30' })).success, false);
    assert.equal(StoredDelegation.safeParse(delegation({ id: ' ' })).success, false);
  });
});
