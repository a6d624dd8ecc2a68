import {
  type Activity,
  CallerIdConstants,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type TurnContext,
} from 'botbuilder';
// What CloudAdapter.process does to a body before a turn (dates from their text); not re-exported.
import { validateAndFixActivity } from 'botbuilder/lib/activityValidator';
import type { Request, Response } from 'restify';
import { type Config, onThisMachine } from '../config';
import { localeOf, t } from '../i18n';
import { currentCorrelationId, type Logger } from '../log';
import { isRecord } from './inbound';

type Authenticated = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['authenticateRequest']>>;
type Logic = (context: TurnContext) => Promise<void>;

/**
 * The public cloud's settings. botbuilder uses them when none is given, but as soon as one is (our
 * inbound two), it expects all of them; the outbound ones must then stay what they were.
 */
const PUBLIC_CLOUD = {
  ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
  ToChannelFromBotOAuthScope: 'https://api.botframework.com',
  OAuthUrl: 'https://api.botframework.com',
  ToBotFromChannelOpenIdMetadataUrl: 'https://login.botframework.com/v1/.well-known/openidconfiguration',
  ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
  ToBotFromEmulatorOpenIdMetadataUrl:
    'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
  CallerId: CallerIdConstants.PublicAzureChannel,
} as const;

/** Refusals of the token itself: botbuilder's own (401) and jsonwebtoken's signature and time checks. */
const TOKEN_ERRORS = new Set(['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError']);

function isTokenRefusal(err: unknown): boolean {
  const e = err as { statusCode?: unknown; name?: unknown };
  return e.statusCode === 401 || TOKEN_ERRORS.has(String(e.name));
}

interface Refusal {
  readonly status: 401 | 403;
  readonly error: string;
  /** For the log: why, never who. */
  readonly reason: string;
}

/**
 * Who may reach the bot at all, once the token has passed and before any turn runs. With credentials, only
 * Teams (a key endorsed for another channel signs for that channel) and only the department's tenants;
 * in local mode, where nothing is authenticated, only a client on this machine, so the bot never sends
 * anything elsewhere.
 */
export function refusalOf(config: Config, activity: Record<string, unknown>): Refusal | undefined {
  if (config.localMode) {
    const { serviceUrl } = activity;
    return typeof serviceUrl === 'string' && onThisMachine(serviceUrl)
      ? undefined
      : { status: 403, error: 'forbidden', reason: 'local mode answers only a client on this machine' };
  }
  if (activity.channelId !== 'msteams') {
    return { status: 401, error: 'unauthorized', reason: 'not a Teams activity' };
  }
  const channelData = isRecord(activity.channelData) ? activity.channelData : {};
  const tenant = isRecord(channelData.tenant) ? channelData.tenant.id : undefined;
  if (typeof tenant !== 'string' || !config.bot.allowedTenants.includes(tenant.toLowerCase())) {
    return { status: 403, error: 'forbidden', reason: 'an activity from a tenant this bot does not serve' };
  }
  return undefined;
}

/**
 * A CloudAdapter that authenticates each request before anything else and answers every refusal the
 * same way. CloudAdapter.process answers a bad signature, an expired or not-yet-valid token with 500
 * and the library's message, and writes the stack to the console; here any token that does not pass is
 * a plain 401, logged once, and no turn starts.
 */
export class MicroacqAdapter extends CloudAdapter {
  constructor(
    auth: ConfigurationBotFrameworkAuthentication,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    super(auth);
  }

  async handle(req: Request, res: Response, logic: Logic): Promise<void> {
    const body: unknown = req.body;
    // The channel and the serviceUrl are checked against the token's claims, so they are read first.
    const claimed = isRecord(body) ? body : {};
    let authenticated: Authenticated;
    try {
      authenticated = await this.botFrameworkAuthentication.authenticateRequest(
        claimed as Partial<Activity> as Activity,
        req.headers.authorization ?? '',
      );
    } catch (err) {
      this.refuse(res, err, claimed);
      return;
    }
    if (!isRecord(body) || typeof body.type !== 'string') {
      res.send(400, { error: 'the body is not an activity' });
      return;
    }
    const refused = refusalOf(this.config, body);
    if (refused) {
      const tenant =
        isRecord(body.channelData) && isRecord(body.channelData.tenant)
          ? body.channelData.tenant.id
          : undefined;
      this.log.warn({ reason: refused.reason, channelId: body.channelId, tenant }, 'refused an activity');
      if (refused.status === 401) res.header('WWW-Authenticate', 'Bearer');
      res.send(refused.status, { error: refused.error });
      return;
    }
    try {
      const activity = validateAndFixActivity(body as unknown as Activity);
      const answer = await this.processActivity(authenticated, activity, logic);
      res.send(answer?.status ?? 200, answer?.body);
    } catch (err) {
      // Handlers and onTurnError answer their own faults, so this is the connector or the adapter itself.
      this.log.error({ err }, 'could not run the turn');
      res.send(500, { error: 'the turn failed' });
    }
  }

  private refuse(res: Response, err: unknown, claimed: Record<string, unknown>): void {
    const context = { reason: (err as Error).message, type: claimed.type, serviceUrl: claimed.serviceUrl };
    if (isTokenRefusal(err)) {
      this.log.warn(context, 'refused a request that is not authenticated');
      res.header('WWW-Authenticate', 'Bearer');
      res.send(401, { error: 'unauthorized' });
      return;
    }
    // The keys could not be fetched: nothing is known about the token, and the channel may try again.
    this.log.error({ ...context, err }, 'could not check the token of a request');
    res.header('Retry-After', '30');
    res.send(503, { error: 'cannot check the token now' });
  }
}

export function createAdapter(config: Config, log: Logger): MicroacqAdapter {
  const { openIdMetadataUrl, tokenIssuer } = config.bot;
  // Local mode: no credentials at all, which botbuilder takes as "authentication disabled".
  const auth = new ConfigurationBotFrameworkAuthentication(
    config.localMode
      ? {}
      : {
          MicrosoftAppId: config.bot.appId,
          MicrosoftAppPassword: config.bot.appPassword,
          MicrosoftAppType: config.bot.appType,
          MicrosoftAppTenantId: config.bot.tenantId,
          ...(openIdMetadataUrl || tokenIssuer
            ? {
                ...PUBLIC_CLOUD,
                ToBotFromChannelOpenIdMetadataUrl:
                  openIdMetadataUrl || PUBLIC_CLOUD.ToBotFromChannelOpenIdMetadataUrl,
                ToBotFromChannelTokenIssuer: tokenIssuer || PUBLIC_CLOUD.ToBotFromChannelTokenIssuer,
              }
            : {}),
        },
  );
  const adapter = new MicroacqAdapter(auth, config, log);
  // The last resort: handlers already turn their own faults into answers, so this means a send failed.
  adapter.onTurnError = async (context: TurnContext, err: Error) => {
    log.error({ err }, 'turn failed');
    if (context.activity.type !== 'message') return;
    const locale = localeOf(context.activity.locale, config.defaultLocale);
    try {
      await context.sendActivity(
        t(locale, 'errors.unexpected', { correlationId: currentCorrelationId() ?? '-' }),
      );
    } catch (sendErr) {
      log.error({ err: sendErr }, 'could not report the failure to the person');
    }
  };
  return adapter;
}
