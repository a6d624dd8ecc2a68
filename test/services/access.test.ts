import { strict as assert } from 'node:assert';
import { mayRead, readableBy, readsEverything, seesFundReservation, viewOf } from '../../src/services/access';
import { idKey, sameId, SYSTEM_ACTOR } from '../../src/services/roles';
import { person, submitted } from '../support/opportunities';

/** Who may read what: one rule for every answer that shows a request. */
describe('access: who may read a request', () => {
  const mine = submitted('MA-2026-0001', person('AAD-Riley'));

  it('lets the requester read their own request, whatever the case of their id', () => {
    for (const id of ['AAD-Riley', 'aad-riley', 'AAD-RILEY'])
      assert.equal(mayRead(mine, person(id)), true, id);
  });

  it('lets every team and managers read every request', () => {
    for (const role of ['procurement', 'finance', 'union', 'manager'] as const) {
      assert.equal(mayRead(mine, person('someone', role)), true, role);
      assert.equal(readsEverything(person('someone', role)), true, role);
    }
  });

  it('keeps a request from a colleague without a role, and from someone without an id', () => {
    assert.equal(mayRead(mine, person('aad-colleague')), false);
    assert.equal(mayRead(mine, person('')), false);
    assert.equal(mayRead({ requester: { aadObjectId: '', name: '' } }, person('')), false);
  });

  it('does not count the clock as a reader of everything', () => {
    assert.equal(readsEverything(SYSTEM_ACTOR), false);
  });

  it('limits a query to their own requests for a requester, and not at all for the teams', () => {
    assert.deepEqual(readableBy(person('aad-riley')), { requesterId: 'aad-riley' });
    assert.deepEqual(readableBy(person('aad-manager', 'manager')), {});
  });

  it('shows fund reservation numbers to finance and procurement, in person or in their channels', () => {
    const seen = (['procurement', 'finance', 'union', 'manager'] as const).map((r) =>
      seesFundReservation({ actor: person('x', r) }),
    );
    assert.deepEqual(seen, [true, true, false, false]);
    assert.equal(seesFundReservation({ actor: person('aad-riley') }), false);
    assert.deepEqual(
      (['procurement', 'finance', 'union'] as const).map((channel) => seesFundReservation({ channel })),
      [true, true, false],
    );
  });
});

describe('access: what each reader sees of a request', () => {
  const mine = submitted('MA-2026-0001', person('aad-riley'));
  const EVERY = ['unclassified', 'standalone', 'noInternalCapacity', 'notContractSplitting'];
  /** Written out from the issue, not from the rule: each team sees what it decides on. */
  const EXPECTED: [
    string,
    Parameters<typeof viewOf>[0],
    { contact: boolean; attestations: string[]; consulted: string[]; evidence: boolean; funds: boolean },
  ][] = [
    [
      'the requester',
      { actor: person('AAD-RILEY') },
      { contact: true, attestations: EVERY, consulted: [], evidence: false, funds: false },
    ],
    [
      'procurement',
      { actor: person('p', 'procurement') },
      { contact: true, attestations: EVERY, consulted: [], evidence: true, funds: true },
    ],
    [
      'the procurement channel',
      { channel: 'procurement' },
      { contact: true, attestations: EVERY, consulted: [], evidence: true, funds: true },
    ],
    [
      'finance',
      { actor: person('f', 'finance') },
      { contact: true, attestations: EVERY, consulted: [], evidence: false, funds: true },
    ],
    [
      'the finance channel',
      { channel: 'finance' },
      { contact: true, attestations: EVERY, consulted: [], evidence: false, funds: true },
    ],
    [
      'the union',
      { actor: person('u', 'union') },
      {
        contact: false,
        attestations: ['standalone', 'noInternalCapacity'],
        consulted: ['standalone', 'noInternalCapacity'],
        evidence: false,
        funds: false,
      },
    ],
    [
      'the union channel',
      { channel: 'union' },
      {
        contact: false,
        attestations: ['standalone', 'noInternalCapacity'],
        consulted: ['standalone', 'noInternalCapacity'],
        evidence: false,
        funds: false,
      },
    ],
    [
      'a manager',
      { actor: person('m', 'manager') },
      { contact: true, attestations: EVERY, consulted: [], evidence: false, funds: false },
    ],
    [
      'the union, on their own request',
      { actor: person('aad-riley', 'union') },
      {
        contact: true,
        attestations: EVERY,
        consulted: ['standalone', 'noInternalCapacity'],
        evidence: false,
        funds: false,
      },
    ],
    [
      'union and finance at once',
      { actor: person('uf', 'union', 'finance') },
      {
        contact: true,
        attestations: EVERY,
        consulted: ['standalone', 'noInternalCapacity'],
        evidence: false,
        funds: true,
      },
    ],
    [
      'a colleague without a role',
      { actor: person('x') },
      { contact: false, attestations: [], consulted: [], evidence: false, funds: false },
    ],
    [
      'the clock',
      { actor: SYSTEM_ACTOR },
      { contact: false, attestations: [], consulted: [], evidence: false, funds: false },
    ],
  ];
  for (const [who, reader, expected] of EXPECTED) {
    it(`shows ${who} the parts of a request their role decides on`, () => {
      const view = viewOf(reader, mine);
      assert.deepEqual(
        {
          contact: view.contact,
          attestations: [...view.attestations],
          consulted: [...view.consultedOn],
          evidence: view.splittingEvidence,
          funds: view.fundReservation,
        },
        expected,
      );
    });
  }
});

describe('object ids', () => {
  it('are one id whatever their case', () => {
    assert.equal(idKey('7E3A-B1'), '7e3a-b1');
    assert.equal(sameId('7E3A-B1', '7e3a-b1'), true);
    assert.equal(sameId('7e3a-b1', '7e3a-b2'), false);
  });

  it('never match when one is missing or empty', () => {
    assert.equal(sameId(undefined, 'x'), false);
    assert.equal(sameId('x', undefined), false);
    assert.equal(sameId('', ''), false);
  });
});
