import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { Document, Scalar } from 'yaml';
import { type Locale, t } from '../i18n';
import { formatDate, formatMoney } from '../i18n/format';
import { type PublicOpportunity, sitePath } from '../services/publication';

/**
 * An opportunity as the pilot's Jekyll site holds it: one post per language under `_posts/<lang>/`,
 * sharing `ref`, with the pilot template's front matter and sections. Only `publicOpportunity` views go
 * in, so nothing internal can reach the files. Pure: the same views always give the same bytes, which
 * is what lets the publisher skip unchanged ones.
 *
 * Everything a person typed is made inert twice over: front matter values are YAML double-quoted
 * strings, one line each, that Jekyll's YAML 1.1 parser and a YAML 1.2 one read back unchanged; body
 * text is escaped so that neither Liquid (which Jekyll runs over the body first) nor kramdown sees a
 * tag, a link, HTML or a block marker in it.
 */

export interface PublicViews {
  readonly en: PublicOpportunity;
  readonly fr: PublicOpportunity;
}

export interface JekyllPost {
  /** The file's path in the site's repository. */
  readonly path: string;
  readonly content: string;
}

export interface JekyllOptions {
  /** Where deadlines close (at the last second of their day) and dates are read. */
  readonly timeZone?: string;
}

/** The pilot's deadlines closed at the end of the day in Ottawa. */
export const DEFAULT_TIME_ZONE = 'America/Toronto';

const LOCALES: readonly Locale[] = ['en', 'fr'];

export function jekyllPosts(views: PublicViews, options: JekyllOptions = {}): JekyllPost[] {
  const zone = options.timeZone ?? DEFAULT_TIME_ZONE;
  if (views.en.reference !== views.fr.reference) {
    throw new Error(
      `the two views are of different opportunities: ${views.en.reference}, ${views.fr.reference}`,
    );
  }
  return LOCALES.map((locale) => {
    const view = views[locale];
    if (view.locale !== locale) throw new Error(`the ${locale} view is in ${view.locale}`);
    return {
      path: postPath(view, zone),
      content: `---\n${frontMatter(view, zone)}---\n\n${body(view, zone)}`,
    };
  });
}

/** What the publication log keeps of a pair of views: it changes exactly when the files would. */
export function digestOf(views: PublicViews, options: JekyllOptions = {}): string {
  const hash = createHash('sha256');
  for (const post of jekyllPosts(views, options)) hash.update(`${post.path}\0${post.content}\0`);
  return hash.digest('hex');
}

/** Dated the day it was posted, named by its reference, so a changed title never makes a second post. */
export function postPath(view: PublicOpportunity, timeZone: string = DEFAULT_TIME_ZONE): string {
  if (!/^MA-\d{4}-\d{4,}$/.test(view.reference)) throw new Error(`not a reference: ${view.reference}`);
  return `_posts/${view.locale}/${dayOf(view.postedAt, timeZone)}-${view.reference}.md`;
}

// ---------------------------------------------------------------------------------------------------
// Front matter

function frontMatter(v: PublicOpportunity, zone: string): string {
  const { locale } = v;
  const lines: [string, string | undefined][] = [
    ['layout', 'post'],
    ['title', quoted(v.texts.title)],
    ['ref', v.reference],
    ['lang', locale],
    // Our own site's address for the page, so links given out before the switch keep working.
    ['permalink', `${sitePath(locale, v.reference)}.html`],
    ['skills', quoted(v.skills.join(', '))],
    ['status', quoted(t(locale, `site.statuses.${v.status}`))],
    ['value', quoted(t(locale, 'site.valueText', { amount: formatMoney(v.valueCents, locale) }))],
    ['closing_date', endOfDay(v.deadline, zone)],
    ['start_date', isoDate(v.startDate)],
    ['delivery_date', endOfDay(v.deliveryDate, zone)],
    ['selected_bidder', v.supplier ? quoted(v.supplier.name) : undefined],
    ['selected_bidder-link', v.supplier?.link ? quoted(safeHref(v.supplier.link)) : undefined],
    ['submitted_work-link', v.deliveredLink ? quoted(safeHref(v.deliveredLink)) : undefined],
    ['last_modified', dayOf(v.updatedAt, zone)],
  ];
  // The pilot marked a deadline moved after posting this way, and its list showed "updated" for it.
  if (v.originalDeadline) lines.push(['update', 'closing_date']);
  lines.push(['short_desc', quoted(v.texts.shortDescription)]);
  return lines.map(([key, value]) => (value === undefined ? `${key}:\n` : `${key}: ${value}\n`)).join('');
}

/**
 * Characters a YAML double-quoted scalar must not hold raw for Jekyll: DEL and the C1 controls (its
 * parser refuses them), NEL, LS and PS (YAML 1.1 reads them as line breaks) and the byte order mark.
 */
const RAW_UNSAFE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

/** A string as a one-line YAML double-quoted scalar, read back unchanged by YAML 1.1 and 1.2 parsers. */
export function quoted(value: string): string {
  const scalar = new Scalar(wellFormed(value));
  scalar.type = Scalar.QUOTE_DOUBLE;
  const text = new Document(scalar)
    .toString({ lineWidth: 0, doubleQuotedMinMultiLineLength: Number.MAX_SAFE_INTEGER })
    .replace(/\n$/, '')
    .replace(RAW_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  // A line break would let a line of the value start with "---" and end Jekyll's front matter there.
  if (text.includes('\n') || !text.startsWith('"') || !text.endsWith('"')) {
    throw new Error('a front matter value did not quote to one line');
  }
  return text;
}

/** Half a surrogate pair cannot be written in UTF-8 nor escaped for Jekyll's YAML parser. */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function isoDate(date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !DateTime.fromISO(date).isValid) {
    throw new Error(`not a date: ${date}`);
  }
  return date;
}

/** The last second of a day where the department works, with that day's offset: -04:00 or -05:00. */
export function endOfDay(date: string, zone: string = DEFAULT_TIME_ZONE): string {
  const end = DateTime.fromISO(isoDate(date), { zone }).endOf('day');
  if (!end.isValid) throw new Error(`not a day in ${zone}: ${date}`);
  return end.toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
}

/** The day an instant falls on where the department works. */
function dayOf(instant: string, zone: string): string {
  const at = DateTime.fromISO(instant, { zone });
  if (!at.isValid) throw new Error(`not an instant: ${instant}`);
  return at.toFormat('yyyy-MM-dd');
}

/**
 * A link the page may carry: http(s) only, with every character that means something to Liquid,
 * kramdown or an HTML attribute percent-encoded (the address stays the same one).
 */
export function safeHref(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('not an http(s) link');
  return parsed.href.replace(/[^A-Za-z0-9\-._~:/?#@!$&*+,;=%]/g, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

// ---------------------------------------------------------------------------------------------------
// Body

function body(v: PublicOpportunity, zone: string): string {
  const { locale } = v;
  const blocks: string[] = [];
  const heading = (level: 2 | 3, text: string) => blocks.push(`${'#'.repeat(level)} ${inert(text)}`);
  const text = (typed: string) => blocks.push(...paragraphs(typed));
  const link = (label: string, url: string) => blocks.push(`[${inert(label)}](${safeHref(url)})`);

  if (v.provisional) text(t(locale, 'site.provisional'));
  if (v.updates.length > 0) {
    heading(2, t(locale, 'site.updates'));
    blocks.push(
      v.updates
        .map(
          (u) =>
            `- **${inert(`${t(locale, 'site.updateMark')} · ${formatDate(dayOf(u.at, zone), locale)}`)}** — ${inert(
              t(locale, `site.events.${u.event}`),
            )}`,
        )
        .join('\n'),
    );
  }
  heading(2, t(locale, 'publish.description'));
  heading(3, t(locale, 'site.background'));
  text(v.texts.background);
  heading(3, t(locale, 'site.opportunity'));
  text(v.texts.deliverables);
  if (v.repositoryUrl) link(t(locale, 'site.repository'), v.repositoryUrl);
  blocks.push('<hr/>');
  heading(2, t(locale, 'site.evaluation'));
  text(t(locale, 'site.evaluationIntro'));
  text(v.texts.evaluationCriterion);
  text(t(locale, 'site.eligibility'));
  // The draw is checkable from the outside site too: the seed's fingerprint, then the draw itself.
  if (v.drawCommitment) blocks.push(`${inert(t(locale, 'site.drawCommitment'))} \`${v.drawCommitment}\``);
  if (v.draw) {
    const list = (numbers: readonly string[]) => numbers.join(', ');
    // The seed is letters, digits, _ and - only (DrawSeed): set as code, outside what is made inert.
    const item = (label: 'seed' | 'passed' | 'order' | 'selected' | 'declined', value: string, code = '') =>
      `- ${inert(t(locale, 'site.draw.item', { label: t(locale, `site.draw.${label}`), value }))}${code}`;
    heading(3, t(locale, 'site.draw.heading'));
    blocks.push(
      [
        item('seed', '', `\`${v.draw.seed}\``),
        item('passed', list(v.draw.candidates)),
        item('order', list(v.draw.order)),
        item('selected', t(locale, 'site.draw.applicant', { number: v.draw.selected })),
        ...(v.draw.declined.length > 0 ? [item('declined', list(v.draw.declined))] : []),
      ].join('\n'),
    );
    text(t(locale, 'site.draw.check'));
    blocks.push(`\`printf '%s' '${v.draw.seed}:${v.draw.order[0] ?? ''}' | sha256sum\``);
  }
  heading(2, t(locale, 'site.acceptance'));
  text(t(locale, 'site.acceptanceIntro'));
  text(v.texts.acceptanceCriteria);
  text(t(locale, 'site.licence', { licence: v.licence }));
  if (v.deliveredLink) link(t(locale, 'site.delivered'), v.deliveredLink);
  return `${blocks.join('\n\n')}\n`;
}

/** Typed text as paragraphs (blank lines part them), each line kept as a line. */
function paragraphs(typed: string): string[] {
  return wellFormed(typed)
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) =>
      p
        .split('\n')
        .map((line) => inert(line.trim()))
        .filter((line) => line !== '')
        .join('<br/>\n'),
    )
    .filter((p) => p !== '');
}

/** Characters escaped wherever they stand: Liquid's braces, HTML, and kramdown's span markers. */
const SPAN_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '{': '&#123;',
  '}': '&#125;',
  '[': '&#91;',
  ']': '&#93;',
  '`': '&#96;',
  '~': '&#126;',
  '|': '&#124;',
  $: '&#36;',
  '\\': '&#92;',
  '*': '&#42;',
  _: '&#95;',
};

/** C0 and C1 control characters, and DEL: nothing a reader sees, and not all are allowed in HTML. */
function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

/**
 * One line of plain text that kramdown shows as typed and Liquid leaves alone. A line that starts with
 * a block marker (a heading, list, quote, rule, definition or end-of-block) has that character escaped.
 */
export function inert(line: string): string {
  const escaped = line
    .replace(/[\n\t]/g, ' ')
    .split('')
    .filter((c) => !isControl(c.charCodeAt(0)))
    .join('')
    .replace(/[&<>{}[\]`~|$\\*_]/g, (c) => SPAN_ESCAPES[c] ?? c);
  return escaped
    .replace(/^([#+\-=:^])/, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/^(\d+)([.)])/, (_m, digits: string, mark: string) => `${digits}&#${mark.charCodeAt(0)};`);
}
