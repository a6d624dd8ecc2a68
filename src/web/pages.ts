import { type Locale, t } from '../i18n';
import { formatClosing, formatDate, formatDateTime, formatDayOf, formatMoney } from '../i18n/format';
import { APPLICANT_KINDS, DECLARATIONS, MAX_LINKS, SELF_IDENTIFICATION } from '../services/applications';
import type { DeliveredMail } from '../services/mail';
import { formPath, type PublicOpportunity, type PublicStatus, sitePath } from '../services/publication';
import type { PublishedAnswer } from '../services/questions';
import type { Problem } from '../services/rules';
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
  readonly calendar: {
    readonly timeZone: string;
    endOf(date: string): string;
    dateOf(instant: string): string;
  };
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
      <ul>
        <li><a href="${formPath(locale, 'subscribe')}">${t(locale, 'site.subscribe.link')}</a></li>
        <li><a href="${sitePath(locale, undefined, 'feed.xml')}">${t(locale, 'site.feed')}</a></li>
      </ul>`,
  });
}

/** What the page shows besides the opportunity: the published answers, and until when questions are taken. */
export interface Discussion {
  readonly answers: readonly PublishedAnswer[];
  /** The last day for questions, while the form takes them. */
  readonly askUntil?: string;
  /** Whether the application form takes applications now. */
  readonly applying?: boolean;
}

/** One opportunity, in the pilot's structure. */
export function opportunityPage(ctx: SiteContext, v: PublicOpportunity, discussion?: Discussion): string {
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
    // An answer published since the last update is a change of the page too.
    modified: ctx.calendar.dateOf(
      [v.updatedAt, ...(discussion?.answers ?? []).map((a) => a.at)].sort().at(-1) ?? v.updatedAt,
    ),
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
        ${fact(t(locale, 'site.posted'), formatDayOf(v.postedAt, locale, ctx.calendar))}
      </dl>
      ${
        discussion?.applying
          ? html`<p class="site-apply">
              <a class="site-button" href="${formPath(locale, 'apply', v.reference)}"
                >${t(locale, 'site.apply.link')}</a
              >
            </p>`
          : ''
      }
      ${
        v.updates.length > 0
          ? html`<section class="site-updates" aria-labelledby="updates">
              <h2 id="updates">${t(locale, 'site.updates')}</h2>
              <ul>
                ${v.updates.map(
                  (u) =>
                    html`<li>
                      <strong
                        >${t(locale, 'site.updateMark')} · ${formatDayOf(u.at, locale, ctx.calendar)}</strong
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
      ${
        v.drawCommitment
          ? html`<p>
              ${t(locale, 'site.drawCommitment')} <code class="site-hash">${v.drawCommitment}</code>
            </p>`
          : ''
      }
      ${v.draw ? drawSection(locale, v.draw) : ''}
      <h2>${t(locale, 'site.acceptance')}</h2>
      <p>${t(locale, 'site.acceptanceIntro')}</p>
      ${paragraphs(v.texts.acceptanceCriteria)}
      <p>${t(locale, 'site.licence', { licence: v.licence })}</p>
      ${v.deliveredLink ? html`<p><a href="${v.deliveredLink}" rel="external">${t(locale, 'site.delivered')}</a></p>` : ''}
      ${discussion ? discussionSection(ctx, v, discussion) : ''}
      <p><a href="${sitePath(locale)}">${t(locale, 'site.allOpportunities')}</a></p>`,
  });
}

/** The draw, once made, with what anyone needs to recompute it by hand. */
function drawSection(locale: Locale, d: NonNullable<PublicOpportunity['draw']>): Html {
  const list = (numbers: readonly string[]) => numbers.join(', ');
  return html`<section aria-labelledby="draw">
    <h2 id="draw">${t(locale, 'site.draw.heading')}</h2>
    <dl class="site-draw">
      <dt>${t(locale, 'site.draw.seed')}</dt>
      <dd><code class="site-hash">${d.seed}</code></dd>
      <dt>${t(locale, 'site.draw.passed')}</dt>
      <dd>${list(d.candidates)}</dd>
      <dt>${t(locale, 'site.draw.order')}</dt>
      <dd>${list(d.order)}</dd>
      <dt>${t(locale, 'site.draw.selected')}</dt>
      <dd>${t(locale, 'site.draw.applicant', { number: d.selected })}</dd>
      ${
        d.declined.length > 0
          ? html`<dt>${t(locale, 'site.draw.declined')}</dt>
              <dd>${list(d.declined)}</dd>`
          : ''
      }
    </dl>
    <p>${t(locale, 'site.draw.check')}</p>
    <pre class="site-hash"><code>printf '%s' '${d.seed}:${d.order[0] ?? ''}' | sha256sum</code></pre>
  </section>`;
}

function discussionSection(ctx: SiteContext, v: PublicOpportunity, d: Discussion): Html {
  const { locale } = ctx;
  if (d.answers.length === 0 && !d.askUntil) return html``;
  return html`<section class="site-answers" aria-labelledby="answers">
    <h2 id="answers">${t(locale, 'site.answers')}</h2>
    ${
      d.askUntil
        ? html`<p>
            <a href="${formPath(locale, 'question', v.reference)}">${t(locale, 'site.ask.link')}</a>
            — ${t(locale, 'site.ask.until', { date: formatDate(d.askUntil, locale) })}
          </p>`
        : ''
    }
    ${d.answers.map(
      (a) =>
        html`<article class="site-answer" aria-labelledby="question-${a.number}">
          <h3 id="question-${a.number}">${t(locale, 'site.answerNumber', { number: a.number })}</h3>
          <div class="site-question">${paragraphs(a.question)}</div>
          <p class="site-answer-label">${t(locale, 'site.answerLabel')}</p>
          ${paragraphs(a.answer)}
        </article>`,
    )}
  </section>`;
}

/** A form as it was sent back: what was typed (kept), what is wrong with it, and a fresh token. */
export interface FormState {
  readonly values: Readonly<Record<string, string>>;
  readonly problems: readonly Problem[];
  readonly token: string;
  /** A note above the form: why it came back although nothing in it is wrong. */
  readonly notice?: string;
}

interface FieldSpec {
  readonly name: string;
  readonly label: string;
  readonly hint?: string;
  readonly kind: 'email' | 'text' | 'url' | 'textarea' | 'choice' | 'checkbox';
  readonly max: number;
  readonly choices?: readonly { readonly value: string; readonly label: string }[];
  /** May be left empty: not marked as required. */
  readonly optional?: boolean;
}

const problemText = (locale: Locale, p: Problem) =>
  t(locale, `intake.problems.${p.code}` as 'intake.problems.required', p.params ?? {});

/** The input itself, for the kinds typed in a box. */
function box(f: FieldSpec, value: string, aria: Html): Html {
  const required = f.optional ? '' : html` required`;
  if (f.kind === 'textarea') {
    return html`<textarea id="${f.name}" name="${f.name}" maxlength="${f.max}" ${required}${aria}>
${value}</textarea>`;
  }
  const type = f.kind === 'email' ? 'email' : f.kind === 'url' ? 'url' : 'text';
  const autocomplete = f.kind === 'email' ? 'email' : f.kind === 'url' ? 'url' : 'name';
  return html`<input
    type="${type}"
    id="${f.name}"
    name="${f.name}"
    maxlength="${f.max}"
    autocomplete="${autocomplete}"
    spellcheck="false"
    value="${value}"
    ${required}${aria}
  />`;
}

function field(locale: Locale, state: FormState, f: FieldSpec): Html {
  const problem = state.problems.find((p) => p.field === f.name);
  const value = state.values[f.name] ?? '';
  const described = [f.hint ? `${f.name}-hint` : '', problem ? `${f.name}-error` : '']
    .filter(Boolean)
    .join(' ');
  const hint = f.hint ? html`<span class="site-hint" id="${f.name}-hint">${f.hint}</span>` : '';
  const error = problem
    ? html`<span class="site-error" id="${f.name}-error">${problemText(locale, problem)}</span>`
    : '';
  const aria = html`${described ? html` aria-describedby="${described}"` : ''}${problem ? html` aria-invalid="true"` : ''}`;
  if (f.kind === 'checkbox') {
    return html`<div class="site-field">
      ${error}
      <div class="site-choice">
        <input
          type="checkbox"
          id="${f.name}"
          name="${f.name}"
          value="yes"
          ${value === 'yes' ? html`checked` : ''}${aria}
        />
        <label for="${f.name}">${f.label}</label>
      </div>
    </div>`;
  }
  if (f.kind === 'choice') {
    return html`<div class="site-field">
      <fieldset id="${f.name}" ${aria}>
        <legend>${f.label}</legend>
        ${hint}${error}
        ${(f.choices ?? []).map(
          (c) =>
            html`<div class="site-choice">
              <input
                type="radio"
                id="${f.name}-${c.value}"
                name="${f.name}"
                value="${c.value}"
                ${value === c.value ? html`checked` : ''}
              />
              <label for="${f.name}-${c.value}">${c.label}</label>
            </div>`,
        )}
      </fieldset>
    </div>`;
  }
  return html`<div class="site-field">
    <label for="${f.name}"
      >${f.label}${f.optional ? '' : html` <span class="site-required">(${t(locale, 'site.form.required')})</span>`}</label
    >
    ${hint}${error} ${box(f, value, aria)}
  </div>`;
}

/** Fields that answer one question together (the eligibility declarations), under one legend. */
interface FieldGroup {
  readonly legend: string;
  readonly hint?: string;
  readonly fields: readonly FieldSpec[];
}

function form(
  locale: Locale,
  action: string,
  state: FormState,
  parts: readonly (FieldSpec | FieldGroup)[],
  submit: string,
): Html {
  const fields = parts.flatMap((p) => ('fields' in p ? p.fields : [p]));
  const summary =
    state.problems.length > 0
      ? html`<div class="site-summary" role="alert" tabindex="-1" id="problems">
          <h2>${t(locale, 'site.form.problems', { count: state.problems.length })}</h2>
          <ul>
            ${state.problems.map(
              (p) =>
                html`<li>
                  <a href="#${p.field}"
                    >${t(locale, 'site.form.problemLine', {
                      field: fields.find((f) => f.name === p.field)?.label ?? p.field,
                      problem: problemText(locale, p),
                    })}</a
                  >
                </li>`,
            )}
          </ul>
        </div>`
      : '';
  return html`${summary}${state.notice ? html`<p class="site-notice" role="alert">${state.notice}</p>` : ''}
    <form class="site-form" method="post" action="${action}" novalidate>
      <input type="hidden" name="form_token" value="${state.token}" />
      <div class="site-trap" aria-hidden="true">
        <label for="website">Website</label>
        <input type="text" id="website" name="website" tabindex="-1" autocomplete="off" value="" />
      </div>
      ${parts.map((p) =>
        'fields' in p
          ? html`<fieldset class="site-group">
              <legend>${p.legend}</legend>
              ${p.hint ? html`<p class="site-hint">${p.hint}</p>` : ''}
              ${p.fields.map((f) => field(locale, state, f))}
            </fieldset>`
          : field(locale, state, p),
      )}
      <button class="site-button" type="submit">${submit}</button>
    </form>`;
}

/** The question form of an open opportunity. */
export function questionPage(
  ctx: SiteContext,
  v: PublicOpportunity,
  askUntil: string,
  state: FormState,
): string {
  const { locale } = ctx;
  return layout(ctx, {
    title: `${t(locale, 'site.ask.heading')} — ${v.texts.title}`,
    path: formPath(locale, 'question', v.reference),
    otherPath: formPath(other(locale), 'question', v.reference),
    body: html` <h1>${t(locale, 'site.ask.heading')}</h1>
      <p class="site-lead">
        <a href="${sitePath(locale, v.reference)}">${v.texts.title}</a> (${v.reference})
      </p>
      <p>${t(locale, 'site.ask.intro')}</p>
      <p>${t(locale, 'site.ask.until', { date: formatDate(askUntil, locale) })}</p>
      ${form(
        locale,
        formPath(locale, 'question', v.reference),
        state,
        [
          {
            name: 'email',
            label: t(locale, 'site.ask.email'),
            hint: t(locale, 'site.ask.emailHint'),
            kind: 'email',
            max: 254,
          },
          {
            name: 'question',
            label: t(locale, 'site.ask.question'),
            hint: t(locale, 'site.ask.questionHint', { max: 2000 }),
            kind: 'textarea',
            max: 2000,
          },
        ],
        t(locale, 'site.ask.submit'),
      )}`,
  });
}

/** The application form of an open opportunity, with its criterion. */
export function applyPage(ctx: SiteContext, v: PublicOpportunity, state: FormState): string {
  const { locale } = ctx;
  const yesNo = [
    { value: 'yes', label: t(locale, 'site.apply.yes') },
    { value: 'no', label: t(locale, 'site.apply.no') },
  ];
  return layout(ctx, {
    title: `${t(locale, 'site.apply.heading')} — ${v.texts.title}`,
    path: formPath(locale, 'apply', v.reference),
    otherPath: formPath(other(locale), 'apply', v.reference),
    body: html` <h1>${t(locale, 'site.apply.heading')}</h1>
      <p class="site-lead">
        <a href="${sitePath(locale, v.reference)}">${v.texts.title}</a> (${v.reference})
      </p>
      <p>${t(locale, 'site.apply.intro')}</p>
      <p>${t(locale, 'site.apply.until', { closing: formatClosing(v.deadline, locale, ctx.calendar) })}</p>
      <h2>${t(locale, 'site.apply.criterion')}</h2>
      ${paragraphs(v.texts.evaluationCriterion)}
      ${form(
        locale,
        formPath(locale, 'apply', v.reference),
        state,
        [
          { name: 'name', label: t(locale, 'site.apply.name'), kind: 'text', max: 200 },
          {
            name: 'email',
            label: t(locale, 'site.apply.email'),
            hint: t(locale, 'site.apply.emailHint'),
            kind: 'email',
            max: 254,
          },
          {
            name: 'kind',
            label: t(locale, 'site.apply.kind'),
            kind: 'choice',
            max: 10,
            choices: APPLICANT_KINDS.map((k) => ({ value: k, label: t(locale, `site.apply.kinds.${k}`) })),
          },
          {
            name: 'federalEmployee',
            label: t(locale, 'site.apply.federalEmployee'),
            hint: t(locale, 'site.apply.federalEmployeeHint'),
            kind: 'choice',
            max: 3,
            choices: yesNo,
          },
          {
            name: 'answer',
            label: t(locale, 'site.apply.answer'),
            hint: t(locale, 'site.apply.answerHint', { max: 4000 }),
            kind: 'textarea',
            max: 4_000,
          },
          {
            name: 'links',
            label: t(locale, 'site.apply.links'),
            hint: t(locale, 'site.apply.linksHint', { max: MAX_LINKS }),
            kind: 'textarea',
            max: 2_000,
          },
          {
            name: 'publicLink',
            label: t(locale, 'site.apply.publicLink'),
            kind: 'url',
            max: 500,
            optional: true,
          },
          {
            legend: t(locale, 'site.apply.eligibility'),
            fields: [
              ...DECLARATIONS.map((d) => ({
                name: d,
                label: t(locale, `site.apply.declarations.${d}`),
                kind: 'checkbox' as const,
                max: 3,
              })),
              { name: 'terms', label: t(locale, 'site.apply.terms'), kind: 'checkbox', max: 3 },
            ],
          },
          {
            legend: t(locale, 'site.apply.selfId'),
            hint: t(locale, 'site.apply.selfIdHint'),
            fields: SELF_IDENTIFICATION.map((q) => ({
              name: q,
              label: t(locale, `site.apply.selfIdQuestions.${q}`),
              kind: 'choice' as const,
              max: 6,
              optional: true,
              choices: [...yesNo, { value: 'unsaid', label: t(locale, 'site.apply.unsaid') }],
            })),
          },
        ],
        t(locale, 'site.apply.submit'),
      )}`,
  });
}

/** The mailing list's form. */
export function subscribePage(ctx: SiteContext, state: FormState): string {
  const { locale } = ctx;
  return layout(ctx, {
    title: t(locale, 'site.subscribe.heading'),
    path: formPath(locale, 'subscribe'),
    otherPath: formPath(other(locale), 'subscribe'),
    body: html` <h1>${t(locale, 'site.subscribe.heading')}</h1>
      <p>${t(locale, 'site.subscribe.intro')}</p>
      ${form(
        locale,
        formPath(locale, 'subscribe'),
        state,
        [
          { name: 'email', label: t(locale, 'site.subscribe.email'), kind: 'email', max: 254 },
          {
            name: 'language',
            label: t(locale, 'site.subscribe.language'),
            kind: 'choice',
            max: 2,
            choices: [
              { value: 'en', label: 'English' },
              { value: 'fr', label: 'Français' },
            ],
          },
        ],
        t(locale, 'site.subscribe.submit'),
      )}`,
  });
}

/**
 * One button that confirms a subscription or ends it, confirms an application (`reference` given), or
 * asks for a debrief, for whoever holds the e-mailed link.
 */
export function tokenPage(
  ctx: SiteContext,
  kind: 'confirm' | 'unsubscribe' | 'debrief',
  token: string,
  formToken: string,
  reference?: string,
  /** The application a debrief link names, which its token belongs to. */
  application?: string,
): string {
  const { locale } = ctx;
  const texts = kind === 'debrief' ? 'debrief' : reference ? 'applyConfirm' : kind;
  const query = `?${application ? `application=${encodeURIComponent(application)}&` : ''}token=${encodeURIComponent(token)}`;
  return layout(ctx, {
    title: t(locale, `site.${texts}.heading`),
    path: formPath(locale, kind, reference),
    otherPath: `${formPath(other(locale), kind, reference)}${query}`,
    body: html` <h1>${t(locale, `site.${texts}.heading`)}</h1>
      <p>${t(locale, `site.${texts}.intro`)}</p>
      <form method="post" action="${formPath(locale, kind, reference)}${query}">
        <input type="hidden" name="form_token" value="${formToken}" />
        <button class="site-button" type="submit">${t(locale, `site.${texts}.submit`)}</button>
      </form>`,
  });
}

/** The local mailbox: every e-mail the bot "sent" while no Notify key is configured, newest first. */
export function mailboxPage(ctx: SiteContext, mails: readonly DeliveredMail[]): string {
  const { locale } = ctx;
  const linked = (text: string) =>
    text
      .split(/(https?:\/\/[^\s<>"]+)/)
      .map((part, i) => (i % 2 === 1 ? html`<a href="${part}">${part}</a>` : part));
  // GC Notify's formatting, as its e-mails show it: headings, lists, inset text, rules.
  const formatted = (body: string) =>
    body.split(/\n\s*\n/).map((block) => {
      const lines = block.split('\n');
      if (/^#\s/.test(block)) return html`<h3>${linked(block.replace(/^#\s+/, ''))}</h3>`;
      if (/^---+\s*$/.test(block)) return html`<hr />`;
      if (/^\^\s/.test(block)) return html`<blockquote>${linked(block.replace(/^\^\s+/, ''))}</blockquote>`;
      if (lines.every((l) => /^\*\s/.test(l)))
        return html`<ul>
          ${lines.map((l) => html`<li>${linked(l.replace(/^\*\s+/, ''))}</li>`)}
        </ul>`;
      return html`<p>${lines.map((l, i) => (i === 0 ? linked(l) : html`<br />${linked(l)}`))}</p>`;
    });
  return layout(ctx, {
    title: t(locale, 'site.mailbox.heading'),
    path: `/mailbox?lang=${locale}`,
    otherPath: `/mailbox?lang=${other(locale)}`,
    body: html` <h1>${t(locale, 'site.mailbox.heading')}</h1>
      <p>${t(locale, 'site.mailbox.intro')}</p>
      ${
        mails.length === 0
          ? html`<p>${t(locale, 'site.mailbox.none')}</p>`
          : mails.map(
              (m) =>
                html`<article class="site-mail" lang="${m.locale}">
                  <h2>${m.subject}</h2>
                  <p class="site-meta">
                    ${t(locale, 'site.mailbox.meta', {
                      to: m.to,
                      at: formatDateTime(m.deliveredAt, locale, ctx.calendar.timeZone),
                    })}
                  </p>
                  <div class="site-mail-body">${formatted(m.body)}</div>
                </article>`,
            )
      }`,
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
