/**
 * What a service registers in Cloud Map, one instance per deployment, and how a registration
 * is read back. The attribute names are the contract between the `Microservice` construct that
 * registers an instance, the discovery client that chooses one, and the control loop that
 * probes it: change them in all three or in none.
 */
export const INSTANCE_ATTRIBUTES = {
  /** Function name, ARN or alias ARN: what a caller passes to Lambda Invoke. */
  functionName: 'functionName',
  /** The service's path on the gateway, e.g. `/reading-list`. */
  basePath: 'basePath',
  version: 'version',
  stage: 'stage',
  /** Share of the traffic, a non-negative integer; canaries get less than the default. */
  weight: 'weight',
} as const;

/** The weight of an instance that registers none: every such instance gets an equal share. */
export const DEFAULT_WEIGHT = 100;

/**
 * The largest weight accepted. Far above any sensible ratio, yet low enough that the sum over
 * a service's instances stays an exact integer.
 */
export const MAX_WEIGHT = 1_000_000;

/** The health Cloud Map reports for an instance; UNKNOWN when its service has no health check. */
export type InstanceHealth = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

/** One registered deployment of a service, as a caller needs it. */
export interface ServiceInstance {
  readonly service: string;
  /** The Cloud Map instance ID. */
  readonly id: string;
  readonly functionName: string;
  readonly basePath?: string;
  readonly version?: string;
  readonly stage?: string;
  /** 0 means drained: registered, but never chosen. */
  readonly weight: number;
  readonly health: InstanceHealth;
  /** Every attribute as registered, including ones this library does not interpret. */
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Reads the weight attribute. A missing or malformed weight falls back to the default rather
 * than to 0: a typo in a registration must not silently take a healthy deployment out of
 * rotation (draining is an explicit `weight=0`).
 */
export function parseWeight(value: string | undefined): number {
  if (value === undefined || !/^\d{1,7}$/.test(value.trim())) return DEFAULT_WEIGHT;
  return Math.min(Number(value.trim()), MAX_WEIGHT);
}

/** Normalises Cloud Map's health values; anything it may add later reads as UNKNOWN. */
export function toInstanceHealth(value: string | undefined): InstanceHealth {
  return value === 'HEALTHY' || value === 'UNHEALTHY' ? value : 'UNKNOWN';
}

/**
 * Turns a Cloud Map registration into an instance, or undefined when it names no function (it
 * cannot be invoked, so it is no use to a caller whatever its health).
 */
export function toServiceInstance(
  service: string,
  registration: {
    readonly InstanceId?: string;
    readonly Attributes?: Record<string, string>;
    readonly HealthStatus?: string;
  },
): ServiceInstance | undefined {
  const attributes = registration.Attributes ?? {};
  const functionName = attributes[INSTANCE_ATTRIBUTES.functionName];
  if (!registration.InstanceId || !functionName) return undefined;
  return {
    service,
    id: registration.InstanceId,
    functionName,
    basePath: attributes[INSTANCE_ATTRIBUTES.basePath],
    version: attributes[INSTANCE_ATTRIBUTES.version],
    stage: attributes[INSTANCE_ATTRIBUTES.stage],
    weight: parseWeight(attributes[INSTANCE_ATTRIBUTES.weight]),
    health: toInstanceHealth(registration.HealthStatus),
    attributes,
  };
}
