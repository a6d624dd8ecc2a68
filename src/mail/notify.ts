/**
 * Sends the mail queue's messages through GC Notify (https://api.notification.canada.ca, which speaks the
 * GOV.UK Notify API v2): one POST /v2/notifications/email per message, with the template of its kind and
 * language, its personalisation, and its queue id as Notify's `reference`, so that Notify's records can be
 * matched to the queue.
 *
 * A failure says whether asking again may help (429, 5xx, no answer) or not (any other 4xx), with the wait
 * Notify or a proxy in front of it asked for. Its text names the status and Notify's errors but never the
 * address or the personalisation: the queue keeps it, and it is shown to procurement.
 */
import { createRequire } from 'node:module';
import type { AxiosStatic } from 'axios';
import { NotifyClient } from 'notifications-node-client';
import { MAIL_KINDS, type Mail, type MailKind } from '../services/mail';

export type SendOutcome =
  | { readonly ok: true; readonly providerId: string }
  | { readonly ok: false; readonly retry: boolean; readonly retryAfterMs?: number; readonly error: string };

export interface MailTransport {
  send(mail: Mail): Promise<SendOutcome>;
}

/** Each message's Notify template id, per language. */
export type NotifyTemplates = Readonly<Record<MailKind, Readonly<Record<'en' | 'fr', string>>>>;

export interface NotifyTransportOptions {
  /** Notify's API root, e.g. https://api.notification.canada.ca (no path). */
  readonly baseUrl: string;
  /** The whole key as Notify shows it: `{name}-{service id}-{secret}`. */
  readonly apiKey: string;
  readonly templates: NotifyTemplates;
  /** How long one request may take before it counts as lost, and is retried. */
  readonly timeoutMs?: number;
  /** The clock, for a Retry-After given as a date. */
  readonly now?: () => number;
}

export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const UUID_ONLY = new RegExp(`^${UUID}$`, 'i');
const API_KEY = new RegExp(`^[\\w.-]+-${UUID}-${UUID}$`, 'i');

/**
 * Whether a string has the shape of a Notify API key: a name, then the service id and the secret, each a
 * UUID. The client signs with the last 36 characters and names the service with the 36 before them, so a
 * key cut short or padded would fail only at the first send.
 */
export function isNotifyApiKey(key: string): boolean {
  return API_KEY.test(key);
}

/** Throttling and server trouble pass; any other status answers the request itself and will not change. */
const RETRIED = (status: number) => status === 429 || status >= 500;

/** Codes axios gives to a request it never sent: asking again cannot help. */
const LOCAL_AXIOS_CODES = new Set([
  'ERR_BAD_OPTION',
  'ERR_BAD_OPTION_VALUE',
  'ERR_INVALID_URL',
  'ERR_NOT_SUPPORT',
  'ERR_DEPRECATED',
  'ERR_CANCELED',
]);
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT']);
const MAX_ERROR_LENGTH = 500;

export class NotifyTransport implements MailTransport {
  private readonly client: NotifyClient;
  private readonly templates: NotifyTemplates;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(options: NotifyTransportOptions) {
    // The key is never echoed: a message naming it would put a secret in the logs.
    if (!isNotifyApiKey(options.apiKey)) throw new RangeError('Notify API key: not a GC Notify API key');
    const url = new URL(options.baseUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new RangeError('Notify base URL: must be http(s)');
    }
    for (const kind of MAIL_KINDS) {
      for (const locale of ['en', 'fr'] as const) {
        const id = options.templates[kind]?.[locale];
        if (typeof id !== 'string' || !UUID_ONLY.test(id)) {
          throw new RangeError(`Notify templates: no template id for ${kind} (${locale})`);
        }
      }
    }
    this.templates = options.templates;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
    // The client joins its base and '/v2/…' as they are: a trailing slash would make '//v2/…'.
    this.client = new NotifyClient(url.toString().replace(/\/+$/, ''), options.apiKey);
    // The client offers no timeout of its own, but takes an axios instance: one made from the axios it
    // was installed with (wherever the install put it) keeps its behaviour and adds the timeout.
    const axios = createRequire(require.resolve('notifications-node-client'))('axios') as AxiosStatic;
    this.client.setClient(axios.create({ timeout: this.timeoutMs }));
  }

  async send(mail: Mail): Promise<SendOutcome> {
    const templateId = this.templates[mail.kind]?.[mail.locale];
    if (!templateId) {
      return { ok: false, retry: false, error: `No Notify template for ${mail.kind} (${mail.locale})` };
    }
    try {
      const response = await this.client.sendEmail(templateId, mail.to, {
        personalisation: { ...mail.personalisation },
        reference: mail.id,
      });
      const id: unknown = (response.data as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string' && id !== '') return { ok: true, providerId: id };
      // Something answered 2xx that was not Notify (a wrong base URL): asking again would not change it.
      return {
        ok: false,
        retry: false,
        error: `Notify ${response.status}: answer without a notification id`,
      };
    } catch (err) {
      return describeFailure(
        err,
        [mail.to, ...Object.values(mail.personalisation)],
        this.timeoutMs,
        this.now(),
      );
    }
  }
}

interface ErrorLike {
  readonly isAxiosError?: unknown;
  readonly code?: unknown;
  readonly response?: { readonly status?: unknown; readonly data?: unknown; readonly headers?: unknown };
}

/**
 * Reads what the client threw (an axios error, or anything else) without ever reading its `config`,
 * which holds the request body, or its `message`, which may quote a URL or the body.
 */
function describeFailure(
  err: unknown,
  sensitive: readonly string[],
  timeoutMs: number,
  nowMs: number,
): SendOutcome & { ok: false } {
  const e = (err && typeof err === 'object' ? err : {}) as ErrorLike;
  const status = typeof e.response?.status === 'number' ? e.response.status : undefined;
  const code = typeof e.code === 'string' && /^[A-Z0-9_]{1,40}$/.test(e.code) ? e.code : undefined;
  if (status === undefined) {
    if (e.isAxiosError !== true)
      return { ok: false, retry: false, error: 'Notify client failed before sending' };
    if (code && LOCAL_AXIOS_CODES.has(code)) {
      return { ok: false, retry: false, error: `Notify request not sent (${code})` };
    }
    if (code && TIMEOUT_CODES.has(code)) {
      return { ok: false, retry: true, error: `Notify did not answer within ${timeoutMs} ms` };
    }
    return { ok: false, retry: true, error: `Notify could not be reached (${code ?? 'network error'})` };
  }
  const detail = redact(notifyErrorsOf(e.response?.data), sensitive);
  const error = clip(detail ? `Notify ${status} ${detail}` : `Notify ${status}`);
  const retryAfterMs = RETRIED(status) ? retryAfterOf(e.response?.headers, nowMs) : undefined;
  return {
    ok: false,
    retry: RETRIED(status),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    error,
  };
}

/** Notify's `{ status_code, errors: [{ error, message }] }`, as "Class: message; …"; '' for anything else. */
function notifyErrorsOf(data: unknown): string {
  const errors = (data && typeof data === 'object' ? (data as { errors?: unknown }).errors : undefined) ?? [];
  if (!Array.isArray(errors)) return '';
  const parts: string[] = [];
  for (const item of errors as unknown[]) {
    if (!item || typeof item !== 'object') continue;
    const { error, message } = item as { error?: unknown; message?: unknown };
    const name = typeof error === 'string' && /^[A-Za-z][\w.]{0,80}$/.test(error) ? error : undefined;
    const text = typeof message === 'string' ? message.replace(/\s+/g, ' ').trim() : '';
    if (name && text) parts.push(`${name}: ${text}`);
    else if (name || text) parts.push(name ?? text);
  }
  return parts.join('; ');
}

const EMAIL_LIKE = /[^\s@"'<>()[\],;:]+@[^\s@"'<>()[\],;:]+/g;

/**
 * Removes whatever in Notify's words could be the recipient or a personalisation value. Notify echoes
 * request values in some validation messages (quotes dropped, newlines written as \n), so each value is
 * looked for in those forms too, everywhere and in any case: a short value may blank part of an ordinary
 * word, which is the lesser harm.
 */
function redact(text: string, sensitive: readonly string[]): string {
  let out = text.replace(EMAIL_LIKE, '***');
  const forms = new Set<string>();
  for (const value of sensitive) {
    for (const base of [value, value.replace(/['"]/g, '')]) {
      for (const form of [base, base.replace(/\r?\n/g, '\\n'), ...base.split(/\r?\n/)]) {
        const trimmed = form.trim();
        if (trimmed) forms.add(trimmed);
      }
    }
  }
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    out = out.replace(new RegExp(form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'giu'), '***');
  }
  return out;
}

function clip(text: string): string {
  return text.length <= MAX_ERROR_LENGTH ? text : `${text.slice(0, MAX_ERROR_LENGTH - 1)}…`;
}

/** From Retry-After, in seconds or as an HTTP date (Notify sends none; proxies in front of it may). */
function retryAfterOf(headers: unknown, nowMs: number): number | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: (name: string) => unknown; [name: string]: unknown };
  const raw = typeof h.get === 'function' ? h.get('retry-after') : (h['retry-after'] ?? h['Retry-After']);
  const value = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : '';
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1_000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
