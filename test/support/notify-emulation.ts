/**
 * A local GC Notify limited to the one endpoint the mail transport calls, POST /v2/notifications/email,
 * answering as Notify does: its JWT check, its request validation, its order of checks, its success body
 * and its error bodies; plus faults to inject (5xx, 429, a dropped connection, a slow answer).
 *
 * Shapes and rules taken from GC Notify's documentation and source:
 * - Sending an email, answers, errors:  https://documentation.notification.canada.ca/en/send.html
 * - API keys:                           https://documentation.notification.canada.ca/en/keys.html
 * - Authentication (401/403, 30 s clock bound):
 *     cds-snc/notification-api app/authentication/auth.py,
 *     alphagov/notifications-python-client notifications_python_client/authentication.py
 * - Validation messages (ValidationError): cds-snc/notification-api app/schema_validation/__init__.py
 *     and definitions.py; email rules: cds-snc/notification-utils notifications_utils/recipients.py
 * - Order of checks, 201 body:          cds-snc/notification-api app/v2/notifications/post_notifications.py,
 *     create_response.py
 * - Error bodies and limits:            cds-snc/notification-api app/v2/errors.py, app/errors.py,
 *     app/notifications/validators.py, app/notifications/process_notifications.py
 *
 * Not emulated: the ApiKey-v1 scheme (answered as an unknown scheme), file attachments, conditional
 * `((name??text))` placeholders, and the rendering of Markdown (the body comes back as written, filled).
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { domainToASCII } from 'node:url';

export interface NotifyEmulationTemplate {
  readonly subject: string;
  /** In Notify's syntax: `((name))` placeholders. */
  readonly body: string;
  /** Notify's template version, echoed in answers (1 when not given). */
  readonly version?: number;
  /** A text-message template is refused for e-mail, as Notify refuses it. */
  readonly type?: 'email' | 'sms';
  /** Deleted in Notify's interface: refused with "has been deleted". */
  readonly archived?: boolean;
}

export interface NotifyErrorItem {
  readonly error: string;
  readonly message: string;
}

export interface NotifyEmulationOptions {
  /** Template id → template; any other id is "Template not found". */
  readonly templates: Readonly<Record<string, NotifyEmulationTemplate>>;
  /** The service every key belongs to (a random id when not given). */
  readonly serviceId?: string;
  /** Its API keys (one random key named `gcntfy-emulation` when not given); the first is `apiKey`. */
  readonly keys?: readonly { readonly name: string; readonly secret: string }[];
  /**
   * How far the emulation's clock is from the machine's, in ms: +60_000 makes every token look a minute
   * old, -60_000 a minute ahead; beyond 30 s either way Notify refuses the token (403). Also settable later.
   */
  readonly clockOffsetMs?: number;
  /** Requests a minute (sliding 60 s) before 429 RateLimitError; Notify's default for a service is 1000. */
  readonly ratePerMinute?: number;
  /** E-mails accepted per UTC day before 429 with Notify's daily-limit error; unlimited when not given. */
  readonly dailyLimit?: number;
  /** Reply-to address ids the service has; any other `email_reply_to_id` is refused (400). */
  readonly replyToIds?: readonly string[];
  /** Whether the service may schedule (`scheduled_for`); Notify's default is no (400). */
  readonly canSchedule?: boolean;
  /** The sender shown in `content.from_email`. */
  readonly fromEmail?: string;
  /** Holds every answer this long, in ms. */
  readonly delayMs?: number;
}

/** An e-mail Notify accepted (201), as the request gave it and as it was rendered. */
export interface AcceptedNotification {
  readonly id: string;
  readonly templateId: string;
  readonly templateVersion: number;
  readonly emailAddress: string;
  readonly personalisation: Readonly<Record<string, unknown>>;
  readonly reference: string | null;
  readonly subject: string;
  readonly body: string;
  readonly acceptedAt: string;
}

/** Every request, in order, with what it was answered. */
export interface EmulatedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number | 'dropped';
  /** The first error's class, when the answer was one. */
  readonly error?: string;
}

export interface FailOptions {
  /** How many of the next requests get this answer (1 when not given). */
  readonly times?: number;
  /** The Retry-After header to send, seconds or an HTTP date (Notify sends none; proxies may). */
  readonly retryAfter?: string | number;
  /** The `errors` of the body; each status has a realistic default. */
  readonly errors?: readonly NotifyErrorItem[];
}

export interface NotifyEmulation {
  /** The emulation's root, e.g. http://127.0.0.1:54321, to give the transport as its base URL. */
  readonly baseUrl: string;
  readonly serviceId: string;
  /** A valid key of the service, `{name}-{service id}-{secret}`. */
  readonly apiKey: string;
  /** What was accepted, oldest first. */
  readonly accepted: readonly AcceptedNotification[];
  readonly requests: readonly EmulatedRequest[];
  /** See the option; changes the clock for the requests that follow. */
  clockOffsetMs: number;
  /**
   * Answers the next requests with this status before any check, as Notify or its load balancer does
   * when unwell: 500 Notify's "Internal server error"; 502, 503, 504 an HTML page, as a proxy gives;
   * 429 a RateLimitError; any other status a Notify-shaped body with `errors`.
   */
  failNext(status: number, options?: FailOptions): void;
  /** Closes the next requests' connections without an answer, after reading them. */
  dropNext(times?: number): void;
  /** Holds the next answers this long, in ms (on top of `delayMs`). */
  delayNext(ms: number, times?: number): void;
  /** Stops listening and cuts open connections; a second call does nothing. */
  close(): Promise<void>;
}

const EMAIL_PATH = '/v2/notifications/email';
const CLOCK_BOUND_S = 30;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ALLOWED_FIELDS = new Set([
  'reference',
  'email_address',
  'template_id',
  'personalisation',
  'scheduled_for',
  'email_reply_to_id',
]);
const DEFAULT_RATE_PER_MINUTE = 1000;

type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly options: FailOptions }
  | { readonly kind: 'drop' };

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Notify's error body: `{ status_code, errors: [{ error, message }] }`. */
function errorAnswer(status: number, error: string, message: string | readonly string[]): Answer {
  const messages = typeof message === 'string' ? [message] : message;
  return { status, body: { status_code: status, errors: messages.map((m) => ({ error, message: m })) } };
}

/** A JWT signed as Notify's clients sign one: HS256 over `{ iss, iat }` with the key's secret. */
export function notifyToken(serviceId: string, secret: string, iatSeconds: number): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ typ: 'JWT', alg: 'HS256' })}.${part({ iss: serviceId, iat: iatSeconds })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

// ---------------------------------------------------------------------------------------------------
// Authentication, as Notify checks a bearer token

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function signatureMatches(signingInput: string, signature: string, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(signingInput).digest();
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function authenticate(
  header: string | undefined,
  serviceId: string,
  secrets: readonly string[],
  nowSeconds: number,
): Answer | undefined {
  if (!header) return errorAnswer(401, 'AuthError', 'Unauthorized, authentication token must be provided');
  if (!header.toLowerCase().startsWith('bearer')) {
    return errorAnswer(401, 'AuthError', 'Unauthorized, Authorization header is invalid.');
  }
  const token = header.slice('bearer'.length + 1);
  const parts = token.split('.');
  const [head, payload, signature] = parts;
  const claims = payload === undefined ? undefined : decodePart(payload);
  if (parts.length !== 3 || head === undefined || signature === undefined || !decodePart(head) || !claims) {
    return errorAnswer(403, 'AuthError', 'Invalid token: signature, api token is not valid');
  }
  if (!('iss' in claims)) return errorAnswer(403, 'AuthError', 'Invalid token: iss field not provided');
  if (typeof claims.iss !== 'string' || !UUID.test(claims.iss)) {
    return errorAnswer(403, 'AuthError', 'Invalid token: service id is not the right data type');
  }
  if (claims.iss.toLowerCase() !== serviceId.toLowerCase()) {
    return errorAnswer(403, 'AuthError', 'Invalid token: service not found');
  }
  const alg = decodePart(head)?.alg;
  for (const secret of secrets) {
    // A token no key signed, or one without `iat`, passes on to the next key, as in Notify.
    if (alg !== 'HS256' || !signatureMatches(`${head}.${payload}`, signature, secret)) continue;
    if (!('iat' in claims)) continue;
    const iat = claims.iat;
    if (typeof iat !== 'number' || nowSeconds > iat + CLOCK_BOUND_S || iat > nowSeconds + CLOCK_BOUND_S) {
      return errorAnswer(403, 'AuthError', 'Error: Your system clock must be accurate to within 30 seconds');
    }
    return undefined;
  }
  return errorAnswer(403, 'AuthError', 'Invalid token: signature, api token not found');
}

// ---------------------------------------------------------------------------------------------------
// Validation, with Notify's messages

const HOSTNAME_PART = /^(xn-|[a-z0-9]+)(-[a-z0-9]+)*$/i;
const TLD_PART = /^([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)$/i;
const EMAIL = /^[a-zA-ZÀ-ÿ0-9.!#$%&'*+/=?^_`{|}~-]+@([^.@][^@\s]+)$/;

/** Notify's rules for an address (stricter than the RFC, for its e-mail provider). */
export function isValidNotifyEmail(address: string): boolean {
  const trimmed = address.trim();
  const match = EMAIL.exec(trimmed);
  if (!match || trimmed.length > 320 || trimmed.includes('..')) return false;
  const hostname = domainToASCII(match[1] ?? '');
  const parts = hostname.split('.');
  if (hostname === '' || hostname.length > 253 || parts.length < 2) return false;
  if (!parts.every((part) => part.length > 0 && part.length <= 63 && HOSTNAME_PART.test(part))) return false;
  return TLD_PART.test(parts[parts.length - 1] ?? '');
}

/** How jsonschema names a value in its messages once Notify has dropped the quotes. */
function shown(value: unknown): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return value;
  return JSON.stringify(value).replace(/"/g, '');
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'number' ? 'number' : typeof value;
}

/** The request's schema errors, in Notify's words ("email_address Not a valid email address"). */
function schemaErrors(body: Record<string, unknown>): string[] {
  const errors: string[] = [];
  for (const field of ['email_address', 'template_id']) {
    if (!(field in body)) errors.push(`${field} is a required property`);
  }
  const unexpected = Object.keys(body).filter((key) => !ALLOWED_FIELDS.has(key));
  if (unexpected.length > 0) {
    errors.push(`Additional properties are not allowed (${unexpected.join(', ')} was unexpected)`);
  }
  const { email_address, template_id, personalisation, reference, scheduled_for, email_reply_to_id } = body;
  if ('email_address' in body) {
    if (typeof email_address !== 'string')
      errors.push(`email_address ${shown(email_address)} is not of type string`);
    else if (!isValidNotifyEmail(email_address)) errors.push('email_address Not a valid email address');
  }
  if ('template_id' in body && (typeof template_id !== 'string' || !UUID.test(template_id))) {
    errors.push('template_id is not a valid UUID');
  }
  if (
    'email_reply_to_id' in body &&
    (typeof email_reply_to_id !== 'string' || !UUID.test(email_reply_to_id))
  ) {
    errors.push('email_reply_to_id is not a valid UUID');
  }
  if ('personalisation' in body && typeName(personalisation) !== 'object') {
    errors.push(`personalisation ${shown(personalisation)} is not of type object`);
  }
  if ('reference' in body && typeof reference !== 'string') {
    errors.push(`reference ${shown(reference)} is not of type string`);
  }
  if ('scheduled_for' in body && scheduled_for !== null && typeof scheduled_for !== 'string') {
    errors.push(`scheduled_for ${shown(scheduled_for)} is not of type string, null`);
  }
  return [...new Set(errors)];
}

/** Notify matches placeholders to personalisation ignoring case, spaces, hyphens and underscores. */
function keyOf(name: string): string {
  return name.replace(/[\s_-]/g, '').toLowerCase();
}

const PLACEHOLDER = /\(\(([^()]+)\)\)/g;

/** A value as Notify inserts it: text as is, a list as Markdown bullets, `null` as missing. */
function asText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return `\n\n${value.map((item) => `* ${shown(item)}`).join('\n')}\n`;
  return shown(value);
}

function render(
  template: NotifyEmulationTemplate,
  personalisation: Readonly<Record<string, unknown>>,
): { subject: string; body: string; missing: string[] } {
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(personalisation)) {
    const text = asText(value);
    if (text !== undefined) values.set(keyOf(name), text);
  }
  const missing: string[] = [];
  const fill = (text: string) =>
    text.replace(PLACEHOLDER, (whole, raw: string) => {
      const name = raw.trim();
      const value = values.get(keyOf(name));
      if (value === undefined && !missing.some((m) => keyOf(m) === keyOf(name))) missing.push(name);
      return value ?? whole;
    });
  const subject = fill(template.subject).replace(/\s+/g, ' ').trim();
  const body = fill(template.body);
  return { subject, body, missing };
}

// ---------------------------------------------------------------------------------------------------
// Faults

function faultAnswer(status: number, options: FailOptions, ratePerMinute: number): Answer {
  const headers: Record<string, string> =
    options.retryAfter !== undefined ? { 'Retry-After': String(options.retryAfter) } : {};
  if (options.errors) {
    return { status, headers, body: { status_code: status, errors: options.errors } };
  }
  if (status === 500) return { ...errorAnswer(500, 'Exception', 'Internal server error'), headers };
  if (status === 429) {
    const message = `Exceeded rate limit for key type LIVE of ${ratePerMinute} requests per 60 seconds`;
    return { ...errorAnswer(429, 'RateLimitError', message), headers };
  }
  if (status === 502 || status === 503 || status === 504) {
    const title = { 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' }[
      status
    ];
    const html = `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n</body>\r\n</html>\r\n`;
    return { status, headers: { ...headers, 'Content-Type': 'text/html' }, body: html };
  }
  return { ...errorAnswer(status, 'BadRequestError', 'An error occurred'), headers };
}

// ---------------------------------------------------------------------------------------------------
// The server

export async function startNotifyEmulation(options: NotifyEmulationOptions): Promise<NotifyEmulation> {
  const serviceId = options.serviceId ?? randomUUID();
  const keys = options.keys ?? [{ name: 'gcntfy-emulation', secret: randomUUID() }];
  const firstKey = keys[0];
  if (!firstKey) throw new RangeError('the emulated service needs at least one key');
  const secrets = keys.map((k) => k.secret);
  const ratePerMinute = options.ratePerMinute ?? DEFAULT_RATE_PER_MINUTE;
  const accepted: AcceptedNotification[] = [];
  const requests: EmulatedRequest[] = [];
  const faults: Fault[] = [];
  const delays: number[] = [];
  const rateWindow: number[] = [];
  const sentPerDay = new Map<string, number>();
  const pending = new Set<NodeJS.Timeout>();
  let baseUrl = '';
  let closed = false;

  const emulation = {
    clockOffsetMs: options.clockOffsetMs ?? 0,
  };
  const nowMs = () => Date.now() + emulation.clockOffsetMs;

  function write(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const body = answer.body as { errors?: { error?: string }[] } | string;
    const error = typeof body === 'object' ? body.errors?.[0]?.error : undefined;
    requests.push({ method: req.method ?? '', path, status: answer.status, ...(error ? { error } : {}) });
    if (res.destroyed) return;
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'Content-Type': 'application/json',
      ...answer.headers,
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  function handleEmail(req: IncomingMessage, raw: string): Answer {
    const unauthorised = authenticate(
      req.headers.authorization,
      serviceId,
      secrets,
      Math.floor(nowMs() / 1000),
    );
    if (unauthorised) return unauthorised;

    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return errorAnswer(400, 'BadRequestError', 'Error decoding arguments: Failed to decode JSON object');
    }
    if (typeName(parsed) !== 'object') {
      return errorAnswer(400, 'ValidationError', `${shown(parsed)} is not of type object`);
    }
    const body = parsed as Record<string, unknown>;
    const invalid = schemaErrors(body);
    if (invalid.length > 0) return errorAnswer(400, 'ValidationError', invalid);
    if (typeof body.scheduled_for === 'string' && !options.canSchedule) {
      return errorAnswer(
        400,
        'BadRequestError',
        'Cannot schedule notifications (this feature is invite-only)',
      );
    }

    // Limits come before the template, as in Notify: a throttled request is not looked at further.
    const now = nowMs();
    while (rateWindow.length > 0 && (rateWindow[0] ?? 0) <= now - 60_000) rateWindow.shift();
    rateWindow.push(now);
    if (rateWindow.length > ratePerMinute) {
      return errorAnswer(
        429,
        'RateLimitError',
        `Exceeded rate limit for key type LIVE of ${ratePerMinute} requests per 60 seconds`,
      );
    }
    const day = new Date(now).toISOString().slice(0, 10);
    const sentToday = sentPerDay.get(day) ?? 0;
    if (options.dailyLimit !== undefined && sentToday >= options.dailyLimit) {
      // Notify names the class it raised for a live service; its documentation calls it TooManyRequestsError.
      return errorAnswer(
        429,
        'LiveServiceTooManyRequestsError',
        `Exceeded send limits (${options.dailyLimit}) for today`,
      );
    }

    const templateId = body.template_id as string;
    const template = Object.entries(options.templates).find(
      ([id]) => id.toLowerCase() === templateId.toLowerCase(),
    )?.[1];
    if (!template) return errorAnswer(400, 'BadRequestError', 'Template not found');
    const type = template.type ?? 'email';
    if (type !== 'email') {
      return errorAnswer(400, 'BadRequestError', `${type} template is not suitable for email notification`);
    }
    if (template.archived) {
      return errorAnswer(400, 'BadRequestError', `Template ${templateId} has been deleted`);
    }
    const personalisation = (body.personalisation ?? {}) as Record<string, unknown>;
    const rendered = render(template, personalisation);
    if (rendered.missing.length > 0) {
      return errorAnswer(400, 'BadRequestError', `Missing personalisation: ${rendered.missing.join(', ')}`);
    }
    if (rendered.body.trim() === '') {
      return errorAnswer(400, 'BadRequestError', 'Message is empty or just whitespace');
    }
    const replyTo = body.email_reply_to_id;
    if (
      typeof replyTo === 'string' &&
      !(options.replyToIds ?? []).some((id) => id.toLowerCase() === replyTo.toLowerCase())
    ) {
      return errorAnswer(
        400,
        'BadRequestError',
        `email_reply_to_id ${replyTo} does not exist in database for service id ${serviceId}`,
      );
    }

    const id = randomUUID();
    const version = template.version ?? 1;
    const reference = typeof body.reference === 'string' ? body.reference : null;
    sentPerDay.set(day, sentToday + 1);
    accepted.push({
      id,
      templateId,
      templateVersion: version,
      emailAddress: body.email_address as string,
      personalisation: structuredClone(personalisation),
      reference,
      subject: rendered.subject,
      body: rendered.body,
      acceptedAt: new Date(now).toISOString(),
    });
    return {
      status: 201,
      body: {
        id,
        reference,
        content: {
          body: rendered.body,
          subject: rendered.subject,
          from_email: options.fromEmail ?? 'microacq@notification.canada.ca',
        },
        uri: `${baseUrl}/v2/notifications/${id}`,
        template: {
          id: templateId,
          version,
          uri: `${baseUrl}/services/${serviceId}/templates/${templateId}`,
        },
        scheduled_for: typeof body.scheduled_for === 'string' ? body.scheduled_for : null,
      },
    };
  }

  function answerFor(req: IncomingMessage, raw: string): Answer | 'drop' {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path !== EMAIL_PATH) return { status: 404, body: { result: 'error', message: 'Not Found' } };
    if (req.method !== 'POST') {
      return {
        status: 405,
        body: { result: 'error', message: 'The method is not allowed for the requested URL.' },
      };
    }
    const fault = faults.shift();
    if (fault?.kind === 'drop') return 'drop';
    if (fault?.kind === 'status') return faultAnswer(fault.status, fault.options, ratePerMinute);
    return handleEmail(req, raw);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    res.on('error', () => undefined);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = answerFor(req, Buffer.concat(chunks).toString('utf8'));
      const delay = (options.delayMs ?? 0) + (delays.shift() ?? 0);
      const finish = () => {
        if (answer === 'drop') {
          requests.push({
            method: req.method ?? '',
            path: (req.url ?? '').split('?')[0] ?? '',
            status: 'dropped',
          });
          req.socket.destroy();
        } else {
          write(req, res, answer);
        }
      };
      if (delay <= 0) return finish();
      const timer = setTimeout(() => {
        pending.delete(timer);
        finish();
      }, delay);
      pending.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return Object.assign(emulation, {
    baseUrl,
    serviceId,
    apiKey: `${firstKey.name}-${serviceId}-${firstKey.secret}`,
    accepted,
    requests,
    failNext(status: number, failOptions: FailOptions = {}) {
      for (let i = 0; i < (failOptions.times ?? 1); i++)
        faults.push({ kind: 'status', status, options: failOptions });
    },
    dropNext(times = 1) {
      for (let i = 0; i < times; i++) faults.push({ kind: 'drop' });
    },
    delayNext(ms: number, times = 1) {
      for (let i = 0; i < times; i++) delays.push(ms);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
