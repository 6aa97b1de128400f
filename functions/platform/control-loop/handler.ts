import { LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import {
  CONTROL_LOOP_ENV,
  DISCOVERY_ENV,
  HEALTH_PROBE_TIMEOUT_MS_DEFAULT,
} from '../../runtime/contract';
import { createServiceDiscoveryClient, resolveNamespaceId } from '../../runtime/discovery';
import { createPowertools } from '../../runtime/observability';
import { createHealthControlLoop, type ControlLoopSummary } from './control-loop';

/**
 * The health control loop's function. EventBridge Scheduler (or a rule) invokes it on a
 * schedule; an operator or a test may invoke it directly with `{}` or `{ "action": "probe" }`
 * to run one pass now. It returns the pass's summary.
 *
 * Environment:
 * - `SERVICE_DISCOVERY_NAMESPACE_ID`: the platform's Cloud Map namespace; or
 * - `SERVICE_DISCOVERY_NAMESPACE`: its name, resolved once per environment when no ID is given;
 * - `HEALTH_PROBE_TIMEOUT_MS`: time per probe attempt (default 3000). The function's own timeout
 *   must cover two attempts per instance, eight at a time, plus the Cloud Map calls.
 */
const powertools = createPowertools('platform-control-loop');
const { logger, metrics, tracer } = powertools;
const probeTimeoutMs =
  positiveInteger(process.env[CONTROL_LOOP_ENV.probeTimeoutMs]) ?? HEALTH_PROBE_TIMEOUT_MS_DEFAULT;
const serviceDiscovery = tracer.captureAWSv3Client(createServiceDiscoveryClient());
const lambda = tracer.captureAWSv3Client(
  new LambdaClient({
    // One attempt per call: the prober decides what to retry, within its own time limit.
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: Math.min(1000, probeTimeoutMs),
      requestTimeout: probeTimeoutMs,
    }),
  }),
);
let namespaceId: Promise<string> | undefined;

/**
 * Accepts a scheduled event (it has no `action`), `{}`, or `{ "action": "probe" }`; anything
 * else is refused before any probe runs.
 */
const ControlLoopEventSchema = z.looseObject({ action: z.literal('probe').optional() });

export function parseControlLoopEvent(event: unknown): { action: 'probe' } {
  const parsed = ControlLoopEventSchema.safeParse(event ?? {});
  if (!parsed.success) {
    throw new Error('Unsupported control-loop event: expected {} or { "action": "probe" }');
  }
  return { action: 'probe' };
}

function platformNamespaceId(): Promise<string> {
  const id = process.env[DISCOVERY_ENV.namespaceId];
  if (id) return Promise.resolve(id);
  const name = process.env[DISCOVERY_ENV.namespace];
  if (!name) {
    return Promise.reject(
      new Error(`Set ${DISCOVERY_ENV.namespaceId} or ${DISCOVERY_ENV.namespace}`),
    );
  }
  namespaceId ??= resolveNamespaceId(serviceDiscovery, name).catch((error: unknown) => {
    namespaceId = undefined; // a failed resolution is retried on the next invocation
    throw error;
  });
  return namespaceId;
}

export async function handler(event: unknown, context?: Context): Promise<ControlLoopSummary> {
  if (context) logger.addContext(context);
  try {
    parseControlLoopEvent(event);
    const loop = createHealthControlLoop({
      serviceDiscovery,
      lambda,
      namespaceId: await platformNamespaceId(),
      probeTimeoutMs,
      logger,
      metrics,
    });
    const summary = await loop.run();
    const instances = summary.services.flatMap((service) => service.instances);
    logger.info('Control loop pass finished', {
      services: summary.services.length,
      instances: instances.length,
      unhealthy: instances.filter((instance) => instance.status === 'UNHEALTHY').length,
      changed: instances.filter((instance) => instance.updated).length,
    });
    return summary;
  } catch (error) {
    logger.error('Control loop pass failed', error as Error);
    throw error;
  } finally {
    logger.resetKeys();
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}

function positiveInteger(value: string | undefined): number | undefined {
  const parsed = Number(value);
  return value && Number.isInteger(parsed) && parsed > 0 ? parsed : undefined;
}
