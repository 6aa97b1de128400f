import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { systemClock, type Clock } from './clock';

/**
 * Fault injection, the service-mesh idea: an operator sets a service's error rate and added
 * latency at run time (`PUT /admin/faults/{service}`), and the service applies them to its own
 * requests, so anyone can watch its callers' circuits open and close. Settings live in the
 * platform's resilience table (`pk = fault#{service}`, `sk = config`) and each environment
 * re-reads them at most once per cache period: one GetItem per environment per period, not per
 * request.
 */
export const FaultSettingsSchema = z.object({
  errorRate: z.number().min(0).max(1),
  latencyMs: z.number().int().min(0).max(30_000),
});
export type FaultSettings = z.infer<typeof FaultSettingsSchema>;

export const NO_FAULTS: FaultSettings = { errorRate: 0, latencyMs: 0 };
const FAULT_PREFIX = 'fault#';
const FAULT_SORT_KEY = 'config';

/** Thrown by an injected failure; carries 503 so callers' breakers count it. */
export class InjectedFaultError extends Error {
  readonly status = 503;
  constructor(service: string) {
    super(`Injected fault in ${service}`);
    this.name = 'InjectedFaultError';
  }
}

export class FaultStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(service: string): Promise<FaultSettings> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `${FAULT_PREFIX}${service}`, sk: FAULT_SORT_KEY },
      }),
    );
    const parsed = FaultSettingsSchema.safeParse(Item ?? NO_FAULTS);
    return parsed.success ? parsed.data : NO_FAULTS;
  }

  async put(service: string, settings: FaultSettings, updatedAt: string): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `${FAULT_PREFIX}${service}`,
          sk: FAULT_SORT_KEY,
          service,
          ...FaultSettingsSchema.parse(settings),
          updatedAt,
        },
      }),
    );
  }

  async list(): Promise<(FaultSettings & { service: string; updatedAt?: string })[]> {
    const found: (FaultSettings & { service: string; updatedAt?: string })[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(pk, :prefix)',
          ExpressionAttributeValues: { ':prefix': FAULT_PREFIX },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const parsed = FaultSettingsSchema.safeParse(item);
        if (parsed.success)
          found.push({ service: String(item.service), updatedAt: item.updatedAt, ...parsed.data });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return found.sort((a, b) => a.service.localeCompare(b.service));
  }
}

export interface FaultInjectorOptions {
  readonly service: string;
  readonly store: Pick<FaultStore, 'get'>;
  /**
   * How long an environment keeps the settings it read.
   * @default 2000
   */
  readonly cacheMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: () => number;
  /** Waits `ms`; injectable so tests need no real delay. @default setTimeout */
  readonly delay?: (ms: number) => Promise<void>;
}

export class FaultInjector {
  private cached: FaultSettings = NO_FAULTS;
  private readUntil = Number.NEGATIVE_INFINITY;
  private readonly clock: Clock;

  constructor(private readonly options: FaultInjectorOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** The settings in force; a failed read keeps the last ones (faults never break a service). */
  async current(): Promise<FaultSettings> {
    const now = this.clock.now();
    if (now < this.readUntil) return this.cached;
    this.readUntil = now + (this.options.cacheMs ?? 2000);
    try {
      this.cached = await this.options.store.get(this.options.service);
    } catch {
      // keep the previous settings
    }
    return this.cached;
  }

  /** Adds the configured latency, then fails at the configured rate. */
  async apply(): Promise<void> {
    const settings = await this.current();
    if (settings.latencyMs > 0) {
      await (
        this.options.delay ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
      )(settings.latencyMs);
    }
    if (settings.errorRate > 0 && (this.options.random ?? Math.random)() < settings.errorRate) {
      throw new InjectedFaultError(this.options.service);
    }
  }
}
