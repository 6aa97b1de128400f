/** Actuator-style health: the service is UP only when every component it depends on is UP. */
export type HealthStatus = 'UP' | 'DOWN';

export interface ComponentHealth {
  readonly status: HealthStatus;
  readonly details?: Record<string, unknown>;
}

export interface HealthReport {
  readonly status: HealthStatus;
  readonly service: string;
  readonly version: string;
  readonly components: Record<string, ComponentHealth>;
}

/** Checks one dependency; it throws (or resolves DOWN) when the dependency is unusable. */
export type HealthCheck = (signal: AbortSignal) => Promise<ComponentHealth>;

export interface HealthOptions {
  readonly service: string;
  readonly version: string;
  /**
   * Time one check may take before it counts as DOWN.
   * @default 1000
   */
  readonly timeoutMs?: number;
}

export async function checkHealth(
  checks: Record<string, HealthCheck>,
  options: HealthOptions,
): Promise<HealthReport> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, ComponentHealth]> => {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        return [name, await raceAbort(check(signal), signal)];
      } catch (error) {
        const reason = signal.aborted
          ? `no answer within ${timeoutMs} ms`
          : error instanceof Error
            ? error.name
            : 'failed';
        return [name, { status: 'DOWN', details: { error: reason } }];
      }
    }),
  );
  const components = Object.fromEntries(entries);
  const status: HealthStatus = entries.every(([, health]) => health.status === 'UP')
    ? 'UP'
    : 'DOWN';
  return { status, service: options.service, version: options.version, components };
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    work.then(resolve, reject);
  });
}
