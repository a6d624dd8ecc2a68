import { z } from 'zod';
import { listCard, noticeCard } from '../../cards';
import { summaryCard } from '../../cards/summary';
import { mayRead, readableBy, readsEverything } from '../../services/access';
import { type MessageKey, t } from '../../i18n';
import { nextActors } from '../../services/decisions';
import { ACTIONS, actingRoles, specOf } from '../../services/lifecycle';
import { type Opportunity, REFERENCE_PATTERN, type Status, STATUSES } from '../../services/opportunity';
import { pipelineTally, readsApplications } from '../../services/pipeline';
import type { ActingRole } from '../../services/roles';
import { everyRecord, type OpportunityFilter } from '../../services/store';
import { normalizeWord } from '../router';
import type { ActionHandler, Deps, Handler, Reply, TurnRequest } from '../turn';
import { requestCard } from './decide';

/**
 * Where things stand: a request's card (`status MA-2026-0007`, or the reference alone), a person's own
 * requests (`mine`), what waits for them (`waiting`) and every request or those in a state (`list`).
 * Requesters see their own requests; the procurement team, finance, the union and managers see all.
 */

const PAGE = 10;
/** Longer search text is cut: ten words is what a search reads anyway. */
const SEARCH_MAX = 200;
/**
 * Store pages read at most to fill one page: "waiting" filters what the store returns, and a search in
 * SharePoint looks through a bounded part of the records per call; the rest comes with Next.
 */
const SCAN: Partial<Record<Kind, number>> = { waiting: 20, search: 3 };

const say = (req: TurnRequest, key: MessageKey, params: Record<string, string> = {}): Reply => ({
  card: noticeCard({ title: t(req.locale, key, params), lines: [], style: 'warning' }),
});

export const showStatus: Handler = async (req, deps) => {
  const reference = req.args.trim().toUpperCase();
  if (!REFERENCE_PATTERN.test(reference)) return say(req, 'statusCard.usage');
  const o = await deps.store.get(reference);
  if (!o) return say(req, 'decisions.refusals.notFound', { reference: reference.slice(0, 20) });
  if (!mayRead(o, req.actor)) return say(req, 'statusCard.notAllowed');
  return requestCard(req, deps, o);
};

type Kind = 'mine' | 'waiting' | 'all' | 'search';

/** Each list's title, and what it says when it is empty. */
const LIST_WORDS: Record<Kind, { readonly heading: MessageKey; readonly empty: MessageKey }> = {
  mine: { heading: 'lists.mine', empty: 'lists.emptyMine' },
  waiting: { heading: 'lists.waiting', empty: 'lists.emptyWaiting' },
  all: { heading: 'lists.all', empty: 'lists.emptyAll' },
  search: { heading: 'lists.search', empty: 'lists.emptySearch' },
};

/** What a list button carries: which list, and where it is; never whose (that comes from the activity). */
export const PageData = z.object({
  kind: z.enum(['mine', 'waiting', 'all', 'search']),
  status: z.enum(STATUSES).optional(),
  text: z.string().max(SEARCH_MAX).optional(),
  cursor: z.string().max(500).optional(),
  /** The cursors of the pages before, to go back: a JSON list of text. */
  trail: z
    .string()
    .max(6_000)
    .refine((trail) => {
      try {
        return z.array(z.string()).safeParse(JSON.parse(trail)).success;
      } catch {
        return false;
      }
    })
    .optional(),
});
type PageData = z.infer<typeof PageData>;

/** The statuses in which someone holding one of `roles` may have to act. */
function statusesFor(roles: ReadonlySet<ActingRole>): Status[] {
  const found = new Set<Status>();
  for (const action of ACTIONS) {
    if (specOf(action).roles.some((r) => roles.has(r))) specOf(action).from.forEach((s) => found.add(s));
  }
  return STATUSES.filter((s) => found.has(s));
}

/** Whether `o` waits on the person: as its requester, or in a role they hold for its client branch. */
function waitsFor(o: Opportunity, req: TurnRequest): boolean {
  const next = nextActors(o);
  return [...actingRoles(o, req.actor)].some((r) => r !== 'system' && next.has(r));
}

async function page(req: TurnRequest, deps: Deps, data: PageData): Promise<Reply> {
  const kind: Kind = data.kind === 'all' && !readsEverything(req.actor) ? 'mine' : data.kind;
  const own = readableBy(req.actor);
  const filter: OpportunityFilter =
    kind === 'mine'
      ? { requesterId: req.actor.id, ...(data.status ? { statuses: [data.status] } : {}) }
      : kind === 'waiting'
        ? { statuses: statusesFor(new Set<ActingRole>([...req.actor.roles, 'requester'])) }
        : kind === 'search'
          ? { ...own, text: data.text ?? '' }
          : data.status
            ? { statuses: [data.status] }
            : {};
  const records: Opportunity[] = [];
  let cursor = data.cursor || undefined;
  let next: string | undefined;
  for (let scanned = 0; records.length < PAGE && scanned < (SCAN[kind] ?? 1); scanned++) {
    const found = await deps.store.query(filter, {
      limit: PAGE - records.length,
      ...(cursor ? { cursor } : {}),
    });
    const wanted = kind === 'waiting' ? found.items.filter((o) => waitsFor(o, req)) : found.items;
    records.push(...wanted);
    next = found.nextCursor;
    cursor = next;
    if (!next) break;
  }
  const trail: string[] = data.trail ? (JSON.parse(data.trail) as string[]) : [];
  const here = {
    kind: data.kind,
    ...(data.status ? { status: data.status } : {}),
    ...(data.text ? { text: data.text } : {}),
  };
  const words = LIST_WORDS[kind];
  const heading = data.status
    ? t(req.locale, 'lists.inState', { state: t(req.locale, `statuses.${data.status}`) })
    : t(req.locale, words.heading);
  const empty = t(req.locale, words.empty);
  const card = listCard({
    locale: req.locale,
    heading,
    empty,
    ...(data.kind === 'all' && kind === 'mine' ? { note: t(req.locale, 'lists.onlyOwn') } : {}),
    records,
    ...(kind === 'search' ? { query: data.text ?? '' } : {}),
    ...(trail.length > 0
      ? {
          previous: {
            ...here,
            cursor: trail[trail.length - 1] ?? '',
            trail: JSON.stringify(trail.slice(0, -1)),
          },
        }
      : {}),
    ...(next
      ? { next: { ...here, cursor: next, trail: JSON.stringify([...trail, data.cursor ?? '']) } }
      : {}),
  });
  return { card };
}

/** A state named in either language ("posted", "publiée"), or undefined. */
function stateOf(word: string, req: TurnRequest): Status | undefined {
  const wanted = normalizeWord(word.replace(/\s+/g, ' '));
  return STATUSES.find(
    (s) =>
      normalizeWord(s) === wanted ||
      normalizeWord(t('en', `statuses.${s}`)) === wanted ||
      normalizeWord(t('fr', `statuses.${s}`)) === wanted ||
      normalizeWord(t(req.locale, `statuses.${s}`)) === wanted,
  );
}

export const search: Handler = async (req, deps) => {
  const text = req.args.trim().slice(0, SEARCH_MAX);
  if (text === '') return say(req, 'lists.searchUsage');
  return page(req, deps, { kind: 'search', text });
};

export const listMine: Handler = (req, deps) => page(req, deps, { kind: 'mine' });
export const listWaiting: Handler = (req, deps) => page(req, deps, { kind: 'waiting' });

export const listAll: Handler = async (req, deps) => {
  const words = req.args.trim();
  if (words === '') return page(req, deps, { kind: 'all' });
  const status = stateOf(words, req);
  if (!status) {
    // What was typed is quoted as typed, never read as Markdown.
    const states = STATUSES.filter((s) => s !== 'draft')
      .map((s) => t(req.locale, `statuses.${s}`))
      .join(', ');
    return {
      card: noticeCard({
        title: t(req.locale, 'lists.unknownState', { states }),
        quote: words.slice(0, 40),
        lines: [],
        style: 'warning',
      }),
    };
  }
  return page(req, deps, { kind: 'all', status });
};

export const turnPage: ActionHandler<PageData> = async (req, deps, data) => {
  try {
    return await page(req, deps, data);
  } catch (err) {
    // A cursor this store did not issue (a forged or very old card): start again from the first page.
    if (err instanceof RangeError)
      return page(req, deps, { kind: data.kind, ...(data.status ? { status: data.status } : {}) });
    throw err;
  }
};

export const showSummary: Handler = async (req, deps) => {
  if (!readsEverything(req.actor)) return say(req, 'summary.notAllowed');
  const today = deps.clock.today();
  const now = deps.clock.now().toISOString();
  // Read page by page and counted as read: a department's every request is never held at once.
  const tally = pipelineTally(today, {
    reminderBusinessDays: deps.config.reminderBusinessDays,
    now,
    calendar: deps.clock.calendar,
  });
  // The applications of the opportunities posted whose applications are still kept: counts, never who.
  const references: string[] = [];
  for await (const o of everyRecord(deps.store, readableBy(req.actor))) {
    tally.add(o);
    if (readsApplications(o, now, deps.config.site.applicationRetentionDays)) references.push(o.reference);
  }
  const [figures, selfIdentification] = await Promise.all([
    deps.store.applicationFigures(references),
    deps.store.selfIdentificationCounts(references),
  ]);
  const summary = tally.summary({
    figures,
    selfIdentification,
    selfIdentificationMinCount: deps.config.selfIdentificationMinCount,
  });
  return { card: await summaryCard(req.locale, summary, deps.config.reminderBusinessDays) };
};

/** Results a search from the compose box offers at most. */
const COMPOSE_RESULTS = 10;

/**
 * The compose box's search (message extension): a reference finds that request, words search, and an
 * empty box offers what waits for the person, else their latest requests; always within what they may see.
 */
export async function composeResults(req: TurnRequest, deps: Deps, text: string): Promise<Opportunity[]> {
  const wanted = text.trim().slice(0, SEARCH_MAX);
  const own = readableBy(req.actor);
  if (REFERENCE_PATTERN.test(wanted.toUpperCase())) {
    const o = await deps.store.get(wanted.toUpperCase());
    return o && mayRead(o, req.actor) ? [o] : [];
  }
  const filter: OpportunityFilter = wanted === '' ? own : { ...own, text: wanted };
  return [...(await deps.store.query(filter, { limit: COMPOSE_RESULTS })).items];
}
