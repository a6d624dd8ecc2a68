import type { Request, Response, Server } from 'restify';
import type { Config } from '../config';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { applicationConfirmationMail, confirmationMail } from '../mail/messages';
import { APPLY_FORM, applicationsOpen, confirmationState, readApplication } from '../services/applications';
import type { DepartmentClock } from '../services/calendar';
import { readForm } from '../services/forms';
import { SUBSCRIBE_FORM } from '../services/subscriptions';
import {
  ASK_FORM,
  lastDayForQuestions,
  publishedAnswers,
  type Question,
  questionsOpen,
} from '../services/questions';
import type { Problem } from '../services/rules';
import { type Locale, type MessageKey, t } from '../i18n';
import type { Logger } from '../log';
import { type Opportunity, REFERENCE_PATTERN } from '../services/opportunity';
import {
  AFTER_POSTING,
  formPath,
  type PublicOpportunity,
  publicOpportunity,
  SITE_FORMS,
  type SiteForm,
  sitePath,
} from '../services/publication';
import { ConcurrencyError, type Store } from '../services/store';
import { CSRF_FIELD, formGuard, HONEYPOT_FIELD, readFormBody, sameOrigin } from './forms';
import { loadAssets } from './assets';
import {
  applyPage,
  atomFeed,
  type FormState,
  listPage,
  mailboxPage,
  messagePage,
  opportunityPage,
  questionPage,
  type SiteContext,
  subscribePage,
  tokenPage,
} from './pages';
import { RateLimiter } from './rate-limit';

/**
 * The public site: the bot's first anonymous surface. Pages are read-only views of posted requests,
 * answered with strict security headers and counted per address; nothing on them comes from anywhere
 * but `publicOpportunity`.
 */

export interface SiteDeps {
  readonly store: Store;
  readonly config: Config;
  readonly clock: DepartmentClock;
  readonly log: Logger;
  /** Wakes the e-mail sender after e-mails are queued. */
  readonly mail: { kick(): void };
  /** A question was stored: its card goes to procurement. */
  questionAsked(question: Question, record: Opportunity): Promise<void>;
  /** The question form stopped taking questions: procurement is told. */
  questionsPaused(reference: string, full: 'opportunity' | 'total'): Promise<void>;
}

/** A repeated confirmation e-mail waits this long after the last one. */
const RESEND_AFTER_MS = 10 * 60_000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** One query parameter (the server parses no query string for the bot's endpoint, so it is read here). */
function queryOf(req: Request, name: string): string {
  return new URL(req.url ?? '/', 'http://query.invalid').searchParams.get(name) ?? '';
}
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Closed opportunities listed (and in the feed), the most recent first. */
const CLOSED_LISTED = 50;
const OPEN_LISTED = 100;

const SECTIONS: Record<string, Locale> = { 'en/opportunities': 'en', 'fr/possibilites': 'fr' };

export function securityHeaders(config: Config, nonce?: string): Record<string, string> {
  const https = config.site.publicUrl.startsWith('https:');
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      "script-src 'self'",
      nonce ? `style-src 'self' 'nonce-${nonce}'` : "style-src 'self'",
      "font-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'strict-origin-when-cross-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
    ...(https ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}

export function registerSite(server: Server, deps: SiteDeps): void {
  const assets = loadAssets();
  const perAddress = new RateLimiter(deps.config.site.perAddressPerMinute);
  const overall = new RateLimiter(deps.config.site.totalPerMinute, 1);

  /** Any answer, with the security headers (and, for a page, the nonce its styles carry). */
  const send = (
    res: Response,
    status: number,
    type: string,
    body: string | Buffer,
    cache: string,
    nonce?: string,
  ) => {
    res.writeHead(status, {
      ...securityHeaders(deps.config, nonce),
      'Content-Type': type,
      'Cache-Control': cache,
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  /** A page, built with this response's nonce; a page with a form is never cached (its token is this browser's). */
  const page = (
    res: Response,
    status: number,
    locale: Locale,
    build: (ctx: SiteContext) => string,
    personal?: { readonly setCookie?: string },
  ) => {
    const nonce = randomBytes(16).toString('base64');
    const body = build({ locale, calendar: deps.clock.calendar, nonce });
    // Pages may be stored but are asked for again each time: an answer just published shows at once.
    const cache = status === 200 && !personal ? 'public, no-cache' : 'no-store';
    if (personal?.setCookie) res.header('Set-Cookie', personal.setCookie);
    send(res, status, 'text/html; charset=utf-8', body, cache, nonce);
  };
  const message = (res: Response, status: number, locale: Locale, title: MessageKey, help: MessageKey) =>
    page(res, status, locale, (ctx) => messagePage(ctx, t(locale, title), t(locale, help), sitePath(locale)));

  /** Counts the request; a refusal is answered here, in the language of the page asked for. */
  const admitted = (req: Request, res: Response, locale: Locale): boolean => {
    const wait = Math.max(overall.take('all'), perAddress.take(req.socket.remoteAddress ?? 'unknown'));
    if (wait === 0) return true;
    res.header('Retry-After', String(wait));
    message(res, 429, locale, 'site.tooMany', 'site.tooManyHelp');
    return false;
  };

  /** What the list and the feed show: every open opportunity, then the most recently closed. */
  const listed = async (locale: Locale): Promise<PublicOpportunity[]> => {
    const open = await deps.store.query({ statuses: ['posted'] }, { limit: OPEN_LISTED });
    const closed = await deps.store.query({ statuses: AFTER_POSTING }, { limit: CLOSED_LISTED });
    // A request closed or cancelled without ever being posted has no public view.
    return [...open.items, ...closed.items].flatMap((o: Opportunity) => {
      const view = publicOpportunity(o, locale);
      return view ? [view] : [];
    });
  };

  const failed = (res: Response, locale: Locale, err: unknown) => {
    deps.log.warn({ err: (err as Error).message }, 'public page unavailable');
    message(res, 503, locale, 'site.unavailable', 'site.unavailableHelp');
  };
  const localeOf = (req: Request): Locale | undefined => SECTIONS[`${req.params.lang}/${req.params.section}`];
  const guessed = (req: Request): Locale => (req.params.lang === 'fr' ? 'fr' : 'en');

  // Any other address read by a browser gets the site's own page, never the framework's JSON.
  server.on('NotFound', (req: Request, res: Response, _err: unknown, done: () => void) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return done();
    message(res, 404, req.path().startsWith('/fr') ? 'fr' : 'en', 'site.notFound', 'site.notFoundHelp');
  });

  server.get('/', async (req, res) => {
    const french = /^\s*fr\b/i.test(req.header('accept-language') ?? '');
    res.writeHead(302, {
      ...securityHeaders(deps.config),
      Location: sitePath(french ? 'fr' : 'en'),
      'Cache-Control': 'no-store',
    });
    res.end();
  });

  // Browsers ask for it on their own: answered, so it is not counted as a missing page.
  server.get('/favicon.ico', async (_req, res) => {
    res.writeHead(204, { ...securityHeaders(deps.config), 'Cache-Control': 'public, max-age=86400' });
    res.end();
  });

  server.get('/assets/*', async (req, res) => {
    const asset = assets.get(req.path());
    if (asset) send(res, 200, asset.type, asset.body, 'public, max-age=86400');
    else send(res, 404, 'text/plain; charset=utf-8', 'Not found', 'no-store');
  });

  server.get('/:lang/:section', async (req, res) => {
    const locale = localeOf(req);
    if (!locale) return message(res, 404, guessed(req), 'site.notFound', 'site.notFoundHelp');
    if (!admitted(req, res, locale)) return;
    try {
      const views = await listed(locale);
      page(res, 200, locale, (ctx) => listPage(ctx, views));
    } catch (err) {
      failed(res, locale, err);
    }
  });

  server.get('/:lang/:section/:item', async (req, res) => {
    const locale = localeOf(req);
    if (!locale) return message(res, 404, guessed(req), 'site.notFound', 'site.notFoundHelp');
    if (!admitted(req, res, locale)) return;
    const item = String(req.params.item);
    const form = formNamed(locale, item);
    if (form === 'subscribe') return showSubscribe(req, res, locale);
    if (form === 'confirm' || form === 'unsubscribe') return showTokenPage(req, res, locale, form);
    try {
      if (item === 'feed.xml') {
        const views = await listed(locale);
        const feed = atomFeed(locale, deps.config.site.publicUrl, views);
        send(res, 200, 'application/atom+xml; charset=utf-8', feed, 'public, max-age=300');
        return;
      }
      // Only a reference is looked up: anything else is not found without reaching the store.
      const found = REFERENCE_PATTERN.test(item) ? await deps.store.get(item) : undefined;
      const view = found && publicOpportunity(found, locale);
      if (!found || !view) return message(res, 404, locale, 'site.notFound', 'site.notFoundHelp');
      const answers = publishedAnswers(
        await deps.store.questionsOf(found.reference, ['answered'], 200),
        locale,
      );
      const askUntil = questionsOpen(found, deps.clock.today(), deps.clock.calendar)
        ? lastDayForQuestions(found, deps.clock.calendar)
        : undefined;
      const applying = applicationsOpen(found, deps.clock.now().toISOString(), deps.clock.calendar);
      page(res, 200, locale, (ctx) =>
        opportunityPage(ctx, view, { answers, applying, ...(askUntil ? { askUntil } : {}) }),
      );
    } catch (err) {
      failed(res, locale, err);
    }
  });

  // ---- Forms: questions, subscriptions, confirmations; and the local mailbox. ----

  const guard = formGuard(deps.config.site.secret, deps.config.site.publicUrl.startsWith('https:'));
  const formsPerAddress = new RateLimiter(deps.config.site.formsPerHour, 10_000, Date.now, 3_600_000);
  const formsOverall = new RateLimiter(deps.config.site.formsTotalPerHour, 1, Date.now, 3_600_000);
  const formNamed = (locale: Locale, item: string): 'subscribe' | 'confirm' | 'unsubscribe' | undefined =>
    (['subscribe', 'confirm', 'unsubscribe'] as const).find((f) => SITE_FORMS[f][locale] === item);
  const emptyState = (token: string, values: Record<string, string> = {}): FormState => ({
    values,
    problems: [],
    token,
  });

  /** A form page for this browser: its token (and the cookie it is bound to, when new). */
  const formPage = (
    req: Request,
    res: Response,
    status: number,
    locale: Locale,
    action: string,
    build: (ctx: SiteContext, token: string) => string,
  ) => {
    const issued = guard.issue(req, action);
    page(res, status, locale, (ctx) => build(ctx, issued.token), {
      ...(issued.setCookie ? { setCookie: issued.setCookie } : {}),
    });
  };

  const showSubscribe = (req: Request, res: Response, locale: Locale) => {
    if (!admitted(req, res, locale)) return;
    const action = formPath(locale, 'subscribe');
    formPage(req, res, 200, locale, action, (ctx, token) =>
      subscribePage(ctx, emptyState(token, { language: locale })),
    );
  };

  const showTokenPage = (req: Request, res: Response, locale: Locale, kind: 'confirm' | 'unsubscribe') => {
    if (!admitted(req, res, locale)) return;
    const token = queryOf(req, 'token');
    if (!TOKEN.test(token))
      return message(res, 404, locale, 'site.confirm.unknown', 'site.confirm.unknownHelp');
    const action = formPath(locale, kind);
    formPage(req, res, 200, locale, action, (ctx, formToken) => tokenPage(ctx, kind, token, formToken));
  };

  const keptValues = (fields: Readonly<Record<string, unknown>>, names: readonly string[]) =>
    Object.fromEntries(
      names.map((n) => [n, typeof fields[n] === 'string' ? (fields[n] as string).slice(0, 4_000) : '']),
    );

  /** A form people fill: where it posts, the fields it keeps when sent back, its page, its thanks. */
  interface FormSpec {
    readonly name: SiteForm;
    readonly action: string;
    readonly fields: readonly string[];
    readonly page: (ctx: SiteContext, state: FormState) => string;
    readonly sent: readonly [MessageKey, MessageKey];
    /** A post that proves itself another way needs no token. */
    readonly exempt?: (fields: Readonly<Record<string, unknown>>) => boolean;
  }
  type SendBack = (
    status: number,
    fields: Readonly<Record<string, unknown>>,
    why: { readonly notice?: string; readonly problems?: readonly Problem[] },
  ) => void;

  /**
   * Everything a posted form passes before its fields are read: the request counts, a readable body,
   * the form limit per hour, its token and origin (a form from elsewhere, or expired, comes back with
   * what was typed), the honeypot (a robot is thanked like a person, and nothing is kept). Returns the
   * fields and the way to send the form back; undefined once it is answered.
   */
  const receive = async (
    req: Request,
    res: Response,
    locale: Locale,
    spec: FormSpec,
  ): Promise<{ fields: Readonly<Record<string, unknown>>; back: SendBack } | undefined> => {
    if (!admitted(req, res, locale)) return undefined;
    const body = await readFormBody(req);
    if (!body.ok) {
      if (body.status === 413) res.header('Connection', 'close');
      message(res, body.status, locale, 'site.notFound', 'site.notFoundHelp');
      return undefined;
    }
    const back: SendBack = (status, fields, why) =>
      formPage(req, res, status, locale, spec.action, (ctx, token) =>
        spec.page(ctx, {
          values: keptValues(fields, spec.fields),
          problems: why.problems ?? [],
          token,
          ...(why.notice ? { notice: why.notice } : {}),
        }),
      );
    const fields = body.fields;
    const wait = Math.max(
      formsOverall.take('all'),
      formsPerAddress.take(req.socket.remoteAddress ?? 'unknown'),
    );
    if (wait > 0) {
      res.header('Retry-After', String(wait));
      back(429, fields, { notice: t(locale, 'site.form.tooMany') });
      return undefined;
    }
    const genuine =
      spec.exempt?.(fields) ||
      (sameOrigin(req, deps.config.site.publicUrl) && guard.verify(req, spec.action, fields[CSRF_FIELD]));
    if (!genuine) {
      back(403, fields, { notice: t(locale, 'site.form.expired') });
      return undefined;
    }
    if (fields[HONEYPOT_FIELD]) {
      deps.log.info({ form: spec.name }, 'site form: honeypot filled');
      message(res, 200, locale, ...spec.sent);
      return undefined;
    }
    return { fields, back };
  };

  const itemFormNamed = (locale: Locale, word: string): 'question' | 'apply' | 'confirm' | undefined =>
    (['question', 'apply', 'confirm'] as const).find((f) => SITE_FORMS[f][locale] === word);

  /** An application sent from the public page: kept pending, and its confirmation link e-mailed. */
  const apply = async (req: Request, res: Response, locale: Locale, reference: string) => {
    try {
      const found = await deps.store.get(reference);
      const view = found && publicOpportunity(found, locale);
      if (!found || !view) return message(res, 404, locale, 'site.notFound', 'site.notFoundHelp');
      const at = deps.clock.now().toISOString();
      if (!applicationsOpen(found, at, deps.clock.calendar)) {
        return message(res, 409, locale, 'site.apply.heading', 'site.apply.closed');
      }
      const got = await receive(req, res, locale, {
        name: 'apply',
        action: formPath(locale, 'apply', reference),
        fields: Object.keys(APPLY_FORM),
        page: (ctx, state) => applyPage(ctx, view, state),
        sent: ['site.apply.sent', 'site.apply.sentHelp'],
      });
      if (!got) return;
      const read = readApplication(got.fields);
      if (!read.ok) return got.back(400, got.fields, { problems: read.problems });
      const email = typeof got.fields.email === 'string' ? got.fields.email.trim() : '';
      const outcome = await deps.store.submitApplication(
        {
          id: `a-${randomUUID()}`,
          reference,
          email,
          locale,
          createdAt: at,
          pending: { content: read.content, token: randomBytes(32).toString('base64url'), at },
        },
        read.selfIdentification,
        deps.config.site.maxUnconfirmedApplications,
      );
      if (outcome.outcome === 'full') {
        deps.log.warn({ reference }, 'applications paused: too many wait for confirmation');
        return got.back(503, got.fields, {
          notice: `${t(locale, 'site.apply.full')}. ${t(locale, 'site.apply.fullHelp')}`,
        });
      }
      // The e-mail is in the language of the page the application came from.
      await deps.store.queueMail([
        applicationConfirmationMail(
          deps.config.site.publicUrl,
          view,
          outcome.application,
          deps.clock.calendar,
        ),
      ]);
      deps.mail.kick();
      message(res, 200, locale, 'site.apply.sent', 'site.apply.sentHelp');
    } catch (err) {
      failed(res, locale, err);
    }
  };

  /** The button of an application's confirmation page: the pending application counts from now on. */
  const confirmApplication = async (req: Request, res: Response, locale: Locale, reference: string) => {
    const token = queryOf(req, 'token');
    if (!TOKEN.test(token)) {
      return message(res, 404, locale, 'site.applyConfirm.unknown', 'site.applyConfirm.unknownHelp');
    }
    try {
      const got = await receive(req, res, locale, {
        name: 'confirm',
        action: formPath(locale, 'confirm', reference),
        fields: [],
        page: (ctx, state) => tokenPage(ctx, 'confirm', token, state.token, reference),
        sent: ['site.applyConfirm.unknown', 'site.applyConfirm.unknownHelp'],
      });
      if (!got) return;
      const found = await deps.store.get(reference);
      const application = await deps.store.applicationByToken(token);
      if (!found || !application || application.reference !== reference) {
        return message(res, 404, locale, 'site.applyConfirm.unknown', 'site.applyConfirm.unknownHelp');
      }
      const at = deps.clock.now().toISOString();
      const state = confirmationState(application, found, at, deps.clock.calendar);
      if (state === 'expired')
        return message(res, 410, locale, 'site.applyConfirm.expired', 'site.applyConfirm.expiredHelp');
      if (state === 'closed')
        return message(res, 409, locale, 'site.applyConfirm.closed', 'site.applyConfirm.closedHelp');
      if (state === 'nothing_pending') {
        return message(res, 404, locale, 'site.applyConfirm.unknown', 'site.applyConfirm.unknownHelp');
      }
      try {
        await deps.store.confirmApplication(application.id, application.version, at);
      } catch (err) {
        // A second click raced the first: the application counts either way.
        if (!(err instanceof ConcurrencyError)) throw err;
      }
      message(res, 200, locale, 'site.applyConfirm.done', 'site.applyConfirm.doneHelp');
    } catch (err) {
      failed(res, locale, err);
    }
  };

  server.post('/:lang/:section/:item/:form', async (req, res) => {
    const locale = localeOf(req);
    const reference = String(req.params.item);
    const kind = locale && itemFormNamed(locale, String(req.params.form));
    if (!locale || !kind || !REFERENCE_PATTERN.test(reference)) {
      return message(res, 404, guessed(req), 'site.notFound', 'site.notFoundHelp');
    }
    if (kind === 'apply') return apply(req, res, locale, reference);
    if (kind === 'confirm') return confirmApplication(req, res, locale, reference);
    try {
      const found = await deps.store.get(reference);
      const view = found && publicOpportunity(found, locale);
      if (!found || !view) return message(res, 404, locale, 'site.notFound', 'site.notFoundHelp');
      if (!questionsOpen(found, deps.clock.today(), deps.clock.calendar)) {
        return message(res, 409, locale, 'site.ask.heading', 'site.ask.closed');
      }
      const askUntil = lastDayForQuestions(found, deps.clock.calendar);
      const got = await receive(req, res, locale, {
        name: 'question',
        action: formPath(locale, 'question', reference),
        fields: Object.keys(ASK_FORM),
        page: (ctx, state) => questionPage(ctx, view, askUntil, state),
        sent: ['site.ask.sent', 'site.ask.sentHelp'],
      });
      if (!got) return;
      const form = readForm(ASK_FORM, got.fields);
      if (!form.ok) return got.back(400, got.fields, { problems: form.problems });
      // The same form sent twice (a double click, a reload) is one question: its id comes from its token.
      const id = `q-${createHmac('sha256', deps.config.site.secret)
        .update(`${reference}|${String(got.fields[CSRF_FIELD])}`)
        .digest('base64url')
        .slice(0, 32)}`;
      const asked = await deps.store.askQuestion(
        {
          id,
          reference,
          locale,
          text: form.values.question,
          email: form.values.email,
          askedAt: deps.clock.now().toISOString(),
        },
        deps.config.site.questionsWaiting,
      );
      if (!asked.ok) {
        deps.log.warn({ reference, full: asked.full }, 'questions paused: too many wait for an answer');
        await deps.questionsPaused(reference, asked.full);
        return got.back(503, got.fields, {
          notice: `${t(locale, 'site.ask.full')}. ${t(locale, 'site.ask.fullHelp')}`,
        });
      }
      await deps.questionAsked(asked.question, found);
      message(res, 200, locale, 'site.ask.sent', 'site.ask.sentHelp');
    } catch (err) {
      failed(res, locale, err);
    }
  });

  server.get('/:lang/:section/:item/:form', async (req, res) => {
    const locale = localeOf(req);
    const reference = String(req.params.item);
    const kind = locale && itemFormNamed(locale, String(req.params.form));
    if (!locale || !kind || !REFERENCE_PATTERN.test(reference)) {
      return message(res, 404, guessed(req), 'site.notFound', 'site.notFoundHelp');
    }
    if (!admitted(req, res, locale)) return;
    try {
      const found = await deps.store.get(reference);
      const view = found && publicOpportunity(found, locale);
      if (!found || !view) return message(res, 404, locale, 'site.notFound', 'site.notFoundHelp');
      if (kind === 'confirm') {
        const token = queryOf(req, 'token');
        if (!TOKEN.test(token)) {
          return message(res, 404, locale, 'site.applyConfirm.unknown', 'site.applyConfirm.unknownHelp');
        }
        const action = formPath(locale, 'confirm', reference);
        return formPage(req, res, 200, locale, action, (ctx, formToken) =>
          tokenPage(ctx, 'confirm', token, formToken, reference),
        );
      }
      if (kind === 'apply') {
        if (!applicationsOpen(found, deps.clock.now().toISOString(), deps.clock.calendar)) {
          return message(res, 200, locale, 'site.apply.heading', 'site.apply.closed');
        }
        return formPage(req, res, 200, locale, formPath(locale, 'apply', reference), (ctx, token) =>
          applyPage(ctx, view, emptyState(token)),
        );
      }
      if (!questionsOpen(found, deps.clock.today(), deps.clock.calendar)) {
        return message(res, 200, locale, 'site.ask.heading', 'site.ask.closed');
      }
      const askUntil = lastDayForQuestions(found, deps.clock.calendar);
      formPage(req, res, 200, locale, formPath(locale, 'question', reference), (ctx, token) =>
        questionPage(ctx, view, askUntil, emptyState(token)),
      );
    } catch (err) {
      failed(res, locale, err);
    }
  });

  server.post('/:lang/:section/:item', async (req, res) => {
    const locale = localeOf(req);
    const form = locale && formNamed(locale, String(req.params.item));
    if (!locale || !form) return message(res, 404, guessed(req), 'site.notFound', 'site.notFoundHelp');
    const action = formPath(locale, form);
    try {
      if (form === 'subscribe') {
        const got = await receive(req, res, locale, {
          name: 'subscribe',
          action,
          fields: Object.keys(SUBSCRIBE_FORM),
          page: subscribePage,
          sent: ['site.subscribe.sent', 'site.subscribe.sentHelp'],
        });
        if (!got) return;
        const fields = got.fields;
        const read = readForm(SUBSCRIBE_FORM, fields);
        if (!read.ok) return got.back(400, fields, { problems: read.problems });
        const at = deps.clock.now().toISOString();
        const outcome = await deps.store.subscribe(
          {
            id: `s-${randomUUID()}`,
            email: read.values.email,
            locale: read.values.language as Locale,
            token: randomBytes(32).toString('base64url'),
            createdAt: at,
            confirmationSentAt: at,
          },
          deps.config.site.maxUnconfirmedSubscriptions,
        );
        if (outcome.outcome === 'full') {
          deps.log.warn({}, 'subscriptions paused: too many wait for confirmation');
          return got.back(503, fields, {
            notice: `${t(locale, 'site.subscribe.full')}. ${t(locale, 'site.subscribe.fullHelp')}`,
          });
        }
        const s = outcome.subscription;
        // The same answer whether the address was known or not: the page never tells who subscribed.
        if (outcome.outcome === 'created') {
          await deps.store.queueMail([confirmationMail(deps.config.site.publicUrl, s)]);
          deps.mail.kick();
        } else if (!s.confirmedAt && Date.parse(at) - Date.parse(s.confirmationSentAt) >= RESEND_AFTER_MS) {
          await deps.store.confirmationResent(s.id, at);
          await deps.store.queueMail([
            confirmationMail(deps.config.site.publicUrl, { ...s, confirmationSentAt: at }),
          ]);
          deps.mail.kick();
        }
        return message(res, 200, locale, 'site.subscribe.sent', 'site.subscribe.sentHelp');
      }
      // Confirm or unsubscribe: the e-mailed token names the subscription.
      const token = queryOf(req, 'token');
      if (!TOKEN.test(token)) {
        return message(res, 404, locale, 'site.confirm.unknown', 'site.confirm.unknownHelp');
      }
      const got = await receive(req, res, locale, {
        name: form,
        action,
        fields: [],
        page: (ctx, state) => tokenPage(ctx, form, token, state.token),
        sent: ['site.notFound', 'site.notFoundHelp'],
        // RFC 8058: a mail client's one-click unsubscribe posts this, with the e-mailed token, and no page.
        ...(form === 'unsubscribe' ? { exempt: (f) => f['List-Unsubscribe'] === 'One-Click' } : {}),
      });
      if (!got) return;
      if (form === 'confirm') {
        const confirmed = await deps.store.confirmSubscription(token, deps.clock.now().toISOString());
        return confirmed
          ? message(res, 200, locale, 'site.confirm.done', 'site.confirm.doneHelp')
          : message(res, 404, locale, 'site.confirm.unknown', 'site.confirm.unknownHelp');
      }
      const gone = await deps.store.unsubscribe(token);
      if (gone) await deps.store.dropMailTo(gone.email);
      return message(res, 200, locale, 'site.unsubscribe.done', 'site.unsubscribe.doneHelp');
    } catch (err) {
      failed(res, locale, err);
    }
  });

  // The local mailbox: only without a Notify key, and only to this machine; anyone else finds nothing.
  server.get('/mailbox', async (req, res) => {
    const locale: Locale = queryOf(req, 'lang') === 'fr' ? 'fr' : 'en';
    if (deps.config.mail.notify || !LOOPBACK.has(req.socket.remoteAddress ?? '')) {
      return message(res, 404, locale, 'site.notFound', 'site.notFoundHelp');
    }
    try {
      const mails = await deps.store.mailbox(100);
      page(res, 200, locale, (ctx) => mailboxPage(ctx, mails), {});
    } catch (err) {
      failed(res, locale, err);
    }
  });
}
