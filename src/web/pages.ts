import { type Locale, t } from '../i18n';
import { formatClosing, formatDate, formatMoney } from '../i18n/format';
import { type PublicOpportunity, type PublicStatus, sitePath } from '../services/publication';
import { escapeHtml, html, type Html, render } from './html';

/**
 * The public pages, rendered on the server from `publicOpportunity` views. The GC Design System's web
 * components make the page's frame (header with the language toggle, container, notice, date modified,
 * footer); the content is plain headings, paragraphs, lists and links styled with the design system's
 * tokens, so that it reads, and every link works, without JavaScript.
 */

export interface SiteContext {
  readonly locale: Locale;
  /**
   * This response's CSP nonce: the design system's loader reads it from a meta tag and puts it on the
   * few style elements it adds, so the policy needs no 'unsafe-inline'.
   */
  readonly nonce: string;
  /** The department's calendar: deadlines close at the end of their day there. */
  readonly calendar: { readonly timeZone: string; endOf(date: string): string };
}

const other = (locale: Locale): Locale => (locale === 'en' ? 'fr' : 'en');

/** Text typed by a person, as paragraphs: blank lines part them, single line breaks stay. */
function paragraphs(text: string): Html[] {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const lines = p.split('\n');
      return html`<p>${lines.map((line, i) => (i === 0 ? line : html`<br />${line}`))}</p>`;
    });
}

interface Layout {
  readonly title: string;
  /** This page's path in the other language. */
  readonly otherPath: string;
  readonly path: string;
  readonly modified?: string;
  readonly body: Html;
}

function layout(ctx: SiteContext, page: Layout): string {
  const { locale } = ctx;
  const otherLocale = other(locale);
  return `<!doctype html>\n${render(
    html`<html lang="${locale}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csp-nonce" content="${ctx.nonce}" />
        <title>${page.title} — ${t(locale, 'site.name')}</title>
        <link rel="alternate" hreflang="${locale}" href="${page.path}" />
        <link rel="alternate" hreflang="${otherLocale}" href="${page.otherPath}" />
        <link
          rel="alternate"
          type="application/atom+xml"
          title="${t(locale, 'site.name')}"
          href="${sitePath(locale, undefined, 'feed.xml')}"
        />
        <link rel="stylesheet" href="/assets/fonts.css" />
        <link rel="stylesheet" href="/assets/gcds/gcds.css" />
        <link rel="stylesheet" href="/assets/site.css" />
        <script type="module" src="/assets/gcds/gcds.esm.js"></script>
      </head>
      <body>
        <gcds-header
          lang-href="${page.otherPath}"
          skip-to-href="#main"
          signature-has-link="false"
        ></gcds-header>
        <noscript>
          <p class="site-fallback">
            <a href="${page.otherPath}" hreflang="${otherLocale}" lang="${otherLocale}"
              >${t(locale, 'site.otherLanguage')}</a
            >
          </p>
        </noscript>
        <gcds-container size="xl" alignment="center" padding="300">
          <main id="main" tabindex="-1">
            ${page.body}
            ${page.modified ? html`<gcds-date-modified>${page.modified}</gcds-date-modified>` : ''}
          </main>
        </gcds-container>
        <gcds-footer display="compact"></gcds-footer>
      </body>
    </html>`,
  )}\n`;
}

const statusWord = (locale: Locale, status: PublicStatus) => t(locale, `site.statuses.${status}`);

/** The list of every published opportunity: the open ones first, then the rest, newest first. */
export function listPage(ctx: SiteContext, views: readonly PublicOpportunity[]): string {
  const { locale } = ctx;
  const open = views.filter((v) => v.status === 'open');
  const closed = views.filter((v) => v.status !== 'open');
  const item = (v: PublicOpportunity) =>
    html`<li>
      <h3><a href="${sitePath(locale, v.reference)}">${v.texts.title}</a></h3>
      <p class="site-meta">
        ${t(locale, v.status === 'open' ? 'site.summaryOpen' : 'site.summaryClosed', {
          reference: v.reference,
          value: formatMoney(v.valueCents, locale),
          deadline: formatDate(v.deadline, locale),
          status: statusWord(locale, v.status),
        })}
      </p>
    </li>`;
  const section = (heading: string, list: readonly PublicOpportunity[], none: string) =>
    html` <h2>${heading}</h2>
      ${
        list.length > 0
          ? html`<ul class="site-list">
              ${list.map(item)}
            </ul>`
          : html`<p>${none}</p>`
      }`;
  return layout(ctx, {
    title: t(locale, 'site.listHeading'),
    path: sitePath(locale),
    otherPath: sitePath(other(locale)),
    body: html` <h1>${t(locale, 'site.listHeading')}</h1>
      <p>${t(locale, 'site.intro')}</p>
      ${section(t(locale, 'site.openHeading'), open, t(locale, 'site.noneOpen'))}
      ${section(t(locale, 'site.closedHeading'), closed, t(locale, 'site.noneClosed'))}
      <p><a href="${sitePath(locale, undefined, 'feed.xml')}">${t(locale, 'site.feed')}</a></p>`,
  });
}

/** One opportunity, in the pilot's structure. */
export function opportunityPage(ctx: SiteContext, v: PublicOpportunity): string {
  const { locale } = ctx;
  const fact = (term: string, value: Html | string) =>
    html`<dt>${term}</dt>
      <dd>${value}</dd>`;
  const deadline = html`${formatClosing(v.deadline, locale, ctx.calendar)}${
    v.originalDeadline
      ? html` <span class="site-update"
          >(${t(locale, 'site.extendedFrom', { date: formatDate(v.originalDeadline, locale) })})</span
        >`
      : ''
  }`;
  const awardedTo = v.supplier ? t(locale, 'site.awardedTo', { supplier: v.supplier.name }) : '';
  const status = !v.supplier
    ? statusWord(locale, v.status)
    : v.supplier.link
      ? html`<a href="${v.supplier.link}" rel="external">${awardedTo}</a>`
      : awardedTo;
  return layout(ctx, {
    title: v.texts.title,
    path: sitePath(locale, v.reference),
    otherPath: sitePath(other(locale), v.reference),
    modified: v.updatedAt.slice(0, 10),
    body: html` <h1>${v.texts.title}</h1>
      ${v.provisional ? html`<p class="site-notice" role="note">${t(locale, 'site.provisional')}</p>` : ''}
      <p class="site-lead">${v.texts.shortDescription}</p>
      <dl class="site-facts">
        ${fact(t(locale, 'site.reference'), v.reference)} ${fact(t(locale, 'site.status'), status)}
        ${fact(t(locale, 'site.skills'), v.skills.join(', '))}
        ${fact(t(locale, 'site.value'), t(locale, 'site.valueText', { amount: formatMoney(v.valueCents, locale) }))}
        ${fact(t(locale, 'site.deadline'), deadline)}
        ${fact(t(locale, 'site.start'), formatDate(v.startDate, locale))}
        ${fact(t(locale, 'site.delivery'), formatDate(v.deliveryDate, locale))}
        ${fact(t(locale, 'site.posted'), formatDate(v.postedAt.slice(0, 10), locale))}
      </dl>
      ${
        v.updates.length > 0
          ? html`<section class="site-updates" aria-labelledby="updates">
              <h2 id="updates">${t(locale, 'site.updates')}</h2>
              <ul>
                ${v.updates.map(
                  (u) =>
                    html`<li>
                      <strong
                        >${t(locale, 'site.updateMark')} · ${formatDate(u.at.slice(0, 10), locale)}</strong
                      >
                      — ${t(locale, `site.events.${u.event}`)}
                    </li>`,
                )}
              </ul>
            </section>`
          : ''
      }
      <h2>${t(locale, 'site.background')}</h2>
      ${paragraphs(v.texts.background)}
      <h2>${t(locale, 'site.opportunity')}</h2>
      ${paragraphs(v.texts.deliverables)}
      ${v.repositoryUrl ? html`<p><a href="${v.repositoryUrl}" rel="external">${t(locale, 'site.repository')}</a></p>` : ''}
      <h2>${t(locale, 'site.evaluation')}</h2>
      <p>${t(locale, 'site.evaluationIntro')}</p>
      ${paragraphs(v.texts.evaluationCriterion)}
      <p>${t(locale, 'site.eligibility')}</p>
      <h2>${t(locale, 'site.acceptance')}</h2>
      <p>${t(locale, 'site.acceptanceIntro')}</p>
      ${paragraphs(v.texts.acceptanceCriteria)}
      <p>${t(locale, 'site.licence', { licence: v.licence })}</p>
      ${v.deliveredLink ? html`<p><a href="${v.deliveredLink}" rel="external">${t(locale, 'site.delivered')}</a></p>` : ''}
      <p><a href="${sitePath(locale)}">${t(locale, 'site.allOpportunities')}</a></p>`,
  });
}

/** A page that says something went wrong for the person, in their language, with the way back. */
export function messagePage(ctx: SiteContext, title: string, help: string, path: string): string {
  const { locale } = ctx;
  return layout(ctx, {
    title,
    path,
    otherPath: sitePath(other(locale)),
    body: html` <h1>${title}</h1>
      <p>${help}</p>
      <p><a href="${sitePath(locale)}">${t(locale, 'site.allOpportunities')}</a></p>`,
  });
}

/** The Atom feed of one language: every published opportunity, newest first. */
export function atomFeed(locale: Locale, origin: string, views: readonly PublicOpportunity[]): string {
  const updated = views.reduce(
    (latest, v) => (v.updatedAt > latest ? v.updatedAt : latest),
    '1970-01-01T00:00:00.000Z',
  );
  const entries = views.map(
    (v) => `  <entry>
    <id>${escapeHtml(`${origin}${sitePath(locale, v.reference)}`)}</id>
    <title>${escapeHtml(v.texts.title)}</title>
    <link rel="alternate" type="text/html" hreflang="${locale}" href="${escapeHtml(`${origin}${sitePath(locale, v.reference)}`)}"/>
    <published>${escapeHtml(v.postedAt)}</published>
    <updated>${escapeHtml(v.updatedAt)}</updated>
    <category term="${v.status}" label="${escapeHtml(statusWord(locale, v.status))}"/>
    <summary>${escapeHtml(
      `${v.texts.shortDescription} — ${t(
        locale,
        v.status === 'open' ? 'site.summaryOpen' : 'site.summaryClosed',
        {
          reference: v.reference,
          value: formatMoney(v.valueCents, locale),
          deadline: formatDate(v.deadline, locale),
          status: statusWord(locale, v.status),
        },
      )}`,
    )}</summary>
  </entry>`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${locale}">
  <id>${escapeHtml(`${origin}${sitePath(locale)}`)}</id>
  <title>${escapeHtml(t(locale, 'site.name'))}</title>
  <updated>${escapeHtml(updated)}</updated>
  <link rel="self" type="application/atom+xml" href="${escapeHtml(`${origin}${sitePath(locale, undefined, 'feed.xml')}`)}"/>
  <link rel="alternate" type="text/html" hreflang="${locale}" href="${escapeHtml(`${origin}${sitePath(locale)}`)}"/>
${entries.join('\n')}
</feed>
`;
}
