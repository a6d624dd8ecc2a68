import type { Request, Response, Server } from 'restify';
import type { Locale } from '../i18n';
import { applicationsOpen } from '../services/applications';
import { type Opportunity, REFERENCE_PATTERN } from '../services/opportunity';
import {
  AFTER_POSTING,
  type PublicOpportunity,
  publicOpportunity,
  SITE_FORMS,
  sitePath,
} from '../services/publication';
import { lastDayForQuestions, publishedAnswers, questionsOpen } from '../services/questions';
import { applicationConfirmation, applicationForm } from './apply';
import { questionForm } from './ask';
import { debriefRequest } from './debrief';
import { loadAssets } from './assets';
import { type ListForm, mailingList } from './mailing-list';
import { atomFeed, listPage, mailboxPage, opportunityPage } from './pages';
import { createResponder, queryOf, securityHeaders, type SiteDeps } from './respond';

export type { SiteDeps } from './respond';

/**
 * The public site: the bot's first anonymous surface. Pages are read-only views of posted requests,
 * answered with strict security headers and counted per address; nothing on them comes from anywhere
 * but `publicOpportunity`. The forms (questions, the mailing list, applications, debriefs) are in their
 * own files.
 */

/** Closed opportunities listed (and in the feed), the most recent first. */
const CLOSED_LISTED = 50;
const OPEN_LISTED = 100;

const SECTIONS: Record<string, Locale> = { 'en/opportunities': 'en', 'fr/possibilites': 'fr' };
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

const localeOf = (req: Request): Locale | undefined => SECTIONS[`${req.params.lang}/${req.params.section}`];
const guessed = (req: Request): Locale => (req.params.lang === 'fr' ? 'fr' : 'en');
/** The list's forms, by their word in the page's language. */
const listFormNamed = (locale: Locale, word: string): ListForm | undefined =>
  (['subscribe', 'confirm', 'unsubscribe'] as const).find((f) => SITE_FORMS[f][locale] === word);
/** An opportunity's forms, by their word in the page's language. */
const itemFormNamed = (
  locale: Locale,
  word: string,
): 'question' | 'apply' | 'confirm' | 'debrief' | undefined =>
  (['question', 'apply', 'confirm', 'debrief'] as const).find((f) => SITE_FORMS[f][locale] === word);

export function registerSite(server: Server, deps: SiteDeps): void {
  const assets = loadAssets();
  const r = createResponder(deps);
  const list = mailingList(r, deps);
  const itemForms = {
    question: questionForm(r, deps),
    apply: applicationForm(r, deps),
    confirm: applicationConfirmation(r, deps),
    debrief: debriefRequest(r, deps),
  };
  const notFound = (res: Response, locale: Locale) =>
    r.message(res, 404, locale, 'site.notFound', 'site.notFoundHelp');

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

  // Any other address read by a browser gets the site's own page, never the framework's JSON.
  server.on('NotFound', (req: Request, res: Response, _err: unknown, done: () => void) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return done();
    notFound(res, req.path().startsWith('/fr') ? 'fr' : 'en');
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
    if (asset) r.send(res, 200, asset.type, asset.body, 'public, max-age=86400');
    else r.send(res, 404, 'text/plain; charset=utf-8', 'Not found', 'no-store');
  });

  server.get('/:lang/:section', async (req, res) => {
    const locale = localeOf(req);
    if (!locale) return notFound(res, guessed(req));
    if (!r.admitted(req, res, locale)) return;
    try {
      const views = await listed(locale);
      r.page(res, 200, locale, (ctx) => listPage(ctx, views));
    } catch (err) {
      r.failed(res, locale, err);
    }
  });

  server.get('/:lang/:section/:item', async (req, res) => {
    const locale = localeOf(req);
    if (!locale) return notFound(res, guessed(req));
    if (!r.admitted(req, res, locale)) return;
    const item = String(req.params.item);
    const form = listFormNamed(locale, item);
    if (form) return list.show(req, res, locale, form);
    try {
      if (item === 'feed.xml') {
        const views = await listed(locale);
        const feed = atomFeed(locale, deps.config.site.publicUrl, views);
        r.send(res, 200, 'application/atom+xml; charset=utf-8', feed, 'public, max-age=300');
        return;
      }
      // Only a reference is looked up: anything else is not found without reaching the store.
      const found = REFERENCE_PATTERN.test(item) ? await deps.store.get(item) : undefined;
      const view = found && publicOpportunity(found, locale);
      if (!found || !view) return notFound(res, locale);
      const answers = publishedAnswers(
        await deps.store.questionsOf(found.reference, ['answered'], 200),
        locale,
      );
      const askUntil = questionsOpen(found, deps.clock.today(), deps.clock.calendar)
        ? lastDayForQuestions(found, deps.clock.calendar)
        : undefined;
      const applying = applicationsOpen(found, deps.clock.now().toISOString(), deps.clock.calendar);
      r.page(res, 200, locale, (ctx) =>
        opportunityPage(ctx, view, { answers, applying, ...(askUntil ? { askUntil } : {}) }),
      );
    } catch (err) {
      r.failed(res, locale, err);
    }
  });

  server.post('/:lang/:section/:item', async (req, res) => {
    const locale = localeOf(req);
    const form = locale && listFormNamed(locale, String(req.params.item));
    if (!locale || !form) return notFound(res, guessed(req));
    await list.post(req, res, locale, form);
  });

  server.get('/:lang/:section/:item/:form', async (req, res) => {
    const locale = localeOf(req);
    const reference = String(req.params.item);
    const kind = locale && itemFormNamed(locale, String(req.params.form));
    if (!locale || !kind || !REFERENCE_PATTERN.test(reference)) return notFound(res, guessed(req));
    if (!r.admitted(req, res, locale)) return;
    try {
      const found = await deps.store.get(reference);
      const view = found && publicOpportunity(found, locale);
      if (!found || !view) return notFound(res, locale);
      itemForms[kind].show(req, res, locale, found, view);
    } catch (err) {
      r.failed(res, locale, err);
    }
  });

  server.post('/:lang/:section/:item/:form', async (req, res) => {
    const locale = localeOf(req);
    const reference = String(req.params.item);
    const kind = locale && itemFormNamed(locale, String(req.params.form));
    if (!locale || !kind || !REFERENCE_PATTERN.test(reference)) return notFound(res, guessed(req));
    await itemForms[kind].post(req, res, locale, reference);
  });

  // The local mailbox: only without a Notify key, and only to this machine; anyone else finds nothing.
  server.get('/mailbox', async (req, res) => {
    const locale: Locale = queryOf(req, 'lang') === 'fr' ? 'fr' : 'en';
    if (deps.config.mail.notify || !LOOPBACK.has(req.socket.remoteAddress ?? ''))
      return notFound(res, locale);
    try {
      const mails = await deps.store.mailbox(100);
      r.page(res, 200, locale, (ctx) => mailboxPage(ctx, mails), {});
    } catch (err) {
      r.failed(res, locale, err);
    }
  });
}
