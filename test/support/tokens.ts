import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Bot Framework's token service on loopback: an OpenID metadata document and the
 * public keys it points to, and tokens signed the way the Bot Connector signs what it sends to a bot.
 */

/** The issuer of Bot Framework channel tokens in the public cloud. */
export const CHANNEL_ISSUER = 'https://api.botframework.com';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function signingKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey };
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export interface SignOptions {
  readonly key: SigningKey;
  /** The key id named in the header; the key's own unless a test lies about it. */
  readonly kid?: string;
}

/** A compact JWS (RS256) over `claims`. */
export function signJwt(claims: Record<string, unknown>, { key, kid = key.kid }: SignOptions): string {
  const signed = `${base64url({ alg: 'RS256', typ: 'JWT', kid })}.${base64url(claims)}`;
  return `${signed}.${sign('sha256', Buffer.from(signed), key.privateKey).toString('base64url')}`;
}

/** The same token with its claims replaced and its signature kept, as a tampering proxy would send it. */
export function tamper(token: string, claims: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${base64url(claims)}.${signature}`;
}

/**
 * A token signed with HMAC (HS256) using a published public key as the secret: the old trick against
 * verifiers that take the algorithm from the token.
 */
export function hmacWithPublicKey(claims: Record<string, unknown>, key: SigningKey): string {
  const signed = `${base64url({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${base64url(claims)}`;
  const secret = key.publicKey.export({ format: 'pem', type: 'pkcs1' });
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

/** An unsigned token (`alg: none`) naming a published key. */
export function unsignedJwt(claims: Record<string, unknown>, kid: string): string {
  return `${base64url({ alg: 'none', typ: 'JWT', kid })}.${base64url(claims)}.`;
}

export interface PublishedKey {
  readonly key: SigningKey;
  /** The channels a key may sign for, as the Bot Framework publishes them ("msteams", …). */
  readonly endorsements?: readonly string[];
}

export class TokenService {
  /** The OpenID metadata document, for BOT_OPENID_METADATA_URL. */
  metadataUrl = '';
  /** How many times the bot fetched the metadata document and the key set. */
  readonly fetches = { metadata: 0, keys: 0 };
  private readonly server: Server;

  private constructor(private readonly published: readonly PublishedKey[]) {
    this.server = createServer((req, res) => {
      const base = this.metadataUrl.replace(/\/[^/]*$/, '');
      let body: unknown;
      if (req.url === new URL(this.metadataUrl).pathname) {
        this.fetches.metadata++;
        body = {
          issuer: CHANNEL_ISSUER,
          jwks_uri: `${base}/keys`,
          id_token_signing_alg_values_supported: ['RS256'],
        };
      } else if (req.url === '/keys') {
        this.fetches.keys++;
        body = { keys: this.published.map(jwk) };
      } else {
        res.writeHead(404);
        res.end();
        return;
      }
      // Separate calls: restify, loaded in the same process, replaces writeHead with one returning nothing.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  }

  static async start(published: readonly PublishedKey[]): Promise<TokenService> {
    const service = new TokenService(published);
    service.server.listen(0, '127.0.0.1');
    await once(service.server, 'listening');
    const { port } = service.server.address() as AddressInfo;
    service.metadataUrl = `http://127.0.0.1:${port}/openidconfiguration`;
    return service;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function jwk({ key, endorsements }: PublishedKey): Record<string, unknown> {
  const { n, e } = key.publicKey.export({ format: 'jwk' });
  return { kty: 'RSA', use: 'sig', kid: key.kid, n, e, ...(endorsements ? { endorsements } : {}) };
}

/** The claims of a channel token for `appId`, valid for an hour from now, as the Bot Connector sends them. */
export function channelClaims(appId: string, serviceUrl: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: CHANNEL_ISSUER, aud: appId, serviceurl: serviceUrl, nbf: now - 60, exp: now + 3600 };
}
