import { strict as assert } from 'node:assert';
import { DECISION_INPUTS, decidableFromCard, inputId } from '../src/services/decisions';
import { ACTIONS, type ActionName, specOf } from '../src/services/lifecycle';
import type { Opportunity } from '../src/services/opportunity';
import { newOpportunity, submittedAudit } from './contract/fixtures';
import type { Card } from './support/cards';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOW, PAYLOAD, payloadFor, person, recordFor } from './support/opportunities';
import { storeApplicant } from './support/published';
import {
  cardAction,
  Connector,
  PEOPLE,
  post,
  ROLE_ENV,
  startTestBot,
  textOf,
  type TestBot,
} from './support/teams';

/**
 * Every decision counts once: a person clicking twice on the same card, and Teams delivering the same
 * click again (same activity id, after a lost answer), both leave one applied change in the record's
 * audit trail, and the redelivery gets the first answer back.
 */

type Who = { readonly id: string; readonly aadObjectId: string; readonly name: string };

/** The procurement team's lead, named in the roles file (which takes Entra object ids only). */
const LEAD: Who = { id: '29:lead', aadObjectId: '5b0c9a1e-3f47-4d2a-8e6b-1c7f9d2a4e99', name: 'Lee Lavoie' };

const ACTING: Record<string, Who> = {
  lead: LEAD,
  requester: PEOPLE.requester,
  procurement: PEOPLE.procurement,
  finance: PEOPLE.finance,
  union: PEOPLE.union,
};

/** What the action's form holds when filled in as a person would (numbers and lines as typed text). */
function cardData(action: ActionName, o: Opportunity): Record<string, unknown> {
  const payload = payloadFor(o, action) as Record<string, unknown>;
  const inputs = DECISION_INPUTS[action].map((input) => {
    const value = payload[input.id];
    // A person is chosen by their id.
    const typed = input.kind === 'person' ? (value as { aadObjectId: string }).aadObjectId : value;
    return [inputId(action, input), Array.isArray(typed) ? typed.join('\n') : String(typed ?? '')];
  });
  return { reference: o.reference, version: o.version, action, ...Object.fromEntries(inputs) };
}

describe('each decision counts once', function () {
  this.timeout(20_000);
  let connector: Connector;
  let bot: TestBot;

  beforeEach(async () => {
    connector = await Connector.start();
    const rolesFile = join(mkdtempSync(join(tmpdir(), 'microacq-roles-')), 'roles.yaml');
    writeFileSync(rolesFile, `procurement:\n  - leads: [${LEAD.aadObjectId}]\n`);
    // The colleague a lead gives the vetting to holds the procurement role.
    bot = await startTestBot(
      {
        ROLES_FILE: rolesFile,
        ROLE_PROCUREMENT: `${ROLE_ENV.ROLE_PROCUREMENT},${PEOPLE.colleague.aadObjectId}`,
      },
      { now: () => new Date(NOW), background: false },
    );
  });

  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  /** A record waiting for `action`: submitted through the store, then brought to the action's state. */
  const recordWaitingFor = async (action: ActionName): Promise<Opportunity> => {
    const requester = person(PEOPLE.requester.aadObjectId);
    const submitted = newOpportunity({ at: NOW, requester });
    const created = await bot.store.create(submitted, submittedAudit(submitted), `seed-${action}`);
    const prepared = recordFor(specOf(action).from[0] ?? 'submitted', action, requester);
    // What the bot reads beside the record: the applicants who passed, the colleague it can reach.
    if (action === 'select_supplier') {
      for (const [i, name] of ['Ada', 'Bo'].entries()) {
        const a = await storeApplicant(
          bot.store,
          created.reference,
          { name, email: `${name}@example.ca` },
          NOW,
        );
        await bot.store.saveApplication(
          {
            ...a,
            number: i + 1,
            evaluation: { result: 'pass', rationale: 'r', by: { aadObjectId: 'r', name: 'R' }, at: NOW },
            version: a.version + 1,
          },
          a.version,
        );
      }
    }
    if (action === 'reassign_evaluation' || action === 'reassign_decision') {
      // The colleague given the marking or the decision, whom the bot can reach.
      const { evaluator } = PAYLOAD.reassign_evaluation as {
        evaluator: { aadObjectId: string; name: string };
      };
      await bot.store.saveConversation(`user:${evaluator.aadObjectId}`, {
        serviceUrl: connector.url,
        conversation: { id: `a:chat-personal-${evaluator.aadObjectId}`, conversationType: 'personal' },
        user: { id: '29:colleague', ...evaluator },
      });
    }
    return bot.store.transition(
      {
        ...prepared,
        requester: created.requester,
        reference: created.reference,
        version: created.version + 1,
      },
      created.version,
      {
        at: NOW,
        actor: { aadObjectId: 'system', name: 'Microacq' },
        action: 'prepare',
        from: 'submitted',
        to: prepared.status,
        outcome: 'applied',
      },
    );
  };

  const clickActivity = (action: ActionName, data: Record<string, unknown>) => {
    const role = specOf(action).roles.find((r) => r in ACTING) ?? 'procurement';
    return cardAction({ serviceUrl: connector.url, from: ACTING[role] }, 'decide', data);
  };

  const send = async (body: Record<string, unknown>): Promise<Card> => {
    const res = await post(bot, body);
    assert.equal(res.status, 200);
    return ((await res.json()) as { value: Card }).value;
  };

  const appliedTimes = async (reference: string, action: ActionName) =>
    (await bot.store.auditTrail(reference)).filter((e) => e.outcome === 'applied' && e.action === action)
      .length;

  for (const action of ACTIONS.filter(decidableFromCard)) {
    describe(action, () => {
      it('is recorded once when the button is clicked twice at once', async () => {
        const o = await recordWaitingFor(action);
        const data = cardData(action, o);
        const answers = await Promise.all([
          send(clickActivity(action, data)),
          send(clickActivity(action, data)),
        ]);
        assert.equal(await appliedTimes(o.reference, action), 1, answers.map(textOf).join('\n---\n'));
        assert.equal((await bot.store.get(o.reference))?.version, o.version + 1);
        // One click did it; the other is told so, with the request as it is now.
        const texts = answers.map(textOf);
        assert.equal(texts.filter((t) => /^Done: /m.test(t)).length, 1, texts.join('\n---\n'));
        assert.equal(
          texts.filter((t) => /You already did this|Already decided by/.test(t)).length,
          1,
          texts.join('\n---\n'),
        );
      });

      it('is recorded once when Teams delivers the same click again, which gets the same answer', async () => {
        const o = await recordWaitingFor(action);
        const click = clickActivity(action, cardData(action, o));
        const first = await send(click);
        const [again, meanwhile] = await Promise.all([send(click), send(click)]);
        assert.deepEqual(again, first);
        assert.deepEqual(meanwhile, first);
        assert.equal(await appliedTimes(o.reference, action), 1);
        assert.equal((await bot.store.get(o.reference))?.version, o.version + 1);
      });
    });
  }

  it('tells a person who clicked twice, in French, that it counts once', async () => {
    const o = await recordWaitingFor('acknowledge');
    const data = cardData('acknowledge', o);
    const click = () =>
      cardAction({ serviceUrl: connector.url, from: PEOPLE.union, locale: 'fr-CA' }, 'decide', data);
    await send(click());
    const second = await send(click());
    assert.match(
      textOf(second),
      /Vous l’avez déjà fait \(.+, 23 nov\. 2026, .+\) : cela ne compte qu’une fois\./,
    );
    const trail = await bot.store.auditTrail(o.reference);
    assert.deepEqual(
      trail.filter((e) => e.action === 'acknowledge').map((e) => [e.outcome, e.reason]),
      [
        ['applied', undefined],
        ['refused', 'duplicate'],
      ],
    );
  });
});
