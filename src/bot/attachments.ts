import { contentTypeFor } from '../services/documents';

/**
 * A file a person attached to a message, read from where their client put it. Teams sends a file as
 * `application/vnd.microsoft.teams.file.download.info` with a pre-authenticated `content.downloadUrl`
 * (and the file's `fileType`, its extension); the Bot Framework Emulator and the Agents Playground send
 * the file's own MIME type with a `contentUrl`, over http(s) or as a `data:` URL.
 *
 * The bytes are read as they arrive and the reading stops once more than `maxBytes` came, so a large or
 * endless file never fills memory; the whole reading has a time limit; only http(s) and `data:` URLs are
 * followed, never a file on this machine.
 */

export type AttachmentProblem = 'too_large' | 'unreachable' | 'unsupported';

export type AttachmentRead =
  | { readonly ok: true; readonly name: string; readonly contentType: string; readonly bytes: Buffer }
  | { readonly ok: false; readonly problem: AttachmentProblem };

export interface ReadAttachmentOptions {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** How the file is fetched: the global fetch unless given (tests). */
  readonly fetch?: typeof fetch;
}

/** The fields an activity's attachment may carry: whatever a client sent, checked here. */
export interface AttachmentFields {
  readonly contentType?: unknown;
  readonly contentUrl?: unknown;
  readonly name?: unknown;
  readonly content?: unknown;
}

export const TEAMS_FILE = 'application/vnd.microsoft.teams.file.download.info';

const failed = (problem: AttachmentProblem): AttachmentRead => ({ ok: false, problem });

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The last part of a URL's path, as a file name when the attachment gives none. */
function nameInUrl(url: string): string | undefined {
  try {
    const last = new URL(url).pathname.split('/').pop();
    return last ? decodeURIComponent(last) : undefined;
  } catch {
    return undefined;
  }
}

interface Source {
  readonly url: string;
  readonly name: string;
  readonly contentType: string;
}

/** Where the file is, what it is called and what it says it is; undefined for what is not a file. */
function sourceOf(attachment: AttachmentFields): Source | undefined {
  const contentType = text(attachment.contentType);
  if (contentType === undefined) return undefined;
  if (contentType.toLowerCase() === TEAMS_FILE) {
    const content = attachment.content;
    if (typeof content !== 'object' || content === null) return undefined;
    const info = content as Record<string, unknown>;
    const url = text(info.downloadUrl);
    if (url === undefined) return undefined;
    const fileType = text(info.fileType)?.replace(/^\./, '').toLowerCase();
    let name = text(attachment.name) ?? 'attachment';
    // Teams gives the extension apart; a name without one takes it.
    if (fileType && !name.includes('.')) name = `${name}.${fileType}`;
    return { url, name, contentType: contentTypeFor(name) ?? 'application/octet-stream' };
  }
  // Cards, and Teams' own attachments other than files, are not files.
  if (contentType.toLowerCase().startsWith('application/vnd.microsoft.')) return undefined;
  // A message's own text comes as an attachment too (text/html), without an address.
  const url = text(attachment.contentUrl);
  if (url === undefined) return undefined;
  return { url, name: text(attachment.name) ?? nameInUrl(url) ?? 'attachment', contentType };
}

/** The bytes of a `data:` URL, refused past `maxBytes` before any is decoded. */
function fromDataUrl(url: string, maxBytes: number): Buffer | AttachmentProblem {
  const comma = url.indexOf(',');
  if (comma < 0) return 'unsupported';
  const meta = url.slice('data:'.length, comma);
  const data = url.slice(comma + 1);
  if (/;base64$/i.test(meta)) {
    const clean = data.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return 'unsupported';
    const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
    if (Math.floor((clean.length * 3) / 4) - padding > maxBytes) return 'too_large';
    return Buffer.from(clean, 'base64');
  }
  // Percent escapes are bytes; the text between them is UTF-8.
  const parts: Buffer[] = [];
  let total = 0;
  for (const [token] of data.matchAll(/%[0-9a-fA-F]{2}|[^%]+|%/g)) {
    const part = /^%[0-9a-fA-F]{2}$/.test(token)
      ? Buffer.from([parseInt(token.slice(1), 16)])
      : Buffer.from(token, 'utf8');
    total += part.length;
    if (total > maxBytes) return 'too_large';
    parts.push(part);
  }
  return Buffer.concat(parts);
}

/** Reads the body as it arrives, giving up once it passes `maxBytes`. */
async function download(
  url: string,
  maxBytes: number,
  signal: AbortSignal,
  send: typeof fetch,
): Promise<Buffer | AttachmentProblem> {
  let response: Response;
  try {
    response = await send(url, { signal, redirect: 'follow' });
  } catch {
    return 'unreachable';
  }
  const stop = () => void response.body?.cancel().catch(() => undefined);
  if (!response.ok) {
    stop();
    return 'unreachable';
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    stop();
    return 'too_large';
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        void reader.cancel().catch(() => undefined);
        return 'too_large';
      }
      chunks.push(value);
    }
  } catch {
    return 'unreachable';
  }
  return Buffer.concat(chunks);
}

/**
 * The file an attachment carries: its name, its type (as the client says it, or from its extension for
 * Teams) and its bytes; or why it cannot be had: more than `maxBytes`, out of reach within `timeoutMs`
 * (including an error answer), or not a file at an http(s) or `data:` address.
 */
export async function readAttachment(
  attachment: AttachmentFields | Readonly<Record<string, unknown>>,
  options: ReadAttachmentOptions,
): Promise<AttachmentRead> {
  const source = typeof attachment === 'object' && attachment !== null ? sourceOf(attachment) : undefined;
  if (!source) return failed('unsupported');
  let protocol: string;
  try {
    protocol = new URL(source.url).protocol;
  } catch {
    return failed('unsupported');
  }
  let bytes: Buffer | AttachmentProblem;
  if (protocol === 'data:') {
    bytes = fromDataUrl(source.url, options.maxBytes);
  } else if (protocol === 'http:' || protocol === 'https:') {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // The race, not only the signal: a fetch that ignores the signal still cannot hold the turn.
    const timeout = new Promise<AttachmentProblem>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve('unreachable');
      }, options.timeoutMs);
    });
    try {
      bytes = await Promise.race([
        download(source.url, options.maxBytes, controller.signal, options.fetch ?? fetch),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  } else {
    return failed('unsupported');
  }
  if (typeof bytes === 'string') return failed(bytes);
  return { ok: true, name: source.name, contentType: source.contentType, bytes };
}
