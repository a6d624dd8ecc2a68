import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readAttachment, TEAMS_FILE } from '../src/bot/attachments';

/**
 * Reading a file attached to a message, from a local HTTP server standing in for Teams' download
 * addresses and the Emulator's attachment store: each client's shape, the size bound kept while
 * reading, the time limit, and what is not a file.
 */

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(40_000)]);
const MAX = 64 * 1024;
const OPTIONS = { maxBytes: MAX, timeoutMs: 1_000 };

describe('readAttachment', () => {
  let server: Server;
  let base = '';
  /** How many bytes the server wrote for each endless answer before the reader let go. */
  let endlessWritten = 0;
  let endlessClosed: Promise<void> = Promise.resolve();

  const endless = (res: ServerResponse) => {
    endlessWritten = 0;
    let closed: () => void = () => undefined;
    endlessClosed = new Promise<void>((resolve) => (closed = resolve));
    res.writeHead(200, { 'Content-Type': 'application/pdf' });
    const chunk = Buffer.alloc(16 * 1024, 0x41);
    const pump = () => {
      while (!res.destroyed && endlessWritten < 100 * 1024 * 1024) {
        endlessWritten += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    res.on('close', closed);
    pump();
  };

  before(async () => {
    server = createServer((req, res) => {
      switch (req.url) {
        case '/files/terms.pdf':
          res.writeHead(200, { 'Content-Type': 'application/pdf', 'Content-Length': String(PDF.length) });
          res.end(PDF);
          return;
        case '/exactly-max':
          res.end(Buffer.alloc(MAX, 1));
          return;
        case '/declared-large':
          // Says how large before sending anything: refused on the header alone.
          res.writeHead(200, { 'Content-Length': String(50 * 1024 * 1024) });
          res.write(Buffer.alloc(1024));
          return;
        case '/endless':
          endless(res);
          return;
        case '/slow':
          res.writeHead(200, { 'Content-Type': 'application/pdf' });
          res.write(PDF.subarray(0, 100));
          return; // never ends
        case '/silent':
          return; // never answers
        case '/redirect':
          res.writeHead(302, { Location: '/files/terms.pdf' });
          res.end();
          return;
        default:
          res.writeHead(404);
          res.end('not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  describe('each client’s shape', () => {
    it('reads a file Teams sends as download info, its type from its extension', async () => {
      const read = await readAttachment(
        {
          contentType: TEAMS_FILE,
          contentUrl: 'https://contoso.sharepoint.com/personal/riley/Documents/terms.pdf',
          name: 'terms.pdf',
          content: { downloadUrl: `${base}/files/terms.pdf`, uniqueId: 'A1B2', fileType: 'pdf' },
        },
        OPTIONS,
      );
      assert.deepEqual(read, { ok: true, name: 'terms.pdf', contentType: 'application/pdf', bytes: PDF });
    });

    it('gives a Teams file named without an extension the one Teams says it has', async () => {
      const read = await readAttachment(
        {
          contentType: TEAMS_FILE,
          name: 'Signed terms',
          content: { downloadUrl: `${base}/files/terms.pdf`, fileType: 'PDF' },
        },
        OPTIONS,
      );
      assert.ok(read.ok);
      assert.deepEqual([read.name, read.contentType], ['Signed terms.pdf', 'application/pdf']);
    });

    it('reads a file the Emulator or the Playground sends with its MIME type and an http address', async () => {
      const read = await readAttachment(
        { contentType: 'application/pdf', contentUrl: `${base}/files/terms.pdf`, name: 'conditions.pdf' },
        OPTIONS,
      );
      assert.deepEqual(read, {
        ok: true,
        name: 'conditions.pdf',
        contentType: 'application/pdf',
        bytes: PDF,
      });
    });

    it('names a file from its address when the attachment gives no name, and follows a redirect', async () => {
      const read = await readAttachment(
        { contentType: 'application/pdf', contentUrl: `${base}/redirect` },
        OPTIONS,
      );
      assert.ok(read.ok);
      assert.equal(read.name, 'redirect');
      assert.ok(read.bytes.equals(PDF));
    });

    it('reads a data: URL, base64 or percent-encoded', async () => {
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);
      const base64 = await readAttachment(
        {
          contentType: 'image/png',
          contentUrl: `data:image/png;base64,${png.toString('base64')}`,
          name: 'scan.png',
        },
        OPTIONS,
      );
      assert.deepEqual(base64, { ok: true, name: 'scan.png', contentType: 'image/png', bytes: png });
      const percent = await readAttachment(
        {
          contentType: 'application/pdf',
          contentUrl: 'data:application/pdf,%25PDF-1.7%0A%FF%00café',
          name: 'a.pdf',
        },
        OPTIONS,
      );
      assert.ok(percent.ok);
      assert.ok(
        percent.bytes.equals(
          Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from([0xff, 0]), Buffer.from('café')]),
        ),
      );
    });

    it('uses the fetch it is given', async () => {
      const asked: string[] = [];
      const read = await readAttachment(
        {
          contentType: 'application/pdf',
          contentUrl: 'https://attachments.example/terms.pdf',
          name: 'terms.pdf',
        },
        {
          ...OPTIONS,
          fetch: async (url) => {
            asked.push(String(url));
            return new Response(PDF);
          },
        },
      );
      assert.ok(read.ok);
      assert.deepEqual(asked, ['https://attachments.example/terms.pdf']);
    });
  });

  describe('the size bound', () => {
    it('reads a file of exactly the largest size', async () => {
      const read = await readAttachment(
        { contentType: 'application/pdf', contentUrl: `${base}/exactly-max` },
        OPTIONS,
      );
      assert.ok(read.ok);
      assert.equal(read.bytes.length, MAX);
    });

    it('refuses a file one byte larger, over http and as a data: URL', async () => {
      const over = Buffer.alloc(MAX + 1, 7);
      assert.deepEqual(
        await readAttachment(
          { contentType: 'application/pdf', contentUrl: `${base}/exactly-max` },
          { ...OPTIONS, maxBytes: MAX - 1 },
        ),
        { ok: false, problem: 'too_large' },
      );
      assert.deepEqual(
        await readAttachment(
          {
            contentType: 'application/pdf',
            contentUrl: `data:application/pdf;base64,${over.toString('base64')}`,
          },
          OPTIONS,
        ),
        { ok: false, problem: 'too_large' },
      );
      assert.deepEqual(
        await readAttachment(
          { contentType: 'application/pdf', contentUrl: `data:application/pdf,${'A'.repeat(MAX + 1)}` },
          OPTIONS,
        ),
        { ok: false, problem: 'too_large' },
      );
    });

    it('refuses a file whose declared length is too large without reading it', async () => {
      const started = Date.now();
      assert.deepEqual(
        await readAttachment(
          { contentType: 'application/pdf', contentUrl: `${base}/declared-large` },
          OPTIONS,
        ),
        { ok: false, problem: 'too_large' },
      );
      assert.ok(Date.now() - started < 500);
    });

    it('stops reading an endless file once past the bound, and lets the connection go', async () => {
      const read = await readAttachment(
        { contentType: 'application/pdf', contentUrl: `${base}/endless` },
        OPTIONS,
      );
      assert.deepEqual(read, { ok: false, problem: 'too_large' });
      await endlessClosed;
      // What the server could write before the reader let go is bounded by socket buffers, not the file.
      assert.ok(endlessWritten < 20 * 1024 * 1024, `${endlessWritten} bytes written`);
    });
  });

  describe('the time limit and errors', () => {
    it('gives up on a file that trickles in past the time limit', async () => {
      const started = Date.now();
      const read = await readAttachment(
        { contentType: 'application/pdf', contentUrl: `${base}/slow` },
        { ...OPTIONS, timeoutMs: 200 },
      );
      assert.deepEqual(read, { ok: false, problem: 'unreachable' });
      assert.ok(Date.now() - started < 1_000);
    });

    it('gives up on a server that never answers, and on a fetch that ignores the signal', async () => {
      assert.deepEqual(
        await readAttachment(
          { contentType: 'application/pdf', contentUrl: `${base}/silent` },
          { ...OPTIONS, timeoutMs: 200 },
        ),
        { ok: false, problem: 'unreachable' },
      );
      const deaf = () => new Promise<Response>(() => undefined);
      assert.deepEqual(
        await readAttachment(
          { contentType: 'application/pdf', contentUrl: 'https://attachments.example/x.pdf' },
          { ...OPTIONS, timeoutMs: 100, fetch: deaf },
        ),
        { ok: false, problem: 'unreachable' },
      );
    });

    it('says unreachable for an error answer or no server at all', async () => {
      assert.deepEqual(
        await readAttachment({ contentType: 'application/pdf', contentUrl: `${base}/missing.pdf` }, OPTIONS),
        { ok: false, problem: 'unreachable' },
      );
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      assert.deepEqual(
        await readAttachment(
          { contentType: 'application/pdf', contentUrl: `http://127.0.0.1:${port}/x.pdf` },
          OPTIONS,
        ),
        { ok: false, problem: 'unreachable' },
      );
    });
  });

  describe('what is not a file at an http(s) or data: address', () => {
    const unsupported = { ok: false, problem: 'unsupported' };
    for (const [what, attachment] of [
      [
        'a card',
        { contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard' } },
      ],
      ['the message’s own text', { contentType: 'text/html', content: '<p>attach MA-2026-0042 terms</p>' }],
      [
        'Teams download info without an address',
        { contentType: TEAMS_FILE, name: 'a.pdf', content: { fileType: 'pdf' } },
      ],
      ['Teams download info without content', { contentType: TEAMS_FILE, name: 'a.pdf' }],
      ['a file on this machine', { contentType: 'application/pdf', contentUrl: 'file:///etc/passwd' }],
      ['an FTP address', { contentType: 'application/pdf', contentUrl: 'ftp://example.com/a.pdf' }],
      ['a script address', { contentType: 'application/pdf', contentUrl: 'javascript:alert(1)' }],
      ['a relative address', { contentType: 'application/pdf', contentUrl: '/files/terms.pdf' }],
      [
        'a data: URL without a comma',
        { contentType: 'application/pdf', contentUrl: 'data:application/pdf;base64' },
      ],
      [
        'a data: URL that is not base64',
        { contentType: 'application/pdf', contentUrl: 'data:application/pdf;base64,%%%' },
      ],
      ['an attachment without a type', { contentUrl: `https://example.com/a.pdf` }],
    ] as const) {
      it(`refuses ${what}`, async () => {
        assert.deepEqual(await readAttachment(attachment, OPTIONS), unsupported);
      });
    }
  });
});
