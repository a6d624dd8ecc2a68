import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, parseConfig } from '../../src/config';
import { type RunningServer, type ServerOptions, startServer } from '../../src/bot/server';
import { createLogger } from '../../src/log';
import type { Store } from '../../src/services/store';
import { openStore } from '../../src/stores';
import type { DestinationStream } from 'pino';
import { RangeRefused, type RangesReceived, takeRange } from './upload-ranges';

/** What the bot sent to Teams, as the connector service received it. */
export interface Sent {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** The status the connector answered with: 200 unless a test scripted another. */
  readonly status: number;
}

export interface ConnectorFaults {
  /** The share of requests that fail, each way equally often. */
  readonly rate: number;
  readonly hangMs: number;
  readonly random: () => number;
}

/** The same numbers in the same order for the same seed (mulberry32), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** An answer a test scripts for a coming request, e.g. 429 with Retry-After, or 404 on the next PUT. */
export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON body; the default is `{}`. */
  readonly body?: unknown;
  /** Only a request with this method takes the answer; others pass it by. */
  readonly method?: string;
}

/**
 * A loopback stand-in for the Bot Connector service (the activity's serviceUrl): it records every
 * activity the bot sends and answers as the service does, so replies travel over real HTTP.
 */
export class Connector {
  readonly sent: Sent[] = [];
  /** Files the bot uploaded to an address this stand-in gave (`/upload/…`), as OneDrive would take them. */
  readonly uploads: {
    readonly path: string;
    readonly headers: IncomingMessage['headers'];
    readonly body: string;
    /** Each request's Content-Range, in order. */
    readonly ranges: readonly string[];
  }[] = [];
  /** Upload sessions part sent, by address. */
  private readonly sessions = new Map<string, RangesReceived & { ranges: string[] }>();
  url = '';
  private waiters: (() => void)[] = [];
  private readonly answers: Answer[] = [];
  private readonly server: Server = createServer((req, res) => void this.answer(req, res));

  private faults: ConnectorFaults | undefined;
  /** Requests whose body is still being read: not yet recorded, whatever they carry. */
  private reading = 0;

  private constructor(private readonly delayMs: number) {}

  /**
   * Makes a share of requests fail as an unwell Teams service does: throttled (429 with Retry-After),
   * failing (500), or never answered (the connection is dropped after `hangMs`). Failed requests were not
   * taken: they are recorded with their status (0 for a dropped one), never as delivered.
   */
  failRandomly(faults: ConnectorFaults | undefined): void {
    this.faults = faults;
  }

  /** `delayMs` makes every answer slow, to keep a turn in flight. */
  static async start(delayMs = 0): Promise<Connector> {
    const connector = new Connector(delayMs);
    connector.server.listen(0, '127.0.0.1');
    await once(connector.server, 'listening');
    connector.url = `http://127.0.0.1:${(connector.server.address() as AddressInfo).port}`;
    return connector;
  }

  /** Queues answers, used in order by the next matching requests; after them, every request gets 200. */
  script(...answers: Answer[]): void {
    this.answers.push(...answers);
  }

  /** Requests the connector accepted (answered 200), in order. */
  get delivered(): Sent[] {
    return this.sent.filter((s) => s.status === 200);
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url?.startsWith('/upload/')) return this.takeUpload(req, res);
    this.reading++;
    let body: Record<string, unknown>;
    try {
      body = await readJson(req);
    } finally {
      this.reading--;
    }
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const faults = this.faults;
    if (faults && faults.random() < faults.rate) {
      const roll = faults.random();
      const method = req.method ?? '';
      if (roll < 1 / 3) {
        this.record({ method, path: req.url ?? '', body, status: 0 });
        await new Promise((r) => setTimeout(r, faults.hangMs));
        req.socket.destroy();
        return;
      }
      const status = roll < 2 / 3 ? 429 : 500;
      this.record({ method, path: req.url ?? '', body, status });
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(status === 429 ? { 'Retry-After': '1' } : {}),
      });
      res.end(
        JSON.stringify({ error: { code: status === 429 ? 'Throttled' : 'ServiceError', message: 'unwell' } }),
      );
      return;
    }
    const method = req.method ?? '';
    const index = this.answers.findIndex((a) => a.method === undefined || a.method === method);
    const scripted = index >= 0 ? this.answers.splice(index, 1)[0] : undefined;
    const status = scripted?.status ?? 200;
    this.record({ method, path: req.url ?? '', body, status });
    res.writeHead(status, { 'content-type': 'application/json', ...scripted?.headers });
    res.end(JSON.stringify(scripted ? (scripted.body ?? {}) : { id: `sent-${this.sent.length}` }));
  }

  /**
   * An upload session's PUTs, as OneDrive takes them (./upload-ranges): 202 with the next expected range
   * until the last byte, then 201 with the drive item. The file is recorded in `uploads` once whole, with
   * each request's Content-Range.
   */
  private async takeUpload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const index = this.answers.findIndex((a) => a.method === req.method);
    const scripted = index >= 0 ? this.answers.splice(index, 1)[0] : undefined;
    if (scripted) return answer(scripted.status, scripted.body ?? {}, scripted.headers);
    const path = req.url ?? '';
    const session = this.sessions.get(path) ?? { received: [], next: 0, ranges: [] };
    let taken: ReturnType<typeof takeRange>;
    try {
      taken = takeRange(session, req.headers['content-range'], Buffer.concat(chunks));
    } catch (err) {
      if (!(err instanceof RangeRefused)) throw err;
      return answer(err.status, { error: { code: err.code, message: err.message } });
    }
    session.ranges.push(req.headers['content-range'] ?? '');
    if ('next' in taken) {
      this.sessions.set(path, session);
      return answer(202, { nextExpectedRanges: [`${taken.next}-${taken.total - 1}`] });
    }
    this.sessions.delete(path);
    this.uploads.push({
      path,
      headers: req.headers,
      body: taken.file.toString('utf8'),
      ranges: session.ranges,
    });
    answer(201, { id: 'item-1', name: 'export.csv', size: taken.file.length });
  }

  private record(s: Sent): void {
    this.sent.push(s);
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Waits for a moment when no request is half read, so `sent` holds everything a process wrote before
   * it died: its last bytes may still be in the socket when the test learns of its death.
   */
  async quiet(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    await new Promise((r) => setImmediate(r));
    while (this.reading > 0) {
      if (Date.now() > deadline) throw new Error(`${this.reading} requests still being read`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Waits until at least `count` activities were sent, or fails after `ms`. */
  async waitFor(count: number, ms = 5_000): Promise<Sent[]> {
    const deadline = Date.now() + ms;
    while (this.sent.length < count) {
      if (Date.now() > deadline)
        throw new Error(`expected ${count} sent activities, got ${this.sent.length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.sent;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** The people of the tests, with Entra object ids as Teams sends them. */
export const PEOPLE = {
  requester: { id: '29:requester', aadObjectId: 'aad-requester', name: 'Riley Tremblay' },
  finance: { id: '29:finance', aadObjectId: 'aad-finance', name: 'Farah Haddad' },
  finance2: { id: '29:finance2', aadObjectId: 'aad-finance2', name: 'Dana Cho' },
  union: { id: '29:union', aadObjectId: 'aad-union', name: 'Samuel Okafor' },
  procurement: { id: '29:procurement', aadObjectId: 'aad-procurement', name: 'Priya Raman' },
  procurement2: { id: '29:procurement2', aadObjectId: 'aad-procurement2', name: 'Alex Martin' },
  colleague: { id: '29:colleague', aadObjectId: 'aad-colleague', name: 'Julie Lavoie' },
  manager: { id: '29:manager', aadObjectId: 'aad-manager', name: 'Marc Gagnon' },
} as const;

export const ROLE_ENV = {
  ROLE_FINANCE: `${PEOPLE.finance.aadObjectId},${PEOPLE.finance2.aadObjectId}`,
  ROLE_UNION: PEOPLE.union.aadObjectId,
  ROLE_PROCUREMENT: `${PEOPLE.procurement.aadObjectId},${PEOPLE.procurement2.aadObjectId}`,
  ROLE_MANAGER: PEOPLE.manager.aadObjectId,
};

export interface TestBot {
  readonly server: RunningServer;
  readonly store: Store;
  readonly config: Config;
}

/** What a test may give the bot instead of what its configuration would open: a store, a log's sink. */
export interface TestBotParts {
  readonly store?: Store;
  readonly logTo?: DestinationStream;
}

export async function startTestBot(
  env: Record<string, string> = {},
  options: ServerOptions = {},
  parts: TestBotParts = {},
): Promise<TestBot> {
  const dir = mkdtempSync(join(tmpdir(), 'microacq-bot-'));
  const config = parseConfig({
    PORT: '0',
    SQLITE_PATH: join(dir, 'bot.db'),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...ROLE_ENV,
    ...env,
  });
  const store = parts.store ?? openStore(config);
  const server = await startServer(config, store, createLogger(config.logLevel, parts.logTo), options);
  return { server, store, config };
}

type Person = { id: string; aadObjectId: string; name: string };

export interface ActivityOptions {
  readonly serviceUrl: string;
  readonly from?: Person;
  readonly locale?: string;
  readonly conversationType?: 'personal' | 'groupChat' | 'channel';
  /** A channel's id, to tell channels apart (a thread's message id is added as Teams does). */
  readonly channel?: string;
}

let counter = 0;

/** An activity as Teams sends it, with the fields the bot reads. */
export function activity(
  type: string,
  o: ActivityOptions,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const conversationType = o.conversationType ?? 'personal';
  return {
    type,
    id: `activity-${++counter}`,
    channelId: 'msteams',
    serviceUrl: o.serviceUrl,
    timestamp: new Date().toISOString(),
    locale: o.locale ?? 'en-US',
    from: o.from ?? PEOPLE.requester,
    recipient: { id: '28:bot', name: 'Microacq' },
    conversation: {
      id:
        conversationType === 'channel'
          ? `19:${o.channel ?? 'finance'}@thread.tacv2;messageid=1`
          : `a:chat-${conversationType}-${(o.from ?? PEOPLE.requester).aadObjectId}`,
      conversationType,
      tenantId: 'tenant-1',
    },
    channelData: { tenant: { id: 'tenant-1' } },
    ...extra,
  };
}

/** Posts to /api/messages as JSON; `headers` add to or replace that (e.g. an Authorization header). */
/** A button press as Teams sends it: an `adaptiveCard/action` invoke of Action.Execute with the card's data. */
export function cardAction(
  o: ActivityOptions,
  verb: string,
  data: Record<string, unknown> = {},
): Record<string, unknown> {
  return activity('invoke', o, {
    name: 'adaptiveCard/action',
    value: { action: { type: 'Action.Execute', verb, data } },
  });
}

export async function post(
  bot: TestBot,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): Promise<Response> {
  return fetch(`${bot.server.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The first Adaptive Card attached to a sent activity. */
export function cardOf(sent: Sent | undefined): Record<string, unknown> {
  const attachments = sent?.body.attachments as
    { contentType: string; content: Record<string, unknown> }[] | undefined;
  const card = attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
  if (!card) throw new Error(`no Adaptive Card in ${JSON.stringify(sent?.body)}`);
  return card;
}

/** Every text a person can read on a card, in order. */
export function textOf(card: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const n = node as Record<string, unknown>;
      if (typeof n.text === 'string') out.push(n.text);
      if (typeof n.title === 'string') out.push(n.title);
      Object.values(n).forEach(walk);
    }
  };
  walk(card);
  return out.join('\n');
}

/** The go form's checklist, every point ticked, as a click on Go sends it. */
export const CHECKED: Readonly<Record<string, string>> = Object.fromEntries(
  ['openSource', 'standalone', 'withinCeiling', 'notStaffing', 'unclassified'].map((c) => [
    `vet_go.${c}`,
    'true',
  ]),
);
