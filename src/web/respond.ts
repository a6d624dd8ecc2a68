import type { Application } from '../services/applications';
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'restify';
import type { Config } from '../config';
import { type Locale, type MessageKey, t } from '../i18n';
import type { Logger } from '../log';
import type { DepartmentClock } from '../services/calendar';
import type { Opportunity } from '../services/opportunity';
import { type SiteForm, sitePath } from '../services/publication';
import type { Question } from '../services/questions';
import type { RateWindow } from '../services/rate';
import type { Problem } from '../services/rules';
import type { Store } from '../services/store';
import { CSRF_FIELD, formGuard, HONEYPOT_FIELD, readFormBody, sameOrigin } from './forms';
import { type FormState, messagePage, type SiteContext } from './pages';
import { RateLimiter } from './rate-limit';

/**
 * How the public site answers: every answer with its security headers, pages with their nonce, the
 * requests counted per address, and what every posted form passes before its own fields are read.
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
  /** An applicant asked for a debrief: its card goes to procurement (once, whatever the calls). */
  debriefRequested(application: Application, record: Opportunity): Promise<void>;
  /** The question form stopped taking questions: procurement is told. */
  questionsPaused(reference: string, full: 'opportunity' | 'total'): Promise<void>;
}

/** The secret of an e-mailed link: 32 random bytes, base64url. */
export const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** One query parameter (the server parses no query string for the bot's endpoint, so it is read here). */
export function queryOf(req: Request, name: string): string {
  return new URL(req.url ?? '/', 'http://query.invalid').searchParams.get(name) ?? '';
}

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

/** A form people fill: where it posts, the fields it keeps when sent back, its page, its thanks. */
export interface FormSpec {
  readonly name: SiteForm;
  readonly action: string;
  readonly fields: readonly string[];
  readonly page: (ctx: SiteContext, state: FormState) => string;
  readonly sent: readonly [MessageKey, MessageKey];
  /** A post that proves itself another way needs no token. */
  readonly exempt?: (fields: Readonly<Record<string, unknown>>) => boolean;
}

/** Sends a form back: what was typed (kept), with a note or its problems, and a fresh token. */
export type SendBack = (
  status: number,
  fields: Readonly<Record<string, unknown>>,
  why: { readonly notice?: string; readonly problems?: readonly Problem[] },
) => void;

export const emptyState = (token: string, values: Record<string, string> = {}): FormState => ({
  values,
  problems: [],
  token,
});

export interface Responder {
  /** Any answer, with the security headers (and, for a page, the nonce its styles carry). */
  send(
    res: Response,
    status: number,
    type: string,
    body: string | Buffer,
    cache: string,
    nonce?: string,
  ): void;
  /** A page, built with this response's nonce; a page with a form is never cached (its token is this browser's). */
  page(
    res: Response,
    status: number,
    locale: Locale,
    build: (ctx: SiteContext) => string,
    personal?: { readonly setCookie?: string },
  ): void;
  /** A page that says one thing, with the way back to the list. */
  message(res: Response, status: number, locale: Locale, title: MessageKey, help: MessageKey): void;
  /** Counts the request; a refusal is answered here, in the language of the page asked for. */
  admitted(req: Request, res: Response, locale: Locale): boolean;
  /** The store failed: the person is told to come back. */
  failed(res: Response, locale: Locale, err: unknown): void;
  /** A form page for this browser: its token (and the cookie it is bound to, when new). */
  formPage(
    req: Request,
    res: Response,
    status: number,
    locale: Locale,
    action: string,
    build: (ctx: SiteContext, token: string) => string,
  ): void;
  /**
   * Everything a posted form passes before its fields are read: the request counts, a readable body, the
   * form limit per hour, its token and origin (a form from elsewhere, or expired, comes back with what
   * was typed), the honeypot (a robot is thanked like a person, and nothing is kept). Returns the fields
   * and the way to send the form back; undefined once it is answered.
   */
  receive(
    req: Request,
    res: Response,
    locale: Locale,
    spec: FormSpec,
  ): Promise<{ fields: Readonly<Record<string, unknown>>; back: SendBack } | undefined>;
}

const keptValues = (fields: Readonly<Record<string, unknown>>, names: readonly string[]) =>
  Object.fromEntries(
    names.map((n) => [n, typeof fields[n] === 'string' ? (fields[n] as string).slice(0, 4_000) : '']),
  );

export function createResponder(deps: SiteDeps): Responder {
  const perAddress = new RateLimiter(deps.config.site.perAddressPerMinute);
  const overall = new RateLimiter(deps.config.site.totalPerMinute, 1);
  const guard = formGuard(deps.config.site.secret, deps.config.site.publicUrl.startsWith('https:'));
  // Forms are counted in the store, so replicas share the counts; pages are counted by each process,
  // which a flood of them costs.
  const formsPerHour = (limit: number): RateWindow[] => [{ limit, ms: 3_600_000 }];
  // The address's own count first: forms refused to one address do not use up everyone's.
  const formsTaken = async (address: string): Promise<number> => {
    const now = deps.clock.now().toISOString();
    const own = await deps.store.takeRate(
      `site:forms:${address}`,
      now,
      formsPerHour(deps.config.site.formsPerHour),
    );
    if (own > 0) return own;
    return deps.store.takeRate('site:forms', now, formsPerHour(deps.config.site.formsTotalPerHour));
  };

  const r: Responder = {
    send(res, status, type, body, cache, nonce) {
      res.writeHead(status, {
        ...securityHeaders(deps.config, nonce),
        'Content-Type': type,
        'Cache-Control': cache,
        'Content-Length': Buffer.byteLength(body),
      });
      res.end(body);
    },
    page(res, status, locale, build, personal) {
      const nonce = randomBytes(16).toString('base64');
      const body = build({ locale, calendar: deps.clock.calendar, nonce });
      // Pages may be stored but are asked for again each time: an answer just published shows at once.
      const cache = status === 200 && !personal ? 'public, no-cache' : 'no-store';
      if (personal?.setCookie) res.header('Set-Cookie', personal.setCookie);
      r.send(res, status, 'text/html; charset=utf-8', body, cache, nonce);
    },
    message(res, status, locale, title, help) {
      r.page(res, status, locale, (ctx) =>
        messagePage(ctx, t(locale, title), t(locale, help), sitePath(locale)),
      );
    },
    admitted(req, res, locale) {
      const wait = Math.max(overall.take('all'), perAddress.take(req.socket.remoteAddress ?? 'unknown'));
      if (wait === 0) return true;
      res.header('Retry-After', String(wait));
      r.message(res, 429, locale, 'site.tooMany', 'site.tooManyHelp');
      return false;
    },
    failed(res, locale, err) {
      deps.log.warn({ err: (err as Error).message }, 'public page unavailable');
      r.message(res, 503, locale, 'site.unavailable', 'site.unavailableHelp');
    },
    formPage(req, res, status, locale, action, build) {
      const issued = guard.issue(req, action);
      r.page(res, status, locale, (ctx) => build(ctx, issued.token), {
        ...(issued.setCookie ? { setCookie: issued.setCookie } : {}),
      });
    },
    async receive(req, res, locale, spec) {
      if (!r.admitted(req, res, locale)) return undefined;
      const body = await readFormBody(req);
      if (!body.ok) {
        if (body.status === 413) res.header('Connection', 'close');
        r.message(res, body.status, locale, 'site.notFound', 'site.notFoundHelp');
        return undefined;
      }
      const back: SendBack = (status, fields, why) =>
        r.formPage(req, res, status, locale, spec.action, (ctx, token) =>
          spec.page(ctx, {
            values: keptValues(fields, spec.fields),
            problems: why.problems ?? [],
            token,
            ...(why.notice ? { notice: why.notice } : {}),
          }),
        );
      const fields = body.fields;
      const wait = await formsTaken(req.socket.remoteAddress ?? 'unknown');
      if (wait > 0) {
        res.header('Retry-After', String(Math.ceil(wait / 1000)));
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
        r.message(res, 200, locale, ...spec.sent);
        return undefined;
      }
      return { fields, back };
    },
  };
  return r;
}
