import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { PROVINCES, type Province } from './services/calendar';
import { MAIL_KINDS, type MailKind } from './services/mail';
import { CONFIGURED_ROLES, type RoleMapping } from './services/roles';

/**
 * Configuration from environment variables (and `.env` when present), validated once at start-up.
 * Every variable is documented in `.env.example`; an invalid one stops start-up with its name.
 */

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .default('')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const idList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[0-9a-zA-Z-]{1,64}$/, 'must be comma-separated object or group ids')));

/**
 * The department's branches by all their names: branches separated by ";", a branch's names by "|"
 * ("IITB|DGIIT|Innovation, Information and Technology Branch; CFOB|DGDPF"), so records typed with any of
 * them count as one branch.
 */
const branchNames = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(';')
      .map((branch) =>
        branch
          .split('|')
          .map((n) => n.trim())
          .filter(Boolean),
      )
      .filter((names) => names.length > 0),
  )
  .pipe(z.array(z.array(z.string().max(255)).max(20)).max(500));

/** Days the department is closed: dates, or ranges "first..last", comma separated; a year at most each. */
const closureDays = z
  .string()
  .default('')
  .transform((v, ctx) => {
    const days: string[] = [];
    for (const part of v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const [first = '', last = first] = part.split('..').map((s) => s.trim());
      const start = Date.parse(`${first}T00:00:00Z`);
      const end = Date.parse(`${last}T00:00:00Z`);
      const ok = /^\d{4}-\d{2}-\d{2}$/.test(first) && /^\d{4}-\d{2}-\d{2}$/.test(last);
      if (!ok || Number.isNaN(start) || Number.isNaN(end) || end < start || end - start > 366 * 86_400_000) {
        ctx.addIssue({
          code: 'custom',
          message: `"${part}" is not a date or a range first..last of a year at most`,
        });
        return z.NEVER;
      }
      for (let t = start; t <= end; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
    }
    return days;
  });

/** GC Notify's API keys: a name, then the service id and the secret, each a UUID. */
const NOTIFY_KEY =
  /^[\w.-]*-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const optionalText = z
  .string()
  .default('')
  .transform((v) => v.trim());

const Env = z.object({
  MICROSOFT_APP_ID: optionalText,
  MICROSOFT_APP_PASSWORD: optionalText,
  MICROSOFT_APP_TYPE: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('SingleTenant'),
  MICROSOFT_APP_TENANT_ID: optionalText,
  ALLOWED_TENANT_IDS: idList,
  BOT_OPENID_METADATA_URL: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default(''),
  BOT_TOKEN_ISSUER: z.union([z.literal(''), z.url({ protocol: /^https$/ })]).default(''),
  STORE: z.enum(['sqlite', 'sharepoint', 'postgres']).default('sqlite'),
  /** Where the working state lives beside SharePoint records; with STORE=postgres, everything is there. */
  WORKING_STORE: z.enum(['sqlite', 'postgres', '']).default(''),
  DATABASE_URL: z
    .string()
    .default('')
    .transform((v) => v.trim())
    .pipe(z.union([z.literal(''), z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')])),
  /** The PostgreSQL schema the tables live in (default: the connection's own search path). */
  DATABASE_SCHEMA: z.union([z.literal(''), z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/)]).default(''),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  SHAREPOINT_SITE_ID: optionalText,
  SHAREPOINT_LIST_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9 ]{0,39}$/, 'must be letters, digits and spaces, starting with a letter')
    .default('Microacq'),
  GRAPH_AUTH: z.enum(['secret', 'certificate', 'managed-identity', 'emulator']).default('secret'),
  GRAPH_TENANT_ID: optionalText,
  GRAPH_CLIENT_ID: optionalText,
  GRAPH_CLIENT_SECRET: optionalText,
  GRAPH_CERTIFICATE_PATH: optionalText,
  GRAPH_ENDPOINT: z.url({ protocol: /^https?$/ }).default('https://graph.microsoft.com'),
  GRAPH_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(120_000).default(10_000),
  SQLITE_PATH: z.string().min(1).default('./data/microacq.db'),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Where suppliers reach the public pages (and where links in cards and e-mails point). */
  PUBLIC_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).optional()),
  /** Public page and feed requests one address may make in a minute, and all addresses together. */
  SITE_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120),
  SITE_RATE_TOTAL_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(6_000),
  /** Forms (questions, subscriptions) one address may send in an hour, and all addresses together. */
  SITE_FORMS_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(20),
  SITE_FORMS_TOTAL_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /** Signs the forms' anti-forgery tokens; every replica needs the same one (a random one otherwise). */
  SITE_SECRET: z.union([z.literal(''), z.string().min(32, 'must be at least 32 characters')]).default(''),
  QUESTIONS_WAITING_PER_OPPORTUNITY: z.coerce.number().int().min(1).max(10_000).default(50),
  QUESTIONS_WAITING_TOTAL: z.coerce.number().int().min(1).max(100_000).default(500),
  SUBSCRIPTIONS_UNCONFIRMED_MAX: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  APPLICATIONS_UNCONFIRMED_MAX: z.coerce.number().int().min(1).max(1_000_000).default(500),
  /** Days applications are kept once their opportunity has ended, then deleted. */
  APPLICATION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(730),
  NOTIFY_API_KEY: z
    .union([
      z.literal(''),
      z.string().regex(NOTIFY_KEY, 'must be a GC Notify API key (name-service id-secret)'),
    ])
    .default(''),
  NOTIFY_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.notification.canada.ca'),
  /** JSON: each message's GC Notify template id per language (see `npm run notify-templates`). */
  NOTIFY_TEMPLATES: optionalText,
  MAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3978),
  ALLOW_REMOTE_LOCAL_MODE: flag,
  MAX_BODY_KB: z.coerce.number().int().min(16).max(4096).default(256),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ROLE_PROCUREMENT: idList,
  ROLE_FINANCE: idList,
  ROLE_UNION: idList,
  ROLE_MANAGER: idList,
  /** A YAML file of role grants (people, Entra ID groups, team leads, branches), read again when it changes. */
  ROLES_FILE: optionalText,
  CONSULTATION_BUSINESS_DAYS: z.coerce.number().int().min(1).max(60).default(5),
  TIME_ZONE: z
    .string()
    .refine((zone) => IANAZone.isValidZone(zone), 'must be an IANA time zone, e.g. America/Toronto')
    .default('America/Toronto'),
  HOLIDAY_PROVINCE: z.enum(PROVINCES).default('ON'),
  CLOSURE_DAYS: closureDays,
  BRANCHES: branchNames,
  MIN_POSTING_BUSINESS_DAYS: z.coerce.number().int().min(1).max(60).default(5),
  ESCALATION_BUSINESS_DAYS: z.coerce.number().int().min(1).max(120).default(5),
  DEFAULT_LOCALE: z.enum(['en', 'fr']).default('en'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  REMINDER_BUSINESS_DAYS: z.coerce.number().int().min(1).max(60).default(2),
  /** The summary shows a self-identification share once at least this many answered yes or no. */
  SELF_IDENTIFICATION_MIN_COUNT: z.coerce.number().int().min(1).max(10_000).default(10),
  SCHEDULER_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  CHANNEL_PROCUREMENT: optionalText,
  CHANNEL_FINANCE: optionalText,
  CHANNEL_UNION: optionalText,
  CHANNEL_UPDATES: optionalText,
  TEAMS_SERVICE_URL: z.url({ protocol: /^https?$/ }).default('https://smba.trafficmanager.net/teams/'),
  PUBLISHER: z.enum(['site', 'github']).default('site'),
  GITHUB_REPOSITORY: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/, 'must be owner/name')
    .optional(),
  GITHUB_BASE_BRANCH: z
    .string()
    .regex(/^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]{1,200}(?<![/.])$/, 'must be a branch name')
    .default('main'),
  GITHUB_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.github.com'),
  GITHUB_TOKEN: optionalText,
  GITHUB_APP_ID: z
    .string()
    .regex(/^(\d{1,12}|Iv[0-9A-Za-z.]{1,60})$/, 'must be the app’s numeric id or its client id')
    .optional(),
  GITHUB_APP_INSTALLATION_ID: z.coerce.number().int().positive().optional(),
  GITHUB_APP_PRIVATE_KEY_PATH: optionalText,
  GITHUB_APP_PRIVATE_KEY: optionalText,
});

export interface Config {
  readonly bot: {
    readonly appId: string;
    readonly appPassword: string;
    readonly appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
    readonly tenantId: string;
    /** Entra tenants whose activities are served, in lower case: the bot's own, and ALLOWED_TENANT_IDS. */
    readonly allowedTenants: readonly string[];
    /**
     * Where the keys that sign inbound tokens are published, and who issues those tokens; empty means the
     * Microsoft public cloud's (login.botframework.com, api.botframework.com).
     */
    readonly openIdMetadataUrl: string;
    readonly tokenIssuer: string;
  };
  /** No app id: inbound requests are not authenticated, so the bot must stay on this machine. */
  readonly localMode: boolean;
  /**
   * Records live in SQLite, in PostgreSQL, or in SharePoint lists through Graph; the bot's working state
   * (drafts, conversations, preferences, the outbox…) lives in the SQLite file, or in PostgreSQL where
   * several replicas share it (`working`).
   */
  readonly store: {
    readonly kind: 'sqlite' | 'sharepoint' | 'postgres';
    readonly working: 'sqlite' | 'postgres';
    readonly sqlitePath: string;
    readonly sharepoint?: SharePointConfig;
    readonly postgres?: { readonly url: string; readonly schema?: string; readonly poolSize: number };
  };
  readonly http: { readonly host: string; readonly port: number; readonly maxBodyBytes: number };
  /** The public site: its address when configured (else the bot's own), and its rate limits. */
  readonly site: {
    /** Where suppliers reach the pages: PUBLIC_URL, else the bot's own address on this machine. */
    readonly publicUrl: string;
    readonly perAddressPerMinute: number;
    readonly totalPerMinute: number;
    /** Forms each address, and all together, may send in an hour. */
    readonly formsPerHour: number;
    readonly formsTotalPerHour: number;
    /** Signs the forms' anti-forgery tokens. */
    readonly secret: string;
    /** Unanswered questions that may wait before the form pauses, per opportunity and in all. */
    readonly questionsWaiting: { readonly perOpportunity: number; readonly total: number };
    readonly maxUnconfirmedSubscriptions: number;
    /** Applications waiting for their confirmation link before the application form pauses. */
    readonly maxUnconfirmedApplications: number;
    /** Days applications are kept once their opportunity has ended. */
    readonly applicationRetentionDays: number;
  };
  /** E-mail: through GC Notify when a key is set, else into the local mailbox. */
  readonly mail: {
    readonly notify?: NotifyConfig;
    readonly maxAttempts: number;
  };
  readonly logLevel: z.infer<typeof Env>['LOG_LEVEL'];
  readonly roles: RoleMapping;
  /** The roles file, when there is one; ROLE_* still apply alongside it. */
  readonly rolesFile?: string;
  readonly consultationBusinessDays: number;
  /** Where the department works: its time zone, the province whose holiday it keeps, its closures. */
  readonly department: {
    readonly timeZone: string;
    readonly province: Province;
    readonly closures: readonly string[];
  };
  /** Business days a request should stay posted: intake warns of a deadline that leaves fewer. */
  readonly minPostingBusinessDays: number;
  /** A wait this long is told to the managers as well. */
  readonly escalationBusinessDays: number;
  readonly defaultLocale: 'en' | 'fr';
  /** Each branch's names, in both languages and as acronyms: one branch for the look-back. */
  readonly branches: readonly (readonly string[])[];
  readonly shutdownGraceMs: number;
  /** A decision waiting longer than this is reminded to its team's channel, once a day. */
  readonly reminderBusinessDays: number;
  /** Answers (yes or no) a self-identification question needs before the summary shows its share. */
  readonly selfIdentificationMinCount: number;
  readonly schedulerIntervalMs: number;
  /** Channel conversation ids given by configuration, used until one is registered in chat. */
  readonly channels: Readonly<Partial<Record<'procurement' | 'finance' | 'union' | 'updates', string>>>;
  readonly teamsServiceUrl: string;
  /** Where public pages are published besides the bot's own site: nowhere, or GitHub (PUBLISHER). */
  readonly publisher: { readonly kind: 'site' } | GitHubPublisherConfig;
}

/** A Jekyll site on GitHub, changed through pull requests, as the pilot's was. */
export interface GitHubPublisherConfig {
  readonly kind: 'github';
  /** owner/name */
  readonly repository: string;
  readonly baseBranch: string;
  /** GitHub's API root: github.com's, a GitHub Enterprise Server's, or a local emulation for tests. */
  readonly apiUrl: string;
  readonly auth:
    | { readonly kind: 'token'; readonly token: string }
    | {
        readonly kind: 'app';
        readonly appId: string;
        readonly installationId: number;
        /** One of the two: the key's file, or the key itself (PEM). */
        readonly privateKeyPath?: string;
        readonly privateKey?: string;
      };
}

export interface NotifyConfig {
  readonly apiKey: string;
  readonly baseUrl: string;
  /** Each message's template id, per language. */
  readonly templates: Readonly<Record<MailKind, Readonly<Record<'en' | 'fr', string>>>>;
}

export interface SharePointConfig {
  readonly siteId: string;
  readonly listPrefix: string;
  readonly auth: 'secret' | 'certificate' | 'managed-identity' | 'emulator';
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly certificatePath: string;
  /** Graph's root: the public cloud, a national cloud, or a local emulation for tests. */
  readonly endpoint: string;
  readonly timeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

/** A URL's host is this machine (an IPv6 host comes bracketed in a URL); false for what is not a URL. */
export function onThisMachine(url: string): boolean {
  try {
    return isLoopback(new URL(url).hostname.replace(/^\[(.*)\]$/, '$1'));
  } catch {
    return false;
  }
}

/** What STORE=sharepoint needs, per way of signing in to Graph. */
function sharepointProblems(e: z.infer<typeof Env>): string[] {
  const problems: string[] = [];
  if (e.SHAREPOINT_SITE_ID === '') problems.push('SHAREPOINT_SITE_ID: required with STORE=sharepoint');
  const need = (
    name: 'GRAPH_TENANT_ID' | 'GRAPH_CLIENT_ID' | 'GRAPH_CLIENT_SECRET' | 'GRAPH_CERTIFICATE_PATH',
  ) => {
    if (e[name] === '') problems.push(`${name}: required with GRAPH_AUTH=${e.GRAPH_AUTH}`);
  };
  if (e.GRAPH_AUTH === 'secret') {
    (['GRAPH_TENANT_ID', 'GRAPH_CLIENT_ID', 'GRAPH_CLIENT_SECRET'] as const).forEach(need);
  }
  if (e.GRAPH_AUTH === 'certificate') {
    (['GRAPH_TENANT_ID', 'GRAPH_CLIENT_ID', 'GRAPH_CERTIFICATE_PATH'] as const).forEach(need);
  }
  // The emulator takes any token; only a Graph on this machine may be reached without signing in.
  if (e.GRAPH_AUTH === 'emulator' && !onThisMachine(e.GRAPH_ENDPOINT)) {
    problems.push(
      `GRAPH_AUTH: "emulator" signs in to nothing, so GRAPH_ENDPOINT must be on this machine (got "${e.GRAPH_ENDPOINT}")`,
    );
  }
  return problems;
}

const TemplateIds = z.object(
  Object.fromEntries(MAIL_KINDS.map((kind) => [kind, z.object({ en: z.uuid(), fr: z.uuid() })])) as Record<
    MailKind,
    z.ZodObject<{ en: z.ZodUUID; fr: z.ZodUUID }>
  >,
);

/** GC Notify's settings when a key is given: every message needs its template in both languages. */
function notifyOf(e: z.infer<typeof Env>, problems: string[]): NotifyConfig | undefined {
  if (e.NOTIFY_API_KEY === '') return undefined;
  // The key signs every request: it travels in the clear only to a stand-in on this machine.
  if (e.NOTIFY_BASE_URL.startsWith('http:') && !onThisMachine(e.NOTIFY_BASE_URL)) {
    problems.push(`NOTIFY_BASE_URL: must be https unless it is on this machine (got "${e.NOTIFY_BASE_URL}")`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(e.NOTIFY_TEMPLATES || 'null');
  } catch {
    problems.push('NOTIFY_TEMPLATES: must be JSON, e.g. {"new-opportunity":{"en":"<uuid>","fr":"<uuid>"},…}');
    return undefined;
  }
  const templates = TemplateIds.safeParse(raw);
  if (!templates.success) {
    const missing = [...new Set(templates.error.issues.map((i) => i.path.join('.') || 'all'))];
    problems.push(
      `NOTIFY_TEMPLATES: required with NOTIFY_API_KEY, a template id (UUID) for each message in each language; wrong or missing: ${missing.join(', ')} (npm run notify-templates lists them)`,
    );
    return undefined;
  }
  return {
    apiKey: e.NOTIFY_API_KEY,
    baseUrl: e.NOTIFY_BASE_URL.replace(/\/+$/, ''),
    templates: templates.data,
  };
}

/** A private key given inline, often with its line breaks written as \\n. */
function pemOf(value: string): string {
  return value.replace(/\\n/g, '\n');
}

/** What PUBLISHER=github needs: a repository, and a token or a GitHub App (never both). */
function githubProblems(e: z.infer<typeof Env>): string[] {
  const problems: string[] = [];
  if (e.GITHUB_REPOSITORY === undefined) {
    problems.push('GITHUB_REPOSITORY: required with PUBLISHER=github (owner/name)');
  }
  const app = {
    GITHUB_APP_ID: e.GITHUB_APP_ID !== undefined,
    GITHUB_APP_INSTALLATION_ID: e.GITHUB_APP_INSTALLATION_ID !== undefined,
    GITHUB_APP_PRIVATE_KEY_PATH: e.GITHUB_APP_PRIVATE_KEY_PATH !== '' || e.GITHUB_APP_PRIVATE_KEY !== '',
  };
  const anyApp = Object.values(app).some(Boolean);
  if (e.GITHUB_TOKEN !== '' && anyApp) {
    problems.push('GITHUB_TOKEN: give a token or a GitHub App (GITHUB_APP_*), not both');
  } else if (e.GITHUB_TOKEN === '' && !anyApp) {
    problems.push(
      'GITHUB_TOKEN: required with PUBLISHER=github, unless GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY_PATH (or GITHUB_APP_PRIVATE_KEY) name a GitHub App',
    );
  } else if (anyApp) {
    for (const [name, given] of Object.entries(app)) {
      if (!given) {
        problems.push(
          `${name}: required for a GitHub App${name === 'GITHUB_APP_PRIVATE_KEY_PATH' ? ' (or GITHUB_APP_PRIVATE_KEY)' : ''}`,
        );
      }
    }
  }
  if (e.GITHUB_APP_PRIVATE_KEY_PATH !== '' && e.GITHUB_APP_PRIVATE_KEY !== '') {
    problems.push(
      'GITHUB_APP_PRIVATE_KEY: give GITHUB_APP_PRIVATE_KEY_PATH or GITHUB_APP_PRIVATE_KEY, not both',
    );
  }
  if (e.GITHUB_APP_PRIVATE_KEY_PATH !== '' && !existsSync(e.GITHUB_APP_PRIVATE_KEY_PATH)) {
    problems.push(`GITHUB_APP_PRIVATE_KEY_PATH: no file at "${e.GITHUB_APP_PRIVATE_KEY_PATH}"`);
  }
  // The key is a secret: say what is wrong with it without repeating it.
  if (
    e.GITHUB_APP_PRIVATE_KEY !== '' &&
    !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pemOf(e.GITHUB_APP_PRIVATE_KEY))
  ) {
    problems.push(
      'GITHUB_APP_PRIVATE_KEY: must be the app’s private key in PEM form (-----BEGIN … PRIVATE KEY-----)',
    );
  }
  // The token goes with every request, so plain HTTP only to a stand-in on this machine.
  if (e.GITHUB_API_URL.startsWith('http:') && !onThisMachine(e.GITHUB_API_URL)) {
    problems.push(`GITHUB_API_URL: must be https unless it is on this machine (got "${e.GITHUB_API_URL}")`);
  }
  return problems;
}

function githubPublisher(e: z.infer<typeof Env>): GitHubPublisherConfig {
  return {
    kind: 'github',
    repository: e.GITHUB_REPOSITORY ?? '',
    baseBranch: e.GITHUB_BASE_BRANCH,
    apiUrl: e.GITHUB_API_URL.replace(/\/+$/, ''),
    auth:
      e.GITHUB_TOKEN !== ''
        ? { kind: 'token', token: e.GITHUB_TOKEN }
        : {
            kind: 'app',
            appId: e.GITHUB_APP_ID ?? '',
            installationId: e.GITHUB_APP_INSTALLATION_ID ?? 0,
            ...(e.GITHUB_APP_PRIVATE_KEY !== ''
              ? { privateKey: pemOf(e.GITHUB_APP_PRIVATE_KEY) }
              : { privateKeyPath: e.GITHUB_APP_PRIVATE_KEY_PATH }),
          },
  };
}

/** Validates `env` into a Config, or throws ConfigError naming each faulty variable. */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): Config {
  // Empty strings mean "not set", as in a .env file with `NAME=`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0]);
        const value = present[name];
        return `${name}: ${i.message}${value !== undefined ? ` (got "${value}")` : ''}`;
      }),
    );
  }
  const e = parsed.data;
  const localMode = e.MICROSOFT_APP_ID === '';
  const problems: string[] = [];
  if (localMode && !isLoopback(e.HOST) && !e.ALLOW_REMOTE_LOCAL_MODE) {
    problems.push(
      `HOST: without MICROSOFT_APP_ID requests are not authenticated, so the bot listens only on loopback (got "${e.HOST}"); set ALLOW_REMOTE_LOCAL_MODE=true to override`,
    );
  }
  if (!localMode && e.MICROSOFT_APP_TYPE !== 'UserAssignedMSI' && e.MICROSOFT_APP_PASSWORD === '') {
    problems.push('MICROSOFT_APP_PASSWORD: required when MICROSOFT_APP_ID is set');
  }
  if (!localMode && e.MICROSOFT_APP_TYPE !== 'MultiTenant' && e.MICROSOFT_APP_TENANT_ID === '') {
    problems.push(`MICROSOFT_APP_TENANT_ID: required for MICROSOFT_APP_TYPE=${e.MICROSOFT_APP_TYPE}`);
  }
  // A multi-tenant registration is reachable from any tenant: the department names the ones it serves.
  if (!localMode && e.MICROSOFT_APP_TYPE === 'MultiTenant' && e.ALLOWED_TENANT_IDS.length === 0) {
    problems.push(
      'ALLOWED_TENANT_IDS: required for MICROSOFT_APP_TYPE=MultiTenant (the tenants this bot serves)',
    );
  }
  // Whoever serves the keys decides which tokens pass, so plain HTTP only from this machine (a local stand-in).
  if (e.BOT_OPENID_METADATA_URL.startsWith('http:') && !onThisMachine(e.BOT_OPENID_METADATA_URL)) {
    problems.push(
      `BOT_OPENID_METADATA_URL: must be https unless it is on this machine (got "${e.BOT_OPENID_METADATA_URL}")`,
    );
  }
  if (e.STORE === 'sharepoint') problems.push(...sharepointProblems(e));
  const working = e.STORE === 'postgres' ? 'postgres' : e.WORKING_STORE || 'sqlite';
  if (e.STORE === 'sqlite' && e.WORKING_STORE === 'postgres') {
    problems.push(
      'WORKING_STORE: postgres goes with STORE=sharepoint; for everything in PostgreSQL, set STORE=postgres',
    );
  }
  if (working === 'postgres') {
    if (e.DATABASE_URL === '') problems.push('DATABASE_URL: required when the store is PostgreSQL');
    // Replicas check each other's form tokens: a secret made up by each process would refuse them.
    if (e.SITE_SECRET === '') {
      problems.push('SITE_SECRET: required when replicas share PostgreSQL (every replica signs forms alike)');
    }
  }
  if (e.PUBLISHER === 'github') problems.push(...githubProblems(e));
  if (e.ROLES_FILE !== '' && !existsSync(e.ROLES_FILE)) {
    problems.push(`ROLES_FILE: no file at "${e.ROLES_FILE}"`);
  }
  const notify = notifyOf(e, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const roles = Object.fromEntries(
    CONFIGURED_ROLES.map((role) => [role, e[`ROLE_${role.toUpperCase()}` as keyof typeof e]]),
  ) as unknown as RoleMapping;
  return {
    bot: {
      appId: e.MICROSOFT_APP_ID,
      appPassword: e.MICROSOFT_APP_PASSWORD,
      appType: e.MICROSOFT_APP_TYPE,
      tenantId: e.MICROSOFT_APP_TENANT_ID,
      openIdMetadataUrl: e.BOT_OPENID_METADATA_URL,
      tokenIssuer: e.BOT_TOKEN_ISSUER,
      allowedTenants: [
        ...new Set(
          [
            ...(e.MICROSOFT_APP_TYPE === 'MultiTenant' ? [] : [e.MICROSOFT_APP_TENANT_ID]),
            ...e.ALLOWED_TENANT_IDS,
          ]
            .filter(Boolean)
            .map((id) => id.toLowerCase()),
        ),
      ],
    },
    localMode,
    store: {
      kind: e.STORE,
      working: e.STORE === 'postgres' ? 'postgres' : e.WORKING_STORE || 'sqlite',
      sqlitePath: e.SQLITE_PATH,
      ...(e.DATABASE_URL !== ''
        ? {
            postgres: {
              url: e.DATABASE_URL,
              ...(e.DATABASE_SCHEMA ? { schema: e.DATABASE_SCHEMA } : {}),
              poolSize: e.DATABASE_POOL_SIZE,
            },
          }
        : {}),
      ...(e.STORE === 'sharepoint'
        ? {
            sharepoint: {
              siteId: e.SHAREPOINT_SITE_ID,
              listPrefix: e.SHAREPOINT_LIST_PREFIX,
              auth: e.GRAPH_AUTH,
              tenantId: e.GRAPH_TENANT_ID,
              clientId: e.GRAPH_CLIENT_ID,
              clientSecret: e.GRAPH_CLIENT_SECRET,
              certificatePath: e.GRAPH_CERTIFICATE_PATH,
              endpoint: e.GRAPH_ENDPOINT.replace(/\/+$/, ''),
              timeoutMs: e.GRAPH_TIMEOUT_MS,
            },
          }
        : {}),
    },
    http: { host: e.HOST, port: e.PORT, maxBodyBytes: e.MAX_BODY_KB * 1024 },
    site: {
      publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
      perAddressPerMinute: e.SITE_RATE_PER_MINUTE,
      totalPerMinute: e.SITE_RATE_TOTAL_PER_MINUTE,
      formsPerHour: e.SITE_FORMS_PER_HOUR,
      formsTotalPerHour: e.SITE_FORMS_TOTAL_PER_HOUR,
      secret: e.SITE_SECRET || randomBytes(32).toString('base64url'),
      questionsWaiting: {
        perOpportunity: e.QUESTIONS_WAITING_PER_OPPORTUNITY,
        total: e.QUESTIONS_WAITING_TOTAL,
      },
      maxUnconfirmedSubscriptions: e.SUBSCRIPTIONS_UNCONFIRMED_MAX,
      maxUnconfirmedApplications: e.APPLICATIONS_UNCONFIRMED_MAX,
      applicationRetentionDays: e.APPLICATION_RETENTION_DAYS,
    },
    mail: {
      ...(notify ? { notify } : {}),
      maxAttempts: e.MAIL_MAX_ATTEMPTS,
    },
    logLevel: e.LOG_LEVEL,
    roles,
    ...(e.ROLES_FILE !== '' ? { rolesFile: e.ROLES_FILE } : {}),
    consultationBusinessDays: e.CONSULTATION_BUSINESS_DAYS,
    department: { timeZone: e.TIME_ZONE, province: e.HOLIDAY_PROVINCE, closures: e.CLOSURE_DAYS },
    minPostingBusinessDays: e.MIN_POSTING_BUSINESS_DAYS,
    escalationBusinessDays: e.ESCALATION_BUSINESS_DAYS,
    defaultLocale: e.DEFAULT_LOCALE,
    branches: e.BRANCHES,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    reminderBusinessDays: e.REMINDER_BUSINESS_DAYS,
    selfIdentificationMinCount: e.SELF_IDENTIFICATION_MIN_COUNT,
    schedulerIntervalMs: e.SCHEDULER_INTERVAL_SECONDS * 1000,
    channels: Object.fromEntries(
      (
        [
          ['procurement', e.CHANNEL_PROCUREMENT],
          ['finance', e.CHANNEL_FINANCE],
          ['union', e.CHANNEL_UNION],
          ['updates', e.CHANNEL_UPDATES],
        ] as const
      ).filter(([, id]) => id !== ''),
    ),
    teamsServiceUrl: e.TEAMS_SERVICE_URL,
    publisher: e.PUBLISHER === 'github' ? githubPublisher(e) : { kind: 'site' },
  };
}

/** Reads `.env` when present (a variable already in the environment wins), then validates. */
export function loadConfig(envFile = '.env'): Config {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return parseConfig(process.env);
}
