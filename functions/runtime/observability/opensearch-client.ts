import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, Checksum, SourceData } from '@smithy/types';

/** One answer from OpenSearch. */
export interface OpenSearchResponse {
  readonly status: number;
  readonly body: string;
}

/** The HTTP calls the shipper makes; a network failure or a timeout rejects. */
export interface OpenSearchClient {
  request(
    method: 'GET' | 'PUT' | 'POST',
    path: string,
    body?: string,
    contentType?: string,
  ): Promise<OpenSearchResponse>;
}

export interface OpenSearchClientOptions {
  /** `https://…` is signed with SigV4; `http://…` is not (see LOG_SHIPPER_ENV.endpoint). */
  readonly endpoint: string;
  readonly region: string;
  /** A request that takes longer is aborted and counts as failed. */
  readonly timeoutMs: number;
  /** @default 'es' */
  readonly signingService?: string;
  /** @default - the SDK's default credential chain (the function's role on Lambda) */
  readonly credentials?: AwsCredentialIdentityProvider;
}

/**
 * A small OpenSearch HTTP client on fetch. An AWS domain only accepts HTTPS and SigV4-signed
 * requests (fine-grained access control maps the function's role), so an `https` endpoint is
 * signed; the local node speaks plain HTTP with security off, so an `http` endpoint is not.
 */
export function createOpenSearchClient(options: OpenSearchClientOptions): OpenSearchClient {
  const base = new URL(options.endpoint);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new Error(`OpenSearch endpoint must be http(s), not ${base.protocol}`);
  }
  const signer =
    base.protocol === 'https:'
      ? new SignatureV4({
          service: options.signingService ?? 'es',
          region: options.region,
          credentials: options.credentials ?? defaultProvider(),
          sha256: Sha256,
        })
      : undefined;
  return {
    async request(method, path, body, contentType = 'application/json') {
      const url = new URL(path, base);
      let headers: Record<string, string> = { host: url.host };
      if (body !== undefined) headers['content-type'] = contentType;
      if (signer) {
        const signed = await signer.sign({
          method,
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port ? Number(url.port) : undefined,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers,
          body,
        });
        headers = signed.headers;
      }
      const { host: _host, ...sent } = headers;
      const response = await fetch(url, {
        method,
        headers: sent,
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      return { status: response.status, body: await response.text() };
    },
  };
}

/**
 * SHA-256 and HMAC-SHA-256 as the signer wants them, on node:crypto (what the SDK's own Node
 * hash does; that class is not a public entry point of any package the runtime ships).
 */
class Sha256 implements Checksum {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }

  update(data: Uint8Array | string): void {
    this.hash.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key =
      typeof this.secret === 'string'
        ? Buffer.from(this.secret, 'utf8')
        : ArrayBuffer.isView(this.secret)
          ? Buffer.from(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : Buffer.from(this.secret);
    return createHmac('sha256', key);
  }
}
