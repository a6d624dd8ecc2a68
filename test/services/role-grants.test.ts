import { strict as assert } from 'node:assert';
import {
  branchApprovers,
  namedPeople,
  checkRolesFile,
  envVariable,
  type Grant,
  grantsFromEnv,
  grantsFromFile,
  heldRoles,
  ROLES_FILE_LIMITS,
  type RolesFile,
  sameBranch,
  usesGroups,
} from '../../src/services/role-grants';
import { CONFIGURED_ROLES, type RoleMapping } from '../../src/services/roles';

const ALICE = '6e7b768e-07e2-4810-8459-485f84f8f204';
const BOB = '0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f';
const CAROL = 'c0ffee00-1111-4222-8333-944445555666';
const FPS = 'aaaaaaaa-0000-4000-8000-000000000001';
const UNION_GROUP = 'aaaaaaaa-0000-4000-8000-000000000002';
const OTHER_GROUP = 'aaaaaaaa-0000-4000-8000-000000000003';

const EMPTY: RoleMapping = { procurement: [], finance: [], union: [], manager: [] };

function fileOf(raw: unknown): RolesFile {
  const checked = checkRolesFile(raw);
  if ('problems' in checked) assert.fail(checked.problems.join('\n'));
  return checked.file;
}

function problemsOf(raw: unknown): readonly string[] {
  const checked = checkRolesFile(raw);
  assert.ok('problems' in checked, 'the file was accepted');
  return checked.problems;
}

function grant(overrides: Partial<Grant> & Pick<Grant, 'role'>): Grant {
  return { groups: [], people: [], leads: [], source: 'roles.yaml', ...overrides };
}

describe('role grants: the roles file', () => {
  it('accepts every role, each with one or more grants, and every field of a grant', () => {
    const file = fileOf({
      finance: [
        {
          label: '  FPS approvers, Innovation branch ',
          branches: ['Innovation', ' Service Canada '],
          groups: [FPS],
          people: [ALICE],
          leads: [BOB],
        },
        { groups: [OTHER_GROUP] },
      ],
      procurement: [{ people: [CAROL] }],
      union: [{ groups: [UNION_GROUP] }],
      manager: [{ leads: [ALICE] }],
    });
    assert.equal(file.finance?.[0]?.label, 'FPS approvers, Innovation branch');
    assert.deepEqual(file.finance?.[0]?.branches, ['Innovation', 'Service Canada']);
    assert.equal(file.finance?.length, 2);
    assert.deepEqual(file.manager, [{ leads: [ALICE] }]);
  });

  it('accepts a file that grants nothing, and any role left out', () => {
    assert.deepEqual(fileOf({}), {});
    assert.deepEqual(Object.keys(fileOf({ union: [{ people: [ALICE] }] })), ['union']);
  });

  it('refuses an unknown role, naming it and the roles there are', () => {
    assert.deepEqual(problemsOf({ finances: [{ people: [ALICE] }] }), [
      'the file: unknown key "finances" (expected procurement, finance, union, manager)',
    ]);
  });

  it('refuses an unknown field in a grant, with its path', () => {
    assert.deepEqual(problemsOf({ finance: [{ people: [ALICE], member: [BOB] }] }), [
      'finance[0]: unknown key "member" (expected label, branches, groups, people, leads)',
    ]);
  });

  it('refuses a grant that names nobody', () => {
    assert.deepEqual(problemsOf({ union: [{ label: 'Local 42' }] }), [
      'union[0]: must name at least one group, person or lead',
    ]);
    assert.deepEqual(problemsOf({ union: [{ groups: [], people: [] }] }), [
      'union[0]: must name at least one group, person or lead',
    ]);
  });

  it('refuses an id that is not a GUID, naming where it is', () => {
    const problems = problemsOf({ finance: [{ groups: [FPS, 'FPS approvers'] }] });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^finance\[0\]\.groups\[1\]: must be an Entra object id/);
    assert.match(problemsOf({ manager: [{ leads: [42] }] })[0] ?? '', /^manager\[0\]\.leads\[0\]: /);
  });

  it('refuses the same id twice in a list, whatever its case', () => {
    assert.deepEqual(problemsOf({ finance: [{ people: [ALICE, ALICE.toUpperCase()] }] }), [
      `finance[0].people[1]: repeats ${ALICE.toUpperCase()} (ids ignore case)`,
    ]);
  });

  it('refuses a role without grants, or whose grants are not a list', () => {
    assert.match(problemsOf({ finance: [] })[0] ?? '', /^finance: must list at least one grant/);
    assert.match(problemsOf({ finance: null })[0] ?? '', /^finance: must be a list of grants/);
    assert.match(problemsOf({ finance: { people: [ALICE] } })[0] ?? '', /^finance: must be a list of grants/);
    assert.match(problemsOf({ finance: ['someone'] })[0] ?? '', /^finance\[0\]: must be a grant/);
  });

  it('refuses a file that is not a mapping of roles', () => {
    for (const raw of [null, 'finance', [{ people: [ALICE] }], 42]) {
      assert.match(
        problemsOf(raw)[0] ?? '',
        /^the file: must map roles \(procurement, finance, union, manager\)/,
      );
    }
  });

  it('refuses empty or over-long labels and branches, and an empty branch list', () => {
    assert.match(
      problemsOf({ finance: [{ label: ' ', people: [ALICE] }] })[0] ?? '',
      /^finance\[0\]\.label: /,
    );
    assert.match(
      problemsOf({
        finance: [{ label: 'x'.repeat(ROLES_FILE_LIMITS.labelLength + 1), people: [ALICE] }],
      })[0] ?? '',
      /^finance\[0\]\.label: must be at most 200 characters/,
    );
    assert.match(
      problemsOf({ finance: [{ branches: [], people: [ALICE] }] })[0] ?? '',
      /^finance\[0\]\.branches: must name at least one branch; leave branches out for every branch/,
    );
    assert.match(
      problemsOf({ finance: [{ branches: ['IITB', ''], people: [ALICE] }] })[0] ?? '',
      /^finance\[0\]\.branches\[1\]: must not be empty/,
    );
    assert.match(
      problemsOf({ finance: [{ branches: ['b'.repeat(256)], people: [ALICE] }] })[0] ?? '',
      /^finance\[0\]\.branches\[0\]: must be at most 255 characters/,
    );
  });

  it('bounds the number of grants, ids and branches', () => {
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    assert.match(
      problemsOf({ finance: [{ people: many(ROLES_FILE_LIMITS.idsPerList + 1) }] })[0] ?? '',
      /^finance\[0\]\.people: lists at most 1000 person ids/,
    );
    assert.match(
      problemsOf({
        finance: Array.from({ length: ROLES_FILE_LIMITS.grantsPerRole + 1 }, () => ({ people: [ALICE] })),
      })[0] ?? '',
      /^finance: lists at most 100 grants/,
    );
    assert.match(
      problemsOf({
        finance: [{ people: [ALICE], branches: Array.from({ length: 101 }, (_, i) => `Branch ${i}`) }],
      })[0] ?? '',
      /^finance\[0\]\.branches: lists at most 100 branches/,
    );
    assert.equal(
      fileOf({ finance: [{ people: many(ROLES_FILE_LIMITS.idsPerList) }] }).finance?.[0]?.people?.length,
      1000,
    );
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      finance: [{ people: ['nobody'] }, { label: 'empty' }],
      unions: [],
    });
    assert.equal(problems.length, 3);
    assert.ok(problems.some((p) => p.startsWith('finance[0].people[0]:')));
    assert.ok(problems.some((p) => p.startsWith('finance[1]:')));
    assert.ok(problems.some((p) => p.includes('"unions"')));
  });
});

describe('role grants: from the variables and the file', () => {
  it('gives each ROLE_* id as both a person and a group, named after its variable', () => {
    const grants = grantsFromEnv({ ...EMPTY, finance: [ALICE, FPS], manager: [BOB] });
    assert.deepEqual(grants, [
      { role: 'finance', groups: [ALICE, FPS], people: [ALICE, FPS], leads: [], source: 'ROLE_FINANCE' },
      { role: 'manager', groups: [BOB], people: [BOB], leads: [], source: 'ROLE_MANAGER' },
    ]);
    assert.deepEqual(CONFIGURED_ROLES.map(envVariable), [
      'ROLE_PROCUREMENT',
      'ROLE_FINANCE',
      'ROLE_UNION',
      'ROLE_MANAGER',
    ]);
    assert.deepEqual(grantsFromEnv(EMPTY), []);
  });

  it('turns the file into grants in role order, then file order, with the file as their source', () => {
    const grants = grantsFromFile(
      fileOf({
        manager: [{ leads: [ALICE] }],
        finance: [{ label: 'FPS', branches: ['IITB'], groups: [FPS] }, { people: [BOB] }],
      }),
      'roles.yaml',
    );
    assert.deepEqual(grants, [
      {
        role: 'finance',
        label: 'FPS',
        branches: ['IITB'],
        groups: [FPS],
        people: [],
        leads: [],
        source: 'roles.yaml',
      },
      { role: 'finance', groups: [], people: [BOB], leads: [], source: 'roles.yaml' },
      { role: 'manager', groups: [], people: [], leads: [ALICE], source: 'roles.yaml' },
    ]);
  });

  it('says whether any grant needs the directory', () => {
    assert.equal(usesGroups([]), false);
    assert.equal(usesGroups([grant({ role: 'finance', people: [ALICE], leads: [BOB] })]), false);
    assert.equal(usesGroups([grant({ role: 'union', groups: [UNION_GROUP] })]), true);
    // Any ROLE_* id may be a group.
    assert.equal(usesGroups(grantsFromEnv({ ...EMPTY, union: [ALICE] })), true);
  });
});

describe('role grants: the roles a person holds', () => {
  it('gives every role to a person named for it, in the configured order', () => {
    const grants = CONFIGURED_ROLES.slice()
      .reverse()
      .map((role) => grant({ role, people: [ALICE] }));
    const held = heldRoles(grants, ALICE, []);
    assert.deepEqual(
      held.map((h) => h.role),
      CONFIGURED_ROLES,
    );
    for (const h of held) {
      assert.deepEqual(h, { role: h.role, lead: false, via: [{ kind: 'person', source: 'roles.yaml' }] });
    }
    assert.deepEqual(heldRoles(grants, BOB, []), []);
  });

  it('compares ids whatever their case, in the grant and in the memberships', () => {
    const grants = [
      grant({ role: 'finance', people: [ALICE.toUpperCase()] }),
      grant({ role: 'union', groups: [UNION_GROUP.toUpperCase()] }),
    ];
    assert.deepEqual(
      heldRoles(grants, ALICE, [UNION_GROUP]).map((h) => h.role),
      ['finance', 'union'],
    );
    assert.deepEqual(
      heldRoles(grants, ALICE.toUpperCase(), [UNION_GROUP.toLowerCase()]).map((h) => h.role),
      ['finance', 'union'],
    );
  });

  it('gives a role through a group only to its members, and says which group', () => {
    const grants = [grant({ role: 'union', label: 'Local 42', groups: [OTHER_GROUP, UNION_GROUP] })];
    assert.deepEqual(heldRoles(grants, ALICE, []), []);
    assert.deepEqual(heldRoles(grants, ALICE, [FPS]), []);
    assert.deepEqual(heldRoles(grants, ALICE, [UNION_GROUP]), [
      {
        role: 'union',
        lead: false,
        via: [{ kind: 'group', id: UNION_GROUP, source: 'roles.yaml', label: 'Local 42' }],
      },
    ]);
    // A person's own id among the groups gives nothing: people are named in `people`.
    assert.deepEqual(heldRoles([grant({ role: 'union', people: [BOB] })], ALICE, [BOB]), []);
  });

  it('lists every way a role is held: by name, as a lead, through each group', () => {
    const grants = [
      grant({ role: 'finance', source: 'ROLE_FINANCE', people: [ALICE], groups: [ALICE] }),
      grant({ role: 'finance', label: 'FPS', groups: [FPS, OTHER_GROUP] }),
      grant({ role: 'finance', label: 'Leads', people: [ALICE], leads: [ALICE] }),
      grant({ role: 'finance', label: 'Not Alice', people: [BOB] }),
    ];
    const [finance] = heldRoles(grants, ALICE, [OTHER_GROUP, FPS]);
    assert.deepEqual(finance, {
      role: 'finance',
      lead: true,
      via: [
        { kind: 'person', source: 'ROLE_FINANCE' },
        { kind: 'group', id: FPS, source: 'roles.yaml', label: 'FPS' },
        { kind: 'group', id: OTHER_GROUP, source: 'roles.yaml', label: 'FPS' },
        { kind: 'lead', source: 'roles.yaml', label: 'Leads' },
      ],
    });
  });

  it('makes a lead of the people a matching grant lists as leads, and only them', () => {
    const grants = [grant({ role: 'procurement', groups: [FPS], leads: [BOB] })];
    assert.deepEqual(heldRoles(grants, BOB, []), [
      { role: 'procurement', lead: true, via: [{ kind: 'lead', source: 'roles.yaml' }] },
    ]);
    // A group member holds the role, but leads nothing.
    assert.deepEqual(heldRoles(grants, ALICE, [FPS]), [
      { role: 'procurement', lead: false, via: [{ kind: 'group', id: FPS, source: 'roles.yaml' }] },
    ]);
    // A lead of one role is not a lead of another.
    const two = [...grants, grant({ role: 'manager', people: [BOB] })];
    assert.deepEqual(
      heldRoles(two, BOB, []).map((h) => [h.role, h.lead]),
      [
        ['procurement', true],
        ['manager', false],
      ],
    );
  });

  it('limits a role to the branches of its grants, together, each once as first written', () => {
    const grants = [
      grant({ role: 'finance', branches: ['Innovation', 'Service Canada'], people: [ALICE] }),
      grant({ role: 'finance', branches: ['  service canada', 'Opérations'], groups: [FPS] }),
      grant({ role: 'finance', branches: ['Elsewhere'], people: [BOB] }),
    ];
    assert.deepEqual(heldRoles(grants, ALICE, [FPS])[0]?.branches, [
      'Innovation',
      'Service Canada',
      'Opérations',
    ]);
    assert.deepEqual(heldRoles(grants, ALICE, [])[0]?.branches, ['Innovation', 'Service Canada']);
  });

  it('holds a role for every branch once any matching grant has no branches', () => {
    const grants = [
      grant({ role: 'union', branches: ['Innovation'], people: [ALICE] }),
      grant({ role: 'union', groups: [UNION_GROUP] }),
    ];
    const [scoped] = heldRoles(grants, ALICE, []);
    assert.deepEqual(scoped?.branches, ['Innovation']);
    const [unscoped] = heldRoles(grants, ALICE, [UNION_GROUP]);
    assert.equal(unscoped?.branches, undefined);
    assert.ok(unscoped !== undefined && !('branches' in unscoped));
    // An unscoped grant that does not match the person leaves the others' scope alone.
    assert.deepEqual(heldRoles(grants, ALICE, [OTHER_GROUP])[0]?.branches, ['Innovation']);
  });

  it('keeps each role’s scope to itself', () => {
    const grants = [
      grant({ role: 'finance', branches: ['IITB'], people: [ALICE] }),
      grant({ role: 'manager', people: [ALICE] }),
    ];
    const held = heldRoles(grants, ALICE, []);
    assert.deepEqual(
      held.map((h) => [h.role, h.branches]),
      [
        ['finance', ['IITB']],
        ['manager', undefined],
      ],
    );
  });

  it('gives nothing to an empty id', () => {
    assert.deepEqual(heldRoles([grant({ role: 'finance', people: [ALICE] })], '', []), []);
  });

  it('works from ROLE_* grants as before: people by id, and now groups too', () => {
    const grants = grantsFromEnv({ ...EMPTY, finance: [ALICE, FPS] });
    assert.deepEqual(heldRoles(grants, ALICE, []), [
      { role: 'finance', lead: false, via: [{ kind: 'person', source: 'ROLE_FINANCE' }] },
    ]);
    assert.deepEqual(heldRoles(grants, BOB, [FPS]), [
      { role: 'finance', lead: false, via: [{ kind: 'group', id: FPS, source: 'ROLE_FINANCE' }] },
    ]);
  });
});

describe('role grants: one branch, however written', () => {
  it('ignores case, accents and surrounding or repeated spaces', () => {
    assert.ok(sameBranch('Service Canada', '  service canada '));
    assert.ok(sameBranch('Opérations', 'OPERATIONS'));
    assert.ok(sameBranch('Direction  générale', 'direction generale'));
    // The same accented letter, composed or decomposed.
    assert.ok(sameBranch('Op\u00e9rations', 'Ope\u0301rations'));
    assert.ok(!sameBranch('Innovation', 'Service Canada'));
    assert.ok(!sameBranch('', ''));
    assert.ok(!sameBranch('  ', 'x'));
  });

  it('takes a branch’s other names as the same branch when given', () => {
    const names = [['IITB', 'DGIIT', 'Innovation, Information and Technology Branch']];
    assert.ok(sameBranch('IITB', 'dgiit', names));
    assert.ok(!sameBranch('IITB', 'dgiit'));
  });
});

describe('role grants: who is reached for a team', () => {
  const grant = (patch: Partial<Grant>): Grant => ({
    role: 'finance',
    groups: [],
    people: [],
    leads: [],
    source: 'roles.yaml',
    ...patch,
  });
  const grants = [
    grant({ branches: ['Benefits Delivery'], people: ['AAA', 'bbb'], leads: ['ccc'] }),
    grant({ branches: ['Innovation'], people: ['ddd'] }),
    grant({ people: ['eee', 'aaa'], groups: ['g-1'] }),
    grant({ role: 'union', branches: ['Benefits Delivery'], people: ['fff'] }),
  ];

  it('names each person once, leads included, whatever the case of their id, and no group', () => {
    assert.deepEqual(namedPeople(grants, 'finance'), ['AAA', 'bbb', 'ccc', 'ddd', 'eee']);
    assert.deepEqual(namedPeople(grants, 'manager'), []);
  });

  it('gives a branch’s own approvers: grants limited to it, for that team, the branch however written', () => {
    assert.deepEqual(branchApprovers(grants, 'finance', 'benefits  délivery'), ['AAA', 'bbb', 'ccc']);
    assert.deepEqual(branchApprovers(grants, 'finance', 'Innovation'), ['ddd']);
    assert.deepEqual(branchApprovers(grants, 'union', 'Benefits Delivery'), ['fff']);
    // A branch no grant is limited to has no approvers of its own: the team's channel serves it.
    assert.deepEqual(branchApprovers(grants, 'finance', 'Corporate Services'), []);
  });
});
