import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod';

/**
 * Per-client quotas: API Gateway usage plans count requests by API key. With the API's
 * `apiKeySource: AUTHORIZER`, the authorizer names the key in `usageIdentifierKey`, so each client
 * is throttled and metered by its own usage plan without ever seeing or sending an API key.
 *
 * The mapping client → API key value lives in one SSM SecureString parameter
 * (USAGE_PLAN_KEYS_PARAMETER), a JSON object `{ "<clientId>": "<api key value>", … }`; clients of
 * external issuers are keyed `"<issuer>#<clientId>"`. It is read once per `ttlMs` per warm
 * environment (one SSM call per environment per TTL, never one per request); a failed refresh keeps
 * the previous map.
 */
export interface UsageKeyResolver {
  keyFor(clientId: string): Promise<string | undefined>;
}

const MapSchema = z.record(z.string(), z.string().min(20).max(128));

export class SsmUsageKeyResolver implements UsageKeyResolver {
  private map?: Record<string, string>;
  private loadedAt = Number.NEGATIVE_INFINITY;
  private pending?: Promise<void>;

  constructor(
    private readonly client: SSMClient,
    private readonly parameterName: string,
    private readonly ttlMs = 300_000,
    private readonly now: () => number = Date.now,
  ) {}

  async keyFor(clientId: string): Promise<string | undefined> {
    if (this.now() - this.loadedAt >= this.ttlMs) {
      this.pending ??= this.load().finally(() => {
        this.pending = undefined;
      });
      await this.pending;
    }
    return this.map && Object.hasOwn(this.map, clientId) ? this.map[clientId] : undefined;
  }

  private async load(): Promise<void> {
    try {
      const out = await this.client.send(
        new GetParameterCommand({ Name: this.parameterName, WithDecryption: true }),
      );
      this.map = MapSchema.parse(JSON.parse(out.Parameter?.Value ?? '{}'));
      this.loadedAt = this.now();
    } catch {
      // keep the previous map; retry in 30 s rather than after a whole TTL
      this.loadedAt = this.now() - this.ttlMs + Math.min(this.ttlMs, 30_000);
    }
  }
}

export class StaticUsageKeyResolver implements UsageKeyResolver {
  constructor(private readonly map: Record<string, string>) {}
  async keyFor(clientId: string): Promise<string | undefined> {
    return Object.hasOwn(this.map, clientId) ? this.map[clientId] : undefined;
  }
}
