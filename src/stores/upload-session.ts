import { StoreUnavailableError } from '../services/store';

/**
 * Sending a file to a OneDrive or SharePoint upload session: the address a library gives for a large
 * file (`createUploadSession`), and the one Teams gives when a person accepts a file from the bot
 * (`fileConsent/invoke`). Each request carries one range of the file, in order: OneDrive takes ranges in
 * multiples of 320 KiB (but the last), each under 60 MiB, answers 202 with where the next should start,
 * and 200 or 201 with the item once the last byte is in.
 */

/** An upload session's range: a multiple of 320 KiB; 5 MiB takes a 10 MB file in two. */
export const UPLOAD_RANGE = 16 * 320 * 1024;
const ATTEMPTS = 3;
/** As the records' store: a person is told to try again within Teams' few seconds, never held for minutes. */
const WAIT_BUDGET_MS = 3_000;
const RETRYABLE = new Set([429, 503, 504]);

/** How a range is sent: the session's address carries its own authorization, so no token is added. */
export type SendRange = (url: string, init: RequestInit) => Promise<Response>;

/** An answer from the upload session itself, with its status for `statusOf`. */
class SharePointAnswerError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'SharePointAnswerError';
  }
}

/** The upload session is gone after its last range was sent: the file was made, its answer lost. */
export class SessionGone extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function retryAfterMs(header: string | null): number {
  const seconds = header === null ? 1 : Number(header);
  return Math.max(0, Number.isFinite(seconds) ? seconds * 1000 : 1000);
}

/** Where an upload session wants the next range to start, from its `nextExpectedRanges` ("327680-"). */
function nextStart(body: unknown): number | undefined {
  const ranges = (body as { nextExpectedRanges?: unknown })?.nextExpectedRanges;
  const first = Array.isArray(ranges) ? ranges[0] : undefined;
  const start = typeof first === 'string' ? Number(first.split('-')[0]) : NaN;
  return Number.isInteger(start) && start >= 0 ? start : undefined;
}

/** Lets the connection go back to the pool when the body is not wanted. */
export async function drain(response: Response): Promise<void> {
  await response.arrayBuffer().catch(() => undefined);
}

/**
 * Sends the bytes to an upload session in ranges, in order, and resolves with the item the session made.
 * A throttled, failed or unanswered range is tried again (within the wait budget) from where the session
 * says it stands, so a range taken though its answer was lost is not sent twice.
 */
export async function sendInRanges(send: SendRange, uploadUrl: string, bytes: Buffer): Promise<unknown> {
  let from = 0;
  let failures = 0;
  let waited = 0;
  let sentLast = false;
  // Every range may be tried ATTEMPTS times, and no more: a session that keeps asking for what it was
  // given, or fails every other range, cannot hold the turn without end.
  let puts = Math.max(1, Math.ceil(bytes.length / UPLOAD_RANGE)) * ATTEMPTS;
  for (;;) {
    if (puts-- === 0) {
      throw new StoreUnavailableError('SharePoint is busy and could not take the file; try again shortly');
    }
    const to = Math.min(bytes.length, from + UPLOAD_RANGE);
    if (to === bytes.length) sentLast = true;
    let wait = 0;
    const answer = await send(uploadUrl, {
      method: 'PUT',
      headers: { 'Content-Range': `bytes ${from}-${to - 1}/${bytes.length}` },
      // A copy as a plain Uint8Array: what fetch takes as a body.
      body: new Uint8Array(bytes.subarray(from, to)),
    }).catch(() => undefined);
    if (answer?.status === 200 || answer?.status === 201) return answer.json();
    if (answer?.status === 202) {
      const next = nextStart(await answer.json().catch(() => undefined)) ?? to;
      // A session that asks again for what it was given is not moving: that counts as a failure.
      if (next > from) {
        from = next;
        failures = 0;
        continue;
      }
    } else if (answer) {
      await drain(answer);
      if (answer.status === 409) throw new SharePointAnswerError(409, 'the file name was taken');
      if (answer.status !== 416 && !RETRYABLE.has(answer.status)) {
        const message = `SharePoint refused a range of the file: ${answer.status}`;
        throw answer.status >= 500
          ? new StoreUnavailableError(message)
          : new SharePointAnswerError(answer.status, message);
      }
      if (RETRYABLE.has(answer.status)) wait = retryAfterMs(answer.headers.get('Retry-After'));
    }
    failures += 1;
    if (failures >= ATTEMPTS || waited + wait > WAIT_BUDGET_MS) {
      throw new StoreUnavailableError('SharePoint is busy and could not take the file; try again shortly');
    }
    waited += wait;
    await sleep(wait);
    const status = await send(uploadUrl, { method: 'GET' }).catch(() => undefined);
    if (status?.status === 404) {
      await drain(status);
      if (sentLast) throw new SessionGone('the upload session ended');
      throw new StoreUnavailableError('the upload session expired; try again shortly');
    }
    if (status?.ok) from = nextStart(await status.json().catch(() => undefined)) ?? from;
    else if (status) await drain(status);
  }
}
