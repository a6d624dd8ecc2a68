/**
 * An in-memory Microsoft Graph v1.0 limited to the SharePoint list endpoints the store calls, with the
 * response shapes, errors, paging and throttling Microsoft documents, so that store tests and benchmarks
 * run with no network. Requests arrive as fetch `Request`s (or over loopback HTTP); links point at
 * graph.microsoft.com as Graph's do, and clients rewrite them if they talk to a loopback address.
 *
 * Shapes and rules taken from Microsoft's documentation:
 * - Site:            https://learn.microsoft.com/en-us/graph/api/site-get
 * - Lists:           https://learn.microsoft.com/en-us/graph/api/list-list
 *                    https://learn.microsoft.com/en-us/graph/api/list-create
 *                    https://learn.microsoft.com/en-us/graph/api/list-get (a list id may be its title)
 *                    https://learn.microsoft.com/en-us/graph/api/list-delete
 * - Columns:         https://learn.microsoft.com/en-us/graph/api/list-list-columns
 *                    https://learn.microsoft.com/en-us/graph/api/list-post-columns
 *                    https://learn.microsoft.com/en-us/graph/api/resources/columndefinition
 *                    https://learn.microsoft.com/en-us/graph/api/resources/textcolumn
 * - Items:           https://learn.microsoft.com/en-us/graph/api/listitem-list
 *                    https://learn.microsoft.com/en-us/graph/api/listitem-get
 *                    https://learn.microsoft.com/en-us/graph/api/listitem-create
 *                    https://learn.microsoft.com/en-us/graph/api/listitem-update (If-Match, 412)
 *                    https://learn.microsoft.com/en-us/graph/api/listitem-delete
 * - Query options:   https://learn.microsoft.com/en-us/graph/query-parameters
 * - Paging:          https://learn.microsoft.com/en-us/graph/paging
 * - Batching:        https://learn.microsoft.com/en-us/graph/json-batching (20 requests, dependsOn, 424)
 * - Errors:          https://learn.microsoft.com/en-us/graph/errors (error object and codes)
 * - Throttling:      https://learn.microsoft.com/en-us/graph/throttling (429, Retry-After, per request in a batch)
 * - Large lists:     https://learn.microsoft.com/en-us/sharepoint/troubleshoot/lists-and-libraries/items-exceeds-list-view-threshold
 * - The site's document library (drive, upload sessions, downloads): graph-emulation-drive.ts
 */
import type { SharePointConfig } from '../../src/config';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AuthenticationProvider,
  Client,
  type Context,
  type Middleware,
  MiddlewareFactory,
} from '@microsoft/microsoft-graph-client';
import { type DirectorySeed, EmulatedDirectory } from './graph-emulation-directory';
import { type DriveCall, DriveEmulation } from './graph-emulation-drive';

export const GRAPH_V1 = 'https://graph.microsoft.com/v1.0';
/** The `Prefer` value that lets SharePoint filter or sort on a column that is not indexed. */
export const PREFER_NON_INDEXED = 'HonorNonIndexedQueriesWarningMayFailRandomly';

/**
 * What a query gets on a list past the view threshold when SharePoint cannot narrow it to the threshold:
 * its first clause selects more items than that (or is not an indexed equality or range), it sorts without
 * a filter, or it names a non-indexed column even with the `Prefer` header. Microsoft documents the rule
 * but not Graph's answer; this one was reported for Graph, others were too (429 "The request has been
 * throttled"; SharePoint's own REST API answers 500), so `listViewThresholdError` chooses.
 */
export const DEFAULT_LIST_VIEW_THRESHOLD_ERROR: GraphErrorShape = {
  status: 400,
  code: 'notSupported',
  message: 'The request is unprocessable because it uses too many resources',
};

const ODATA_JSON =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const DEFAULT_TOP = 200;
const MAX_TOP = 5000;
/** The error code that goes with each status a duplicate value may be answered with. */
const DUPLICATE_CODES = { 409: 'nameAlreadyExists', 500: 'generalException', 400: 'invalidRequest' } as const;
const MAX_BATCH = 20;
const MAX_INDEXED_COLUMNS = 20;
const SINGLE_LINE_MAX = 255;
/** Below this many candidates from an index, sorting them beats walking the sort column's index. */
const SMALL_RANGE = 2000;
/** SharePoint's "SharePoint App" user, the author of app-only writes. */
const SHAREPOINT_APP_LOOKUP_ID = '1073741822';
const APP_IDENTITY = { user: { displayName: 'SharePoint App' } };

// ---------------------------------------------------------------------------------------------------
// Public types

export interface TextColumn {
  allowMultipleLines?: boolean;
  appendChangesToExistingText?: boolean;
  linesForEditing?: number;
  maxLength?: number;
  textType?: string;
}

export interface NumberColumn {
  decimalPlaces?: string;
  displayAs?: string;
  maximum?: number;
  minimum?: number;
}

/** Graph's columnDefinition, limited to the column types the emulation implements. */
export interface ColumnDefinition {
  name: string;
  displayName?: string;
  description?: string;
  indexed?: boolean;
  enforceUniqueValues?: boolean;
  required?: boolean;
  hidden?: boolean;
  text?: TextColumn;
  number?: NumberColumn;
  currency?: { locale?: string };
  dateTime?: { format?: 'dateTime' | 'dateOnly'; displayAs?: string };
  choice?: { choices: string[]; allowTextEntry?: boolean; displayAs?: string };
  boolean?: Record<string, never>;
}

export interface GraphErrorShape {
  status: number;
  code: string;
  message: string;
}

/** Fails the next matching requests (`times`, default 1) the way a throttled or unwell Graph does. */
export interface GraphFault {
  status: 429 | 503 | 504;
  retryAfterSeconds?: number;
  times?: number;
  /** Fails each matching request with this chance, until the faults are cleared (`times` is ignored). */
  chance?: number;
  /** Which requests fail; `path` is relative to /v1.0 and decoded. Without it, the next request fails. */
  match?: (method: string, path: string) => boolean;
  /**
   * The request is carried out, then answered with the fault: a gateway that gave up waiting while the
   * write went through (503 and 504 only; Microsoft does not say this never happens).
   */
  afterWrite?: boolean;
  /**
   * Fails each distinct request (method, path and body) once, until the faults are cleared: the same
   * request sent again gets through (`times` and `chance` are ignored).
   */
  firstAttemptOnly?: boolean;
}

/** Delays every HTTP request (a whole $batch counts once). */
export interface GraphLatency {
  latencyMs: number;
}

export interface LoggedRequest {
  method: string;
  /** Relative to /v1.0 and decoded, e.g. `/sites/{site-id}/lists/Requests/items`. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The `request-id` of the $batch that carried this request. */
  batchedIn?: string;
}

export interface GraphEmulationOptions {
  /** Defaults to `contoso.sharepoint.com,{guid},{guid}`. */
  siteId?: string;
  siteDisplayName?: string;
  /** Clock for created/modified stamps. */
  now?: () => Date;
  /** SharePoint's list view threshold (5,000). */
  listViewThreshold?: number;
  /** How a query past the threshold is refused (a 429 comes with `Retry-After: 0`). */
  listViewThresholdError?: GraphErrorShape;
  /** Offset of the site's time zone; date-only columns store that zone's midnight. */
  siteUtcOffsetMinutes?: number;
  /** Rolls the dice of faults given a `chance` (a seeded generator makes a run repeatable). */
  random?: () => number;
  /**
   * How a duplicate value in a unique column is answered. SharePoint's own API answers 500; Graph's answer
   * is not documented (409 was seen); each plausible one can be chosen.
   */
  duplicateStatus?: 409 | 500 | 400;
  /** Whether `PATCH …/fields` returns the item's new `@odata.etag` (not documented either way). */
  patchReturnsEtag?: boolean;
  /**
   * Multi-line text columns created without `textType: "plain"` hold rich text: what is written comes back
   * wrapped in HTML, as SharePoint's enhanced rich text does.
   */
  richTextByDefault?: boolean;
}

export interface GraphEmulation {
  readonly siteId: string;
  /** Every request received, in order, including refused and throttled ones and each request of a $batch. */
  readonly requests: readonly LoggedRequest[];
  /** The queries refused since the log was last reset because they would pass the list view threshold. */
  readonly overThreshold: readonly LoggedRequest[];
  /** The emulation as a fetch-style function. */
  handle(request: Request): Promise<Response>;
  /** `handle` with fetch's signature, for code that takes a fetch function. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Serves the emulation on 127.0.0.1 (paths start with /v1.0, links still name graph.microsoft.com). */
  serve(): Promise<{ url: string; close(): Promise<void> }>;
  inject(fault: GraphFault | GraphLatency): void;
  clearFaults(): void;
  /** From now on, refuses queries past the list view threshold with this answer. */
  answerOverThreshold(answer: GraphErrorShape): void;
  resetLog(): void;
  /** Adds items without HTTP (same validation as a create); `listName` is a display name or id. */
  seedItems(listName: string, count: number, makeFields: (index: number) => Record<string, unknown>): void;
  /** Adds users, groups and (nested) memberships to the directory behind `/users/{id}/transitiveMemberOf`. */
  seedDirectory(seed: DirectorySeed): void;
}

export function createGraphEmulation(options: GraphEmulationOptions = {}): GraphEmulation {
  return new Emulation(options);
}

// ---------------------------------------------------------------------------------------------------
// Graph client adapter

export interface GraphClientOptions {
  /** Bearer token the stub provider returns; an empty one makes every request a 401. */
  token?: string;
}

/**
 * The Graph SDK's default chain ends with HTTPMessageHandler, which calls the global `fetch`; this takes
 * its place and hands the request to the emulation, so the SDK's auth, retry, redirect and telemetry
 * handlers all run as they would against Graph.
 */
class EmulationTransport implements Middleware {
  constructor(private readonly emulation: Pick<GraphEmulation, 'handle'>) {}

  async execute(context: Context): Promise<void> {
    context.response = await this.emulation.handle(new Request(context.request, context.options));
  }
}

/** A real Graph client (default base URL and middleware chain) whose requests go to the emulation. */
export function graphClientFor(emulation: GraphEmulation, options: GraphClientOptions = {}): Client {
  const token = options.token ?? 'emulation-token';
  const authProvider: AuthenticationProvider = { getAccessToken: async () => token };
  const middleware = MiddlewareFactory.getDefaultMiddlewareChain(authProvider);
  middleware[middleware.length - 1] = new EmulationTransport(emulation);
  return Client.initWithMiddleware({ middleware });
}

// ---------------------------------------------------------------------------------------------------
// Internal model

/** Sort and comparison key of a value: lower-cased text (SharePoint compares text case-insensitively), numbers, instants. */
type Key = string | number | null;
type Stored = string | number | boolean;
type Kind = 'text' | 'choice' | 'number' | 'currency' | 'dateTime' | 'boolean' | 'counter';

interface Column {
  name: string;
  displayName: string;
  kind: Kind;
  /** The definition as Graph returns it. */
  json: Record<string, unknown>;
  indexed: boolean;
  unique: boolean;
  readOnly: boolean;
  builtIn: boolean;
  maxLength?: number;
  dateOnly: boolean;
  choices?: string[];
  allowTextEntry: boolean;
  minimum?: number;
  maximum?: number;
  /** A multi-line column that holds rich text: values read back as HTML. */
  richText: boolean;
}

interface Item {
  id: number;
  guid: string;
  version: number;
  created: number;
  modified: number;
  values: Map<string, Stored>;
  /** Keys of every present value, plus ID, Created and Modified. */
  keys: Map<string, Key>;
}

interface ListState {
  id: string;
  displayName: string;
  name: string;
  template: string;
  webUrl: string;
  created: number;
  modified: number;
  columns: Map<string, Column>;
  items: Map<number, Item>;
  byId: SortedIndex;
  indexes: Map<string, SortedIndex>;
  unique: Map<string, Map<Key, number>>;
  nextId: number;
  /** Bumped by every write, so cached sorted views know they are stale. */
  generation: number;
  views: Map<string, Item[]>;
  viewsGeneration: number;
}

/** A request as the emulation logs it; `rawPath` is relative to /v1.0, as sent (next links use it). */
interface Call extends DriveCall {
  batchedIn?: string;
}

interface Outcome {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

class GraphFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const invalidRequest = (message: string) => new GraphFailure(400, 'invalidRequest', message);
const notRecognized = (field: string) => invalidRequest(`Field '${field}' is not recognized`);
const invalidFilter = () => invalidRequest('Invalid filter clause');
const unknownSegment = (segment: string) =>
  new GraphFailure(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
const methodNotAllowed = () =>
  new GraphFailure(405, 'BadRequest', 'Specified HTTP method is not allowed for the request target.');
const unreadableJson = () =>
  new GraphFailure(
    400,
    'BadRequest',
    'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
  );

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compareKeys(a: Key, b: Key): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SharePoint keeps whole seconds; Graph prints UTC with a trailing Z. */
function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A date-time without an offset is taken as UTC, as Graph's dateTime values are. */
function parseInstant(text: string): number {
  const withZone = /T/.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? `${text}Z` : text;
  return Date.parse(withZone);
}

function etagOf(item: Item): string {
  return `"${item.guid},${item.version}"`;
}

function innerErrorDate(): string {
  return new Date().toISOString().slice(0, 19);
}

function param(params: URLSearchParams, name: string): string | undefined {
  return params.get(`$${name}`) ?? params.get(name) ?? undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Items sorted by (key, id); the ID "index" is the list itself in id order. */
class SortedIndex {
  entries: Item[] = [];

  constructor(readonly field: string) {}

  key(item: Item): Key {
    return item.keys.get(this.field) ?? null;
  }

  /** First position whose (key, id) is not below (key, id). */
  seek(key: Key, id: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const entry = this.entries[mid] as Item;
      const c = compareKeys(this.key(entry), key) || entry.id - id;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(item: Item): void {
    const at = this.seek(this.key(item), item.id);
    if (at === this.entries.length) this.entries.push(item);
    else this.entries.splice(at, 0, item);
  }

  remove(item: Item, key: Key): void {
    const at = this.seek(key, item.id);
    if (this.entries[at] === item) this.entries.splice(at, 1);
  }

  rebuild(items: readonly Item[]): void {
    this.entries = [...items].sort((a, b) => compareKeys(this.key(a), this.key(b)) || a.id - b.id);
  }
}

// ---------------------------------------------------------------------------------------------------
// $filter and $orderby

type Literal =
  | { t: 'string'; v: string }
  | { t: 'number'; v: number }
  | { t: 'boolean'; v: boolean }
  | { t: 'datetime'; v: string }
  | { t: 'null' };
type CmpOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'cmp'; op: CmpOp; field: string; literal: Literal }
  | { kind: 'startswith'; field: string; literal: Literal };
type Token =
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'dt'; v: string }
  | { t: 'word'; v: string }
  | { t: '(' | ')' | ',' };

const CMP_OPS: readonly CmpOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
const FLIPPED: Record<CmpOp, CmpOp> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ t: ch });
      i += 1;
    } else if (ch === "'") {
      // OData escapes a quote inside a string literal by doubling it.
      let value = '';
      i += 1;
      for (;;) {
        if (i >= text.length) throw invalidFilter();
        const c = text.charAt(i);
        if (c === "'") {
          if (text.charAt(i + 1) === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += c;
        i += 1;
      }
      tokens.push({ t: 'str', v: value });
    } else {
      const rest = text.slice(i);
      const dt = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})/i.exec(rest);
      const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
      const word = /^[A-Za-z_$][\w$/.]*/.exec(rest);
      if (dt) {
        tokens.push({ t: 'dt', v: dt[0] });
        i += dt[0].length;
      } else if (num) {
        tokens.push({ t: 'num', v: Number(num[0]) });
        i += num[0].length;
      } else if (word) {
        tokens.push({ t: 'word', v: word[0] });
        i += word[0].length;
      } else {
        throw invalidFilter();
      }
    }
  }
  return tokens;
}

type Operand = { field: string } | { literal: Literal };

class FilterParser {
  private i = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): FilterNode {
    const node = this.or();
    if (this.i < this.tokens.length) throw invalidFilter();
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private isWord(word: string): boolean {
    const token = this.peek();
    return token?.t === 'word' && token.v.toLowerCase() === word;
  }

  private expect(kind: '(' | ')' | ','): void {
    if (this.peek()?.t !== kind) throw invalidFilter();
    this.i += 1;
  }

  private or(): FilterNode {
    let left = this.and();
    while (this.isWord('or')) {
      this.i += 1;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): FilterNode {
    let left = this.unary();
    while (this.isWord('and')) {
      this.i += 1;
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): FilterNode {
    if (this.isWord('not')) {
      this.i += 1;
      return { kind: 'not', operand: this.unary() };
    }
    return this.primary();
  }

  private primary(): FilterNode {
    if (this.peek()?.t === '(') {
      this.i += 1;
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    if (this.isWord('startswith')) {
      this.i += 1;
      this.expect('(');
      const target = this.operand();
      this.expect(',');
      const prefix = this.operand();
      this.expect(')');
      if (!('field' in target) || !('literal' in prefix)) throw invalidFilter();
      return { kind: 'startswith', field: target.field, literal: prefix.literal };
    }
    const left = this.operand();
    const opToken = this.peek();
    const word = opToken?.t === 'word' ? opToken.v.toLowerCase() : undefined;
    const op = CMP_OPS.find((o) => o === word);
    if (op === undefined) throw invalidFilter();
    this.i += 1;
    const right = this.operand();
    if ('field' in left && 'literal' in right)
      return { kind: 'cmp', op, field: left.field, literal: right.literal };
    if ('literal' in left && 'field' in right) {
      return { kind: 'cmp', op: FLIPPED[op], field: right.field, literal: left.literal };
    }
    throw invalidFilter();
  }

  private operand(): Operand {
    const token = this.peek();
    if (token === undefined) throw invalidFilter();
    this.i += 1;
    switch (token.t) {
      case 'str':
        return { literal: { t: 'string', v: token.v } };
      case 'num':
        return { literal: { t: 'number', v: token.v } };
      case 'dt':
        return { literal: { t: 'datetime', v: token.v } };
      case 'word': {
        const word = token.v.toLowerCase();
        if (word === 'true' || word === 'false') return { literal: { t: 'boolean', v: word === 'true' } };
        if (word === 'null') return { literal: { t: 'null' } };
        const field = /^fields\/([^/]+)$/.exec(token.v);
        if (field?.[1] !== undefined) return { field: field[1] };
        throw invalidFilter();
      }
      default:
        throw invalidFilter();
    }
  }
}

function parseFilter(text: string): FilterNode {
  return new FilterParser(tokenize(text)).parse();
}

function fieldsIn(node: FilterNode): string[] {
  switch (node.kind) {
    case 'and':
    case 'or':
      return [...fieldsIn(node.left), ...fieldsIn(node.right)];
    case 'not':
      return fieldsIn(node.operand);
    default:
      return [node.field];
  }
}

interface OrderKey {
  field: string;
  desc: boolean;
}

function parseOrderBy(text: string): OrderKey[] {
  return text.split(',').map((part) => {
    const match = /^\s*fields\/([^\s/,]+)(?:\s+(asc|desc))?\s*$/i.exec(part);
    if (match?.[1] === undefined) throw invalidRequest(`The $orderby clause '${part.trim()}' is not valid.`);
    return { field: match[1], desc: match[2]?.toLowerCase() === 'desc' };
  });
}

function literalKey(column: Column, literal: Literal): Key {
  if (literal.t === 'null') return null;
  const mismatch = () => invalidRequest(`The value in the filter is not valid for field '${column.name}'.`);
  switch (column.kind) {
    case 'text':
    case 'choice':
      return String(literal.v).toLowerCase();
    case 'number':
    case 'currency':
    case 'counter': {
      const n = literal.t === 'number' ? literal.v : literal.t === 'string' ? Number(literal.v) : NaN;
      if (!Number.isFinite(n)) throw mismatch();
      return n;
    }
    case 'dateTime': {
      const ms = literal.t === 'string' || literal.t === 'datetime' ? parseInstant(literal.v) : NaN;
      if (Number.isNaN(ms)) throw mismatch();
      return ms;
    }
    case 'boolean': {
      const text = String(literal.v).toLowerCase();
      if (text === 'true' || text === '1') return 1;
      if (text === 'false' || text === '0') return 0;
      throw mismatch();
    }
  }
}

function matches(op: CmpOp, value: Key, key: Key): boolean {
  if (key === null) return op === 'eq' ? value === null : op === 'ne' ? value !== null : false;
  if (value === null) return op === 'ne';
  const c = compareKeys(value, key);
  switch (op) {
    case 'eq':
      return c === 0;
    case 'ne':
      return c !== 0;
    case 'gt':
      return c > 0;
    case 'ge':
      return c >= 0;
    case 'lt':
      return c < 0;
    case 'le':
      return c <= 0;
  }
}

type Predicate = (item: Item) => boolean;

/** The clause a filter starts with: the leftmost operand of its `and`s, parenthesised or not. */
function firstClause(node: FilterNode): FilterNode {
  return node.kind === 'and' ? firstClause(node.left) : node;
}

interface RangeSpec {
  field: string;
  op: CmpOp;
  key: string | number;
}

interface Compiled {
  predicate: Predicate;
  /** Comparisons on indexed columns joined by top-level `and`: candidates can come from their index. */
  ranges: RangeSpec[];
}

function compile(
  node: FilterNode,
  column: (name: string) => Column,
  indexed: (c: Column) => boolean,
): Compiled {
  const ranges: RangeSpec[] = [];
  const collect = (n: FilterNode): void => {
    if (n.kind === 'and') {
      collect(n.left);
      collect(n.right);
    } else if (n.kind === 'cmp' && n.op !== 'ne') {
      const c = column(n.field);
      const key = literalKey(c, n.literal);
      if (key !== null && indexed(c)) ranges.push({ field: c.name, op: n.op, key });
    }
  };
  collect(node);
  const build = (n: FilterNode): Predicate => {
    switch (n.kind) {
      case 'and': {
        const [l, r] = [build(n.left), build(n.right)];
        return (item) => l(item) && r(item);
      }
      case 'or': {
        const [l, r] = [build(n.left), build(n.right)];
        return (item) => l(item) || r(item);
      }
      case 'not': {
        const inner = build(n.operand);
        return (item) => !inner(item);
      }
      case 'cmp': {
        const c = column(n.field);
        const key = literalKey(c, n.literal);
        const { op } = n;
        return (item) => matches(op, item.keys.get(c.name) ?? null, key);
      }
      case 'startswith': {
        const c = column(n.field);
        if (c.kind !== 'text' && c.kind !== 'choice') throw invalidFilter();
        const prefix = literalKey(c, n.literal);
        if (typeof prefix !== 'string') throw invalidFilter();
        return (item) => {
          const value = item.keys.get(c.name);
          return typeof value === 'string' && value.startsWith(prefix);
        };
      }
    }
  };
  return { predicate: build(node), ranges };
}

// ---------------------------------------------------------------------------------------------------
// Paging position ($skiptoken)

interface Position {
  id: number;
  /** Sort keys of the last item returned, one per $orderby key. */
  keys: Key[];
}

/** SharePoint's tokens are base64 of "Paged=TRUE&p_ID=…"; this one also carries the sort keys. */
function encodeSkipToken(item: Item, order: readonly OrderKey[]): string {
  const params = new URLSearchParams({ Paged: 'TRUE', p_ID: String(item.id) });
  if (order.length > 0)
    params.set('p_SortKeys', JSON.stringify(order.map((o) => item.keys.get(o.field) ?? null)));
  return Buffer.from(params.toString()).toString('base64url');
}

function decodeSkipToken(token: string | undefined, order: readonly OrderKey[]): Position | null {
  if (token === undefined) return null;
  const invalid = () => invalidRequest('The $skiptoken is not valid.');
  const params = new URLSearchParams(Buffer.from(token, 'base64url').toString());
  const id = Number(params.get('p_ID'));
  if (params.get('Paged') !== 'TRUE' || !Number.isInteger(id)) throw invalid();
  let keys: unknown = [];
  try {
    keys = JSON.parse(params.get('p_SortKeys') ?? '[]');
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(keys) ||
    keys.length !== order.length ||
    !keys.every((k) => k === null || typeof k === 'string' || typeof k === 'number')
  ) {
    throw invalid();
  }
  return { id, keys: keys as Key[] };
}

/** Total order of a query: its $orderby keys, then ID in the direction of the last key (ascending alone). */
function compareToPosition(item: Item, order: readonly OrderKey[], position: Position): number {
  for (const [j, o] of order.entries()) {
    const c = compareKeys(item.keys.get(o.field) ?? null, position.keys[j] ?? null);
    if (c !== 0) return o.desc ? -c : c;
  }
  const c = item.id - position.id;
  return order[order.length - 1]?.desc === true ? -c : c;
}

// ---------------------------------------------------------------------------------------------------
// The emulation

const BUILT_IN: readonly { json: Record<string, unknown>; kind: Kind; readOnly: boolean }[] = [
  {
    kind: 'text',
    readOnly: false,
    json: {
      columnGroup: 'Custom Columns',
      description: '',
      displayName: 'Title',
      enforceUniqueValues: false,
      hidden: false,
      id: 'fa564e0f-0c70-4ab9-b863-0177e6ddd247',
      indexed: false,
      name: 'Title',
      readOnly: false,
      required: true,
      text: {
        allowMultipleLines: false,
        appendChangesToExistingText: false,
        linesForEditing: 0,
        maxLength: 255,
      },
    },
  },
  {
    kind: 'counter',
    readOnly: true,
    json: {
      description: '',
      displayName: 'ID',
      enforceUniqueValues: false,
      hidden: false,
      id: '1d22ea11-1e32-424e-89ab-9fedbadb6ce1',
      indexed: false,
      name: 'ID',
      readOnly: true,
      required: false,
      number: {},
    },
  },
  {
    kind: 'dateTime',
    readOnly: true,
    json: {
      description: '',
      displayName: 'Created',
      enforceUniqueValues: false,
      hidden: false,
      id: '8c06beca-0777-48f7-91c7-6da68bc07b69',
      indexed: false,
      name: 'Created',
      readOnly: true,
      required: false,
      dateTime: { displayAs: 'standard', format: 'dateTime' },
    },
  },
  {
    kind: 'dateTime',
    readOnly: true,
    json: {
      description: '',
      displayName: 'Modified',
      enforceUniqueValues: false,
      hidden: false,
      id: '28cf69c5-fa48-462a-b5cd-27b6f9d2bd5f',
      indexed: false,
      name: 'Modified',
      readOnly: true,
      required: false,
      dateTime: { displayAs: 'standard', format: 'dateTime' },
    },
  },
];

const TYPE_FACETS = ['text', 'choice', 'number', 'currency', 'dateTime', 'boolean'] as const;
const OTHER_FACETS = [
  'calculated',
  'contentApprovalStatus',
  'geolocation',
  'hyperlinkOrPicture',
  'lookup',
  'personOrGroup',
  'term',
  'thumbnail',
] as const;
/** Read-only fields Graph adds to every item's field set after the list's own columns. */
const EXTRA_FIELDS = [
  'id',
  'ContentType',
  'Modified',
  'Created',
  'AuthorLookupId',
  'EditorLookupId',
  '_UIVersionString',
  'Attachments',
  'Edit',
  'ItemChildCount',
  'FolderChildCount',
] as const;

class Emulation implements GraphEmulation {
  readonly siteId: string;
  readonly requests: LoggedRequest[] = [];
  readonly overThreshold: LoggedRequest[] = [];
  private readonly siteName: string;
  private readonly siteDisplayName: string;
  private readonly hostname: string;
  private readonly siteCreated: number;
  private readonly lists = new Map<string, ListState>();
  private faults: { fault: GraphFault; remaining: number }[] = [];
  /** Requests already failed once by a `firstAttemptOnly` fault. */
  private readonly attempted = new Set<string>();
  private latencyMs = 0;
  private readonly clock: () => Date;
  private readonly threshold: number;
  private readonly duplicateStatus: 409 | 500 | 400;
  private readonly patchReturnsEtag: boolean;
  private readonly richTextByDefault: boolean;
  private thresholdError: GraphErrorShape;
  private readonly utcOffsetMinutes: number;
  private readonly random: () => number;
  private readonly directory = new EmulatedDirectory(() => this.clock());
  /** The site's document library (graph-emulation-drive.ts), behind this log, token check and faults. */
  private readonly drive = new DriveEmulation({
    site: () => ({ id: this.siteId, name: this.siteName, hostname: this.hostname }),
    now: () => this.nowMs(),
    admit: (call, preAuthenticated, apply) => {
      this.log(call);
      try {
        if (!preAuthenticated) this.authenticate(call);
      } catch (error) {
        return this.failure(error, call);
      }
      return this.faultFor(call, false, apply);
    },
  });

  constructor(options: GraphEmulationOptions) {
    this.hostname = 'contoso.sharepoint.com';
    this.siteId = options.siteId ?? `${this.hostname},${randomUUID()},${randomUUID()}`;
    this.siteDisplayName = options.siteDisplayName ?? 'Microacq';
    this.siteName = this.siteDisplayName.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    this.clock = options.now ?? (() => new Date());
    this.threshold = options.listViewThreshold ?? 5000;
    this.duplicateStatus = options.duplicateStatus ?? 409;
    this.patchReturnsEtag = options.patchReturnsEtag ?? true;
    this.richTextByDefault = options.richTextByDefault ?? false;
    this.thresholdError = options.listViewThresholdError ?? DEFAULT_LIST_VIEW_THRESHOLD_ERROR;
    this.utcOffsetMinutes = options.siteUtcOffsetMinutes ?? 0;
    this.random = options.random ?? Math.random;
    this.siteCreated = this.nowMs();
  }

  // -- test controls --------------------------------------------------------------------------------

  inject(fault: GraphFault | GraphLatency): void {
    if ('latencyMs' in fault) {
      this.latencyMs = fault.latencyMs;
      return;
    }
    this.faults.push({ fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
    this.latencyMs = 0;
  }

  answerOverThreshold(answer: GraphErrorShape): void {
    this.thresholdError = answer;
  }

  resetLog(): void {
    this.requests.length = 0;
    this.overThreshold.length = 0;
  }

  seedDirectory(seed: DirectorySeed): void {
    this.directory.seed(seed);
  }

  seedItems(listName: string, count: number, makeFields: (index: number) => Record<string, unknown>): void {
    const list = this.findList(listName);
    if (list === undefined) throw new Error(`No list named ${listName}`);
    const now = this.nowMs();
    for (let i = 0; i < count; i += 1) {
      const { Created: created, Modified: modified, ...rest } = makeFields(i);
      const values = this.convertFields(list, rest);
      this.checkUnique(list, values, undefined);
      const createdMs = typeof created === 'string' ? parseInstant(created) : now;
      const modifiedMs = typeof modified === 'string' ? parseInstant(modified) : createdMs;
      const item = this.newItem(list, values, createdMs, modifiedMs);
      list.items.set(item.id, item);
      list.byId.entries.push(item);
      this.addToUnique(list, item);
    }
    // One sort per index instead of one insertion per item.
    for (const index of list.indexes.values()) index.rebuild(list.byId.entries);
    list.generation += 1;
  }

  // -- transport ------------------------------------------------------------------------------------

  fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    this.handle(new Request(input, init));

  handle = async (request: Request): Promise<Response> => {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const url = new URL(request.url);
    if (this.drive.claims(url)) return this.drive.handle(request, url);
    const requestId = randomUUID();
    const clientRequestId = request.headers.get('client-request-id') ?? requestId;
    const versioned = /^\/v1\.0(\/|$)/.test(url.pathname);
    const rawPath = versioned ? url.pathname.slice('/v1.0'.length) || '/' : url.pathname;
    const body = await request.text();
    const call = this.makeCall(
      request.method,
      rawPath,
      url.search.slice(1),
      request.headers,
      body,
      requestId,
      clientRequestId,
    );
    this.log(call);
    let outcome: Outcome;
    try {
      if (!versioned) {
        throw new GraphFailure(400, 'BadRequest', `Invalid version: ${url.pathname.split('/')[1] ?? ''}`);
      }
      this.authenticate(call);
      if (call.segments.length === 1 && call.segments[0] === '$batch') {
        outcome = this.faultFor(call, true, () => this.batch(call)) ?? this.batch(call);
      } else {
        outcome = this.execute(call);
      }
    } catch (error) {
      outcome = this.failure(error, call);
    }
    const headers = new Headers(outcome.headers);
    headers.set('request-id', call.requestId);
    headers.set('client-request-id', call.clientRequestId);
    return new Response(outcome.body === undefined ? null : JSON.stringify(outcome.body), {
      status: outcome.status,
      headers,
    });
  };

  async serve(): Promise<{ url: string; close(): Promise<void> }> {
    let base = '';
    const server = createServer((req, res) => {
      void this.serveOne(req, res, base);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      url: base,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.closeAllConnections();
          server.close((error) => (error ? reject(error) : resolve()));
        }),
    };
  }

  private async serveOne(req: IncomingMessage, res: ServerResponse, base: string): Promise<void> {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (
          value === undefined ||
          ['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)
        ) {
          continue;
        }
        headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const method = req.method ?? 'GET';
      // As bytes: a file sent to the document library is not text.
      const body = method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks);
      const response = await this.handle(new Request(`${base}${req.url ?? '/'}`, { method, headers, body }));
      const out: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        out[name] = value;
      });
      res.writeHead(response.status, out);
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(error));
    }
  }

  // -- request plumbing -----------------------------------------------------------------------------

  private makeCall(
    method: string,
    rawPath: string,
    rawQuery: string,
    headers: Headers,
    body: string,
    requestId: string,
    clientRequestId: string,
    batchedIn?: string,
  ): Call {
    return {
      method: method.toUpperCase(),
      rawPath,
      rawQuery,
      segments: rawPath
        .split('/')
        .filter((s) => s.length > 0)
        .map(safeDecode),
      params: new URLSearchParams(rawQuery),
      headers,
      body,
      requestId,
      clientRequestId,
      ...(batchedIn !== undefined ? { batchedIn } : {}),
    };
  }

  private log(call: Call): void {
    const headers: Record<string, string> = {};
    call.headers.forEach((value, name) => {
      headers[name] = value;
    });
    this.requests.push({
      method: call.method,
      path: `/${call.segments.join('/')}`,
      query: Object.fromEntries(call.params),
      headers,
      ...(call.batchedIn !== undefined ? { batchedIn: call.batchedIn } : {}),
    });
  }

  private authenticate(call: Call): void {
    const header = call.headers.get('authorization');
    if (header !== null && /^Bearer\s+\S+/i.test(header)) return;
    throw new GraphFailure(
      401,
      'InvalidAuthenticationToken',
      header === null || header.trim() === '' ? 'Access token is empty.' : 'Access token validation failure.',
      {
        'WWW-Authenticate':
          'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
      },
    );
  }

  /**
   * A queued fault for this request, if any. An outer $batch is failed only by a fault whose `match`
   * names it: otherwise faults fall on the requests inside, as Graph throttles each on its own.
   */
  private faultFor(call: Call, outerBatch: boolean, apply: () => Outcome): Outcome | undefined {
    const path = `/${call.segments.join('/')}`;
    const attempt = `${call.method} ${path}?${call.rawQuery}\n${call.body}`;
    const at = this.faults.findIndex(
      ({ fault }) =>
        (fault.match === undefined ? !outerBatch : fault.match(call.method, path)) &&
        (fault.firstAttemptOnly === true
          ? !this.attempted.has(attempt)
          : fault.chance === undefined || this.random() < fault.chance),
    );
    const entry = this.faults[at];
    if (entry === undefined) return undefined;
    if (entry.fault.firstAttemptOnly === true) this.attempted.add(attempt);
    else if (entry.fault.chance === undefined) {
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.faults.splice(at, 1);
    }
    const { status, retryAfterSeconds, afterWrite } = entry.fault;
    if (afterWrite === true && status !== 429) {
      try {
        apply();
      } catch {
        // The write failed on its own account: the fault is the answer all the same.
      }
    }
    const [code, message] =
      status === 429
        ? ['activityLimitReached', 'The request has been throttled']
        : status === 503
          ? [
              'serviceNotAvailable',
              'The service is temporarily unavailable. Retry the request after a delay.',
            ]
          : ['gatewayTimeout', 'The upstream service did not answer in time.'];
    const headers: Record<string, string> =
      retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) };
    return this.failure(new GraphFailure(status, code, message, headers), call);
  }

  private execute(call: Call): Outcome {
    try {
      return this.faultFor(call, false, () => this.route(call)) ?? this.route(call);
    } catch (error) {
      return this.failure(error, call);
    }
  }

  private failure(error: unknown, call: Call): Outcome {
    const f =
      error instanceof GraphFailure
        ? error
        : new GraphFailure(500, 'generalException', error instanceof Error ? error.message : String(error));
    return {
      status: f.status,
      headers: { 'Content-Type': 'application/json', ...f.headers },
      body: {
        error: {
          code: f.code,
          message: f.message,
          innerError: {
            date: innerErrorDate(),
            'request-id': call.requestId,
            'client-request-id': call.clientRequestId,
          },
        },
      },
    };
  }

  private ok(body: unknown, status = 200, headers: Record<string, string> = {}): Outcome {
    return { status, headers: { 'Content-Type': ODATA_JSON, 'OData-Version': '4.0', ...headers }, body };
  }

  private jsonBody(call: Call): unknown {
    try {
      return JSON.parse(call.body);
    } catch {
      throw unreadableJson();
    }
  }

  private context(fragment: string): string {
    return `${GRAPH_V1}/$metadata#sites('${this.siteId}')/${fragment}`;
  }

  private nowMs(): number {
    return Math.floor(this.clock().getTime() / 1000) * 1000;
  }

  // -- routes ---------------------------------------------------------------------------------------

  private route(call: Call): Outcome {
    const [root, site, lists, listRef, sub, itemRef, fields, ...rest] = call.segments;
    if (root === 'users') {
      const answer = this.directory.route(call);
      if ('code' in answer) throw new GraphFailure(answer.status, answer.code, answer.message);
      return this.ok(answer.body);
    }
    if (root !== 'sites') throw unknownSegment(root ?? '');
    if (site === undefined) throw methodNotAllowed();
    if (site.toLowerCase() !== this.siteId.toLowerCase()) {
      throw new GraphFailure(404, 'itemNotFound', 'Requested site could not be found');
    }
    const only = (method: string, run: () => Outcome): Outcome => {
      if (call.method !== method) throw methodNotAllowed();
      return run();
    };
    if (lists === undefined) return only('GET', () => this.ok(this.siteJson()));
    if (lists !== 'lists') throw unknownSegment(lists);
    if (listRef === undefined) {
      if (call.method === 'GET') return this.getLists(call);
      return only('POST', () => this.createList(call));
    }
    const list = this.findList(listRef);
    if (list === undefined) throw new GraphFailure(404, 'itemNotFound', 'List not found');
    if (sub === undefined) {
      if (call.method === 'DELETE') {
        this.lists.delete(list.id);
        return { status: 204, headers: {} };
      }
      return only('GET', () =>
        this.ok({ '@odata.context': this.context('lists/$entity'), ...this.listJson(list) }),
      );
    }
    if (sub === 'columns') {
      if (itemRef !== undefined) throw unknownSegment(itemRef);
      if (call.method === 'GET') {
        return this.ok({
          '@odata.context': this.context(`lists('${list.id}')/columns`),
          value: [...list.columns.values()].map((c) => c.json),
        });
      }
      return only('POST', () => this.addColumn(list, call));
    }
    if (sub !== 'items') throw unknownSegment(sub);
    if (itemRef === undefined) {
      if (call.method === 'GET') return this.listItems(list, call);
      return only('POST', () => this.createItem(list, call));
    }
    const item = list.items.get(Number(itemRef));
    if (item === undefined || !/^\d+$/.test(itemRef))
      throw new GraphFailure(404, 'itemNotFound', 'Item not found');
    if (fields === undefined) {
      if (call.method === 'GET') {
        const expand = this.parseExpand(list, param(call.params, 'expand'));
        return this.ok(
          {
            '@odata.context': this.context(`lists('${list.id}')/items/$entity`),
            ...this.itemJson(list, item, expand),
          },
          200,
          { ETag: etagOf(item) },
        );
      }
      return only('DELETE', () => this.deleteItem(list, item, call));
    }
    if (fields !== 'fields') throw unknownSegment(fields);
    if (rest[0] !== undefined) throw unknownSegment(rest[0]);
    if (call.method === 'GET') return this.ok(this.fieldsResponse(list, item));
    return only('PATCH', () => this.updateFields(list, item, call));
  }

  private siteJson(): Record<string, unknown> {
    return {
      '@odata.context': `${GRAPH_V1}/$metadata#sites/$entity`,
      createdDateTime: iso(this.siteCreated),
      description: '',
      id: this.siteId,
      lastModifiedDateTime: iso(this.siteCreated),
      name: this.siteName,
      webUrl: `https://${this.hostname}/sites/${this.siteName}`,
      displayName: this.siteDisplayName,
      siteCollection: { hostname: this.hostname },
    };
  }

  private findList(ref: string): ListState | undefined {
    const wanted = ref.toLowerCase();
    for (const list of this.lists.values()) {
      if (list.id === wanted || list.displayName.toLowerCase() === wanted) return list;
    }
    return undefined;
  }

  private listJson(list: ListState): Record<string, unknown> {
    return {
      createdDateTime: iso(list.created),
      description: '',
      id: list.id,
      lastModifiedDateTime: iso(list.modified),
      name: list.name,
      webUrl: list.webUrl,
      displayName: list.displayName,
      parentReference: { siteId: this.siteId },
      list: { contentTypesEnabled: false, hidden: false, template: list.template },
    };
  }

  private getLists(call: Call): Outcome {
    let found = [...this.lists.values()];
    const filter = param(call.params, 'filter');
    if (filter !== undefined) {
      // Graph filters lists on displayName only.
      const match = /^\s*displayName\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(filter);
      if (match === null) throw invalidRequest('The provided filter statement is not supported');
      const wanted = (match[1] ?? '').replace(/''/g, "'").toLowerCase();
      found = found.filter((l) => l.displayName.toLowerCase() === wanted);
    }
    return this.ok({ '@odata.context': this.context('lists'), value: found.map((l) => this.listJson(l)) });
  }

  private createList(call: Call): Outcome {
    const body = this.jsonBody(call);
    if (!isObject(body)) throw unreadableJson();
    const { displayName, columns = [], list: facet } = body;
    if (typeof displayName !== 'string' || displayName.trim() === '') {
      throw invalidRequest('The list displayName is required.');
    }
    if (this.findList(displayName) !== undefined) {
      throw new GraphFailure(
        409,
        'nameAlreadyExists',
        'A list, survey, discussion board, or document library with the specified title already exists in this Web site.  Please choose another title.',
      );
    }
    if (!Array.isArray(columns)) throw invalidRequest('columns must be an array.');
    const template = isObject(facet) && typeof facet.template === 'string' ? facet.template : 'genericList';
    const now = this.nowMs();
    const id = randomUUID();
    const byId = new SortedIndex('ID');
    const list: ListState = {
      id,
      displayName,
      name: displayName,
      template,
      webUrl: `https://${this.hostname}/sites/${this.siteName}/Lists/${encodeURIComponent(displayName)}`,
      created: now,
      modified: now,
      columns: new Map(),
      items: new Map(),
      byId,
      indexes: new Map(),
      unique: new Map(),
      nextId: 1,
      generation: 0,
      views: new Map(),
      viewsGeneration: 0,
    };
    for (const { json, kind, readOnly } of BUILT_IN) {
      const name = String(json.name);
      list.columns.set(name, {
        name,
        displayName: String(json.displayName),
        kind,
        json,
        indexed: name === 'ID',
        unique: false,
        readOnly,
        builtIn: true,
        dateOnly: false,
        allowTextEntry: false,
        richText: false,
        ...(name === 'Title' ? { maxLength: SINGLE_LINE_MAX } : {}),
      });
    }
    for (const definition of columns) this.addColumnTo(list, definition);
    this.lists.set(id, list);
    return this.ok({ '@odata.context': this.context('lists/$entity'), ...this.listJson(list) }, 201);
  }

  private addColumn(list: ListState, call: Call): Outcome {
    const column = this.addColumnTo(list, this.jsonBody(call));
    list.generation += 1;
    return this.ok(
      { '@odata.context': this.context(`lists('${list.id}')/columns/$entity`), ...column.json },
      201,
    );
  }

  /** Validates a columnDefinition and adds it; nothing changes when it is refused. */
  private addColumnTo(list: ListState, raw: unknown): Column {
    if (!isObject(raw)) throw invalidRequest('A column definition must be an object.');
    const { name } = raw;
    if (typeof name !== 'string' || name.trim() === '') throw invalidRequest('A column name is required.');
    for (const existing of list.columns.keys()) {
      if (existing.toLowerCase() === name.toLowerCase()) {
        throw new GraphFailure(409, 'nameAlreadyExists', `A duplicate field name "${name}" was found.`);
      }
    }
    const other = OTHER_FACETS.find((f) => raw[f] !== undefined);
    if (other !== undefined) {
      throw new GraphFailure(400, 'notSupported', `The emulation does not implement '${other}' columns.`);
    }
    const facets = TYPE_FACETS.filter((f) => raw[f] !== undefined);
    if (facets.length > 1) throw invalidRequest('A column can have only one type.');
    const kind: Kind = facets[0] ?? 'text';
    const facet = isObject(raw[kind]) ? (raw[kind] as Record<string, unknown>) : {};
    const indexed = raw.indexed === true;
    const unique = raw.enforceUniqueValues === true;
    // SharePoint refuses unique values on a column without an index.
    if (unique && !indexed) throw invalidRequest('This field must be indexed to enforce unique values.');
    const indexedCount = [...list.columns.values()].filter((c) => c.indexed && !c.builtIn).length;
    if (indexed && indexedCount >= MAX_INDEXED_COLUMNS) {
      throw invalidRequest(`A list can have at most ${MAX_INDEXED_COLUMNS} indexed columns.`);
    }
    const displayName =
      typeof raw.displayName === 'string' && raw.displayName !== '' ? raw.displayName : name;
    const column: Column = {
      name,
      displayName,
      kind,
      json: {
        columnGroup: 'Custom Columns',
        description: '',
        enforceUniqueValues: false,
        hidden: false,
        indexed: false,
        readOnly: false,
        required: false,
        ...raw,
        displayName,
        id: randomUUID(),
      },
      indexed,
      unique,
      readOnly: false,
      builtIn: false,
      dateOnly: kind === 'dateTime' && facet.format === 'dateOnly',
      allowTextEntry: facet.allowTextEntry === true,
      richText:
        this.richTextByDefault &&
        kind === 'text' &&
        facet.allowMultipleLines === true &&
        facet.textType !== 'plain',
    };
    if (kind === 'text') {
      const maxLength = facet.maxLength;
      if (
        maxLength !== undefined &&
        (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 1)
      ) {
        throw invalidRequest('maxLength must be a positive integer.');
      }
      if (facet.allowMultipleLines === true) {
        if (maxLength !== undefined) column.maxLength = maxLength;
      } else {
        if (maxLength !== undefined && maxLength > SINGLE_LINE_MAX) {
          throw invalidRequest(`A single line of text holds at most ${SINGLE_LINE_MAX} characters.`);
        }
        column.maxLength = maxLength ?? SINGLE_LINE_MAX;
      }
    }
    if (kind === 'choice') {
      const { choices } = facet;
      if (!Array.isArray(choices) || !choices.every((c) => typeof c === 'string')) {
        throw invalidRequest('A choice column needs a list of choices.');
      }
      column.choices = choices as string[];
    }
    if (kind === 'number') {
      if (typeof facet.minimum === 'number') column.minimum = facet.minimum;
      if (typeof facet.maximum === 'number') column.maximum = facet.maximum;
    }
    const index = indexed ? new SortedIndex(name) : undefined;
    index?.rebuild(list.byId.entries);
    const uniqueMap = unique ? new Map<Key, number>() : undefined;
    list.columns.set(name, column);
    if (index !== undefined) list.indexes.set(name, index);
    if (uniqueMap !== undefined) list.unique.set(name, uniqueMap);
    return column;
  }

  // -- items ----------------------------------------------------------------------------------------

  private convertFields(list: ListState, raw: Record<string, unknown>): Map<string, Stored | null> {
    const changes = new Map<string, Stored | null>();
    for (const [name, value] of Object.entries(raw)) {
      if (name.includes('@')) continue; // OData annotations such as "@odata.etag"
      const column = list.columns.get(name);
      if (column === undefined) throw notRecognized(name);
      if (column.readOnly) throw invalidRequest(`Field '${name}' is read-only`);
      changes.set(name, this.convertValue(column, value));
    }
    return changes;
  }

  private convertValue(column: Column, value: unknown): Stored | null {
    if (value === null || value === undefined) return null;
    const invalid = () => invalidRequest(`The value of field '${column.name}' is not valid for its type.`);
    switch (column.kind) {
      case 'text':
      case 'choice': {
        if (typeof value === 'object') throw invalid();
        const text = String(value);
        if (text === '') return null;
        if (column.maxLength !== undefined && text.length > column.maxLength) {
          throw invalidRequest(
            `The value of field '${column.name}' is longer than its maximum length of ${column.maxLength} characters.`,
          );
        }
        if (column.kind === 'choice' && !column.allowTextEntry && !(column.choices ?? []).includes(text)) {
          throw invalidRequest(`'${text}' is not one of the choices of field '${column.name}'.`);
        }
        return text;
      }
      case 'number':
      case 'currency': {
        const n =
          typeof value === 'number'
            ? value
            : typeof value === 'string' && value.trim() !== ''
              ? Number(value)
              : NaN;
        if (!Number.isFinite(n)) throw invalid();
        if (
          (column.minimum !== undefined && n < column.minimum) ||
          (column.maximum !== undefined && n > column.maximum)
        ) {
          throw invalidRequest(`The value of field '${column.name}' is outside its allowed range.`);
        }
        return n;
      }
      case 'dateTime': {
        if (typeof value !== 'string') throw invalid();
        const ms = parseInstant(value);
        if (Number.isNaN(ms)) throw invalid();
        return column.dateOnly ? this.siteMidnight(ms) : Math.floor(ms / 1000) * 1000;
      }
      case 'boolean': {
        if (typeof value === 'boolean') return value;
        const text = String(value).toLowerCase();
        if (text === 'true' || text === '1') return true;
        if (text === 'false' || text === '0') return false;
        throw invalid();
      }
      case 'counter':
        throw invalidRequest(`Field '${column.name}' is read-only`);
    }
  }

  /** Date-only values are kept as midnight of that day in the site's zone, expressed in UTC. */
  private siteMidnight(ms: number): number {
    const offset = this.utcOffsetMinutes * 60_000;
    const local = new Date(ms + offset);
    return Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - offset;
  }

  private keyOf(value: Stored): Key {
    if (typeof value === 'string') return value.toLowerCase();
    if (typeof value === 'boolean') return value ? 1 : 0;
    return value;
  }

  private checkUnique(list: ListState, changes: Map<string, Stored | null>, self: number | undefined): void {
    for (const [name, value] of changes) {
      const map = list.unique.get(name);
      const column = list.columns.get(name);
      if (map === undefined || column === undefined || value === null) continue;
      const owner = map.get(this.keyOf(value));
      if (owner !== undefined && owner !== self) {
        throw new GraphFailure(
          this.duplicateStatus,
          DUPLICATE_CODES[this.duplicateStatus],
          `The list item could not be added or updated because duplicate values were found in the following field(s) in the list: [${column.displayName}].`,
        );
      }
    }
  }

  private newItem(
    list: ListState,
    values: Map<string, Stored | null>,
    created: number,
    modified: number,
  ): Item {
    const item: Item = {
      id: list.nextId,
      guid: randomUUID(),
      version: 1,
      created,
      modified,
      values: new Map(),
      keys: new Map(),
    };
    list.nextId += 1;
    item.keys.set('ID', item.id);
    item.keys.set('Created', created);
    item.keys.set('Modified', modified);
    for (const [name, value] of values) {
      const column = list.columns.get(name);
      if (value === null || column === undefined) continue;
      item.values.set(name, value);
      item.keys.set(name, this.keyOf(value));
    }
    return item;
  }

  private addToUnique(list: ListState, item: Item): void {
    for (const [name, map] of list.unique) {
      const key = item.keys.get(name);
      if (key !== undefined && key !== null) map.set(key, item.id);
    }
  }

  private createItem(list: ListState, call: Call): Outcome {
    const body = this.jsonBody(call);
    if (!isObject(body)) throw unreadableJson();
    const fields = body.fields ?? {};
    if (!isObject(fields)) throw invalidRequest('fields must be an object.');
    const values = this.convertFields(list, fields);
    this.checkUnique(list, values, undefined);
    const now = this.nowMs();
    const item = this.newItem(list, values, now, now);
    list.items.set(item.id, item);
    list.byId.insert(item);
    for (const index of list.indexes.values()) index.insert(item);
    this.addToUnique(list, item);
    list.generation += 1;
    return this.ok(
      {
        '@odata.context': this.context(`lists('${list.id}')/items/$entity`),
        ...this.itemJson(list, item, { select: undefined }),
      },
      201,
      { ETag: etagOf(item) },
    );
  }

  private checkIfMatch(call: Call, item: Item): void {
    const header = call.headers.get('if-match');
    if (header === null || header.trim() === '*') return;
    const sent = header.trim();
    const bare = sent.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
    if (bare !== `${item.guid},${item.version}`) {
      throw new GraphFailure(
        412,
        'resourceModified',
        `The request ETag value '${sent}' does not match the object's ETag value '${etagOf(item)}'.`,
      );
    }
  }

  private updateFields(list: ListState, item: Item, call: Call): Outcome {
    this.checkIfMatch(call, item);
    const body = this.jsonBody(call);
    if (!isObject(body)) throw unreadableJson();
    const changes = this.convertFields(list, body);
    this.checkUnique(list, changes, item.id);
    for (const [name, value] of changes) {
      const column = list.columns.get(name);
      if (column === undefined) continue;
      const oldKey = item.keys.get(name) ?? null;
      const newKey = value === null ? null : this.keyOf(value);
      const index = list.indexes.get(name);
      index?.remove(item, oldKey);
      const map = list.unique.get(name);
      if (map !== undefined && oldKey !== null && map.get(oldKey) === item.id) map.delete(oldKey);
      if (value === null) {
        item.values.delete(name);
        item.keys.delete(name);
      } else {
        item.values.set(name, value);
        item.keys.set(name, newKey);
        if (map !== undefined && newKey !== null) map.set(newKey, item.id);
      }
      index?.insert(item);
    }
    item.version += 1;
    item.modified = this.nowMs();
    item.keys.set('Modified', item.modified);
    list.generation += 1;
    const fields = this.fieldsResponse(list, item);
    if (!this.patchReturnsEtag) delete fields['@odata.etag'];
    return this.ok(fields, 200, this.patchReturnsEtag ? { ETag: etagOf(item) } : {});
  }

  private deleteItem(list: ListState, item: Item, call: Call): Outcome {
    this.checkIfMatch(call, item);
    list.items.delete(item.id);
    list.byId.remove(item, item.id);
    for (const [name, index] of list.indexes) index.remove(item, item.keys.get(name) ?? null);
    for (const [name, map] of list.unique) {
      const key = item.keys.get(name);
      if (key !== undefined && key !== null && map.get(key) === item.id) map.delete(key);
    }
    list.generation += 1;
    return { status: 204, headers: {} };
  }

  private fieldsResponse(list: ListState, item: Item): Record<string, unknown> {
    return {
      '@odata.context': this.context(`lists('${list.id}')/items('${item.id}')/fields/$entity`),
      ...this.fieldsJson(list, item, undefined),
    };
  }

  private present(column: Column, value: Stored): unknown {
    if (column.richText && typeof value === 'string') {
      // Enhanced rich text: the text escaped, each line a paragraph, in SharePoint's wrapper.
      const html = value
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .split('\n')
        .map((line) => `<p>${line}</p>`)
        .join('');
      return `<div class="ExternalClass0D7E3F2A9B1C4D5E8F60718293A4B5C6">${html}</div>`;
    }
    return column.kind === 'dateTime' && typeof value === 'number' ? iso(value) : value;
  }

  private fieldsJson(
    list: ListState,
    item: Item,
    select: readonly string[] | undefined,
  ): Record<string, unknown> {
    const all: [string, unknown][] = [];
    for (const column of list.columns.values()) {
      if (column.readOnly) continue;
      const value = item.values.get(column.name);
      if (value !== undefined) all.push([column.name, this.present(column, value)]);
    }
    const extras: Record<(typeof EXTRA_FIELDS)[number], unknown> = {
      id: String(item.id),
      ContentType: 'Item',
      Modified: iso(item.modified),
      Created: iso(item.created),
      AuthorLookupId: SHAREPOINT_APP_LOOKUP_ID,
      EditorLookupId: SHAREPOINT_APP_LOOKUP_ID,
      _UIVersionString: `${item.version}.0`,
      Attachments: false,
      Edit: '',
      ItemChildCount: '0',
      FolderChildCount: '0',
    };
    for (const name of EXTRA_FIELDS) all.push([name, extras[name]]);
    const out: Record<string, unknown> = { '@odata.etag': etagOf(item) };
    const wanted = select === undefined ? undefined : new Set(select.map((s) => (s === 'ID' ? 'id' : s)));
    for (const [name, value] of all) if (wanted === undefined || wanted.has(name)) out[name] = value;
    return out;
  }

  private itemJson(
    list: ListState,
    item: Item,
    expand: { select: string[] | undefined } | null,
  ): Record<string, unknown> {
    const etag = etagOf(item);
    const out: Record<string, unknown> = {
      '@odata.etag': etag,
      createdDateTime: iso(item.created),
      eTag: etag,
      id: String(item.id),
      lastModifiedDateTime: iso(item.modified),
      webUrl: `${list.webUrl}/DispForm.aspx?ID=${item.id}`,
      createdBy: APP_IDENTITY,
      lastModifiedBy: APP_IDENTITY,
      parentReference: { id: list.id, siteId: this.siteId },
      contentType: { id: '0x01', name: 'Item' },
    };
    if (expand !== null) {
      out['fields@odata.context'] = this.context(`lists('${list.id}')/items('${item.id}')/fields/$entity`);
      out.fields = this.fieldsJson(list, item, expand.select);
    }
    return out;
  }

  /** `fields`, `fields(select=A,B)` or `fields($select=A,B)`; null when fields are not expanded. */
  private parseExpand(list: ListState, text: string | undefined): { select: string[] | undefined } | null {
    if (text === undefined || text.trim() === '') return null;
    const match = /^\s*fields\s*(?:\((.*)\))?\s*$/.exec(text);
    if (match === null) {
      const name = text.split(/[(,]/)[0]?.trim() ?? text;
      throw new GraphFailure(
        400,
        'BadRequest',
        `Could not find a property named '${name}' on type 'microsoft.graph.listItem'.`,
      );
    }
    if (match[1] === undefined) return { select: undefined };
    let select: string[] | undefined;
    for (const option of match[1].split(';')) {
      const selectMatch = /^\s*\$?select\s*=\s*(.*)$/i.exec(option);
      if (selectMatch?.[1] !== undefined) {
        select = selectMatch[1]
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
      }
    }
    for (const name of select ?? []) {
      const known =
        list.columns.has(name) || (EXTRA_FIELDS as readonly string[]).includes(name) || name === 'ID';
      if (!known) {
        throw invalidRequest(`Column '${name}' does not exist. It may have been deleted by another user.`);
      }
    }
    return { select };
  }

  // -- queries --------------------------------------------------------------------------------------

  private queryColumn(list: ListState, name: string): Column {
    const column = list.columns.get(name);
    if (column === undefined) throw notRecognized(name);
    return column;
  }

  private listItems(list: ListState, call: Call): Outcome {
    const topText = param(call.params, 'top');
    const top = topText === undefined ? DEFAULT_TOP : Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) {
      throw invalidRequest(`The $top value must be an integer between 1 and ${MAX_TOP}.`);
    }
    const expand = this.parseExpand(list, param(call.params, 'expand'));
    const filterText = param(call.params, 'filter')?.trim() ?? '';
    const orderText = param(call.params, 'orderby')?.trim() ?? '';
    const filter = filterText === '' ? null : parseFilter(filterText);
    const order = orderText === '' ? [] : parseOrderBy(orderText);
    const referenced = [...(filter === null ? [] : fieldsIn(filter)), ...order.map((o) => o.field)];
    const honour = (call.headers.get('prefer') ?? '')
      .split(',')
      .some((p) => p.trim().toLowerCase() === PREFER_NON_INDEXED.toLowerCase());
    for (const name of referenced) {
      const column = this.queryColumn(list, name);
      if (column.indexed) continue;
      if (!honour) {
        throw invalidRequest(
          `Field '${name}' cannot be referenced in filter or orderby as it is not indexed. Provide the 'Prefer: ${PREFER_NON_INDEXED}' header to allow this, but be warned that such queries may fail on large lists.`,
        );
      }
      if (list.items.size > this.threshold) throw this.refuseOverThreshold();
    }
    if (list.items.size > this.threshold) {
      // Past the threshold SharePoint narrows by the filter's first clause alone, from its index; a sort
      // without that narrowing would order the whole list.
      const first = filter === null ? null : firstClause(filter);
      const narrowed = first === null ? (order.length > 0 ? Infinity : 0) : this.selectedBy(list, first);
      if (narrowed > this.threshold) throw this.refuseOverThreshold();
    }
    const compiled =
      filter === null
        ? null
        : compile(
            filter,
            (name) => this.queryColumn(list, name),
            (c) => c.indexed,
          );
    const position = decodeSkipToken(param(call.params, 'skiptoken'), order);
    const { items, more } = this.runQuery(
      list,
      compiled,
      order,
      position,
      top,
      `${filterText}\n${orderText}`,
    );
    const body: Record<string, unknown> = { '@odata.context': this.context(`lists('${list.id}')/items`) };
    const last = items[items.length - 1];
    if (more && last !== undefined)
      body['@odata.nextLink'] = this.nextLink(call, encodeSkipToken(last, order));
    body.value = items.map((item) => this.itemJson(list, item, expand));
    return this.ok(body);
  }

  private refuseOverThreshold(): GraphFailure {
    const refused = this.requests.at(-1);
    if (refused) this.overThreshold.push(refused);
    const { status, code, message } = this.thresholdError;
    return new GraphFailure(status, code, message, status === 429 ? { 'Retry-After': '0' } : {});
  }

  /**
   * How many items one clause selects through an index: an equality or a range on an indexed column, or
   * such clauses joined by `or`. Anything else cannot be answered from an index and counts as the list.
   */
  private selectedBy(list: ListState, node: FilterNode): number {
    if (node.kind === 'or') return this.selectedBy(list, node.left) + this.selectedBy(list, node.right);
    if (node.kind !== 'cmp' || node.op === 'ne') return Infinity;
    const column = this.queryColumn(list, node.field);
    const index = column.indexed ? this.indexFor(list, column.name) : undefined;
    const key = literalKey(column, node.literal);
    if (index === undefined || key === null) return Infinity;
    const values = index.seek(null, Infinity);
    const from = index.seek(key, -Infinity);
    const to = index.seek(key, Infinity);
    const all = index.entries.length;
    const counts: Record<CmpOp, number> = {
      eq: to - from,
      ne: Infinity,
      lt: from - values,
      le: to - values,
      gt: all - to,
      ge: all - from,
    };
    return counts[node.op];
  }

  /** The request's own query (as the client encoded it) with the new $skiptoken, on graph.microsoft.com. */
  private nextLink(call: Call, token: string): string {
    const kept = call.rawQuery.split('&').filter((part) => part !== '' && !/^\$?skiptoken=/i.test(part));
    kept.push(`$skiptoken=${token}`);
    return `${GRAPH_V1}${call.rawPath}?${kept.join('&')}`;
  }

  private indexFor(list: ListState, field: string): SortedIndex | undefined {
    return field === 'ID' ? list.byId : list.indexes.get(field);
  }

  /**
   * One page in the query's total order, after `position`. Answers from an index when it can: by walking
   * the sort column's index (skipping what the filter refuses), or by sorting the few candidates an
   * indexed condition selects; otherwise it sorts the matches once and keeps that view until a write.
   */
  private runQuery(
    list: ListState,
    compiled: Compiled | null,
    order: readonly OrderKey[],
    position: Position | null,
    top: number,
    cacheKey: string,
  ): { items: Item[]; more: boolean } {
    const predicate: Predicate = compiled?.predicate ?? (() => true);
    const bounds = new Map<string, { index: SortedIndex; lo: number; hi: number }>();
    for (const range of compiled?.ranges ?? []) {
      const index = this.indexFor(list, range.field);
      if (index === undefined) continue;
      const aboveNull = index.seek(null, Infinity);
      const atLeast = index.seek(range.key, -Infinity);
      const above = index.seek(range.key, Infinity);
      const [lo, hi] =
        range.op === 'eq'
          ? [atLeast, above]
          : range.op === 'gt'
            ? [above, index.entries.length]
            : range.op === 'ge'
              ? [atLeast, index.entries.length]
              : range.op === 'lt'
                ? [aboveNull, atLeast]
                : [aboveNull, above];
      const current = bounds.get(range.field);
      bounds.set(range.field, {
        index,
        lo: Math.max(lo, current?.lo ?? 0),
        hi: Math.min(hi, current?.hi ?? Infinity),
      });
    }
    const size = (b: { lo: number; hi: number }) => Math.max(0, b.hi - b.lo);
    let best: { field: string; index: SortedIndex; lo: number; hi: number } | undefined;
    for (const [field, b] of bounds) if (best === undefined || size(b) < size(best)) best = { field, ...b };

    const only = order[0];
    const walkKey: OrderKey | undefined =
      order.length === 0
        ? { field: 'ID', desc: false }
        : order.length === 1 && only !== undefined && this.indexFor(list, only.field) !== undefined
          ? only
          : undefined;
    const walkIndex = walkKey === undefined ? undefined : this.indexFor(list, walkKey.field);
    if (
      walkKey !== undefined &&
      walkIndex !== undefined &&
      (best === undefined || best.field === walkKey.field || size(best) > SMALL_RANGE)
    ) {
      const own = bounds.get(walkKey.field);
      const lo = own?.lo ?? 0;
      const hi = Math.min(own?.hi ?? Infinity, walkIndex.entries.length);
      const posKey = position === null ? null : order.length === 0 ? position.id : (position.keys[0] ?? null);
      const items: Item[] = [];
      let more = false;
      const take = (item: Item): boolean => {
        if (!predicate(item)) return true;
        if (items.length === top) {
          more = true;
          return false;
        }
        items.push(item);
        return true;
      };
      if (walkKey.desc) {
        const start = position === null ? hi - 1 : Math.min(hi - 1, walkIndex.seek(posKey, position.id) - 1);
        for (let i = start; i >= lo; i -= 1) if (!take(walkIndex.entries[i] as Item)) break;
      } else {
        const start = position === null ? lo : Math.max(lo, walkIndex.seek(posKey, position.id + 0.5));
        for (let i = start; i < hi; i += 1) if (!take(walkIndex.entries[i] as Item)) break;
      }
      return { items, more };
    }

    if (list.viewsGeneration !== list.generation) {
      list.views.clear();
      list.viewsGeneration = list.generation;
    }
    let view = list.views.get(cacheKey);
    if (view === undefined) {
      const source = best === undefined ? list.byId.entries : best.index.entries.slice(best.lo, best.hi);
      const lastDesc = order[order.length - 1]?.desc === true;
      view = source.filter(predicate).sort((a, b) => {
        for (const o of order) {
          const c = compareKeys(a.keys.get(o.field) ?? null, b.keys.get(o.field) ?? null);
          if (c !== 0) return o.desc ? -c : c;
        }
        return lastDesc ? b.id - a.id : a.id - b.id;
      });
      if (list.views.size >= 16) list.views.clear();
      list.views.set(cacheKey, view);
    }
    let start = 0;
    if (position !== null) {
      let hi = view.length;
      while (start < hi) {
        const mid = (start + hi) >>> 1;
        if (compareToPosition(view[mid] as Item, order, position) <= 0) start = mid + 1;
        else hi = mid;
      }
    }
    return { items: view.slice(start, start + top), more: view.length > start + top };
  }

  // -- $batch ---------------------------------------------------------------------------------------

  private batch(call: Call): Outcome {
    if (call.method !== 'POST') throw methodNotAllowed();
    const body = this.jsonBody(call);
    const malformed = (message: string) => new GraphFailure(400, 'BadRequest', message);
    if (!isObject(body) || !Array.isArray(body.requests)) throw malformed('Invalid batch payload format.');
    const raw: unknown[] = body.requests;
    if (raw.length === 0) throw malformed('The batch request must contain at least one request.');
    if (raw.length > MAX_BATCH) {
      throw malformed(`The number of requests in a batch exceeds the maximum of ${MAX_BATCH}.`);
    }
    interface Step {
      id: string;
      method: string;
      url: string;
      headers: Record<string, string>;
      body: unknown;
      dependsOn: string[];
    }
    const steps: Step[] = raw.map((r) => {
      if (
        !isObject(r) ||
        typeof r.id !== 'string' ||
        typeof r.method !== 'string' ||
        typeof r.url !== 'string'
      ) {
        throw malformed('Each request needs an id, a method and a url.');
      }
      if (/^[a-z]+:/i.test(r.url)) throw malformed(`Request id : ${r.id} must use a relative URL.`);
      if (r.url.replace(/^\//, '').startsWith('$batch')) throw malformed('A batch cannot contain a batch.');
      const headers: Record<string, string> = {};
      if (isObject(r.headers)) for (const [k, v] of Object.entries(r.headers)) headers[k] = String(v);
      if (r.body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
        throw malformed(`Write request id : ${r.id} does not contain Content-Type header or body.`);
      }
      const dependsOn = Array.isArray(r.dependsOn) ? r.dependsOn.map(String) : [];
      return { id: r.id, method: r.method.toUpperCase(), url: r.url, headers, body: r.body, dependsOn };
    });
    const ids = new Set<string>();
    for (const step of steps) {
      if (ids.has(step.id.toLowerCase()))
        throw malformed(`Request id : ${step.id} is not unique in the batch.`);
      ids.add(step.id.toLowerCase());
    }
    for (const step of steps) {
      for (const dep of step.dependsOn) {
        if (!ids.has(dep.toLowerCase()))
          throw malformed(`Request id : ${step.id} depends on unknown request ${dep}.`);
      }
    }
    // Run each request after the ones it depends on, otherwise in the order given.
    const pending = [...steps];
    const statuses = new Map<string, number>();
    const outcomes = new Map<string, Outcome>();
    while (pending.length > 0) {
      const next = pending.findIndex((s) => s.dependsOn.every((d) => statuses.has(d.toLowerCase())));
      if (next < 0) throw malformed('The dependencies of the batch requests form a cycle.');
      const [step] = pending.splice(next, 1);
      if (step === undefined) break;
      const failedDependency = step.dependsOn.some((d) => {
        const status = statuses.get(d.toLowerCase()) ?? 0;
        return status < 200 || status > 299;
      });
      let outcome: Outcome;
      if (failedDependency) {
        const inner = { ...call, requestId: randomUUID() };
        outcome = this.failure(
          new GraphFailure(424, 'failedDependency', 'A request this request depends on failed.'),
          inner,
        );
      } else {
        const url = new URL(`${GRAPH_V1}${step.url.startsWith('/') ? step.url : `/${step.url}`}`);
        const inner = this.makeCall(
          step.method,
          url.pathname.slice('/v1.0'.length) || '/',
          url.search.slice(1),
          new Headers(step.headers),
          step.body === undefined
            ? ''
            : typeof step.body === 'string'
              ? step.body
              : JSON.stringify(step.body),
          randomUUID(),
          call.clientRequestId,
          call.requestId,
        );
        this.log(inner);
        outcome = this.execute(inner);
      }
      statuses.set(step.id.toLowerCase(), outcome.status);
      outcomes.set(step.id, outcome);
    }
    return this.ok({
      responses: steps.map((step) => {
        const outcome = outcomes.get(step.id) as Outcome;
        return {
          id: step.id,
          status: outcome.status,
          headers: outcome.headers,
          ...(outcome.body === undefined ? {} : { body: outcome.body }),
        };
      }),
    });
  }
}

/** The store's Graph settings for this emulation: no sign-in, and the public address unless served. */
export function emulatorConfig(siteId: string, endpoint = 'https://graph.microsoft.com'): SharePointConfig {
  return {
    siteId,
    listPrefix: 'Microacq',
    auth: 'emulator',
    tenantId: '',
    clientId: '',
    clientSecret: '',
    certificatePath: '',
    endpoint,
    timeoutMs: 30_000,
  };
}
