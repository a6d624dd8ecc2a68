import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder';
import * as restify from 'restify';
import type { Config } from '../config';
import { localeOf, t } from '../i18n';
import type { Logger } from '../log';
import type { OpportunityStore } from '../services/store';
import { MicroacqBot } from './bot';
import { InProcessEvents } from './events';
import { exportDir, exportFile } from './exports';
import { useConfiguredChannels } from './handlers/channels';
import { createNotifier } from './notify';
import { OutboxSender } from './outbox';
import { Scheduler } from './scheduler';
import { createRoutes } from './routes';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets turns in flight finish (up to the grace period), then closes the store. */
  stop(): Promise<void>;
  /** Runs the clock's work and sends what the outbox holds now: for tests and operators. */
  tick(): Promise<void>;
}

export function createAdapter(config: Config, log: Logger): CloudAdapter {
  // Local mode: no credentials at all, which botbuilder takes as "authentication disabled".
  const auth = new ConfigurationBotFrameworkAuthentication(
    config.localMode
      ? {}
      : {
          MicrosoftAppId: config.bot.appId,
          MicrosoftAppPassword: config.bot.appPassword,
          MicrosoftAppType: config.bot.appType,
          MicrosoftAppTenantId: config.bot.tenantId,
        },
  );
  const adapter = new CloudAdapter(auth);
  // The last resort: handlers already turn their own faults into answers, so this means a send failed.
  adapter.onTurnError = async (context: TurnContext, err: Error) => {
    log.error({ err, activityId: context.activity.id }, 'turn failed');
    if (context.activity.type !== 'message') return;
    const locale = localeOf(context.activity.locale, config.defaultLocale);
    try {
      await context.sendActivity(
        t(locale, 'errors.unexpected', { correlationId: context.activity.id ?? '-' }),
      );
    } catch (sendErr) {
      log.error({ err: sendErr }, 'could not report the failure to the person');
    }
  };
  return adapter;
}

/** The HTTP server and body parsing the bot listens with (the load benchmark's echo bot uses it too). */
export function createHttpServer(config: Config): restify.Server {
  const server = restify.createServer({ name: 'microacq', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: config.http.maxBodyBytes, mapParams: false }));
  return server;
}

export interface ServerOptions {
  /** The clock handlers read; tests fix it to a known day. */
  readonly now?: () => Date;
  readonly events?: InProcessEvents;
  /** Run the scheduler and the outbox sender on their own timers (tests drive them with `tick`). */
  readonly background?: boolean;
}

export async function startServer(
  config: Config,
  store: OpportunityStore,
  log: Logger,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const adapter = createAdapter(config, log);
  const events = options.events ?? new InProcessEvents(log);
  const now = options.now ?? (() => new Date());
  const sender = new OutboxSender({ store, adapter, appId: config.bot.appId, log, now });
  const notifier = createNotifier(store, config, log, () => sender.kick(), now);
  const bot = new MicroacqBot(createRoutes(), { store, config, log, now, events, notifier });
  const scheduler = new Scheduler(store, config, notifier, log, now);
  await useConfiguredChannels(store, config, log);
  if (options.background ?? true) {
    sender.start();
    scheduler.start(config.schedulerIntervalMs);
  }
  const server = createHttpServer(config);

  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | undefined;

  server.post('/api/messages', async (req, res) => {
    if (draining) {
      res.header('Retry-After', '5');
      res.send(503, { error: 'shutting down' });
      return;
    }
    inFlight++;
    try {
      await adapter.process(req, res, (context) => bot.run(context));
    } finally {
      inFlight--;
      if (draining && inFlight === 0) drained?.();
    }
  });

  // Export links: the random file name is the key; after an hour the link is gone.
  server.get('/exports/:name', async (req, res) => {
    const file = exportFile(exportDir(config.store.sqlitePath), String(req.params.name ?? ''));
    if (!file) {
      res.send(410, { error: 'this export link has expired or never existed; say export again' });
      return;
    }
    const date = new Date().toISOString().slice(0, 10);
    res.writeHead(200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="microacq-${date}.csv"`,
      'Cache-Control': 'no-store',
    });
    res.end(readFileSync(file));
  });

  server.get('/healthz', async (_req, res) => {
    try {
      await store.ping();
      res.send(200, {
        status: 'ok',
        store: config.store.kind,
        mode: config.localMode ? 'local' : 'authenticated',
      });
    } catch (err) {
      res.send(503, { status: 'unavailable', store: config.store.kind, reason: (err as Error).message });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.http.port, config.http.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  log.info({ port, host: config.http.host, localMode: config.localMode }, 'listening');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref()),
        ]);
      }
      // Keep-alive connections would hold `close` open; nothing more is accepted at this point.
      server.server.closeAllConnections();
      await closed;
      await scheduler.stop();
      await sender.stop();
      await store.close();
      log.info({ unfinished: inFlight }, 'stopped');
    })());

  const tick = async () => {
    await scheduler.tick();
    await sender.drainOnce();
  };
  return { url: `http://${host}:${port}`, port, stop, tick };
}
