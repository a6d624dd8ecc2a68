import type { Request, Response, Server } from 'restify';
import type { Config } from '../config';
import { randomBytes } from 'node:crypto';
import { type Locale, type MessageKey, t } from '../i18n';
import type { Logger } from '../log';
import { type Opportunity, REFERENCE_PATTERN } from '../services/opportunity';
import { AFTER_POSTING, type PublicOpportunity, publicOpportunity, sitePath } from '../services/publication';
import type { OpportunityStore } from '../services/store';
import { loadAssets } from './assets';
import { atomFeed, listPage, messagePage, opportunityPage, type SiteContext } from './pages';
import { RateLimiter } from './rate-limit';

/**
 * The public site: the bot's first anonymous surface. Pages are read-only views of posted requests,
 * answered with strict security headers and counted per address; nothing on them comes from anywhere
 * but `publicOpportunity`.
 */

export interface SiteDeps {
  readonly store: OpportunityStore;
  readonly config: Config;
  readonly calendar: SiteContext['calendar'];
  readonly log: Logger;
}

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
  /** A page, built with this response's nonce. */
  const page = (res: Response, status: number, locale: Locale, build: (ctx: SiteContext) => string) => {
    const nonce = randomBytes(16).toString('base64');
    const body = build({ locale, calendar: deps.calendar, nonce });
    const cache = status === 200 ? 'public, max-age=60' : 'no-store';
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
      if (!view) return message(res, 404, locale, 'site.notFound', 'site.notFoundHelp');
      page(res, 200, locale, (ctx) => opportunityPage(ctx, view));
    } catch (err) {
      failed(res, locale, err);
    }
  });
}
