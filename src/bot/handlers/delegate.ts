import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type Card, noticeCard } from '../../cards';
import { type Locale, localeOf, t } from '../../i18n';
import { formatDate, formatList } from '../../i18n/format';
import {
  activeOn,
  checkDelegation,
  type DelegateNamed,
  type Delegation,
  type DelegationProblem,
  type Mention,
  oneYearAfter,
  ownRoles,
  parseDelegateCommand,
} from '../../services/delegation';
import { type Actor, idKey, sameId } from '../../services/roles';
import type { Person } from '../../services/store';
import { activityOf, chosenLocale } from '../notify';
import { type Deps, type Reply, type TurnRequest, warning } from '../turn';
import { reachablePerson } from './evaluation';

/**
 * `delegate` / `déléguer`: someone with an approval role names a colleague to act in it while they are
 * away, ends that early, or lists who acts for whom. Answered wherever it is said: a Teams mention of a
 * colleague can only be typed in a channel or group chat they are in, and the answer shows nothing more
 * than the team already knows (who stands in for whom); the personal chat takes the name typed out.
 * The store keeps the delegations; the roles they give are granted where the actor is built.
 */

/** The ports the command uses: it changes no request. */
export type DelegateDeps = Pick<Deps, 'store' | 'clock' | 'notifier' | 'config'>;

/** How many people a name is looked for among: everyone with a chat, in a department of a few thousand. */
const PEOPLE_SEARCHED = 5_000;
/** How many people an ambiguous name lists. */
const NAMES_SHOWN = 10;
/** How many of a person's delegations the list shows: the running one and the latest before it. */
const GIVEN_SHOWN = 11;

const Mentions = z.array(z.object({ id: z.string().min(1).max(200), name: z.string().max(255) })).max(50);

/** The people the message mentions, the bot itself left out. */
function mentionsOf(req: TurnRequest): Mention[] {
  const given = Mentions.safeParse(req.mentions);
  if (!given.success) return [];
  const bot = (req.conversationReference.bot as { id?: unknown } | undefined)?.id;
  return given.data.filter((m) => m.id !== bot);
}

/** A name as compared: case, accents and spacing aside. */
function folded(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The person a mention names: Teams gives the id of their chat account, which their stored personal chat
 * holds as `user.id`. People of the mention's name are looked at first; a mention that carries the object
 * id itself is found at once.
 */
async function mentioned(deps: DelegateDeps, m: Mention): Promise<Person | undefined> {
  const direct = await reachablePerson(deps, m.id);
  if (direct) return direct;
  const people = await deps.store.peopleInChat(PEOPLE_SEARCHED);
  const name = folded(m.name);
  const ordered = [
    ...people.filter((p) => folded(p.name) === name),
    ...people.filter((p) => folded(p.name) !== name),
  ];
  for (const p of ordered) {
    const user = (await deps.store.getConversation(`user:${idKey(p.aadObjectId)}`))?.user as
      { id?: unknown } | undefined;
    if (typeof user?.id === 'string' && user.id === m.id) return p;
  }
  return undefined;
}

/**
 * The people a typed name may mean: those of exactly that name, else those whose name holds every typed
 * word as a word's beginning ("dana" → Dana Cho), the speaker left out of a partial match.
 */
async function named(deps: DelegateDeps, name: string, speaker: string): Promise<readonly Person[]> {
  const people = await deps.store.peopleInChat(PEOPLE_SEARCHED);
  const wanted = folded(name);
  const exact = people.filter((p) => folded(p.name) === wanted);
  if (exact.length > 0) return exact;
  const words = wanted.split(' ');
  return people.filter((p) => {
    if (sameId(p.aadObjectId, speaker)) return false;
    const theirs = folded(p.name).split(/[\s-]+/);
    return words.every((w) => theirs.some((x) => x.startsWith(w)));
  });
}

/** The roles a delegate takes on, with the branches each is limited to: "finance (IITB only)". */
function rolesText(actor: Actor, locale: Locale): string {
  return formatList(
    ownRoles(actor).map((role) => {
      const name = t(locale, `roles.${role}`);
      const branches = actor.branches?.[role];
      return branches && branches.length > 0
        ? t(locale, 'delegation.roleInBranches', { role: name, branches: formatList(branches, locale) })
        : name;
    }),
    locale,
  );
}

/** A date a fortnight on, for the examples: one that would be accepted today. */
function exampleDate(today: string): string {
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 14);
  return d.toISOString().slice(0, 10);
}

/** What to say of a problem, in the person's language. */
function problemText(
  locale: Locale,
  problem: DelegationProblem,
  facts: { readonly today: string; readonly running?: Delegation },
): string {
  switch (problem) {
    case 'date_too_far':
      return t(locale, 'delegation.problems.date_too_far', {
        latest: formatDate(oneYearAfter(facts.today), locale),
      });
    case 'unchanged':
      return t(locale, 'delegation.problems.unchanged', {
        name: facts.running?.delegate.name ?? '',
        date: formatDate(facts.running?.until ?? facts.today, locale),
      });
    default:
      return t(locale, `delegation.problems.${problem}`);
  }
}

/** A refusal: the first problem as its title, the others and what to do next below it. */
function refuse(
  req: TurnRequest,
  today: string,
  problems: readonly DelegationProblem[],
  extra: {
    readonly lines?: readonly string[];
    readonly running?: Delegation;
    /** What the person typed that the refusal is about, echoed as text. */
    readonly quote?: string;
  } = {},
): Reply {
  const [first, ...rest] = problems.map((p) =>
    problemText(req.locale, p, { today, ...(extra.running ? { running: extra.running } : {}) }),
  );
  const lines = [...rest, ...(extra.lines ?? [])];
  const unread = problems.some((p) => ['name_missing', 'date_missing', 'date_malformed'].includes(p));
  const quote = extra.quote ?? (problems.includes('date_malformed') ? req.args.trim() : '');
  if (lines.length === 0 && !unread && quote === '') return warning(first ?? '');
  return {
    card: noticeCard({
      title: first ?? '',
      lines: unread ? [...lines, t(req.locale, 'delegation.usage', { example: exampleDate(today) })] : lines,
      style: 'warning',
      ...(quote !== '' ? { quote: quote.slice(0, 200) } : {}),
    }),
  };
}

/**
 * Sends a card to a person's own chat through the outbox, in the language they chose, else the one
 * their chat was last in; `id` makes it go once. False when they have no chat with the bot.
 */
async function tell(
  deps: DelegateDeps,
  person: Person,
  id: string,
  card: (locale: Locale) => Card,
): Promise<boolean> {
  const key = `user:${idKey(person.aadObjectId)}`;
  const reference = await deps.store.getConversation(key);
  if (!reference) return false;
  const teams = localeOf(
    typeof reference.locale === 'string' ? reference.locale : undefined,
    deps.config.defaultLocale,
  );
  const locale = await chosenLocale(deps.store, idKey(person.aadObjectId), teams);
  return deps.notifier.post({
    id,
    conversationKey: key,
    kind: 'post',
    activity: activityOf(card(locale)),
    createdAt: deps.clock.now().toISOString(),
  });
}

const speaker = (req: TurnRequest): Person => ({ aadObjectId: req.actor.id, name: req.actor.name });

/** The line that tells the delegate their delegation is over. */
const endedCard = (delegator: string) => (locale: Locale) =>
  noticeCard({ title: t(locale, 'delegation.endedToDelegate', { name: delegator }), lines: [] });

async function nameDelegate(
  req: TurnRequest,
  deps: DelegateDeps,
  who: DelegateNamed,
  until: string,
): Promise<Reply> {
  const today = deps.clock.today();
  if (ownRoles(req.actor).length === 0) {
    const holdFor = Object.values(req.actor.delegatedBy ?? {}).map((p) => p.name);
    const names = formatList([...new Set(holdFor)], req.locale);
    return refuse(req, today, ['no_role'], {
      lines: holdFor.length > 0 ? [t(req.locale, 'delegation.delegatedRoles', { names })] : [],
    });
  }
  let delegate: Person | undefined;
  if ('mention' in who) {
    delegate = await mentioned(deps, who.mention);
    if (!delegate) {
      return refuse(req, today, ['delegate_unknown'], {
        lines: [t(req.locale, 'delegation.mentionUnknown', { name: who.mention.name })],
      });
    }
  } else {
    const found = await named(deps, who.name, req.actor.id);
    if (found.length > 1) {
      return {
        card: noticeCard({
          title: t(req.locale, 'delegation.ambiguous'),
          lines: found.slice(0, NAMES_SHOWN).map((p) => p.name),
          quote: who.name.slice(0, 200),
          style: 'warning',
        }),
      };
    }
    delegate = found[0];
  }
  const existing = await deps.store.delegationsBy(req.actor.id);
  const running = existing.find((d) => activeOn(d, today));
  const problems = checkDelegation({ delegator: req.actor, delegate, until, today, existing });
  if (problems.length > 0 || !delegate) {
    const unknown = problems.includes('delegate_unknown');
    return refuse(req, today, problems, {
      ...(running ? { running } : {}),
      lines: unknown ? [t(req.locale, 'delegation.unknownHelp')] : [],
      ...(unknown && 'name' in who ? { quote: who.name } : {}),
    });
  }
  const saved = await deps.store.saveDelegation({
    id: randomUUID(),
    delegator: speaker(req),
    delegate: { aadObjectId: delegate.aadObjectId, name: delegate.name },
    until,
    createdAt: deps.clock.now().toISOString(),
  });
  await tell(deps, saved.delegate, `delegation:${saved.id}:named`, (locale) =>
    noticeCard({
      title: t(locale, 'delegation.toDelegate', {
        name: req.actor.name,
        roles: rolesText(req.actor, locale),
        date: formatDate(until, locale),
      }),
      lines: [t(locale, 'delegation.toDelegateLine')],
      style: 'accent',
    }),
  );
  const replaced = running && !sameId(running.delegate.aadObjectId, saved.delegate.aadObjectId);
  if (running && replaced)
    await tell(deps, running.delegate, `delegation:${running.id}:ended`, endedCard(req.actor.name));
  return {
    card: noticeCard({
      title: t(req.locale, 'delegation.named', {
        name: saved.delegate.name,
        roles: rolesText(req.actor, req.locale),
        date: formatDate(until, req.locale),
      }),
      lines: [
        ...(running && replaced
          ? [t(req.locale, 'delegation.noLonger', { name: running.delegate.name })]
          : []),
        t(req.locale, 'delegation.onBehalf', { name: saved.delegate.name }),
        t(req.locale, 'delegation.howToEnd'),
      ],
      style: 'good',
    }),
  };
}

async function endRunning(req: TurnRequest, deps: DelegateDeps): Promise<Reply> {
  const today = deps.clock.today();
  const running = (await deps.store.delegationsBy(req.actor.id)).find((d) => activeOn(d, today));
  const ended =
    running && (await deps.store.endDelegation(running.id, speaker(req), deps.clock.now().toISOString()));
  if (!running || !ended) return warning(t(req.locale, 'delegation.nothingToEnd'));
  await tell(deps, running.delegate, `delegation:${running.id}:ended`, endedCard(req.actor.name));
  return {
    card: noticeCard({
      title: t(req.locale, 'delegation.noLonger', { name: running.delegate.name }),
      lines: [],
      style: 'good',
    }),
  };
}

/** Who acts for the person, and for whom they act: the running ones, then the latest that are over. */
async function listDelegations(req: TurnRequest, deps: DelegateDeps): Promise<Reply> {
  const today = deps.clock.today();
  const { locale } = req;
  const [given, received] = await Promise.all([
    deps.store.delegationsBy(req.actor.id),
    deps.store.delegationsTo(req.actor.id, today),
  ]);
  const day = (iso: string) => formatDate(iso, locale);
  const givenLine = (d: Delegation) => {
    const facts = { name: d.delegate.name, date: day(d.until) };
    if (activeOn(d, today)) return t(locale, 'delegation.active', facts);
    const endedOn = d.endedAt ? deps.clock.calendar.dateOf(d.endedAt) : undefined;
    // Closed on the record after its last day had passed (a later one replaced it): it simply ran out.
    return endedOn && endedOn <= d.until
      ? t(locale, 'delegation.ended', { ...facts, ended: day(endedOn), by: d.endedBy?.name ?? '' })
      : t(locale, 'delegation.lapsed', facts);
  };
  const lines = [
    ...(given.length > 0
      ? [t(locale, 'delegation.givenHeading'), ...given.slice(0, GIVEN_SHOWN).map(givenLine)]
      : []),
    ...(received.length > 0
      ? [
          t(locale, 'delegation.receivedHeading'),
          ...received.map((d) =>
            t(locale, 'delegation.active', { name: d.delegator.name, date: day(d.until) }),
          ),
        ]
      : []),
    ...(given.length === 0 && received.length === 0 ? [t(locale, 'delegation.none')] : []),
    t(locale, 'delegation.usage', { example: exampleDate(today) }),
  ];
  return { card: noticeCard({ title: t(locale, 'delegation.title'), lines }) };
}

export const delegateCommand = async (req: TurnRequest, deps: DelegateDeps): Promise<Reply> => {
  const command = parseDelegateCommand(req.args, req.locale, mentionsOf(req));
  switch (command.kind) {
    case 'list':
      return listDelegations(req, deps);
    case 'end':
      return endRunning(req, deps);
    case 'name':
      return nameDelegate(req, deps, command.who, command.until);
    case 'problems':
      return refuse(req, deps.clock.today(), command.problems);
  }
};
