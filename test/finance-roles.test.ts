import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Opportunity } from '../src/services/opportunity';
import { newOpportunity, submittedAudit } from './contract/fixtures';
import type { Card } from './support/cards';
import { provision } from '../scripts/provision';
import { createGraphClient } from '../src/stores/graph';
import { createGraphEmulation, emulatorConfig, type GraphEmulation } from './support/graph-emulation';
import { NOW, person } from './support/opportunities';
import {
  activity,
  cardAction,
  cardOf,
  Connector,
  PEOPLE,
  post,
  startTestBot,
  textOf,
  type TestBot,
} from './support/teams';

/**
 * Who may decide, as the roles file says: approvers limited to a client branch, a team lead giving a
 * pending decision to a colleague, and a delegate deciding on behalf of a colleague on leave.
 */

const who = (n: string, name: string) => ({
  id: `29:${n}`,
  aadObjectId: `5b0c9a1e-3f47-4d2a-8e6b-1c7f9d2a4f${n}`,
  name,
});
const BENEFITS_APPROVER = who('01', 'Bea Benefits');
const INNOVATION_APPROVER = who('02', 'Ian Innovation');
const FINANCE_LEAD = who('03', 'Lou Lead');
const STAND_IN = who('04', 'Sam Standin');
/** Holds no role of their own. */
const DELEGATE = who('05', 'Dee Delegate');

const ROLES = `
finance:
  - label: Benefits Delivery approvers
    branches: [Benefits Delivery]
    people: [${BENEFITS_APPROVER.aadObjectId}, ${STAND_IN.aadObjectId}]
    leads: [${FINANCE_LEAD.aadObjectId}]
  - branches: [Innovation]
    people: [${INNOVATION_APPROVER.aadObjectId}]
`;

describe('roles from the roles file: branches, leads and delegates', function () {
  this.timeout(30_000);
  let connector: Connector;
  let bot: TestBot;

  beforeEach(async () => {
    connector = await Connector.start();
    const file = join(mkdtempSync(join(tmpdir(), 'microacq-roles-')), 'roles.yaml');
    writeFileSync(file, ROLES);
    bot = await startTestBot(
      { ROLES_FILE: file, ROLE_FINANCE: '' },
      { now: () => new Date(NOW), background: false },
    );
    // Everyone has a chat with the bot: it can reach them, and knows their names.
    for (const p of [BENEFITS_APPROVER, INNOVATION_APPROVER, FINANCE_LEAD, STAND_IN, DELEGATE])
      await post(bot, activity('message', { serviceUrl: connector.url, from: p }, { text: 'help' }));
  });
  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  /** A vetted request of the Benefits Delivery branch, its funds to approve. */
  const vetted = async (): Promise<Opportunity> => {
    const requester = person(PEOPLE.requester.aadObjectId);
    const o = newOpportunity({ at: NOW, requester });
    const created = await bot.store.create(o, submittedAudit(o), `seed-${Math.random()}`);
    return bot.store.transition(
      {
        ...created,
        status: 'in_approval',
        version: created.version + 1,
        consultation: { status: 'open', closesOn: '2026-11-30' },
      },
      created.version,
      { at: NOW, actor: { aadObjectId: 'system', name: 'Microacq' }, action: 'prepare', outcome: 'applied' },
    );
  };

  const say = async (from: typeof STAND_IN, text: string): Promise<Card> => {
    const before = connector.sent.length;
    await post(bot, activity('message', { serviceUrl: connector.url, from }, { text }));
    const sent = await connector.waitFor(before + 1);
    return cardOf(sent.at(-1));
  };
  const decide = async (from: typeof STAND_IN, o: Opportunity, action: string, values: object = {}) => {
    const res = await post(
      bot,
      cardAction({ serviceUrl: connector.url, from }, 'decide', {
        reference: o.reference,
        version: String(o.version),
        action,
        ...values,
      }),
    );
    return textOf(((await res.json()) as { value: Card }).value);
  };
  const approve = { 'approve_funds.fundReservationNumber': 'FR-9' };

  it('lets an approver decide only for the branches their grant names', async () => {
    const o = await vetted();
    assert.match(await decide(INNOVATION_APPROVER, o, 'approve_funds', approve), /Only finance can do that/);
    assert.equal((await bot.store.get(o.reference))?.finance.fundsStatus, 'pending');
    assert.match(await decide(BENEFITS_APPROVER, o, 'approve_funds', approve), /Done: Approve \(s\. 32\)/);
    assert.equal((await bot.store.get(o.reference))?.finance.section32Approver?.name, BENEFITS_APPROVER.name);
  });

  it('posts a branch’s finance cards to its channel, else to its own approvers’ chats, else to the team’s channel', async () => {
    const inChannel = (from: typeof STAND_IN, channel: string, text: string) =>
      post(
        bot,
        activity(
          'message',
          { serviceUrl: connector.url, from, conversationType: 'channel', channel },
          { text },
        ),
      );
    await inChannel(BENEFITS_APPROVER, 'finance', 'register finance');
    await inChannel(BENEFITS_APPROVER, 'benefits-finance', 'register finance Benefits Delivery');
    const requester = person(PEOPLE.requester.aadObjectId);
    const go = async (branch: string) => {
      const o = newOpportunity({ at: NOW, requester, branch });
      const created = await bot.store.create(o, submittedAudit(o), `seed-${branch}`);
      const checklist = Object.fromEntries(
        ['openSource', 'standalone', 'withinCeiling', 'notStaffing', 'unclassified'].map((c) => [
          `vet_go.${c}`,
          true,
        ]),
      );
      await post(
        bot,
        cardAction({ serviceUrl: connector.url, from: PEOPLE.procurement }, 'decide', {
          reference: created.reference,
          version: String(created.version),
          action: 'vet_go',
          ...checklist,
        }),
      );
      return created.reference;
    };
    const benefits = await go('benefits delivery');
    const innovation = await go('Innovation');
    const corporate = await go('Corporate Services');
    await bot.server.tick();
    const cardsIn = (channel: string) =>
      connector.sent
        .filter((x) => decodeURIComponent(x.path).startsWith(`/v3/conversations/19:${channel}@thread.tacv2/`))
        .map((x) => textOf(cardOf(x)));
    const cardsTo = (who: typeof STAND_IN) =>
      connector.sent
        .filter((x) => decodeURIComponent(x.path).includes(`a:chat-personal-${who.aadObjectId}`))
        .map((x) => textOf(cardOf(x)));
    const references = (cards: string[]) => cards.flatMap((c) => /MA-\d{4}-\d{4}/.exec(c)?.[0] ?? []);
    assert.deepEqual(
      references(cardsIn('benefits-finance')),
      [benefits],
      'the branch’s channel has its card',
    );
    // Innovation has an approver of its own and no channel: the card goes to their chat, with its buttons.
    const ians = cardsTo(INNOVATION_APPROVER).filter((c) => c.includes(innovation));
    assert.equal(ians.length, 1);
    assert.match(ians[0] ?? '', /Approve \(s\. 32\)/);
    // A branch with no approver and no channel of its own: the team's channel.
    assert.deepEqual(references(cardsIn('finance')), [corporate]);
    // Ian's card is kept up to date in place, as a channel's is.
    const o = await bot.store.get(innovation);
    assert.ok(o);
    await post(
      bot,
      cardAction({ serviceUrl: connector.url, from: INNOVATION_APPROVER }, 'decide', {
        reference: innovation,
        version: String(o.version),
        action: 'approve_funds',
        'approve_funds.fundReservationNumber': 'FR-11',
      }),
    );
    const before = connector.sent.length;
    await bot.server.tick();
    const updated = connector.sent
      .slice(before)
      .filter(
        (x) =>
          x.method === 'PUT' &&
          decodeURIComponent(x.path).includes(`a:chat-personal-${INNOVATION_APPROVER.aadObjectId}`),
      )
      .map((x) => textOf(cardOf(x)));
    assert.ok(
      updated.some((c) => /approved by Ian Innovation/.test(c)),
      updated.join('\n'),
    );
  });

  it('lists as waiting for an approver only the requests of the branches they approve for', async () => {
    const benefits = await vetted();
    const waiting = textOf(await say(INNOVATION_APPROVER, 'waiting'));
    assert.ok(!waiting.includes(benefits.reference), waiting);
    assert.match(textOf(await say(BENEFITS_APPROVER, 'waiting')), new RegExp(benefits.reference));
  });

  it('shows each person in help the roles they hold, for which branches, and where each comes from', async () => {
    const help = textOf(await say(FINANCE_LEAD, 'help'));
    assert.match(
      help,
      /finance\*\* \(for Benefits Delivery\): team lead in Benefits Delivery approvers, .*roles\.yaml/,
    );
  });

  it('records a delegate’s approval on behalf of the colleague who named them, within that colleague’s branches', async () => {
    const o = await vetted();
    assert.match(await decide(DELEGATE, o, 'approve_funds', approve), /You cannot see this request/);
    const named = textOf(await say(BENEFITS_APPROVER, `delegate ${DELEGATE.name} until 2026-12-04`));
    assert.match(named, /Dee Delegate/, named);
    const answer = await decide(DELEGATE, o, 'approve_funds', approve);
    assert.match(answer, /approved by Dee Delegate on behalf of Bea Benefits/, answer);
    const record = await bot.store.get(o.reference);
    assert.deepEqual(record?.finance.section32Approver?.onBehalfOf, {
      aadObjectId: BENEFITS_APPROVER.aadObjectId,
      name: BENEFITS_APPROVER.name,
    });
    assert.match(textOf(await say(DELEGATE, 'help')), /as the delegate of Bea Benefits, until/);
    const history = textOf(await say(BENEFITS_APPROVER, `history ${o.reference}`));
    assert.match(history, /Dee Delegate on behalf of Bea Benefits/, history);
    // Ended, the delegation gives nothing more.
    await say(BENEFITS_APPROVER, 'delegate end');
    const next = await vetted();
    assert.match(await decide(DELEGATE, next, 'approve_funds', approve), /You cannot see this request/);
  });

  it('takes the delegate a Teams mention names, in a channel', async () => {
    const before = connector.sent.length;
    await post(
      bot,
      activity(
        'message',
        {
          serviceUrl: connector.url,
          from: BENEFITS_APPROVER,
          conversationType: 'channel',
          channel: 'finance',
        },
        {
          text: '<at>Microacq</at> delegate <at>Dee</at> until 2026-12-04',
          entities: [
            { type: 'mention', mentioned: { id: '28:bot', name: 'Microacq' }, text: '<at>Microacq</at>' },
            { type: 'mention', mentioned: { id: DELEGATE.id, name: 'Dee' }, text: '<at>Dee</at>' },
          ],
        },
      ),
    );
    const answer = textOf(cardOf((await connector.waitFor(before + 1)).at(-1)));
    assert.match(answer, /Dee Delegate/, answer);
    const [running] = await bot.store.delegationsTo(DELEGATE.aadObjectId, '2026-11-24');
    assert.equal(running?.delegator.name, BENEFITS_APPROVER.name);
  });

  it('gives a pending decision to a colleague only by the team’s lead, and then only they may take it', async () => {
    const o = await vetted();
    const give = {
      'reassign_decision.decision': 'funds',
      'reassign_decision.assignee': STAND_IN.aadObjectId,
    };
    assert.match(
      await decide(BENEFITS_APPROVER, o, 'reassign_decision', give),
      /Only the team’s lead can do that/,
    );
    assert.match(
      await decide(FINANCE_LEAD, o, 'reassign_decision', give),
      /Done: Give a decision to a colleague/,
    );
    const given = (await bot.store.get(o.reference)) as Opportunity;
    assert.equal(given.assignments?.funds?.name, STAND_IN.name);
    // The colleague gets the request's card in their chat, with the team's buttons.
    await bot.server.tick();
    const toStandIn = connector.sent
      .filter((x) => decodeURIComponent(x.path).includes(`a:chat-personal-${STAND_IN.aadObjectId}`))
      .map((x) => textOf(cardOf(x)));
    assert.ok(
      toStandIn.some((c) => /Your team lead gave you this decision: Funds \(section 32\)/.test(c)),
      toStandIn.join('\n'),
    );
    assert.match(
      await decide(BENEFITS_APPROVER, given, 'approve_funds', approve),
      /gave this decision to Sam Standin/,
    );
    assert.match(await decide(STAND_IN, given, 'approve_funds', approve), /Done: Approve \(s\. 32\)/);
    const history = textOf(await say(FINANCE_LEAD, `history ${o.reference}`));
    assert.match(history, /Give a decision to a colleague/);
  });
});

describe('roles from Entra ID groups, read through Microsoft Graph', function () {
  this.timeout(60_000);
  let connector: Connector;
  let bot: TestBot;
  let emulation: GraphEmulation;
  let served: { url: string; close(): Promise<void> };
  const GROUP_APPROVER = who('11', 'Gil Group');
  const TEAM = '7c0e1a2b-3d4e-4f50-8a61-000000000001';
  const FPS = '7c0e1a2b-3d4e-4f50-8a61-000000000002';

  beforeEach(async () => {
    connector = await Connector.start();
    emulation = createGraphEmulation();
    // Gil is in his team; his team is in the finance approvers' group: membership is transitive.
    emulation.seedDirectory({
      users: [GROUP_APPROVER.aadObjectId, PEOPLE.requester.aadObjectId],
      groups: [
        { id: TEAM, members: [GROUP_APPROVER.aadObjectId] },
        { id: FPS, displayName: 'FPS approvers', members: [TEAM] },
      ],
    });
    served = await emulation.serve();
    await provision(
      createGraphClient(emulatorConfig(emulation.siteId, served.url)),
      emulation.siteId,
      'Microacq',
    );
    const file = join(mkdtempSync(join(tmpdir(), 'microacq-roles-')), 'roles.yaml');
    writeFileSync(file, `finance:\n  - label: FPS approvers\n    groups: [${FPS}]\n`);
    bot = await startTestBot(
      {
        STORE: 'sharepoint',
        SHAREPOINT_SITE_ID: emulation.siteId,
        GRAPH_AUTH: 'emulator',
        GRAPH_ENDPOINT: served.url,
        ROLES_FILE: file,
        ROLE_FINANCE: '',
      },
      { now: () => new Date(NOW), background: false },
    );
  });
  afterEach(async () => {
    await bot.server.stop();
    await served.close();
    await connector.close();
  });

  const help = async () => {
    const before = connector.sent.length;
    await post(
      bot,
      activity('message', { serviceUrl: connector.url, from: GROUP_APPROVER }, { text: 'help' }),
    );
    return textOf(cardOf((await connector.waitFor(before + 1)).at(-1)));
  };

  it('gives the role of a group a person is in through a nested group, and says which group', async () => {
    assert.match(await help(), /finance\*\* \(every branch\): member of group FPS approvers/);
  });

  it('says the directory is not answering rather than “no role” when Graph is down', async () => {
    emulation.inject({ status: 503, times: 50, match: (_method, path) => path.startsWith('/users') });
    const answer = await help();
    assert.match(answer, /the directory \(Microsoft Entra ID\) is not answering/, answer);
  });
});
