import type { IncomingMessage } from 'node:http';
import { ActivityTypes } from 'botbuilder';
import { z } from 'zod';

/**
 * What reaches /api/messages is read and checked here, before botbuilder sees it: botbuilder throws (a
 * 500) on bodies and activities it cannot read, and its errors name its internals. Anything that is not
 * a JSON activity of the minimal shape the bot needs is answered with a short 4xx and no turn is run.
 */

export type Inbound =
  | { readonly ok: true; readonly activity: Record<string, unknown> }
  | { readonly ok: false; readonly status: 400 | 413 | 415; readonly error: string };

/** Teams' activities nest a dozen levels at most; far deeper is an attack on whatever walks the tree. */
const MAX_DEPTH = 64;

/** A JSON object (not an array, not null): what an activity and its parts must be. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const refuse = (status: 400 | 413 | 415, error: string): Inbound => ({ ok: false, status, error });

function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

/** Reads at most `maxBytes`; undefined as soon as the body is longer, without reading the rest. */
async function readAtMost(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** How deep arrays and objects nest, counted outside strings. */
function depthOf(json: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') deepest = Math.max(deepest, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return deepest;
}

const text = z.string().max(1_000);
const Account = z.looseObject({ id: text.min(1), aadObjectId: text.nullish(), name: text.nullish() });

/** The fields the bot and botbuilder read, with the types they assume; anything else passes untouched. */
const Activity = z.looseObject({
  type: z.enum(Object.values(ActivityTypes) as [string, ...string[]]),
  id: text.nullish(),
  name: text.nullish(),
  serviceUrl: z.url({ protocol: /^https?$/ }).max(1_000),
  channelId: text.min(1),
  from: Account,
  recipient: Account,
  conversation: z.looseObject({
    id: text.min(1),
    conversationType: text.nullish(),
    tenantId: text.nullish(),
  }),
  locale: text.nullish(),
  text: z.string().nullish(),
  replyToId: text.nullish(),
  entities: z.array(z.record(z.string(), z.unknown())).nullish(),
  channelData: z.record(z.string(), z.unknown()).nullish(),
  membersAdded: z.array(Account).nullish(),
  membersRemoved: z.array(Account).nullish(),
});

/** botbuilder reads `value.action.type` of a card action without looking whether there is one. */
/** An answer to a file consent card says which way it went; the handler reads the rest. */
const FileConsentValue = z.looseObject({ action: z.enum(['accept', 'decline']) });
const CardActionValue = z.looseObject({
  action: z.looseObject({ type: text, verb: text.nullish(), data: z.unknown().optional() }),
});

export async function readActivity(req: IncomingMessage, maxBytes: number): Promise<Inbound> {
  if (!isJson(req.headers['content-type'])) return refuse(415, 'send the activity as application/json');
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return refuse(413, 'the body is too large');
  const bytes = await readAtMost(req, maxBytes);
  if (!bytes) return refuse(413, 'the body is too large');
  let json: string;
  try {
    // A leading byte order mark is allowed and dropped; any invalid byte refuses the whole body.
    json = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return refuse(400, 'the body is not valid UTF-8');
  }
  if (depthOf(json) > MAX_DEPTH) return refuse(400, 'the body nests too deeply');
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch {
    return refuse(400, 'the body is not JSON');
  }
  const activity = Activity.safeParse(body);
  if (!activity.success) {
    const where = activity.error.issues[0]?.path.join('.') || 'body';
    return refuse(400, `not an activity this bot can read (${where})`);
  }
  const { type, name, value } = activity.data;
  if (type === 'invoke' && name === 'adaptiveCard/action' && !CardActionValue.safeParse(value).success)
    return refuse(400, 'not an activity this bot can read (value.action)');
  if (type === 'invoke' && name === 'fileConsent/invoke' && !FileConsentValue.safeParse(value).success)
    return refuse(400, 'not an activity this bot can read (value.action)');
  return { ok: true, activity: activity.data };
}
