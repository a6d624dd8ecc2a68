import assert from 'node:assert/strict';
import { GraphError } from '@microsoft/microsoft-graph-client';
import {
  createGraphEmulation,
  GRAPH_V1,
  type GraphEmulation,
  graphClientFor,
} from './support/graph-emulation';

const ALICE = '6e7b768e-07e2-4810-8459-485f84f8f204';
const BOB = '0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f';
const TEAM = 'aaaaaaaa-0000-4000-8000-000000000001';
const BRANCH = 'aaaaaaaa-0000-4000-8000-000000000002';
const DEPARTMENT = 'aaaaaaaa-0000-4000-8000-000000000003';
const UNRELATED = 'aaaaaaaa-0000-4000-8000-000000000004';

interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes
  body: any;
}

async function get(
  emulation: GraphEmulation,
  url: string,
  token: string | null = 'test-token',
): Promise<Answer> {
  const response = await emulation.handle(
    new Request(url.startsWith('https://') ? url : `${GRAPH_V1}${url}`, {
      headers: token === null ? {} : { Authorization: `Bearer ${token}` },
    }),
  );
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const groupsOf = (user: string, query = '$select=id') =>
  `/users/${user}/transitiveMemberOf/microsoft.graph.group${query === '' ? '' : `?${query}`}`;

/** Alice is in her team, the team in the branch, the branch in the department (and back, a loop). */
function nested(): GraphEmulation {
  const emulation = createGraphEmulation();
  emulation.seedDirectory({
    users: [{ id: ALICE, userPrincipalName: 'alice@contoso.example' }, BOB],
    groups: [
      { id: TEAM, displayName: 'Team', members: [ALICE] },
      { id: BRANCH, displayName: 'Branch', members: [TEAM] },
      { id: DEPARTMENT, displayName: 'Department', members: [BRANCH] },
      { id: UNRELATED, displayName: 'Unrelated', members: [BOB] },
    ],
    memberships: [{ group: BRANCH, member: DEPARTMENT }],
  });
  return emulation;
}

function withGroups(count: number): GraphEmulation {
  const emulation = createGraphEmulation();
  const ids = Array.from(
    { length: count },
    (_, i) => `bbbbbbbb-0000-4000-8000-${String(i).padStart(12, '0')}`,
  );
  emulation.seedDirectory({
    users: [ALICE],
    groups: ids.map((id) => ({ id, members: [ALICE] })),
  });
  return emulation;
}

describe('Graph emulation: the directory', () => {
  it('lists a user’s groups through nested groups, each once, with $select=id', async () => {
    const answer = await get(nested(), groupsOf(ALICE));
    assert.equal(answer.status, 200);
    assert.equal(answer.body['@odata.context'], `${GRAPH_V1}/$metadata#groups(id)`);
    assert.deepEqual(answer.body.value, [{ id: TEAM }, { id: BRANCH }, { id: DEPARTMENT }]);
    assert.equal(answer.body['@odata.nextLink'], undefined);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(answer.headers.get('request-id'));
  });

  it('finds the user by id in any case or by user principal name, and lists nothing for a user in no group', async () => {
    const emulation = nested();
    assert.equal((await get(emulation, groupsOf(ALICE.toUpperCase()))).body.value.length, 3);
    assert.equal((await get(emulation, groupsOf('alice@contoso.example'))).body.value.length, 3);
    emulation.seedDirectory({ users: ['cccccccc-0000-4000-8000-000000000000'] });
    assert.deepEqual((await get(emulation, groupsOf('cccccccc-0000-4000-8000-000000000000'))).body.value, []);
  });

  it('gives whole groups without $select, and says each entry’s type without the cast', async () => {
    const emulation = nested();
    const full = await get(emulation, groupsOf(BOB, ''));
    assert.equal(full.body['@odata.context'], `${GRAPH_V1}/$metadata#groups`);
    const [group] = full.body.value;
    assert.equal(group.id, UNRELATED);
    assert.equal(group.displayName, 'Unrelated');
    assert.equal(group.securityEnabled, true);
    assert.equal(group['@odata.type'], undefined);
    const mixed = await get(emulation, `/users/${BOB}/transitiveMemberOf?$select=id,displayName`);
    assert.equal(mixed.body['@odata.context'], `${GRAPH_V1}/$metadata#directoryObjects(id,displayName)`);
    assert.deepEqual(mixed.body.value, [
      { '@odata.type': '#microsoft.graph.group', id: UNRELATED, displayName: 'Unrelated' },
    ]);
  });

  it('pages by 100 by default, with a nextLink that keeps the query, until the last page', async () => {
    const emulation = withGroups(250);
    const pages: number[] = [];
    const ids = new Set<string>();
    let next: string | undefined = groupsOf(ALICE);
    while (next !== undefined) {
      const page = await get(emulation, next);
      assert.equal(page.status, 200);
      pages.push(page.body.value.length);
      for (const g of page.body.value) ids.add(g.id);
      next = page.body['@odata.nextLink'];
      if (next !== undefined) {
        assert.ok(next.startsWith(`${GRAPH_V1}/users/${ALICE}/transitiveMemberOf/microsoft.graph.group?`));
        assert.match(next, /\$select=id&\$skiptoken=/);
      }
    }
    assert.deepEqual(pages, [100, 100, 50]);
    assert.equal(ids.size, 250);
  });

  it('takes $top from 1 to 999 and refuses any other', async () => {
    const emulation = withGroups(250);
    const whole = await get(emulation, groupsOf(ALICE, '$select=id&$top=999'));
    assert.equal(whole.body.value.length, 250);
    assert.equal(whole.body['@odata.nextLink'], undefined);
    const small = await get(emulation, groupsOf(ALICE, '$select=id&$top=120'));
    assert.equal(small.body.value.length, 120);
    assert.match(small.body['@odata.nextLink'], /\$top=120/);
    for (const top of ['1000', '0', 'ten']) {
      const refused = await get(emulation, groupsOf(ALICE, `$top=${top}`));
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'Request_UnsupportedQuery');
    }
  });

  it('answers 404 Request_ResourceNotFound, in Graph’s error shape, for an unknown user', async () => {
    const answer = await get(nested(), groupsOf('dddddddd-0000-4000-8000-000000000000'));
    assert.equal(answer.status, 404);
    assert.equal(answer.body.error.code, 'Request_ResourceNotFound');
    assert.match(
      answer.body.error.message,
      /^Resource 'dddddddd-0000-4000-8000-000000000000' does not exist/,
    );
    assert.deepEqual(Object.keys(answer.body.error.innerError).sort(), [
      'client-request-id',
      'date',
      'request-id',
    ]);
    assert.equal(answer.body.error.innerError['request-id'], answer.headers.get('request-id'));
  });

  it('refuses an unknown property, a bad page token, another cast, another verb and no token', async () => {
    const emulation = nested();
    const select = await get(emulation, groupsOf(ALICE, '$select=id,colour'));
    assert.equal(select.status, 400);
    assert.match(select.body.error.message, /property named 'colour'/);
    assert.equal((await get(emulation, groupsOf(ALICE, '$skiptoken=abc'))).status, 400);
    assert.equal(
      (await get(emulation, `/users/${ALICE}/transitiveMemberOf/microsoft.graph.user`)).status,
      400,
    );
    assert.equal(
      (await get(emulation, groupsOf(ALICE, '$filter=startswith(displayName,%27a%27)'))).status,
      400,
    );
    const post = await emulation.handle(
      new Request(`${GRAPH_V1}${groupsOf(ALICE)}`, {
        method: 'POST',
        headers: { Authorization: 'Bearer t' },
      }),
    );
    assert.equal(post.status, 405);
    assert.equal((await get(emulation, groupsOf(ALICE), null)).status, 401);
  });

  it('refuses a membership naming someone it does not know', () => {
    const emulation = createGraphEmulation();
    assert.throws(
      () => emulation.seedDirectory({ groups: [{ id: TEAM, members: [ALICE] }] }),
      /No user or group/,
    );
    assert.throws(
      () => emulation.seedDirectory({ memberships: [{ group: TEAM, member: ALICE }] }),
      /No group/,
    );
  });

  it('throttles and fails directory requests as it does any other, and logs them', async () => {
    const emulation = nested();
    emulation.inject({
      status: 429,
      retryAfterSeconds: 3,
      match: (method, path) => method === 'GET' && path.includes('/transitiveMemberOf'),
    });
    const throttled = await get(emulation, groupsOf(ALICE));
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), '3');
    assert.equal(throttled.body.error.code, 'activityLimitReached');
    emulation.inject({ status: 503 });
    assert.equal((await get(emulation, groupsOf(ALICE))).status, 503);
    assert.equal((await get(emulation, groupsOf(ALICE))).status, 200);
    assert.deepEqual(
      emulation.requests.map((r) => [r.method, r.path, r.query.$select]),
      Array.from({ length: 3 }, () => [
        'GET',
        `/users/${ALICE}/transitiveMemberOf/microsoft.graph.group`,
        'id',
      ]),
    );
  });

  it('serves the Graph client: paging through nextLink, and errors as GraphError', async () => {
    const emulation = withGroups(230);
    const client = graphClientFor(emulation);
    let page = await client
      .api(`/users/${ALICE}/transitiveMemberOf/microsoft.graph.group`)
      .select('id')
      .top(100)
      .get();
    const ids: string[] = page.value.map((g: { id: string }) => g.id);
    while (page['@odata.nextLink'] !== undefined) {
      page = await client.api(page['@odata.nextLink']).get();
      ids.push(...page.value.map((g: { id: string }) => g.id));
    }
    assert.equal(new Set(ids).size, 230);
    assert.equal(emulation.requests.length, 3);
    await assert.rejects(
      client.api(`/users/${BOB}/transitiveMemberOf/microsoft.graph.group`).get(),
      (error: unknown) =>
        error instanceof GraphError && error.statusCode === 404 && error.code === 'Request_ResourceNotFound',
    );
  });
});
