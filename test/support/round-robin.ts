import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A load balancer in front of bot replicas on loopback, as App Service or any reverse proxy would put
 * one: each request goes to the next replica in turn; a replica that refuses the connection is skipped
 * (its request is sent to the next), so killing one leaves the others serving. A request already handed
 * to a replica that dies gets a 502, as from a real proxy: Teams would then deliver it again.
 */
export interface RoundRobin {
  readonly url: string;
  /** Replaces the replicas requests go to. */
  route(upstreams: readonly string[]): void;
  /** How many requests each replica answered, by its URL. */
  readonly served: Map<string, number>;
  close(): Promise<void>;
}

export async function startRoundRobin(upstreams: readonly string[]): Promise<RoundRobin> {
  let targets = [...upstreams];
  let next = 0;
  const served = new Map<string, number>();

  const forward = (
    target: string,
    req: http.IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer } | 'refused'> =>
    new Promise((resolve, reject) => {
      const url = new URL(req.url ?? '/', target);
      const out = http.request(
        url,
        { method: req.method, headers: { ...req.headers, host: url.host }, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      out.on('error', (err: NodeJS.ErrnoException) =>
        err.code === 'ECONNREFUSED' ? resolve('refused') : reject(err),
      );
      out.end(body);
    });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        for (let tried = 0; tried < targets.length; tried++) {
          const target = targets[next++ % targets.length] as string;
          let answer;
          try {
            answer = await forward(target, req, body);
          } catch {
            break; // the replica died with the request: 502 below
          }
          if (answer === 'refused') continue;
          served.set(target, (served.get(target) ?? 0) + 1);
          const headers = { ...answer.headers };
          delete headers['transfer-encoding'];
          res.writeHead(answer.status, headers);
          res.end(answer.body);
          return;
        }
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'no replica answered' }));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    route: (upstream) => {
      targets = [...upstream];
    },
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
