/**
 * The site's default document library ("Documents") for the Graph emulation: the drive endpoints the
 * documents adapter calls, with Graph's driveItem shapes and errors, upload sessions at their own
 * pre-authenticated address on the SharePoint host, and downloads through a 302 to a pre-authenticated
 * address as SharePoint gives them. graph-emulation.ts hands these requests here, and every one passes
 * its request log, token check (Graph's endpoints only), faults and throttling first.
 *
 * Shapes and rules taken from Microsoft's documentation:
 * - driveItem:       https://learn.microsoft.com/en-us/graph/api/resources/driveitem
 *                    (hashes: SharePoint gives quickXorHash only; conflictBehavior fail / replace / rename)
 * - Get an item:     https://learn.microsoft.com/en-us/graph/api/driveitem-get (by id, or by path `root:/…`)
 * - Children:        https://learn.microsoft.com/en-us/graph/api/driveitem-list-children
 * - Upload:          https://learn.microsoft.com/en-us/graph/api/driveitem-put-content (201 new, 200 replaced;
 *                    missing folders of the path are made)
 * - Upload session:  https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession
 *                    (uploadUrl, expirationDateTime, nextExpectedRanges; ranges in order, multiples of
 *                    320 KiB but the last; 202 until the last byte, then 201 or 200 with the item; a name
 *                    conflict is found when the last range arrives; GET says where it stands, DELETE
 *                    cancels; the uploadUrl takes no Authorization header)
 * - Download:        https://learn.microsoft.com/en-us/graph/api/driveitem-get-content (302 to the
 *                    pre-authenticated `@microsoft.graph.downloadUrl`)
 * - Delete:          https://learn.microsoft.com/en-us/graph/api/driveitem-delete (204)
 * - Errors:          https://learn.microsoft.com/en-us/graph/errors (itemNotFound, nameAlreadyExists,
 *                    invalidRange, invalidRequest)
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { RangeRefused, type RangesReceived, takeRange } from './upload-ranges';

const GRAPH_HOST = 'graph.microsoft.com';
const GRAPH_V1 = `https://${GRAPH_HOST}/v1.0`;
const SESSION_LIFETIME_MS = 15 * 60_000;
const DEFAULT_TOP = 200;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Characters SharePoint refuses in a file or folder name. */
const INVALID_NAME = /["*:<>?/\\|\p{Cc}]|^\s|[\s.]$/u;
const APP_IDENTITY = {
  application: { id: '00000000-0000-0000-0000-000000000000', displayName: 'Microacq' },
  user: { displayName: 'SharePoint App' },
};
const MIME_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  txt: 'text/plain',
};

/** A request as the emulation logs it and matches faults against (the shape of its own). */
export interface DriveCall {
  method: string;
  rawPath: string;
  rawQuery: string;
  segments: string[];
  params: URLSearchParams;
  headers: Headers;
  /** For faults that fail each distinct request once: the range and a digest of the bytes sent. */
  body: string;
  requestId: string;
  clientRequestId: string;
}

export interface DriveOutcome {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  /** File content, sent as it is rather than as JSON. */
  raw?: Buffer;
}

/** What the drive needs of the emulation it is part of. */
export interface DriveHost {
  site(): { id: string; name: string; hostname: string };
  /** Now, in whole seconds as SharePoint keeps it. */
  now(): number;
  /**
   * Logs the request and checks its token (unless its address carries its own); answers with the
   * refusal or the queued fault that falls on it, carrying out `apply` first for a fault after the write,
   * or undefined to let it through.
   */
  admit(call: DriveCall, preAuthenticated: boolean, apply: () => DriveOutcome): DriveOutcome | undefined;
}

type Behavior = 'fail' | 'replace' | 'rename';

interface Node {
  id: string;
  /** SharePoint's unique id of the file, in eTags and download addresses. */
  guid: string;
  name: string;
  parent?: Node;
  created: number;
  modified: number;
  version: number;
  /** Folders: their children by lower-case name (SharePoint names are case-insensitive). */
  children?: Map<string, Node>;
  content?: Buffer;
  downloadToken?: string;
}

interface Session extends RangesReceived {
  guid: string;
  token: string;
  parent: Node;
  name: string;
  behavior: Behavior;
  expires: number;
}

class DriveFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const notFound = () => new DriveFailure(404, 'itemNotFound', 'The resource could not be found.');
const invalidRequest = (message: string) => new DriveFailure(400, 'invalidRequest', message);

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * SharePoint's file hash: each byte XORed into a 160-bit circular register 11 bits further on than the
 * last, then the length (64-bit little-endian) XORed into the register's last eight bytes.
 */
export function quickXorHash(bytes: Uint8Array): string {
  // Bytes 160 apart land on the same bits: fold them first, then place 160 bytes.
  const folded = new Uint8Array(160);
  for (let i = 0; i < bytes.length; i += 1)
    folded[i % 160] = (folded[i % 160] as number) ^ (bytes[i] as number);
  const register = new Uint8Array(20);
  for (let i = 0; i < 160; i += 1) {
    const byte = folded[i] as number;
    const at = (i * 11) % 160;
    for (let bit = 0; bit < 8; bit += 1) {
      if ((byte >> bit) & 1) {
        const p = (at + bit) % 160;
        register[p >> 3] = (register[p >> 3] as number) ^ (1 << (p & 7));
      }
    }
  }
  let length = BigInt(bytes.length);
  for (let i = 0; i < 8; i += 1) {
    register[12 + i] = (register[12 + i] as number) ^ Number(length & 0xffn);
    length >>= 8n;
  }
  return Buffer.from(register).toString('base64');
}

function itemId(): string {
  return `01${[...randomBytes(32)].map((b) => BASE32[b % 32]).join('')}`;
}

/** The name SharePoint gives a file whose name is taken: `terms.pdf` → `terms 1.pdf`, `terms 2.pdf`, … */
function renamed(parent: Node, name: string): string {
  const dot = name.lastIndexOf('.');
  const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let n = 1; ; n += 1) {
    const candidate = `${stem} ${n}${extension}`;
    if (!parent.children?.has(candidate.toLowerCase())) return candidate;
  }
}

export class DriveEmulation {
  private readonly driveId = `b!${randomBytes(48).toString('base64url').slice(0, 64)}`;
  private readonly items = new Map<string, Node>();
  private readonly sessions = new Map<string, Session>();
  private rootNode: Node | undefined;

  constructor(private readonly host: DriveHost) {}

  /** The requests this drive answers: Graph's drive endpoints, and SharePoint's own upload and download addresses. */
  claims(url: URL): boolean {
    return /^\/v1\.0\/sites\/[^/]+\/drive(\/|$)/.test(url.pathname) || this.onSharePoint(url);
  }

  private onSharePoint(url: URL): boolean {
    const site = `/sites/${this.host.site().name}`;
    return (
      url.pathname.startsWith(`${site}/_api/v2.0/`) || url.pathname === `${site}/_layouts/15/download.aspx`
    );
  }

  async handle(request: Request, url: URL): Promise<Response> {
    const bytes = Buffer.from(await request.arrayBuffer());
    const onSharePoint = this.onSharePoint(url);
    const rawPath = onSharePoint ? url.pathname : url.pathname.slice('/v1.0'.length);
    const requestId = randomUUID();
    const call: DriveCall = {
      method: request.method.toUpperCase(),
      rawPath,
      rawQuery: url.search.slice(1),
      segments: rawPath
        .split('/')
        .filter((s) => s.length > 0)
        .map(safeDecode),
      params: url.searchParams,
      headers: request.headers,
      body: `${request.headers.get('content-range') ?? ''} ${createHash('sha256').update(bytes).digest('hex')}`,
      requestId,
      clientRequestId: request.headers.get('client-request-id') ?? requestId,
    };
    // SharePoint's addresses are given on its own host; an emulation served over loopback gives its own.
    const origin = url.host === GRAPH_HOST ? `https://${this.host.site().hostname}` : url.origin;
    const run = (): DriveOutcome => {
      try {
        return onSharePoint
          ? this.routeSharePoint(call, url, bytes, origin)
          : this.routeGraph(call, url, bytes, origin);
      } catch (error) {
        return this.failure(error, call);
      }
    };
    const outcome = this.host.admit(call, onSharePoint, run) ?? run();
    const headers = new Headers(outcome.headers);
    headers.set('request-id', call.requestId);
    headers.set('client-request-id', call.clientRequestId);
    const body = outcome.raw
      ? new Uint8Array(outcome.raw)
      : outcome.body === undefined
        ? null
        : JSON.stringify(outcome.body);
    return new Response(body, { status: outcome.status, headers });
  }

  private failure(error: unknown, call: DriveCall): DriveOutcome {
    const f =
      error instanceof DriveFailure
        ? error
        : new DriveFailure(500, 'generalException', error instanceof Error ? error.message : String(error));
    return {
      status: f.status,
      headers: { 'Content-Type': 'application/json' },
      body: {
        error: {
          code: f.code,
          message: f.message,
          innerError: {
            date: new Date().toISOString().slice(0, 19),
            'request-id': call.requestId,
            'client-request-id': call.clientRequestId,
          },
        },
      },
    };
  }

  private ok(body: unknown, status = 200): DriveOutcome {
    return { status, headers: { 'Content-Type': 'application/json;odata.metadata=minimal' }, body };
  }

  // -- the tree ---------------------------------------------------------------------------------------

  private get root(): Node {
    if (!this.rootNode) {
      const now = this.host.now();
      this.rootNode = {
        id: itemId(),
        guid: randomUUID(),
        name: 'root',
        created: now,
        modified: now,
        version: 1,
        children: new Map(),
      };
      this.items.set(this.rootNode.id, this.rootNode);
    }
    return this.rootNode;
  }

  private pathOf(node: Node): string[] {
    return node.parent ? [...this.pathOf(node.parent), node.name] : [];
  }

  private add(parent: Node, name: string, fields: Partial<Node>): Node {
    if (INVALID_NAME.test(name) || name === '') {
      throw invalidRequest(`The name '${name}' contains characters that are not allowed.`);
    }
    const now = this.host.now();
    const node: Node = {
      id: itemId(),
      guid: randomUUID(),
      name,
      parent,
      created: now,
      modified: now,
      version: 1,
      ...fields,
    };
    parent.children?.set(name.toLowerCase(), node);
    this.items.set(node.id, node);
    this.touch(parent);
    return node;
  }

  private touch(node: Node | undefined): void {
    for (let n = node; n; n = n.parent) {
      n.modified = this.host.now();
      n.version += 1;
    }
  }

  private remove(node: Node): void {
    if (!node.parent) throw new DriveFailure(403, 'accessDenied', 'The root of a drive cannot be deleted.');
    node.parent.children?.delete(node.name.toLowerCase());
    this.touch(node.parent);
    const forget = (n: Node) => {
      this.items.delete(n.id);
      for (const child of n.children?.values() ?? []) forget(child);
    };
    forget(node);
  }

  /** The node at `path` under `from`; missing folders are made when `make` says so. */
  private walk(from: Node, path: readonly string[], make = false): Node | undefined {
    let node = from;
    for (const part of path) {
      if (!node.children) return undefined;
      const next =
        node.children.get(part.toLowerCase()) ??
        (make ? this.add(node, part, { children: new Map() }) : undefined);
      if (!next) return undefined;
      node = next;
    }
    return node;
  }

  /** Puts a file's bytes under `parent`, as `behavior` says when the name is taken: its answer's status and item. */
  private write(
    parent: Node,
    name: string,
    content: Buffer,
    behavior: Behavior,
  ): { status: number; node: Node } {
    const existing = parent.children?.get(name.toLowerCase());
    if (existing && behavior === 'fail') {
      throw new DriveFailure(409, 'nameAlreadyExists', 'The specified item name already exists.');
    }
    if (existing && behavior === 'replace') {
      if (existing.children)
        throw new DriveFailure(409, 'nameAlreadyExists', 'A folder of that name exists.');
      existing.content = content;
      this.touch(existing);
      return { status: 200, node: existing };
    }
    const finalName = existing ? renamed(parent, name) : name;
    return {
      status: 201,
      node: this.add(parent, finalName, { content, downloadToken: randomBytes(24).toString('base64url') }),
    };
  }

  private behaviorOf(value: unknown, fallback: Behavior): Behavior {
    if (value === undefined || value === null) return fallback;
    if (value === 'fail' || value === 'replace' || value === 'rename') return value;
    throw invalidRequest(`Invalid conflict behavior: ${String(value)}`);
  }

  // -- JSON shapes ------------------------------------------------------------------------------------

  private webUrl(node: Node): string {
    const site = this.host.site();
    const path = ['Shared Documents', ...this.pathOf(node)].map(encodeURIComponent).join('/');
    return `https://${site.hostname}/sites/${site.name}/${path}`;
  }

  private sizeOf(node: Node): number {
    if (node.content) return node.content.length;
    let size = 0;
    for (const child of node.children?.values() ?? []) size += this.sizeOf(child);
    return size;
  }

  private itemJson(node: Node, origin: string): Record<string, unknown> {
    const site = this.host.site();
    const tag = `{${node.guid.toUpperCase()}},${node.version}`;
    const json: Record<string, unknown> = {};
    if (node.content) {
      json['@microsoft.graph.downloadUrl'] =
        `${origin}/sites/${site.name}/_layouts/15/download.aspx?UniqueId=${node.guid}` +
        `&Translate=false&tempauth=${node.downloadToken ?? ''}&ApiVersion=2.0`;
    }
    Object.assign(json, {
      createdBy: APP_IDENTITY,
      createdDateTime: iso(node.created),
      eTag: `"${tag}"`,
      id: node.id,
      lastModifiedBy: APP_IDENTITY,
      lastModifiedDateTime: iso(node.modified),
      name: node.name,
      parentReference: node.parent
        ? {
            driveType: 'documentLibrary',
            driveId: this.driveId,
            id: node.parent.id,
            name: node.parent.parent ? node.parent.name : 'Shared Documents',
            path: `/drives/${this.driveId}/root:${this.pathOf(node.parent)
              .map((p) => `/${p}`)
              .join('')}`,
            siteId: site.id,
          }
        : { driveType: 'documentLibrary', driveId: this.driveId },
      webUrl: this.webUrl(node),
      cTag: `"c:${tag}"`,
      fileSystemInfo: { createdDateTime: iso(node.created), lastModifiedDateTime: iso(node.modified) },
      size: this.sizeOf(node),
    });
    if (node.content) {
      const extension = node.name.includes('.') ? (node.name.split('.').pop() ?? '').toLowerCase() : '';
      json.file = {
        mimeType: MIME_TYPES[extension] ?? 'application/octet-stream',
        hashes: { quickXorHash: quickXorHash(node.content) },
      };
    } else {
      json.folder = { childCount: node.children?.size ?? 0 };
      if (!node.parent) json.root = {};
    }
    return json;
  }

  private sessionJson(session: Session): Record<string, unknown> {
    return {
      expirationDateTime: new Date(session.expires).toISOString(),
      nextExpectedRanges: [`${session.next}-${session.total === undefined ? '' : session.total - 1}`],
    };
  }

  // -- Graph's endpoints ------------------------------------------------------------------------------

  private routeGraph(call: DriveCall, url: URL, bytes: Buffer, origin: string): DriveOutcome {
    const site = this.host.site();
    const match = /^\/v1\.0\/sites\/([^/]+)\/drive(.*)$/.exec(url.pathname);
    if (!match || safeDecode(match[1] ?? '').toLowerCase() !== site.id.toLowerCase()) {
      throw new DriveFailure(404, 'itemNotFound', 'Requested site could not be found');
    }
    const rest = match[2] ?? '';
    if (rest === '' || rest === '/') {
      if (call.method !== 'GET') throw this.methodNotAllowed();
      return this.ok({
        '@odata.context': `${GRAPH_V1}/$metadata#drives/$entity`,
        createdDateTime: iso(this.root.created),
        description: '',
        id: this.driveId,
        lastModifiedDateTime: iso(this.root.modified),
        name: 'Documents',
        webUrl: `https://${site.hostname}/sites/${site.name}/Shared%20Documents`,
        driveType: 'documentLibrary',
        createdBy: { user: { displayName: 'System Account' } },
      });
    }
    const target = this.parseTarget(rest);
    const base = target.base === 'root' ? this.root : this.items.get(target.base);
    if (!base) throw notFound();
    const action = target.action;
    if (action === 'content' && call.method === 'PUT') {
      const behavior = this.behaviorOf(
        call.params.get('@microsoft.graph.conflictBehavior') ?? undefined,
        'replace',
      );
      if (target.path === undefined) {
        if (!base.content) throw invalidRequest('Only a file has content.');
        return this.ok(
          this.itemJson(this.write(base.parent as Node, base.name, bytes, 'replace').node, origin),
        );
      }
      const parent = this.walk(base, target.path.slice(0, -1), true);
      if (!parent?.children) throw invalidRequest('A file cannot hold other items.');
      const written = this.write(parent, target.path[target.path.length - 1] as string, bytes, behavior);
      return this.ok(this.itemJson(written.node, origin), written.status);
    }
    if (action === 'createUploadSession') {
      if (call.method !== 'POST') throw this.methodNotAllowed();
      if (target.path === undefined || target.path.length === 0) {
        throw invalidRequest('An upload session needs the new file’s name.');
      }
      return this.createSession(call, bytes, base, target.path, origin);
    }
    const node = target.path === undefined ? base : this.walk(base, target.path);
    if (!node) throw notFound();
    if (action === undefined) {
      if (call.method === 'GET') return this.ok(this.itemJson(node, origin));
      if (call.method === 'DELETE') {
        this.remove(node);
        return { status: 204, headers: {} };
      }
      throw this.methodNotAllowed();
    }
    if (call.method !== 'GET') throw this.methodNotAllowed();
    if (action === 'children') return this.children(node, call, origin);
    if (action === 'content') {
      if (!node.content) throw invalidRequest('Only a file has content.');
      const location = String(this.itemJson(node, origin)['@microsoft.graph.downloadUrl']);
      return { status: 302, headers: { Location: location } };
    }
    throw new DriveFailure(400, 'BadRequest', `Resource not found for the segment '${action}'.`);
  }

  private methodNotAllowed(): DriveFailure {
    return new DriveFailure(
      405,
      'BadRequest',
      'Specified HTTP method is not allowed for the request target.',
    );
  }

  /**
   * What follows `/drive`: `/root` or `/items/{id}`, then either `:/a/b/c.pdf` (closed by `:` when an
   * action follows) or nothing, then the action (`/content`, `/children`, `/createUploadSession`).
   */
  private parseTarget(rest: string): { base: string; path?: string[]; action?: string } {
    const head = /^\/(?:root|items\/([^/:]+))/.exec(rest);
    if (!head) throw new DriveFailure(400, 'BadRequest', `Resource not found for the segment '${rest}'.`);
    const base = head[1] === undefined ? 'root' : safeDecode(head[1]);
    let tail = rest.slice(head[0].length);
    let path: string[] | undefined;
    if (tail.startsWith(':')) {
      const close = tail.indexOf(':', 1);
      path = (close < 0 ? tail.slice(1) : tail.slice(1, close))
        .split('/')
        .filter((s) => s.length > 0)
        .map(safeDecode);
      tail = close < 0 ? '' : tail.slice(close + 1);
    }
    if (tail === '' || tail === '/') return { base, ...(path ? { path } : {}) };
    const action = /^\/(\w+)$/.exec(tail)?.[1];
    if (action === undefined)
      throw new DriveFailure(400, 'BadRequest', `Resource not found for the segment '${tail}'.`);
    return { base, ...(path ? { path } : {}), action };
  }

  private children(node: Node, call: DriveCall, origin: string): DriveOutcome {
    if (!node.children) return this.ok({ value: [] });
    const top = Math.max(1, Math.min(Number(call.params.get('$top') ?? DEFAULT_TOP) || DEFAULT_TOP, 999));
    const skip = Number(call.params.get('$skiptoken') ?? 0) || 0;
    const all = [...node.children.values()].sort((a, b) =>
      a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1,
    );
    const page = all.slice(skip, skip + top);
    const body: Record<string, unknown> = {
      '@odata.context': `${GRAPH_V1}/$metadata#sites('${this.host.site().id}')/drive/items('${node.id}')/children`,
      value: page.map((n) => this.itemJson(n, origin)),
    };
    if (skip + top < all.length) {
      const params = new URLSearchParams(call.params);
      params.set('$skiptoken', String(skip + top));
      body['@odata.nextLink'] = `${GRAPH_V1}${call.rawPath}?${params.toString()}`;
    }
    return this.ok(body);
  }

  private createSession(
    call: DriveCall,
    bytes: Buffer,
    base: Node,
    path: string[],
    origin: string,
  ): DriveOutcome {
    let item: Record<string, unknown> = {};
    if (bytes.length > 0) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw new DriveFailure(400, 'BadRequest', 'Unable to read JSON request payload.');
      }
      const inner = (parsed as { item?: unknown })?.item;
      if (typeof inner === 'object' && inner !== null) item = inner as Record<string, unknown>;
    }
    const behavior = this.behaviorOf(
      item['@microsoft.graph.conflictBehavior'] ??
        call.params.get('@microsoft.graph.conflictBehavior') ??
        undefined,
      'replace',
    );
    const name = typeof item.name === 'string' ? item.name : (path[path.length - 1] as string);
    if (INVALID_NAME.test(name))
      throw invalidRequest(`The name '${name}' contains characters that are not allowed.`);
    const parent = this.walk(base, path.slice(0, -1), true);
    if (!parent?.children) throw invalidRequest('A file cannot hold other items.');
    const session: Session = {
      guid: randomUUID(),
      token: randomBytes(24).toString('base64url'),
      parent,
      name,
      behavior,
      expires: Date.now() + SESSION_LIFETIME_MS,
      received: [],
      next: 0,
    };
    this.sessions.set(session.guid, session);
    const site = this.host.site();
    return this.ok({
      '@odata.context': `${GRAPH_V1}/$metadata#microsoft.graph.uploadSession`,
      expirationDateTime: new Date(session.expires).toISOString(),
      nextExpectedRanges: ['0-'],
      uploadUrl:
        `${origin}/sites/${site.name}/_api/v2.0/drives/${this.driveId}/items/${parent.id}/uploadSession` +
        `?guid='${session.guid}'&overwrite=False&rename=${behavior === 'rename' ? 'True' : 'False'}` +
        `&dc=0&tempauth=${session.token}`,
    });
  }

  // -- SharePoint's own addresses -----------------------------------------------------------------------

  private routeSharePoint(call: DriveCall, url: URL, bytes: Buffer, origin: string): DriveOutcome {
    if (url.pathname.endsWith('/download.aspx')) {
      if (call.method !== 'GET') throw this.methodNotAllowed();
      const guid = url.searchParams.get('UniqueId') ?? '';
      const node = [...this.items.values()].find((n) => n.guid === guid && n.content);
      if (!node?.content) throw notFound();
      if (url.searchParams.get('tempauth') !== node.downloadToken) {
        throw new DriveFailure(401, 'unauthenticated', 'The download address is not valid.');
      }
      const extension = (node.name.split('.').pop() ?? '').toLowerCase();
      return {
        status: 200,
        headers: {
          'Content-Type': MIME_TYPES[extension] ?? 'application/octet-stream',
          'Content-Length': String(node.content.length),
        },
        raw: node.content,
      };
    }
    const guid = (url.searchParams.get('guid') ?? '').replace(/^'|'$/g, '');
    const session = this.sessions.get(guid);
    if (!session || session.token !== url.searchParams.get('tempauth') || session.expires < Date.now()) {
      if (session) this.sessions.delete(guid);
      throw new DriveFailure(404, 'itemNotFound', 'The upload session was not found.');
    }
    // The address carries its own authorisation; Microsoft warns a bearer token may make it a 401.
    if (call.headers.get('authorization') !== null) {
      throw new DriveFailure(401, 'unauthenticated', 'An upload session takes no Authorization header.');
    }
    if (call.method === 'GET') return this.ok(this.sessionJson(session));
    if (call.method === 'DELETE') {
      this.sessions.delete(guid);
      return { status: 204, headers: {} };
    }
    if (call.method !== 'PUT') throw this.methodNotAllowed();
    return this.receive(session, call, bytes, origin);
  }

  private receive(session: Session, call: DriveCall, bytes: Buffer, origin: string): DriveOutcome {
    let taken: ReturnType<typeof takeRange>;
    try {
      taken = takeRange(session, call.headers.get('content-range') ?? undefined, bytes);
    } catch (err) {
      if (err instanceof RangeRefused) throw new DriveFailure(err.status, err.code, err.message);
      throw err;
    }
    if ('file' in taken) {
      // The name is settled when the last byte arrives: a conflict keeps the session as it was.
      const written = this.write(session.parent, session.name, taken.file, session.behavior);
      this.sessions.delete(session.guid);
      return this.ok(this.itemJson(written.node, origin), written.status);
    }
    session.expires = Date.now() + SESSION_LIFETIME_MS;
    return this.ok(this.sessionJson(session), 202);
  }
}
