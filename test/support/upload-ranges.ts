/**
 * How OneDrive takes an upload session's PUTs, for the stand-ins that play it (the Graph emulation's
 * drive, the connector's export uploads): ranges in order, each under 60 MiB and a multiple of 320 KiB
 * but the last, all of one declared size.
 */

const FRAGMENT_UNIT = 320 * 1024;
const REQUEST_MAX = 60 * 1024 * 1024;

/** What an upload session holds between its requests. */
export interface RangesReceived {
  total?: number;
  received: Buffer[];
  next: number;
}

/** A range refused, as OneDrive answers it. */
export class RangeRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: 'invalidRequest' | 'invalidRange' | 'requestTooLarge',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Takes one PUT's bytes into the session: the whole file once its last byte arrives, else the next
 * range expected. Throws RangeRefused, leaving the session as it was.
 */
export function takeRange(
  session: RangesReceived,
  contentRange: string | undefined,
  bytes: Buffer,
): { readonly file: Buffer } | { readonly next: number; readonly total: number } {
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange ?? '');
  if (!range)
    throw new RangeRefused(400, 'invalidRequest', 'The Content-Range header is missing or malformed.');
  const [start, end, total] = [Number(range[1]), Number(range[2]), Number(range[3])];
  const badRange = (why: string) => new RangeRefused(416, 'invalidRange', `The uploaded fragment ${why}.`);
  if (bytes.length >= REQUEST_MAX)
    throw new RangeRefused(413, 'requestTooLarge', 'A fragment must be under 60 MiB.');
  if (bytes.length !== end - start + 1)
    throw new RangeRefused(400, 'invalidRequest', 'The Content-Length does not match the Content-Range.');
  if (session.total !== undefined && total !== session.total) throw badRange('declares another file size');
  if (end >= total) throw badRange('ends past the end of the file');
  if (start !== session.next)
    throw badRange(`starts at ${start}, not at ${session.next}, where the next one is expected`);
  const last = end === total - 1;
  if (!last && bytes.length % FRAGMENT_UNIT !== 0) throw badRange('is not a multiple of 320 KiB');
  if (last) return { file: Buffer.concat([...session.received, bytes]) };
  session.total = total;
  session.received.push(Buffer.from(bytes));
  session.next = end + 1;
  return { next: session.next, total };
}
