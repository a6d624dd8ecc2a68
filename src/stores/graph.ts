import {
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import {
  type AuthenticationProvider,
  Client,
  type Context,
  type Middleware,
  MiddlewareFactory,
  RetryHandler,
  RetryHandlerOptions,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { SharePointConfig } from '../config';

/** Sends a request and answers with Graph's response; `fetch` in production, an emulation in tests. */
export type GraphFetch = (url: string, init: RequestInit) => Promise<Response>;

const PUBLIC_GRAPH = 'https://graph.microsoft.com';

/**
 * The last link of the Graph client's middleware chain: it sends each request to the configured Graph
 * (a national cloud, or an emulation on this machine) and gives up after the timeout, so a Graph that
 * does not answer never holds a person's turn. The SDK builds URLs and paging links on the public
 * address, which is rewritten here rather than configured, because the SDK mishandles other base URLs.
 */
class GraphTransport implements Middleware {
  constructor(
    private readonly endpoint: string,
    private readonly timeoutMs: number,
    private readonly send: GraphFetch,
  ) {}

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const target = url.startsWith(PUBLIC_GRAPH) ? this.endpoint + url.slice(PUBLIC_GRAPH.length) : url;
    const controller = new AbortController();
    const init: RequestInit = { ...(context.options ?? {}), signal: controller.signal };
    let timer: NodeJS.Timeout | undefined;
    // The race, not only the signal: a sender that ignores the signal still cannot hold the turn.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new Error(`Graph did not answer within ${this.timeoutMs} ms`);
        err.name = 'TimeoutError';
        controller.abort(err);
        reject(err);
      }, this.timeoutMs);
    });
    try {
      context.response = await Promise.race([this.send(target, init), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function credentialFor(sp: SharePointConfig): TokenCredential | undefined {
  switch (sp.auth) {
    case 'secret':
      return new ClientSecretCredential(sp.tenantId, sp.clientId, sp.clientSecret);
    case 'certificate':
      return new ClientCertificateCredential(sp.tenantId, sp.clientId, {
        certificatePath: sp.certificatePath,
      });
    case 'managed-identity':
      return sp.clientId
        ? new ManagedIdentityCredential({ clientId: sp.clientId })
        : new ManagedIdentityCredential();
    case 'emulator':
      return undefined;
  }
}

/**
 * The SDK waits up to 180 s three times for a throttled request, while Teams gives a click 5 s: it retries
 * here only a wait of a second or less, twice at most, and a longer one comes back at once, so the person
 * is told to try again rather than kept waiting (the store's own retries keep to a budget as well).
 */
export const GRAPH_RETRY = {
  maxWaitSeconds: 1,
  maxRetries: 2,
};

function retryWithinTurn(): RetryHandler {
  return new RetryHandler(
    new RetryHandlerOptions(1, GRAPH_RETRY.maxRetries, (_delay, _attempt, _request, _options, response) => {
      const header = response.headers.get('Retry-After');
      if (header === null) return true;
      const seconds = Number.isNaN(Number(header))
        ? (new Date(header).getTime() - Date.now()) / 1000
        : Number(header);
      return seconds <= GRAPH_RETRY.maxWaitSeconds;
    }),
  );
}

/** An emulation on this machine accepts any token: configuration allows this only for a loopback Graph. */
const emulatorAuth: AuthenticationProvider = { getAccessToken: async () => 'emulator' };

export function createGraphClient(sp: SharePointConfig, send: GraphFetch = fetch): Client {
  const credential = credentialFor(sp);
  const auth = credential
    ? new TokenCredentialAuthenticationProvider(credential, { scopes: [`${PUBLIC_GRAPH}/.default`] })
    : emulatorAuth;
  // Authentication, retries of 429 / 503 / 504 honouring Retry-After (within a turn), redirects,
  // telemetry, then our transport in place of the SDK's own fetch.
  const middleware = MiddlewareFactory.getDefaultMiddlewareChain(auth).map((m) =>
    m instanceof RetryHandler ? retryWithinTurn() : m,
  );
  middleware[middleware.length - 1] = new GraphTransport(sp.endpoint, sp.timeoutMs, send);
  return Client.initWithMiddleware({ middleware, defaultVersion: 'v1.0' });
}
