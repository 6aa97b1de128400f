import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import {
  UpdateInstanceCustomHealthStatusCommand,
  type ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { INSTANCE_ATTRIBUTES, type InstanceHealth } from '../../runtime/discovery';
import {
  instanceHealthStatuses,
  listNamespaceServices,
  listServiceInstances,
  type CatalogInstance,
  type CatalogService,
} from '../../runtime/discovery';
import { HEALTH_METRICS, METRIC_DIMENSIONS } from '../../runtime/contract';
import { systemClock, type Clock } from '../../runtime/resilience';
import { createInstanceProber, type InstanceProber } from './probe';

export interface ControlLoopLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface HealthControlLoopOptions {
  readonly serviceDiscovery: ServiceDiscoveryClient;
  readonly lambda: LambdaClient;
  /** The platform's Cloud Map namespace. */
  readonly namespaceId: string;
  /**
   * Time one probe attempt may take.
   * @default 3000
   */
  readonly probeTimeoutMs?: number;
  /**
   * Attempts per probe (only timeouts and transport errors are retried).
   * @default 2
   */
  readonly probeAttempts?: number;
  /**
   * Probes in flight at once, across all services: enough to finish a large namespace within
   * one schedule period, few enough not to burst the account's Lambda concurrency.
   * @default 8
   */
  readonly concurrency?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default - the prober built from `lambda`, `probeTimeoutMs`, `probeAttempts` and `clock` */
  readonly prober?: InstanceProber;
  /** @default - no log lines */
  readonly logger?: ControlLoopLogger;
  /** @default - no metrics */
  readonly metrics?: Metrics;
}

export type CustomHealth = 'HEALTHY' | 'UNHEALTHY';

export interface InstanceOutcome {
  readonly id: string;
  /** The verdict of this run's probe. */
  readonly status: CustomHealth;
  /** What Cloud Map held before this run. */
  readonly previous: InstanceHealth;
  readonly reason: string;
  /** Cloud Map was told the new status (it differed, and the service accepts custom health). */
  readonly updated: boolean;
  /** Why the update failed, when it did (the error's name). */
  readonly updateError?: string;
}

export interface ServiceOutcome {
  readonly name: string;
  readonly instances: readonly InstanceOutcome[];
  /** Why the service's instances could not be listed (the error's name); it was skipped. */
  readonly error?: string;
}

export interface ControlLoopSummary {
  readonly services: readonly ServiceOutcome[];
}

export interface HealthControlLoop {
  run(): Promise<ControlLoopSummary>;
}

/**
 * The health control loop (what Eureka's heartbeats and Spring Boot's actuator did together):
 * probe every registered instance through its function, and write the verdict into Cloud Map's
 * custom health status, so that discovery (`HealthStatus: HEALTHY`) skips what is DOWN. Cloud
 * Map is written only when a status changes: a steady platform costs reads only. One broken
 * service or instance never stops the loop: every failure becomes an UNHEALTHY verdict or a
 * recorded update error, and the rest carries on.
 */
export function createHealthControlLoop(options: HealthControlLoopOptions): HealthControlLoop {
  const clock = options.clock ?? systemClock;
  const probe =
    options.prober ??
    createInstanceProber({
      lambda: options.lambda,
      timeoutMs: options.probeTimeoutMs,
      attempts: options.probeAttempts,
      clock,
    });
  const limit = bounded(Math.max(1, options.concurrency ?? 8));
  const { serviceDiscovery: client, logger, metrics } = options;

  async function previousStatuses(service: CatalogService): Promise<Map<string, InstanceHealth>> {
    if (!service.customHealth) return new Map();
    try {
      return await instanceHealthStatuses(client, service.id);
    } catch (error) {
      // Unknown previous statuses only cost extra (idempotent) updates this run.
      logger?.warn('Could not read instance health', {
        target_service: service.name,
        error: nameOf(error),
      });
      return new Map();
    }
  }

  async function settle(
    service: CatalogService,
    instance: CatalogInstance,
    previous: InstanceHealth,
  ): Promise<InstanceOutcome> {
    const functionName = instance.attributes[INSTANCE_ATTRIBUTES.functionName];
    const verdict = functionName
      ? await limit(() => probe(functionName))
      : { status: 'DOWN' as const, reason: `no ${INSTANCE_ATTRIBUTES.functionName} attribute` };
    const status: CustomHealth = verdict.status === 'UP' ? 'HEALTHY' : 'UNHEALTHY';
    const outcome = { id: instance.id, status, previous, reason: verdict.reason };
    if (status === previous || !service.customHealth) return { ...outcome, updated: false };
    try {
      await client.send(
        new UpdateInstanceCustomHealthStatusCommand({
          ServiceId: service.id,
          InstanceId: instance.id,
          Status: status,
        }),
      );
    } catch (error) {
      logger?.warn('Could not set instance health', {
        target_service: service.name,
        instance_id: instance.id,
        status,
        error: nameOf(error),
      });
      return { ...outcome, updated: false, updateError: nameOf(error) };
    }
    logger?.info('Instance health changed', {
      target_service: service.name,
      instance_id: instance.id,
      from: previous,
      to: status,
      reason: verdict.reason,
    });
    return { ...outcome, updated: true };
  }

  async function runService(service: CatalogService): Promise<ServiceOutcome> {
    if (!service.customHealth) {
      logger?.warn('Service has no custom health check; its instances are probed, not marked', {
        target_service: service.name,
      });
    }
    let instances: CatalogInstance[];
    try {
      instances = await listServiceInstances(client, service.id);
    } catch (error) {
      // Leave its statuses as they are: nothing was probed, so there is nothing to correct.
      logger?.warn('Could not list instances', {
        target_service: service.name,
        error: nameOf(error),
      });
      return { name: service.name, instances: [], error: nameOf(error) };
    }
    const previous = await previousStatuses(service);
    const outcomes = await Promise.all(
      instances.map((instance) =>
        settle(service, instance, previous.get(instance.id) ?? 'UNKNOWN'),
      ),
    );
    return { name: service.name, instances: outcomes };
  }

  return {
    async run() {
      const startedAt = clock.now();
      const services = await listNamespaceServices(client, options.namespaceId);
      const outcomes = await Promise.all(services.map(runService));
      if (metrics) {
        let withoutHealthy = 0;
        for (const service of outcomes) {
          // A service that could not be listed publishes no figure: a gap, not a false zero.
          if (service.error !== undefined) continue;
          const healthy = service.instances.filter((i) => i.status === 'HEALTHY').length;
          if (healthy === 0) withoutHealthy++;
          const single = metrics.singleMetric();
          // The `service` dimension names the probed service here, not this function.
          single.clearDefaultDimensions();
          single.addDimension(METRIC_DIMENSIONS.service, service.name);
          single.addMetric(HEALTH_METRICS.healthyInstances, MetricUnit.Count, healthy);
        }
        const instances = outcomes.flatMap((service) => service.instances);
        // Summed here rather than added per event: EMF would publish repeated values as a list.
        metrics.addMetric('ServicesWithoutHealthyInstance', MetricUnit.Count, withoutHealthy);
        metrics.addMetric(
          'HealthStatusChanges',
          MetricUnit.Count,
          instances.filter((instance) => instance.updated).length,
        );
        metrics.addMetric(
          'HealthUpdateErrors',
          MetricUnit.Count,
          instances.filter((instance) => instance.updateError !== undefined).length,
        );
        metrics.addMetric('ControlLoopDuration', MetricUnit.Milliseconds, clock.now() - startedAt);
        metrics.publishStoredMetrics();
      }
      return { services: outcomes };
    },
  };
}

/** Runs at most `limit` of the given tasks at once, in the order they ask. */
function bounded(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    // A finishing task hands its slot straight to the next waiter, so that no newcomer can
    // slip in between and exceed the limit.
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}
