import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'restify';

/**
 * What every public form needs before its fields are read: an anti-forgery token bound to a cookie of
 * the browser that loaded the form (double submit, signed, for two hours), the Origin checked when the
 * browser sends one, a honeypot field people never see, and a bounded body of the one form encoding.
 */

export const CSRF_COOKIE = 'microacq_form';
export const CSRF_FIELD = 'form_token';
/** Left empty by people (it is hidden from them and from screen readers); robots fill it. */
export const HONEYPOT_FIELD = 'website';
const TOKEN_LIFE_MS = 2 * 3_600_000;
const COOKIE_VALUE = /^[A-Za-z0-9_-]{22}$/;
export const MAX_FORM_BYTES = 16 * 1024;

export interface FormGuard {
  /** The cookie to keep (or set) and the token to put in a form posting to `action`. */
  issue(req: Request, action: string): { cookie: string; setCookie?: string; token: string };
  /** Whether a posted form carries a fresh token of this browser's cookie for this action. */
  verify(req: Request, action: string, token: unknown): boolean;
}

export function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.header('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

export function formGuard(secret: string, https: boolean, now: () => number = Date.now): FormGuard {
  const sign = (cookie: string, action: string, issued: number) =>
    createHmac('sha256', secret).update(`${cookie}|${action}|${issued}`).digest('base64url');
  return {
    issue(req, action) {
      const existing = cookieOf(req, CSRF_COOKIE);
      const cookie =
        existing && COOKIE_VALUE.test(existing) ? existing : randomBytes(16).toString('base64url');
      const issued = now();
      return {
        cookie,
        ...(cookie !== existing
          ? {
              setCookie: `${CSRF_COOKIE}=${cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${TOKEN_LIFE_MS / 1000}${https ? '; Secure' : ''}`,
            }
          : {}),
        token: `${issued}.${sign(cookie, action, issued)}`,
      };
    },
    verify(req, action, token) {
      const cookie = cookieOf(req, CSRF_COOKIE);
      if (!cookie || !COOKIE_VALUE.test(cookie) || typeof token !== 'string') return false;
      const match = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
      if (!match) return false;
      const issued = Number(match[1]);
      const age = now() - issued;
      if (age < 0 || age > TOKEN_LIFE_MS) return false;
      const expected = Buffer.from(sign(cookie, action, issued));
      const given = Buffer.from(match[2] ?? '');
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

/**
 * A browser names the page a form was sent from: one from another site is refused. A request without
 * Origin (an old browser, a mail client's one-click unsubscribe) relies on the token alone.
 */
export function sameOrigin(req: Request, publicUrl: string): boolean {
  const origin = req.header('origin');
  if (!origin) return true;
  if (origin === new URL(publicUrl).origin) return true;
  const host = req.header('host');
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

export type FormBody =
  | { readonly ok: true; readonly fields: Readonly<Record<string, string | string[]>> }
  | { readonly ok: false; readonly status: 413 | 415 | 400 };

/** Reads an `application/x-www-form-urlencoded` body of at most MAX_FORM_BYTES; a field sent twice is a list. */
export async function readFormBody(req: Request, maxBytes = MAX_FORM_BYTES): Promise<FormBody> {
  const type = (req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return { ok: false, status: 415 };
  const declared = Number(req.header('content-length') ?? '0');
  if (declared > maxBytes) return { ok: false, status: 413 };
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) return { ok: false, status: 413 };
      chunks.push(chunk);
    }
  } catch {
    return { ok: false, status: 400 };
  }
  const text = Buffer.concat(chunks).toString('utf8');
  // No prototype: a field named __proto__ is a field like any other.
  const fields = Object.create(null) as Record<string, string | string[]>;
  for (const [key, value] of new URLSearchParams(text)) {
    const before = fields[key];
    fields[key] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return { ok: true, fields };
}
