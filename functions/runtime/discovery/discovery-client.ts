import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import {
  DiscoverInstancesCommand,
  type ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { DISCOVERY_ENV } from '../contract/environment';
import { METRIC_DIMENSIONS, SERVICE_METRICS } from '../contract/metrics';
import { toServiceInstance, type ServiceInstance } from './instance';
import { createServiceDiscoveryClient } from './sdk-client';
import { weightedChoice } from './weighted-choice';

/** The service has no instance a call could go to. */
export class NoHealthyInstanceError extends Error {
  constructor(
    readonly service: string,
    /** `none-healthy`: Cloud Map lists no healthy instance; `all-drained`: every one has weight 0. */
    readonly reason: 'none-healthy' | 'all-drained',
  ) {
    super(
      reason === 'none-healthy'
        ? `No healthy instance of service '${service}' is registered`
        : `Every healthy instance of service '${service}' has weight 0 (drained)`,
    );
    this.name = 'NoHealthyInstanceError';
  }
}

/** Cloud Map could not be asked, and there was no earlier answer to fall back on. */
export class DiscoveryLookupError extends Error {
  constructor(
    readonly service: string,
    options: { cause: unknown },
  ) {
    super(`Could not look up service '${service}' in Cloud Map: ${nameOf(options.cause)}`, options);
    this.name = 'DiscoveryLookupError';
  }
}

export interface DiscoveryLogger {
  warn(message: string, attributes: Record<string, unknown>): void;
}

/** A failed look-up answered from the cache. */
export interface StaleAnswerEvent {
  readonly service: string;
  /** How old the answer served is, in milliseconds. */
  readonly ageMs: number;
  /** The error's name (never its message, which may carry endpoints or request IDs). */
  readonly error: string;
}

export interface DiscoveryClientOptions {
  /** The Cloud Map HTTP namespace's name: one per platform. */
  readonly namespace: string;
  /** @default - createServiceDiscoveryClient(process.env) */
  readonly client?: ServiceDiscoveryClient;
  /**
   * How long an answer is reused before Cloud Map is asked again, per service. It bounds both
   * the cost (at most one look-up per service per period per environment, whatever the
   * traffic) and how long a caller keeps using an instance the control loop has just marked
   * unhealthy. After a failed look-up, the next attempt also waits this long.
   * @default 5000
   */
  readonly cacheMs?: number;
  /**
   * Which instances Cloud Map returns. `HEALTHY` returns only instances whose custom health is
   * HEALTHY, so a service whose every instance is DOWN fails fast with `NoHealthyInstanceError`
   * (and the caller's breaker and fallback take over) instead of being sent calls known to fail.
   * `HEALTHY_OR_ELSE_ALL` fails open: when no instance is healthy, all are returned, which keeps
   * traffic flowing if the control loop itself misjudges every instance (Eureka's
   * self-preservation), at the price of calling instances reported DOWN.
   * @default 'HEALTHY'
   */
  readonly healthStatus?: 'HEALTHY' | 'HEALTHY_OR_ELSE_ALL';
  /** @default - the system clock */
  readonly clock?: { now(): number };
  /**
   * A number in [0, 1) per choice.
   * @default Math.random
   */
  readonly random?: () => number;
  /** @default - no log line */
  readonly logger?: DiscoveryLogger;
  /**
   * Receives `DiscoveryStaleAnswers` each time a stale answer is served, with dimension
   * `targetService` beside the caller's own `service`.
   * @default - no metric
   */
  readonly metrics?: Metrics;
  /** @default - nothing */
  readonly onStaleAnswer?: (event: StaleAnswerEvent) => void;
}

interface CacheEntry {
  readonly instances: readonly ServiceInstance[];
  /** When Cloud Map gave this answer. */
  readonly fetchedAt: number;
  /** Until when it is used without asking again. */
  readonly reuseUntil: number;
}

/** Cloud Map's answers that mean "there is no such thing", not "I could not answer". */
const DEFINITIVE_ERRORS: ReadonlySet<string> = new Set(['ServiceNotFound', 'NamespaceNotFound']);

/**
 * Finds the instances of a service in the platform's Cloud Map namespace and picks one per
 * call by weight (client-side load balancing, as Ribbon did over Eureka). Answers are cached
 * per service for a short time, and concurrent look-ups of one service share one request, so
 * the number of Cloud Map requests does not grow with traffic. When Cloud Map fails, the last
 * answer is served, however old, rather than failing every call.
 */
export class DiscoveryClient {
  private readonly client: ServiceDiscoveryClient;
  private readonly cacheMs: number;
  private readonly healthStatus: 'HEALTHY' | 'HEALTHY_OR_ELSE_ALL';
  private readonly clock: { now(): number };
  private readonly random: () => number;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<readonly ServiceInstance[]>>();
  private lookupCount = 0;
  private staleCount = 0;

  constructor(private readonly options: DiscoveryClientOptions) {
    this.client = options.client ?? createServiceDiscoveryClient();
    this.cacheMs = options.cacheMs ?? 5000;
    this.healthStatus = options.healthStatus ?? 'HEALTHY';
    this.clock = options.clock ?? { now: () => Date.now() };
    this.random = options.random ?? Math.random;
  }

  /** The Cloud Map client in use (its `config` shows, e.g., whether the host prefix is off). */
  get serviceDiscovery(): ServiceDiscoveryClient {
    return this.client;
  }

  get namespace(): string {
    return this.options.namespace;
  }

  /** Requests that reached Cloud Map since this client was made (successful or not). */
  get lookups(): number {
    return this.lookupCount;
  }

  /** Failed look-ups answered from the cache. */
  get staleAnswers(): number {
    return this.staleCount;
  }

  /**
   * The instances of `service` a call may go to, ordered by ID. Empty when none is healthy;
   * rejects with `DiscoveryLookupError` only when Cloud Map fails and nothing was cached.
   */
  instances(service: string): Promise<readonly ServiceInstance[]> {
    const cached = this.cache.get(service);
    if (cached && this.clock.now() < cached.reuseUntil) return Promise.resolve(cached.instances);
    let pending = this.inFlight.get(service);
    if (!pending) {
      pending = this.refresh(service, cached).finally(() => this.inFlight.delete(service));
      this.inFlight.set(service, pending);
    }
    return pending;
  }

  /**
   * One instance of `service`, chosen at random in proportion to the weights. An instance of
   * weight 0 is drained and never chosen, even when it is the only healthy one: an operator
   * who drains an instance (or registers a dark canary) means it.
   */
  async choose(service: string): Promise<ServiceInstance> {
    const candidates = await this.instances(service);
    if (candidates.length === 0) throw new NoHealthyInstanceError(service, 'none-healthy');
    const chosen = weightedChoice(candidates, (instance) => instance.weight, this.random);
    if (!chosen) throw new NoHealthyInstanceError(service, 'all-drained');
    return chosen;
  }

  /** Forgets the cached answer for one service, or for all: the next call asks Cloud Map. */
  invalidate(service?: string): void {
    if (service === undefined) this.cache.clear();
    else this.cache.delete(service);
  }

  private async refresh(
    service: string,
    cached: CacheEntry | undefined,
  ): Promise<readonly ServiceInstance[]> {
    this.lookupCount++;
    try {
      const instances = await this.lookUp(service);
      const now = this.clock.now();
      this.cache.set(service, { instances, fetchedAt: now, reuseUntil: now + this.cacheMs });
      return instances;
    } catch (error) {
      const name = nameOf(error);
      if (!cached || DEFINITIVE_ERRORS.has(name)) {
        this.cache.delete(service);
        throw new DiscoveryLookupError(service, { cause: error });
      }
      // Hold the stale answer for another period, so that an outage costs one failed request
      // per period rather than one per call.
      const now = this.clock.now();
      this.cache.set(service, { ...cached, reuseUntil: now + this.cacheMs });
      this.reportStale({ service, ageMs: now - cached.fetchedAt, error: name });
      return cached.instances;
    }
  }

  private async lookUp(service: string): Promise<readonly ServiceInstance[]> {
    const answer = await this.client.send(
      new DiscoverInstancesCommand({
        NamespaceName: this.options.namespace,
        ServiceName: service,
        HealthStatus: this.healthStatus,
        // Cloud Map's default is 100 and it does not page this call: ask for its maximum.
        MaxResults: 1000,
      }),
    );
    const instances: ServiceInstance[] = [];
    for (const registration of answer.Instances ?? []) {
      const instance = toServiceInstance(service, registration);
      if (!instance) continue;
      // Cloud Map already filtered on health; checking the status it reports as well costs
      // nothing and protects against an emulator that ignores the filter. Fail-open answers
      // deliberately contain unhealthy instances, so they are kept as they are.
      if (this.healthStatus === 'HEALTHY' && instance.health === 'UNHEALTHY') continue;
      instances.push(instance);
    }
    return instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private reportStale(event: StaleAnswerEvent): void {
    this.staleCount++;
    this.options.logger?.warn('Service discovery failed; serving the last answer', {
      target_service: event.service,
      age_ms: event.ageMs,
      error: event.error,
    });
    if (this.options.metrics) {
      const single = this.options.metrics.singleMetric();
      single.addDimension(METRIC_DIMENSIONS.targetService, event.service);
      single.addMetric(SERVICE_METRICS.discoveryStaleAnswers, MetricUnit.Count, 1);
    }
    this.options.onStaleAnswer?.(event);
  }
}

/**
 * A discovery client configured from the function's environment:
 * `SERVICE_DISCOVERY_NAMESPACE` names the namespace; `AWS_ENDPOINT_URL_SERVICEDISCOVERY` or
 * `AWS_ENDPOINT_URL` point at an emulator (and switch off the `data-` host prefix).
 */
export function discoveryClientFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: Omit<DiscoveryClientOptions, 'namespace'> = {},
): DiscoveryClient {
  const namespace = env[DISCOVERY_ENV.namespace];
  if (!namespace) {
    throw new Error(`${DISCOVERY_ENV.namespace} is not set: no Cloud Map namespace to look in`);
  }
  return new DiscoveryClient({
    client: createServiceDiscoveryClient(env),
    ...options,
    namespace,
  });
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}
