import { postDebriefCard } from './handlers/debrief';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import * as restify from 'restify';
import type { Config } from '../config';
import { type Logger, withCorrelation } from '../log';
import { applyChange } from '../services/change';
import type { Store } from '../services/store';
import { LocalMailTransport } from '../mail/local';
import { MailSender } from '../mail/sender';
import { PublicationSync } from '../publish/sync';
import { postQuestionCard, postQuestionsPaused } from './handlers/questions';
import { createAdapter } from './adapter';
import { clockOf, workflowClock } from './clock';
import { MicroacqBot } from './bot';
import { TurnGate } from './next-turn';
import { isRecord, readActivity } from './inbound';
import { useConfiguredChannels } from './handlers/channels';
import { createNotifier } from './notify';
import { OutboxSender } from './outbox';
import { Replica } from './replica';
import { Scheduler } from './scheduler';
import { createRoutes } from './routes';
import { registerSite } from '../web/site';
import type { GraphFetch } from '../stores/graph';
import { load as loadStores, openDocuments } from '../stores';
import { RoleDirectory } from './directory';
import { branchApprovers } from '../services/role-grants';
import type { DocumentStore } from '../services/documents';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets turns in flight finish (up to the grace period), then closes the store. */
  stop(): Promise<void>;
  /** Runs the clock's work and sends what the outbox holds now: for tests and operators. */
  tick(): Promise<void>;
  /** The documents kept with requests. */
  readonly documents: DocumentStore;
}

const CODE_WORD = /^[\w.:/-]{1,100}$/;
const codeWord = (value: unknown): string | undefined =>
  typeof value === 'string' && CODE_WORD.test(value) ? value : undefined;

/**
 * Activities started per turn of the event loop. One keeps turns as short as an activity; 2 and 4 measured
 * no better (BENCHMARKS.md, *Tail latency*), and with no gate a connection opened under load waited seconds.
 */
const ACTIVITIES_PER_TURN = 1;

/**
 * Clients loaded only where they are configured (the Graph client comes from the stores' table,
 * `loadStores`). `module.require` rather than `import()`: the tests load TypeScript through tsx's require
 * hook, which `import()` does not go through.
 */
const load = {
  notify: () => module.require('../mail/notify') as typeof import('../mail/notify'),
  github: () => module.require('../publish/github') as typeof import('../publish/github'),
};

/**
 * What the logs say about an activity: its kind and the button's verb, never its text, names or card
 * inputs. Its id becomes the correlation id (people see it on error cards), unless it is not a plain id.
 */
function summaryOf(a: Record<string, unknown>): { correlationId: string; fields: Record<string, string> } {
  const value = isRecord(a.value) ? a.value : {};
  const action = isRecord(value.action) ? value.action : {};
  const conversation = isRecord(a.conversation) ? a.conversation : {};
  const fields = Object.fromEntries(
    Object.entries({
      type: codeWord(a.type),
      name: codeWord(a.name),
      verb: codeWord(action.verb) ?? codeWord(value.verb),
      conversationType: codeWord(conversation.conversationType),
    }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return { correlationId: codeWord(a.id) ?? randomUUID(), fields };
}

export interface ServerOptions {
  /** The clock handlers read; tests fix it to a known day. */
  readonly now?: () => Date;
  /** Where Graph's requests go (the directory's, the document library's): an emulation in tests. */
  readonly graphFetch?: GraphFetch;
  /** Run the scheduler and the outbox sender on their own timers (tests drive them with `tick`). */
  readonly background?: boolean;
}

export async function startServer(
  config: Config,
  store: Store,
  log: Logger,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const adapter = createAdapter(config, log);
  const clock = clockOf(config, options.now);
  const now = clock.now;
  // This process among the replicas sharing the store (one, on the embedded store).
  const replica = new Replica(store);
  const sender = new OutboxSender({
    store,
    adapter,
    appId: config.bot.appId,
    log,
    now,
    replica,
    render: (activity) => notifier.render(activity),
  });
  // With a GC Notify key e-mails leave through Notify; without one they stay in the local mailbox.
  const mail = new MailSender({
    queue: store,
    transport: config.mail.notify
      ? new (load.notify().NotifyTransport)(config.mail.notify)
      : new LocalMailTransport(store, now),
    log,
    now,
    maxAttempts: config.mail.maxAttempts,
    replica,
  });
  // Group membership is read from the tenant the SharePoint store is in; locally, roles name people.
  const sp = config.store.sharepoint;
  // The Graph client is loaded only where records live in SharePoint: elsewhere it is memory for nothing.
  const graph = sp ? loadStores.graph().createGraphClient(sp, options.graphFetch) : undefined;
  const directory = new RoleDirectory({
    ...(config.rolesFile ? { rolesFile: config.rolesFile } : {}),
    envMapping: config.roles,
    ...(graph ? { graph } : {}),
    log,
  });
  await directory.start();
  const notifier = createNotifier(
    store,
    config,
    log,
    () => sender.kick(),
    clock,
    () => mail.kick(),
    (team, branch) => branchApprovers(directory.grants(), team, branch, config.branches),
  );
  const change = (request: Parameters<typeof applyChange>[1]) =>
    applyChange(
      {
        store,
        // The turn answers first; its messages are queued after it (the pending notification keeps them).
        notify: async (record, events) => notifier.later(record, events),
        clock: () => workflowClock(clock, config),
      },
      request,
    );
  const documents = openDocuments(config, options.graphFetch);
  const deps = { store, config, log, clock, notifier, change, mail, directory, documents, replica };
  const bot = new MicroacqBot(createRoutes(), deps);
  const publisher =
    config.publisher.kind === 'github'
      ? load.github().createPublisher(config, { log, now: () => now().getTime() })
      : undefined;
  const scheduler = new Scheduler(
    store,
    config,
    notifier,
    change,
    log,
    clock,
    directory,
    replica,
    publisher ? new PublicationSync(publisher, store, log, now) : undefined,
  );
  await useConfiguredChannels(store, config, log);
  if (options.background ?? true) {
    sender.start();
    mail.start();
    scheduler.start(config.schedulerIntervalMs);
  }
  // No body parser: /api/messages reads its own body (inbound.ts); the public site takes none yet.
  const server = restify.createServer({ name: 'microacq', handleUncaughtExceptions: false });

  let inFlight = 0;
  let draining = false;
  // One activity per turn of the event loop: see TurnGate.
  const turns = new TurnGate(ACTIVITIES_PER_TURN);
  let drained: (() => void) | undefined;

  server.post('/api/messages', async (req, res) => {
    if (draining) {
      res.header('Retry-After', '5');
      res.send(503, { error: 'shutting down' });
      return;
    }
    const inbound = await readActivity(req, config.http.maxBodyBytes);
    if (!inbound.ok) {
      // What was not read is not waited for: the connection closes with the answer.
      if (inbound.status === 413) res.header('Connection', 'close');
      res.send(inbound.status, { error: inbound.error });
      return;
    }
    req.body = inbound.activity;
    inFlight++;
    const started = process.hrtime.bigint();
    const activity = summaryOf(inbound.activity);
    try {
      await turns.pass();
      await withCorrelation(activity.correlationId, async () => {
        res.header('x-correlation-id', activity.correlationId);
        await adapter.handle(req, res, (context) => bot.run(context));
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        log.info({ ...activity.fields, status: res.statusCode, durationMs }, 'activity');
      });
    } finally {
      inFlight--;
      if (draining && inFlight === 0) drained?.();
    }
  });

  // Liveness: the process answers. A load balancer or App Service restarts a replica that does not.
  // Async: restify takes a handler without `next` only if it returns a promise.
  server.get('/healthz', async (_req, res) => {
    res.send(200, {
      status: draining ? 'stopping' : 'alive',
      replica: replica.id,
      mode: config.localMode ? 'local' : 'authenticated',
    });
  });
  // Readiness: the store answers, so this replica can take work; a load balancer sends none until it does.
  server.get('/readyz', async (_req, res) => {
    if (draining) {
      res.send(503, { status: 'stopping', store: config.store.kind, replica: replica.id });
      return;
    }
    try {
      await store.ping();
      res.send(200, { status: 'ready', store: config.store.kind, replica: replica.id });
    } catch (err) {
      res.send(503, {
        status: 'unavailable',
        store: config.store.kind,
        replica: replica.id,
        reason: (err as Error).message,
      });
    }
  });

  registerSite(server, {
    store,
    config,
    clock,
    log,
    mail,
    questionAsked: (question, record) => postQuestionCard(deps, question, record),
    debriefRequested: (application, record) => postDebriefCard(deps, application, record),
    questionsPaused: (reference, full) => postQuestionsPaused(deps, reference, full),
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
      await notifier.idle();
      await sender.stop();
      await mail.stop();
      await replica.release();
      directory.stop();
      await documents.close();
      await store.close();
      log.info({ unfinished: inFlight }, 'stopped');
    })());

  const tick = async () => {
    await notifier.idle();
    await scheduler.tick();
    // The clock's own changes queue their messages after the tick: they leave in this round too.
    await notifier.idle();
    await sender.drainOnce();
    await mail.drainOnce();
  };
  return { url: `http://${host}:${port}`, port, stop, tick, documents };
}
