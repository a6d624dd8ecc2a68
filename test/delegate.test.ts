import assert from 'node:assert/strict';
import { type DelegateDeps, delegateCommand } from '../src/bot/handlers/delegate';
import { clockOf } from '../src/bot/clock';
import { createNotifier } from '../src/bot/notify';
import type { TurnRequest } from '../src/bot/turn';
import { parseConfig } from '../src/config';
import { createLogger } from '../src/log';
import type { Actor, ConfiguredRole } from '../src/services/roles';
import { SqliteStore } from '../src/stores/sqlite-store';
import {
  activity,
  cardOf,
  Connector,
  PEOPLE,
  post,
  startTestBot,
  textOf,
  type TestBot,
} from './support/teams';

/**
 * `delegate` / `déléguer` over real HTTP: a role holder names a colleague the bot can reach to act for
 * them until a last day, hears it confirmed in their language, and the colleague is told in their own
 * chat; `delegate end` stops it, `delegate` alone lists who acts for whom. Mentions, branches and roles
 * held for someone are also driven through the handler itself below (test/finance-roles.test.ts sends a
 * mention through Teams, with roles from a roles file).
 */

type Who = { id: string; aadObjectId: string; name: string };
/** A second Julie, so that "Julie" alone names two people. */
const JULIE_T: Who = { id: '29:julie-t', aadObjectId: 'aad-julie-t', name: 'Julie Tremblay' };
const NOW = '2026-03-02T15:00:00Z';

describe('delegate: acting for a colleague on leave', function () {
  this.timeout(30_000);
  let connector: Connector;
  let bot: TestBot;
  let now: Date;

  const chatOf = (who: Who) => `a:chat-personal-${who.aadObjectId}`;
  const say = async (
    from: Who,
    text: string,
    where: { locale?: string; channel?: string } = {},
  ): Promise<string> => {
    const before = connector.sent.length;
    const res = await post(
      bot,
      activity(
        'message',
        {
          serviceUrl: connector.url,
          from,
          locale: where.locale ?? 'en-US',
          ...(where.channel ? { conversationType: 'channel' as const, channel: where.channel } : {}),
        },
        { text },
      ),
    );
    assert.equal(res.status, 200);
    return textOf(cardOf((await connector.waitFor(before + 1)).at(-1)));
  };
  /** The outbox's sender runs, a minute on. */
  const deliver = async () => {
    now = new Date(now.getTime() + 60_000);
    await bot.server.tick();
  };
  /** Every card a person's own chat got, oldest first. */
  const chatCards = (who: Who) =>
    connector.sent
      .filter((s) => decodeURIComponent(s.path).startsWith(`/v3/conversations/${chatOf(who)}/`))
      .filter((s) => s.body.attachments)
      .map((s) => textOf(cardOf(s)));
  const told = async (who: Who, pattern: RegExp) => {
    await deliver();
    return chatCards(who).filter((c) => pattern.test(c));
  };

  beforeEach(async () => {
    now = new Date(NOW);
    connector = await Connector.start();
    bot = await startTestBot({}, { now: () => now, background: false });
    // The people the bot can reach: each has written to it in their own chat.
    for (const who of [PEOPLE.finance, PEOPLE.finance2, PEOPLE.colleague, PEOPLE.requester, JULIE_T])
      await say(who, 'hello');
    await say(PEOPLE.manager, 'bonjour', { locale: 'fr-CA' });
  });
  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  it('names a colleague by name, confirms it in English, and tells the colleague in their chat', async () => {
    const answer = await say(PEOPLE.finance, 'delegate @Julie Lavoie until 2026-03-20');
    assert.match(answer, /Julie Lavoie acts for you as finance until Friday, March 20, 2026\./);
    assert.match(answer, /say \*\*delegate end\*\*/);
    const [card, ...more] = await told(PEOPLE.colleague, /Farah Haddad/);
    assert.match(
      card ?? '',
      /Farah Haddad has named you to act for them as finance until Friday, March 20, 2026\./,
    );
    assert.equal(more.length, 0);
    const [stored] = await bot.store.delegationsTo(PEOPLE.colleague.aadObjectId, '2026-03-02');
    assert.deepEqual(
      { delegator: stored?.delegator, delegate: stored?.delegate, until: stored?.until },
      {
        delegator: { aadObjectId: PEOPLE.finance.aadObjectId, name: 'Farah Haddad' },
        delegate: { aadObjectId: PEOPLE.colleague.aadObjectId, name: 'Julie Lavoie' },
        until: '2026-03-20',
      },
    );
  });

  it('names a colleague in French, by part of a name, and tells them in the language they chose', async () => {
    await say(PEOPLE.colleague, 'langue français');
    const answer = await say(PEOPLE.manager, 'déléguer lavoie jusqu’au 20 mars 2026', { locale: 'fr-CA' });
    assert.match(
      answer,
      /Julie Lavoie vous remplace jusqu’au vendredi 20 mars 2026 dans vos fonctions : gestionnaire\./,
    );
    assert.match(answer, /dites \*\*déléguer fin\*\*/);
    const [card] = await told(PEOPLE.colleague, /Marc Gagnon/);
    assert.match(
      card ?? '',
      /Marc Gagnon vous confie ses fonctions jusqu’au vendredi 20 mars 2026 : gestionnaire\./,
    );
  });

  it('answers in a channel too, in the person’s language', async () => {
    const answer = await say(PEOPLE.finance, 'Délégation julie lavoie au 2026-03-10', {
      locale: 'fr-CA',
      channel: 'finance',
    });
    assert.match(
      answer,
      /Julie Lavoie vous remplace jusqu’au mardi 10 mars 2026 dans vos fonctions : finances\./,
    );
    assert.equal((await told(PEOPLE.colleague, /Farah Haddad vous confie|Farah Haddad has named/)).length, 1);
  });

  it('asks which person a name means when it names several, listing them', async () => {
    const answer = await say(PEOPLE.finance, 'delegate julie until 2026-03-20');
    assert.match(answer, /Several people I can reach answer to that name/);
    assert.match(answer, /Julie Lavoie\nJulie Tremblay/);
    const fr = await say(PEOPLE.manager, 'déléguer Julie jusqu’au 2026-03-20', { locale: 'fr-CA' });
    assert.match(fr, /Plusieurs personnes que je peux joindre répondent à ce nom/);
    assert.deepEqual(await bot.store.delegationsBy(PEOPLE.finance.aadObjectId), []);
  });

  it('says what to do about a name it does not know, in either language', async () => {
    const answer = await say(PEOPLE.finance, 'delegate Zoé Nobody until 2026-03-20');
    assert.match(answer, /I do not know that person: they need a chat with Microacq first\./);
    assert.match(answer, /mention them with @ in a channel/);
    assert.match(answer, /Zoé Nobody/);
    const fr = await say(PEOPLE.manager, 'déléguer Zoé Personne jusqu’au 2026-03-20', { locale: 'fr-CA' });
    assert.match(fr, /Je ne connais pas cette personne/);
    assert.match(fr, /doit d’abord lui dire \*\*bonjour\*\*/);
  });

  it('refuses a last day already past, or more than a year on, saying the latest day allowed', async () => {
    assert.match(
      await say(PEOPLE.finance, 'delegate Julie Lavoie until 2026-03-01'),
      /That day has passed: the last day must be today or later\./,
    );
    assert.match(
      await say(PEOPLE.finance, 'delegate Julie Lavoie until 2027-03-03'),
      /A delegation lasts at most a year: the last day can be Tuesday, March 2, 2027 at the latest\./,
    );
    assert.match(
      await say(PEOPLE.manager, 'déléguer Julie Lavoie jusqu’au 2027-03-03', { locale: 'fr-CA' }),
      /le dernier jour peut être au plus tard le mardi 2 mars 2027\./,
    );
    // Today and the same day a year on are the bounds, both taken.
    assert.match(
      await say(PEOPLE.finance, 'delegate Julie Lavoie until 2026-03-02'),
      /until Monday, March 2, 2026/,
    );
    assert.match(
      await say(PEOPLE.finance, 'delegate Julie Lavoie until 2027-03-02'),
      /until Tuesday, March 2, 2027/,
    );
  });

  it('refuses a date it cannot read, or none, showing how to write one', async () => {
    const answer = await say(PEOPLE.finance, 'delegate Julie Lavoie until next week');
    assert.match(answer, /I cannot read that date: write it as year-month-day\./);
    assert.match(answer, /Julie Lavoie until next week/);
    assert.match(answer, /Say \*\*delegate @Name until 2026-03-16\*\* to name someone/);
    assert.match(
      await say(PEOPLE.manager, 'déléguer Julie Lavoie', { locale: 'fr-CA' }),
      /Jusqu’à quand\? Indiquez le dernier jour où la personne vous remplace\./,
    );
    // A mention the edge took out of the text leaves no name.
    assert.match(
      await say(PEOPLE.finance, 'delegate <at>Julie Lavoie</at> until 2026-03-20'),
      /Who should act for you\? Name them, or mention them with @\./,
    );
  });

  it('refuses naming oneself, and naming without a role of one’s own', async () => {
    assert.match(
      await say(PEOPLE.finance, 'delegate Farah Haddad until 2026-03-20'),
      /You cannot name yourself: name a colleague\./,
    );
    assert.match(
      await say(PEOPLE.requester, 'delegate Julie Lavoie until 2026-03-20'),
      /Only someone who holds an approval role of their own .* can name a delegate\./,
    );
    assert.match(
      await say(PEOPLE.colleague, 'déléguer Farah Haddad jusqu’au 2026-03-20', { locale: 'fr-CA' }),
      /Seule une personne qui détient elle-même un rôle d’approbation/,
    );
    assert.deepEqual(await bot.store.delegationsBy(PEOPLE.requester.aadObjectId), []);
  });

  it('refuses naming the same person to the same day again, and moves the day otherwise', async () => {
    await say(PEOPLE.finance, 'delegate Julie Lavoie until 2026-03-20');
    assert.match(
      await say(PEOPLE.finance, 'delegate Julie Lavoie until 2026-03-20'),
      /Julie Lavoie already acts for you until Friday, March 20, 2026: nothing changed\./,
    );
    const moved = await say(PEOPLE.finance, 'delegate Julie Lavoie until 2026-03-27');
    assert.match(moved, /until Friday, March 27, 2026/);
    assert.doesNotMatch(moved, /no longer acts for you/);
    const running = await bot.store.delegationsTo(PEOPLE.colleague.aadObjectId, '2026-03-02');
    assert.deepEqual(
      running.map((d) => d.until),
      ['2026-03-27'],
    );
  });

  it('replaces the running delegate by a new one, telling the one replaced', async () => {
    await say(PEOPLE.finance, 'delegate Julie Lavoie until 2026-03-20');
    const answer = await say(PEOPLE.finance, 'delegate Dana Cho until 2026-03-25');
    assert.match(answer, /Dana Cho acts for you as finance until Wednesday, March 25, 2026\./);
    assert.match(answer, /Julie Lavoie no longer acts for you\./);
    assert.equal(
      (await told(PEOPLE.colleague, /Farah Haddad has ended the delegation: you no longer act for them\./))
        .length,
      1,
    );
    assert.equal((await told(PEOPLE.finance2, /Farah Haddad has named you/)).length, 1);
  });

  it('ends the running delegation on `delegate end`, telling the delegate; then there is nothing to end', async () => {
    await say(PEOPLE.manager, 'déléguer Julie Lavoie jusqu’au 2026-03-20', { locale: 'fr-CA' });
    assert.match(
      await say(PEOPLE.manager, 'déléguer fin', { locale: 'fr-CA' }),
      /Julie Lavoie ne vous remplace plus\./,
    );
    assert.equal(
      (await told(PEOPLE.colleague, /Marc Gagnon has ended the delegation: you no longer act for them\./))
        .length,
      1,
    );
    assert.deepEqual(await bot.store.delegationsTo(PEOPLE.colleague.aadObjectId, '2026-03-02'), []);
    assert.match(
      await say(PEOPLE.manager, 'déléguer fin', { locale: 'fr-CA' }),
      /Personne ne vous remplace en ce moment : il n’y a rien à terminer\./,
    );
    assert.match(
      await say(PEOPLE.finance, 'delegate end'),
      /Nobody acts for you at the moment: there is nothing to end\./,
    );
  });

  it('lists the delegations given and received, running first, and what ended', async () => {
    assert.match(
      await say(PEOPLE.finance, 'delegate'),
      /Delegations\nNobody acts for you, and you act for nobody\./,
    );
    await say(PEOPLE.finance, 'delegate Julie Lavoie until 2026-03-20');
    await say(PEOPLE.finance, 'delegate end');
    await say(PEOPLE.finance, 'delegate Dana Cho until 2026-03-25');
    await say(PEOPLE.manager, 'déléguer Dana Cho jusqu’au 2026-04-10', { locale: 'fr-CA' });

    const farah = await say(PEOPLE.finance, 'delegate');
    assert.match(
      farah,
      /\*\*Acting for you\*\*\nDana Cho, until Wednesday, March 25, 2026\nJulie Lavoie, ended on Monday, March 2, 2026 by Farah Haddad \(planned until Friday, March 20, 2026\)/,
    );
    assert.doesNotMatch(farah, /You act for/);

    const dana = await say(PEOPLE.finance2, 'delegate');
    assert.match(
      dana,
      /\*\*You act for\*\*\nFarah Haddad, until Wednesday, March 25, 2026\nMarc Gagnon, until Friday, April 10, 2026/,
    );

    const marc = await say(PEOPLE.manager, 'déléguer', { locale: 'fr-CA' });
    assert.match(marc, /Délégations\n\*\*Qui vous remplace\*\*\nDana Cho, jusqu’au vendredi 10 avril 2026/);

    // Past its last day, a delegation no longer runs: it shows as over, and nothing is left to end.
    now = new Date('2026-03-26T15:00:00Z');
    assert.match(await say(PEOPLE.finance, 'delegate'), /Dana Cho, until Wednesday, March 25, 2026 \(over\)/);
    assert.match(await say(PEOPLE.finance, 'delegate end'), /there is nothing to end/);
    assert.doesNotMatch(await say(PEOPLE.finance2, 'delegate'), /Farah Haddad/);
  });

  it('lists the command in help, in both languages', async () => {
    assert.match(
      await say(PEOPLE.finance, 'help'),
      /delegate\nWhile you are away, a colleague acts in your roles/,
    );
    assert.match(
      await say(PEOPLE.manager, 'aide', { locale: 'fr-CA' }),
      /déléguer\nPendant votre absence, un ou une collègue agit dans vos fonctions/,
    );
  });
});

describe('delegate: what the edge gives beyond roles (the handler itself)', () => {
  let store: SqliteStore;
  let deps: DelegateDeps;
  const config = parseConfig({ PORT: '0', SQLITE_PATH: ':memory:', LOG_LEVEL: 'silent' });

  const actor = (who: Who, roles: ConfiguredRole[], extra: Partial<Actor> = {}): Actor => ({
    id: who.aadObjectId,
    name: who.name,
    roles: new Set(roles),
    ...extra,
  });
  const request = (a: Actor, args: string, extra: Partial<TurnRequest> & { mentions?: unknown } = {}) =>
    ({
      actor: a,
      locale: 'en',
      teamsLocale: 'en',
      conversation: { id: '19:finance@thread.tacv2', type: 'channel' },
      args,
      data: {},
      correlationId: 'c-1',
      conversationReference: { bot: { id: '28:bot', name: 'Microacq' } },
      ...extra,
    }) as TurnRequest;
  const run = async (req: TurnRequest) => {
    const reply = await delegateCommand(req, deps);
    assert.ok('card' in reply);
    return textOf(reply.card);
  };
  /** A person's own chat, as the bot keeps it once they have written to it. */
  const reachable = (who: Who, locale = 'en-CA') =>
    store.saveConversation(`user:${who.aadObjectId}`, {
      conversation: { id: `a:${who.aadObjectId}`, conversationType: 'personal' },
      user: { id: who.id, aadObjectId: who.aadObjectId, name: who.name },
      locale,
    });
  const queuedTo = async (who: Who) =>
    (await store.dueMessages('2100-01-01T00:00:00Z', 100))
      .filter((m) => m.conversationKey === `user:${who.aadObjectId}`)
      .map((m) => textOf(m.activity));

  beforeEach(async () => {
    store = SqliteStore.open(':memory:');
    const log = createLogger('silent');
    const clock = clockOf(config, () => new Date(NOW));
    deps = { store, config, clock, notifier: createNotifier(store, config, log, () => undefined, clock) };
    for (const who of [PEOPLE.finance, PEOPLE.colleague, PEOPLE.finance2]) await reachable(who);
    await reachable(PEOPLE.manager, 'fr-CA');
  });
  afterEach(() => store.close());

  it('takes the person a Teams mention names, by the chat id their personal chat holds', async () => {
    const farah = actor(PEOPLE.finance, ['finance']);
    const answer = await run(
      request(farah, 'until 2026-03-20', {
        mentions: [
          { id: '28:bot', name: 'Microacq' },
          { id: PEOPLE.colleague.id, name: 'Julie L.' },
        ],
      }),
    );
    assert.match(answer, /Julie Lavoie acts for you as finance until Friday, March 20, 2026\./);
    assert.equal((await queuedTo(PEOPLE.colleague)).length, 1);
  });

  it('says a mentioned person has no chat yet, by the name Teams shows', async () => {
    const answer = await run(
      request(actor(PEOPLE.finance, ['finance']), 'until 2026-03-20', {
        mentions: [{ id: '29:stranger', name: 'Sam Stranger' }],
      }),
    );
    assert.match(answer, /I do not know that person/);
    assert.match(answer, /Sam Stranger has no chat with Microacq yet: ask them to say \*\*hello\*\* to it/);
  });

  it('refuses two people mentioned at once', async () => {
    const answer = await run(
      request(actor(PEOPLE.finance, ['finance']), 'until 2026-03-20', {
        mentions: [
          { id: PEOPLE.colleague.id, name: 'Julie Lavoie' },
          { id: PEOPLE.finance2.id, name: 'Dana Cho' },
        ],
      }),
    );
    assert.match(answer, /Name one person only: one person acts for you at a time\./);
  });

  it('names the branches a role is limited to, and every role of one’s own', async () => {
    const priya = actor({ ...PEOPLE.procurement }, ['procurement', 'finance'], {
      branches: { finance: ['IITB', 'CSB'] },
    });
    await reachable(PEOPLE.procurement);
    const answer = await run(request(priya, 'Julie Lavoie until 2026-03-20'));
    assert.match(
      answer,
      /Julie Lavoie acts for you as procurement team and finance \(IITB and CSB only\) until Friday, March 20, 2026\./,
    );
    const [told] = await queuedTo(PEOPLE.colleague);
    assert.match(
      told ?? '',
      /Priya Raman has named you to act for them as procurement team and finance \(IITB and CSB only\)/,
    );
  });

  it('tells the delegate in the language of their chat when they chose none', async () => {
    await run(request(actor(PEOPLE.finance, ['finance']), 'Marc Gagnon until 2026-03-20'));
    const [told] = await queuedTo(PEOPLE.manager);
    assert.match(
      told ?? '',
      /Farah Haddad vous confie ses fonctions jusqu’au vendredi 20 mars 2026 : finances\./,
    );
  });

  it('refuses a delegate passing on the roles they hold for someone else', async () => {
    const julie = actor(PEOPLE.colleague, ['finance'], {
      delegatedBy: { finance: { aadObjectId: PEOPLE.finance.aadObjectId, name: 'Farah Haddad' } },
    });
    const answer = await run(request(julie, 'Dana Cho until 2026-03-20'));
    assert.match(answer, /Only someone who holds an approval role of their own/);
    assert.match(answer, /The roles you hold for Farah Haddad are theirs: you cannot pass them on\./);
    const fr = await run(request(julie, 'Dana Cho jusqu’au 2026-03-20', { locale: 'fr' }));
    assert.match(fr, /Les fonctions que vous exercez pour Farah Haddad restent les leurs/);
    assert.deepEqual(await store.delegationsBy(PEOPLE.colleague.aadObjectId), []);

    // Their own roles they pass on; the ones held for someone else are not named.
    const both = { ...julie, roles: new Set(['finance', 'union'] as const) };
    assert.match(
      await run(request(both, 'Dana Cho until 2026-03-20')),
      /Dana Cho acts for you as union representative until/,
    );
  });
});
