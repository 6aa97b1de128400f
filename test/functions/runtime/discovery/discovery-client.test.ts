import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  DiscoverInstancesCommand,
  ServiceDiscoveryClient,
  type HttpInstanceSummary,
} from '@aws-sdk/client-servicediscovery';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DiscoveryClient,
  discoveryClientFromEnv,
  DiscoveryLookupError,
  NoHealthyInstanceError,
  type StaleAnswerEvent,
} from '../../../../functions/runtime/discovery/discovery-client';

const NAMESPACE = 'shop.platform';
const sdk = new ServiceDiscoveryClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
});
const cloudMap = mockClient(sdk);

function registration(
  id: string,
  attributes: Record<string, string>,
  health: HttpInstanceSummary['HealthStatus'] = 'HEALTHY',
): HttpInstanceSummary {
  return {
    InstanceId: id,
    NamespaceName: NAMESPACE,
    ServiceName: 'orders',
    HealthStatus: health,
    Attributes: { functionName: `fn-${id}`, ...attributes },
  };
}

/** A clock the test moves by hand. */
let now = Date.UTC(2030, 0, 1);
const clock = { now: () => now };

/** Random numbers handed out in order; the test says exactly which. */
function sequence(...values: number[]): () => number {
  let index = 0;
  return () => values[index++ % values.length];
}

function discovery(overrides: Partial<ConstructorParameters<typeof DiscoveryClient>[0]> = {}) {
  return new DiscoveryClient({ namespace: NAMESPACE, client: sdk, clock, ...overrides });
}

const throttled = () =>
  Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' });

beforeEach(() => {
  cloudMap.reset();
  now = Date.UTC(2030, 0, 1);
});

describe('DiscoveryClient.instances', () => {
  it('asks Cloud Map for the healthy instances of the service in the namespace', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({
      Instances: [
        registration('v2', {
          basePath: '/orders',
          version: '2.0.0',
          stage: 'prod',
          weight: '10',
          region: 'eu-west-1',
        }),
        registration('v1', { basePath: '/orders', version: '1.4.2', stage: 'prod' }),
      ],
    });
    const instances = await discovery().instances('orders');
    expect(cloudMap.commandCalls(DiscoverInstancesCommand)[0].args[0].input).toEqual({
      NamespaceName: NAMESPACE,
      ServiceName: 'orders',
      HealthStatus: 'HEALTHY',
      MaxResults: 1000,
    });
    // Sorted by ID whatever order Cloud Map answers in; a missing weight is the default 100.
    expect(instances).toEqual([
      {
        service: 'orders',
        id: 'v1',
        functionName: 'fn-v1',
        basePath: '/orders',
        version: '1.4.2',
        stage: 'prod',
        weight: 100,
        health: 'HEALTHY',
        attributes: { functionName: 'fn-v1', basePath: '/orders', version: '1.4.2', stage: 'prod' },
      },
      expect.objectContaining({ id: 'v2', weight: 10, version: '2.0.0' }),
    ]);
    expect(instances[1].attributes.region).toBe('eu-west-1');
  });

  it('skips registrations without a function and any the emulator reports UNHEALTHY', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({
      Instances: [
        registration('ok', {}),
        { InstanceId: 'no-function', Attributes: { version: '1' }, HealthStatus: 'HEALTHY' },
        registration('down', {}, 'UNHEALTHY'),
        registration('unchecked', {}, 'UNKNOWN'),
      ],
    });
    const ids = (await discovery().instances('orders')).map((instance) => instance.id);
    expect(ids).toEqual(['ok', 'unchecked']);
  });

  it('keeps unhealthy instances when failing open (HEALTHY_OR_ELSE_ALL)', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({
      Instances: [registration('down', {}, 'UNHEALTHY')],
    });
    const client = discovery({ healthStatus: 'HEALTHY_OR_ELSE_ALL' });
    const instances = await client.instances('orders');
    expect(instances.map((instance) => [instance.id, instance.health])).toEqual([
      ['down', 'UNHEALTHY'],
    ]);
    expect(cloudMap.commandCalls(DiscoverInstancesCommand)[0].args[0].input.HealthStatus).toBe(
      'HEALTHY_OR_ELSE_ALL',
    );
  });

  it('reuses an answer for cacheMs per service, then asks again', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({ Instances: [registration('a', {})] });
    const client = discovery({ cacheMs: 5000 });
    await client.instances('orders');
    now += 4999;
    await client.instances('orders');
    expect(client.lookups).toBe(1);
    await client.instances('payments'); // another service has its own entry
    expect(client.lookups).toBe(2);
    now += 1;
    await client.instances('orders');
    expect(client.lookups).toBe(3);
    client.invalidate('orders');
    await client.instances('orders');
    expect(client.lookups).toBe(4);
  });

  it('caches an empty answer too: an outage of the callee does not multiply look-ups', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({ Instances: [] });
    const client = discovery();
    for (let i = 0; i < 10; i++) {
      await expect(client.choose('orders')).rejects.toBeInstanceOf(NoHealthyInstanceError);
    }
    expect(client.lookups).toBe(1);
  });

  it('shares one request among concurrent look-ups of a service', async () => {
    let answer: (value: { Instances: HttpInstanceSummary[] }) => void = () => undefined;
    cloudMap.on(DiscoverInstancesCommand).callsFake(
      () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
    );
    const client = discovery();
    const first = client.instances('orders');
    const second = client.instances('orders');
    answer({ Instances: [registration('a', {})] });
    expect(await first).toBe(await second);
    expect(client.lookups).toBe(1);
  });

  it('serves the last answer, however old, when Cloud Map fails, and says so', async () => {
    cloudMap
      .on(DiscoverInstancesCommand)
      .resolvesOnce({ Instances: [registration('a', {})] })
      .rejects(throttled());
    const stale: StaleAnswerEvent[] = [];
    const logger = { warn: vi.fn() };
    const client = discovery({ cacheMs: 5000, logger, onStaleAnswer: (e) => stale.push(e) });
    const fresh = await client.instances('orders');

    now += 60_000; // long expired
    expect(await client.instances('orders')).toBe(fresh);
    expect(stale).toEqual([{ service: 'orders', ageMs: 60_000, error: 'ThrottlingException' }]);
    expect(logger.warn).toHaveBeenCalledWith('Service discovery failed; serving the last answer', {
      target_service: 'orders',
      age_ms: 60_000,
      error: 'ThrottlingException',
    });
    expect(client.staleAnswers).toBe(1);
    expect(client.lookups).toBe(2);

    // The failure is not retried on every call: the stale answer is held for another period.
    now += 4999;
    await client.instances('orders');
    expect(client.lookups).toBe(2);
    now += 1;
    expect(await client.instances('orders')).toBe(fresh);
    expect(client.lookups).toBe(3);
    expect(stale[1]).toEqual({ service: 'orders', ageMs: 65_000, error: 'ThrottlingException' });
  });

  it('publishes DiscoveryStaleAnswers per service when given metrics', async () => {
    cloudMap
      .on(DiscoverInstancesCommand)
      .resolvesOnce({ Instances: [registration('a', {})] })
      .rejects(throttled());
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const metrics = new Metrics({ namespace: 'Test', serviceName: 'caller' });
      const client = discovery({ metrics });
      await client.instances('orders');
      now += 10_000;
      await client.instances('orders');
    } finally {
      spy.mockRestore();
    }
    const emf = lines
      .join('')
      .split('\n')
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      service: 'caller',
      targetService: 'orders',
      DiscoveryStaleAnswers: 1,
    });
  });

  it('fails with DiscoveryLookupError when Cloud Map fails and nothing is cached', async () => {
    cloudMap.on(DiscoverInstancesCommand).rejects(throttled());
    const client = discovery();
    const error = await client.instances('orders').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscoveryLookupError);
    expect(error).toMatchObject({ service: 'orders' });
    expect((error as Error).message).toContain('ThrottlingException');
    expect(client.staleAnswers).toBe(0);
  });

  it('does not serve a stale answer for a service Cloud Map says no longer exists', async () => {
    cloudMap
      .on(DiscoverInstancesCommand)
      .resolvesOnce({ Instances: [registration('a', {})] })
      .rejects(Object.assign(new Error('gone'), { name: 'ServiceNotFound' }));
    const client = discovery();
    await client.instances('orders');
    now += 10_000;
    await expect(client.instances('orders')).rejects.toBeInstanceOf(DiscoveryLookupError);
    await expect(client.instances('orders')).rejects.toBeInstanceOf(DiscoveryLookupError);
    expect(client.lookups).toBe(3);
  });
});

describe('DiscoveryClient.choose', () => {
  it('chooses by weight with the injected random numbers, exactly', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({
      Instances: [
        registration('canary', { weight: '10' }),
        registration('stable', { weight: '90' }),
        registration('drained', { weight: '0' }),
      ],
    });
    // Sorted by ID: canary [0, 10), drained (never), stable [10, 100).
    const client = discovery({ random: sequence(0, 0.0999, 0.1, 0.5, 0.9999) });
    const chosen: string[] = [];
    for (let i = 0; i < 5; i++) chosen.push((await client.choose('orders')).id);
    expect(chosen).toEqual(['canary', 'canary', 'stable', 'stable', 'stable']);
  });

  it('spreads 1000 calls 100:900 over one Cloud Map look-up', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({
      Instances: [registration('canary', { weight: '10' }), registration('stable', {})],
    });
    let i = 0;
    const client = discovery({ random: () => i++ / 1000 });
    const counts: Record<string, number> = {};
    for (let call = 0; call < 1000; call++) {
      const { id } = await client.choose('orders');
      counts[id] = (counts[id] ?? 0) + 1;
    }
    // canary weight 10, stable the default 100: 10/110 of 1000 = 90.9 → 91 of the 1000 values.
    expect(counts).toEqual({ canary: 91, stable: 909 });
    expect(client.lookups).toBe(1);
  });

  it('treats a malformed weight as the default, not as drained', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({
      Instances: [registration('a', { weight: '1O' }), registration('b', { weight: '-3' })],
    });
    const instances = await discovery().instances('orders');
    expect(instances.map((instance) => instance.weight)).toEqual([100, 100]);
  });

  it('throws NoHealthyInstanceError when no instance is healthy', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({ Instances: [] });
    const error = await discovery()
      .choose('orders')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoHealthyInstanceError);
    expect(error).toMatchObject({ service: 'orders', reason: 'none-healthy' });
  });

  it('throws NoHealthyInstanceError (all-drained) when every healthy instance has weight 0', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({
      Instances: [registration('a', { weight: '0' }), registration('b', { weight: '0' })],
    });
    await expect(discovery().choose('orders')).rejects.toMatchObject({
      name: 'NoHealthyInstanceError',
      reason: 'all-drained',
    });
  });
});

describe('discoveryClientFromEnv', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  const base = { SERVICE_DISCOVERY_NAMESPACE: NAMESPACE, AWS_REGION: 'eu-west-1' };

  it('switches the data- host prefix off when AWS_ENDPOINT_URL is set', async () => {
    const client = discoveryClientFromEnv({ ...base, AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });
    expect(client.namespace).toBe(NAMESPACE);
    expect(client.serviceDiscovery.config.disableHostPrefix).toBe(true);
    const endpoint = await client.serviceDiscovery.config.endpoint?.();
    expect(endpoint).toMatchObject({ hostname: '127.0.0.1', port: 4566 });
  });

  it('switches it off for AWS_ENDPOINT_URL_SERVICEDISCOVERY alone', () => {
    const client = discoveryClientFromEnv({
      ...base,
      AWS_ENDPOINT_URL_SERVICEDISCOVERY: 'http://localhost:5000',
    });
    expect(client.serviceDiscovery.config.disableHostPrefix).toBe(true);
  });

  it('keeps the prefix against AWS itself', () => {
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL_SERVICEDISCOVERY;
    const client = discoveryClientFromEnv(base);
    expect(client.serviceDiscovery.config.disableHostPrefix).toBe(false);
  });

  it('refuses to start without a namespace', () => {
    expect(() => discoveryClientFromEnv({})).toThrow(/SERVICE_DISCOVERY_NAMESPACE/);
  });
});
