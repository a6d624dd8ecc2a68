import { z } from 'zod';
import type { Person } from './opportunity';
import { type Actor, CONFIGURED_ROLES, type ConfiguredRole, sameId } from './roles';

/**
 * Acting for a colleague on leave: a person who holds a configured role names a delegate until a last
 * day, and the delegate holds that person's roles meanwhile. Pure: the command's words, the rules a
 * delegation is held to, and whether one runs on a given day; the store keeps them, the edge grants.
 */

export interface Delegation {
  readonly id: string;
  readonly delegator: Person;
  readonly delegate: Person;
  /** The last day the delegate acts, included, on the department's calendar (YYYY-MM-DD). */
  readonly until: string;
  readonly createdAt: string;
  /** Set when it was ended early, or replaced by a newer one; ended delegations are kept as the audit. */
  readonly endedAt?: string;
  readonly endedBy?: Person;
}

/** A Teams mention of someone in the message, as the activity's entities name them. */
export interface Mention {
  readonly id: string;
  readonly name: string;
}

/** The language a person speaks to the bot in. */
type Locale = 'en' | 'fr';

/** Why a delegation cannot be named, or a command not read. */
export type DelegationProblem =
  | 'name_missing'
  | 'several_names'
  | 'date_missing'
  | 'date_malformed'
  | 'no_role'
  | 'delegate_unknown'
  | 'self'
  | 'date_past'
  | 'date_too_far'
  | 'unchanged';

/** Who the delegate is, as the command gave them: mentioned (an id to find), or named in words. */
export type DelegateNamed = { readonly mention: Mention } | { readonly name: string };

export type DelegateCommand =
  | { readonly kind: 'list' }
  | { readonly kind: 'end' }
  | { readonly kind: 'name'; readonly who: DelegateNamed; readonly until: string }
  | { readonly kind: 'problems'; readonly problems: readonly DelegationProblem[] };

/** The most of one person's delegations the store gives back, the running one first. */
export const DELEGATIONS_LISTED = 50;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `text` is a real calendar date written YYYY-MM-DD (no 31 April, no 29 February in 2027). */
export function isIsoDate(text: string): boolean {
  const m = ISO_DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function isoOf(year: number, month: number, day: number): string | undefined {
  const text = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return isIsoDate(text) ? text : undefined;
}

/** The same day a year later; 29 February becomes 28 February, the last day that month has. */
export function oneYearAfter(today: string): string {
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const last = new Date(Date.UTC(y + 1, m, 0)).getUTCDate();
  return isoOf(y + 1, m, Math.min(d, last)) ?? today;
}

/** Lower case, accents and surrounding punctuation gone, apostrophes of either kind made one. */
function fold(word: string): string {
  return word
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[’‘`´]/g, "'")
    .replace(/^[^\p{L}\p{N}']+|[^\p{L}\p{N}]+$/gu, '');
}

/** The words that end a delegation, or list them, alone after the command word; both languages always. */
const END_WORDS = new Set(['end', 'stop', 'fin', 'arreter', 'terminer']);
const LIST_WORDS = new Set(['list', 'liste']);
/** The words between the name and the last day. */
const UNTIL_WORDS = new Set(['until', 'till', "jusqu'au", "jusqu'a", 'au']);

/** Month names as each language writes them out, for a date given in words. */
const MONTHS: Readonly<Record<Locale, readonly (readonly string[])[]>> = {
  en: [
    ['january', 'jan'],
    ['february', 'feb'],
    ['march', 'mar'],
    ['april', 'apr'],
    ['may'],
    ['june', 'jun'],
    ['july', 'jul'],
    ['august', 'aug'],
    ['september', 'sep', 'sept'],
    ['october', 'oct'],
    ['november', 'nov'],
    ['december', 'dec'],
  ],
  fr: [
    ['janvier', 'janv'],
    ['fevrier', 'fevr', 'fev'],
    ['mars'],
    ['avril', 'avr'],
    ['mai'],
    ['juin'],
    ['juillet', 'juil'],
    ['aout'],
    ['septembre', 'sept'],
    ['octobre', 'oct'],
    ['novembre', 'nov'],
    ['decembre', 'dec'],
  ],
};
const WEEKDAYS: Readonly<Record<Locale, ReadonlySet<string>>> = {
  en: new Set(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']),
  fr: new Set(['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche']),
};

function monthOf(word: string, locale: Locale): number | undefined {
  const i = MONTHS[locale].findIndex((names) => names.includes(word));
  return i >= 0 ? i + 1 : undefined;
}

/** A day of the month as written: 15, 1er (French), 1st, 2nd, 23rd, 15th (English). */
function dayOf(word: string, locale: Locale): number | undefined {
  const m = (locale === 'fr' ? /^(\d{1,2})(?:er)?$/ : /^(\d{1,2})(?:st|nd|rd|th)?$/).exec(word);
  return m ? Number(m[1]) : undefined;
}

/**
 * The last day as typed: YYYY-MM-DD in either language, or written out the way the person's language
 * writes a date ("January 15, 2027", "15 January 2027" / "15 janvier 2027", "1er mars 2027"), a weekday
 * before it allowed. Undefined when it is no real date.
 */
function readDate(words: readonly string[], locale: Locale): string | undefined {
  const folded = words.map(fold).filter((w) => w !== '');
  if (folded.length === 1 && isIsoDate(folded[0] as string)) return folded[0];
  const rest = WEEKDAYS[locale].has(folded[0] ?? '') ? folded.slice(1) : folded;
  if (rest.length !== 3) return undefined;
  const [a, b, c] = rest as [string, string, string];
  if (!/^\d{4}$/.test(c)) return undefined;
  const year = Number(c);
  const dayFirst = { day: dayOf(a, locale), month: monthOf(b, locale) };
  const monthFirst = locale === 'en' ? { day: dayOf(b, locale), month: monthOf(a, locale) } : undefined;
  for (const { day, month } of [dayFirst, ...(monthFirst ? [monthFirst] : [])]) {
    if (day !== undefined && month !== undefined) return isoOf(year, month, day);
  }
  return undefined;
}

/** What is left of a typed name once a mention's `@` and any stray tag are taken off. */
function nameOf(words: readonly string[]): string {
  return words
    .join(' ')
    .replace(/<\/?at>/gi, ' ')
    .replace(/^@+/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Reads the words after `delegate` / `déléguer`: nothing (the list), `end` / `fin`, or a name (or a Teams
 * mention) and the last day, `until 2027-01-15` / `jusqu'au 2027-01-15` (`jusqu’au`, `au`). The words of
 * both languages are read whatever the person's language, as command words are; `locale` is the language
 * a date written out in words is read in. `mentions` are the people the message mentions, the bot left out.
 */
export function parseDelegateCommand(
  args: string,
  locale: Locale,
  mentions: readonly Mention[] = [],
): DelegateCommand {
  const words = args.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return { kind: 'list' };
  if (words.length === 1) {
    const only = fold(words[0] as string);
    if (END_WORDS.has(only)) return { kind: 'end' };
    if (LIST_WORDS.has(only)) return { kind: 'list' };
  }
  // The last "until": a name may itself hold "au" (Jean Au), the date never does.
  const at = words.findLastIndex((w) => UNTIL_WORDS.has(fold(w)));
  let nameWords: readonly string[];
  let dateWords: readonly string[];
  if (at >= 0) {
    nameWords = words.slice(0, at);
    dateWords = words.slice(at + 1);
  } else {
    // Without "until", a date that ends the message is still the last day; four words are tried before
    // three, so a weekday before the date is not taken for part of the name.
    const from = [1, 4, 3]
      .map((n) => words.length - n)
      .find((k) => k >= 0 && readDate(words.slice(k), locale) !== undefined);
    const last = words.at(-1) ?? '';
    const split = from ?? (words.length > 1 && /\d/.test(last) ? words.length - 1 : words.length);
    nameWords = words.slice(0, split);
    dateWords = words.slice(split);
  }

  const problems: DelegationProblem[] = [];
  const mentioned = [...new Map(mentions.map((m) => [m.id, m])).values()];
  const name = nameOf(nameWords);
  let who: DelegateNamed | undefined;
  if (mentioned.length > 1) problems.push('several_names');
  else if (mentioned[0]) who = { mention: mentioned[0] };
  else if (name !== '') who = { name };
  else problems.push('name_missing');

  const until = dateWords.length > 0 ? readDate(dateWords, locale) : undefined;
  if (dateWords.length === 0) problems.push('date_missing');
  else if (until === undefined) problems.push('date_malformed');

  if (problems.length > 0 || !who || !until) return { kind: 'problems', problems };
  return { kind: 'name', who, until };
}

/**
 * The configured roles a person holds of their own, in the usual order: a role held as someone's
 * delegate is theirs to pass on, not the delegate's.
 */
export function ownRoles(actor: Pick<Actor, 'roles' | 'delegatedBy'>): ConfiguredRole[] {
  return CONFIGURED_ROLES.filter((r) => actor.roles.has(r) && actor.delegatedBy?.[r] === undefined);
}

/** Whether a delegation runs on `today` (the department's date): not ended, and its last day not past. */
export function activeOn(delegation: Pick<Delegation, 'until' | 'endedAt'>, today: string): boolean {
  return delegation.endedAt === undefined && today <= delegation.until;
}

export interface DelegationCheck {
  readonly delegator: Actor;
  /** The person named, found among the people the bot can reach; undefined when nobody was found. */
  readonly delegate: Person | undefined;
  readonly until: string;
  /** The department's date. */
  readonly today: string;
  /** The delegator's delegations, as the store lists them. */
  readonly existing: readonly Delegation[];
}

/**
 * The rules a new delegation is held to: the delegator holds a configured role of their own, names
 * someone the bot can reach other than themself, from today to at most a year on (dates compare as
 * ISO text on the department's calendar), and changes something.
 */
export function checkDelegation(c: DelegationCheck): DelegationProblem[] {
  const problems: DelegationProblem[] = [];
  if (ownRoles(c.delegator).length === 0) problems.push('no_role');
  if (!c.delegate) problems.push('delegate_unknown');
  else if (sameId(c.delegator.id, c.delegate.aadObjectId)) problems.push('self');
  if (!isIsoDate(c.until)) problems.push('date_malformed');
  else if (c.until < c.today) problems.push('date_past');
  else if (c.until > oneYearAfter(c.today)) problems.push('date_too_far');
  const delegate = c.delegate;
  if (
    problems.length === 0 &&
    delegate &&
    c.existing.some(
      (d) =>
        activeOn(d, c.today) &&
        sameId(d.delegator.aadObjectId, c.delegator.id) &&
        sameId(d.delegate.aadObjectId, delegate.aadObjectId) &&
        d.until === c.until,
    )
  )
    problems.push('unchanged');
  return problems;
}

const Someone = z.object({
  aadObjectId: z.string().trim().min(1).max(200),
  name: z.string().max(255),
});

/** A delegation as a store takes and gives it back: read leniently of anything else a person carries. */
export const StoredDelegation = z.object({
  id: z.string().trim().min(1).max(200),
  delegator: Someone,
  delegate: Someone,
  until: z.string().refine(isIsoDate, 'must be a date, YYYY-MM-DD'),
  createdAt: z.iso.datetime({ offset: true }),
  endedAt: z.iso.datetime({ offset: true }).optional(),
  endedBy: Someone.optional(),
});
