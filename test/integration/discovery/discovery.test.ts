import {
  CreateHttpNamespaceCommand,
  CreateServiceCommand,
  DiscoverInstancesCommand,
  GetOperationCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
  UpdateInstanceCustomHealthStatusCommand,
} from '@aws-sdk/client-servicediscovery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthControlLoop } from '../../../functions/platform/control-loop/control-loop';
import { listServices } from '../../../functions/runtime/discovery/admin-view';
import {
  DiscoveryClient,
  discoveryClientFromEnv,
  NoHealthyInstanceError,
} from '../../../functions/runtime/discovery/discovery-client';
import { resolveNamespaceId } from '../../../functions/runtime/discovery/namespace-catalog';
import { emulatorClientConfig, emulatorEndpoint } from '../aws-clients';

/**
 * Cloud Map against the emulator: a platform namespace with services registered as the
 * `Microservice` construct registers them (custom health, one instance per deployment), found
 * through the discovery client, marked by the control loop, and shown by the admin view.
 */
const suffix = Date.now().toString(36);
const namespaceName = `platform-${suffix}.local`;
let admin: ServiceDiscoveryClient;
let namespaceId: string;
let ordersId: string;
let otherNamespaceId: string;
const savedEnv = { ...process.env };

async function waitForOperation(operationId: string | undefined): Promise<Record<string, string>> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { Operation } = await admin.send(new GetOperationCommand({ OperationId: operationId }));
    if (Operation?.Status === 'SUCCESS') return Operation.Targets ?? {};
    if (Operation?.Status === 'FAIL')
      throw new Error(`operation failed: ${Operation.ErrorMessage}`);
    // Polls an asynchronous AWS operation (the emulator completes it at once).
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`operation ${operationId} did not complete`);
}

async function createNamespace(name: string): Promise<string> {
  const { OperationId } = await admin.send(new CreateHttpNamespaceCommand({ Name: name }));
  const targets = await waitForOperation(OperationId);
  return targets.NAMESPACE;
}

async function createService(name: string, inNamespace: string, customHealth = true) {
  const { Service } = await admin.send(
    new CreateServiceCommand({
      Name: name,
      NamespaceId: inNamespace,
      Type: 'HTTP',
      ...(customHealth ? { HealthCheckCustomConfig: {} } : {}),
    }),
  );
  return Service!.Id!;
}

async function register(serviceId: string, instanceId: string, attributes: Record<string, string>) {
  await admin.send(
    new RegisterInstanceCommand({
      ServiceId: serviceId,
      InstanceId: instanceId,
      Attributes: attributes,
    }),
  );
}

/** A discovery client made the way a function makes it: from its environment. */
function clientFromEnvironment(): DiscoveryClient {
  const config = emulatorClientConfig();
  process.env.AWS_REGION = config.region;
  process.env.AWS_ACCESS_KEY_ID = config.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = config.credentials.secretAccessKey;
  return discoveryClientFromEnv({
    ...process.env,
    SERVICE_DISCOVERY_NAMESPACE: namespaceName,
    AWS_ENDPOINT_URL: emulatorEndpoint('ServiceDiscovery'),
  });
}

beforeAll(async () => {
  admin = new ServiceDiscoveryClient({ ...emulatorClientConfig(), disableHostPrefix: true });
  namespaceId = await createNamespace(namespaceName);
  otherNamespaceId = await createNamespace(`elsewhere-${suffix}.local`);
  ordersId = await createService('orders', namespaceId);
  await register(ordersId, 'orders-stable', {
    functionName: 'shop-Orders-stable',
    basePath: '/orders',
    version: '1.4.2',
    stage: 'prod',
  });
  await register(ordersId, 'orders-canary', {
    functionName: 'arn:aws:lambda:us-east-1:000000000000:function:shop-Orders-canary:live',
    basePath: '/orders',
    version: '1.5.0',
    stage: 'prod',
    weight: '10',
  });
  // Same service name in another namespace: it must never be seen from this platform.
  const foreign = await createService('orders', otherNamespaceId);
  await register(foreign, 'foreign-1', { functionName: 'someone-elses' });
});

afterAll(() => {
  process.env = { ...savedEnv };
  admin.destroy();
});

describe('service discovery against the emulator', () => {
  it('needs the data- host prefix off against a local endpoint', async () => {
    const withPrefix = new ServiceDiscoveryClient({ ...emulatorClientConfig(), maxAttempts: 1 });
    const error = await withPrefix
      .send(new DiscoverInstancesCommand({ NamespaceName: namespaceName, ServiceName: 'orders' }))
      .then(
        () => new Error('expected the call to fail') as Error & { code?: string },
        (e: unknown) => e as Error & { code?: string },
      );
    withPrefix.destroy();
    expect(error).toBeInstanceOf(Error);
    expect(`${error.code} ${error.message}`).toMatch(/ENOTFOUND|EAI_AGAIN|data-127/);
  });

  it('discovers the registered instances with their attributes', async () => {
    const discovery = clientFromEnvironment();
    expect(discovery.serviceDiscovery.config.disableHostPrefix).toBe(true);
    const instances = await discovery.instances('orders');
    expect(instances).toEqual([
      {
        service: 'orders',
        id: 'orders-canary',
        functionName: 'arn:aws:lambda:us-east-1:000000000000:function:shop-Orders-canary:live',
        basePath: '/orders',
        version: '1.5.0',
        stage: 'prod',
        weight: 10,
        health: 'HEALTHY',
        attributes: expect.objectContaining({ weight: '10' }),
      },
      expect.objectContaining({ id: 'orders-stable', weight: 100, version: '1.4.2' }),
    ]);
    expect(discovery.lookups).toBe(1);
  });

  it('chooses by weight: canary [0, 10/110), stable after', async () => {
    const values = [0, 0.09, 0.091, 0.99];
    let i = 0;
    const discovery = new DiscoveryClient({
      namespace: namespaceName,
      client: clientFromEnvironment().serviceDiscovery,
      random: () => values[i++],
    });
    const chosen = [];
    for (let n = 0; n < values.length; n++) chosen.push((await discovery.choose('orders')).id);
    expect(chosen).toEqual(['orders-canary', 'orders-canary', 'orders-stable', 'orders-stable']);
    expect(discovery.lookups).toBe(1);
  });

  it('skips an instance whose custom health is UNHEALTHY, and finds it again once HEALTHY', async () => {
    let now = 0;
    const discovery = new DiscoveryClient({
      namespace: namespaceName,
      client: clientFromEnvironment().serviceDiscovery,
      clock: { now: () => now },
    });
    const setHealth = (Status: 'HEALTHY' | 'UNHEALTHY') =>
      admin.send(
        new UpdateInstanceCustomHealthStatusCommand({
          ServiceId: ordersId,
          InstanceId: 'orders-canary',
          Status,
        }),
      );
    try {
      await setHealth('UNHEALTHY');
      expect((await discovery.instances('orders')).map((instance) => instance.id)).toEqual([
        'orders-stable',
      ]);
      await setHealth('HEALTHY');
      now += 5000; // the cached answer expires
      expect((await discovery.instances('orders')).map((instance) => instance.id)).toEqual([
        'orders-canary',
        'orders-stable',
      ]);
    } finally {
      await setHealth('HEALTHY');
    }
  });

  it('reports a service with no healthy instance as NoHealthyInstanceError', async () => {
    const lonely = await createService(`lonely-${suffix}`, namespaceId);
    await register(lonely, 'only-one', { functionName: 'lonely-fn' });
    await admin.send(
      new UpdateInstanceCustomHealthStatusCommand({
        ServiceId: lonely,
        InstanceId: 'only-one',
        Status: 'UNHEALTHY',
      }),
    );
    await expect(clientFromEnvironment().choose(`lonely-${suffix}`)).rejects.toBeInstanceOf(
      NoHealthyInstanceError,
    );
  });

  it('resolves the namespace ID from its name', async () => {
    expect(await resolveNamespaceId(admin, namespaceName)).toBe(namespaceId);
  });
});

describe('the control loop and the admin view against the emulator', () => {
  it('marks DOWN instances UNHEALTHY, only changed ones, and discovery follows', async () => {
    const billingId = await createService('billing', namespaceId);
    await register(billingId, 'billing-1', { functionName: 'billing-fn' });
    const probed: string[] = [];
    const verdicts: Record<string, 'UP' | 'DOWN'> = {
      'shop-Orders-stable': 'UP',
      'arn:aws:lambda:us-east-1:000000000000:function:shop-Orders-canary:live': 'DOWN',
      'billing-fn': 'UP',
      'lonely-fn': 'DOWN',
    };
    const loop = createHealthControlLoop({
      serviceDiscovery: admin,
      lambda: undefined as never, // the prober below stands in for Lambda Invoke
      namespaceId,
      prober: async (functionName) => {
        probed.push(functionName);
        const status = verdicts[functionName] ?? 'DOWN';
        return { status, reason: status };
      },
    });
    const first = await loop.run();
    // Only this platform's services: the foreign `orders` is not probed.
    expect(probed).not.toContain('someone-elses');
    const orders = first.services.find((service) => service.name === 'orders')!;
    expect(orders.instances).toEqual([
      {
        id: 'orders-canary',
        status: 'UNHEALTHY',
        previous: 'HEALTHY',
        reason: 'DOWN',
        updated: true,
      },
      { id: 'orders-stable', status: 'HEALTHY', previous: 'HEALTHY', reason: 'UP', updated: false },
    ]);
    const discovery = clientFromEnvironment();
    expect((await discovery.instances('orders')).map((instance) => instance.id)).toEqual([
      'orders-stable',
    ]);

    // A second pass with nothing changed writes nothing.
    const second = await loop.run();
    expect(
      second.services.flatMap((service) => service.instances).filter((i) => i.updated),
    ).toEqual([]);
    expect(
      second.services.find((service) => service.name === 'orders')!.instances[0].previous,
    ).toBe('UNHEALTHY');

    const view = await listServices(admin, namespaceId);
    expect(view.map((service) => service.name)).toEqual(['billing', 'lonely-' + suffix, 'orders']);
    expect(view.find((service) => service.name === 'orders')!.instances).toEqual([
      {
        id: 'orders-canary',
        attributes: expect.objectContaining({ version: '1.5.0', weight: '10' }),
        health: 'UNHEALTHY',
      },
      {
        id: 'orders-stable',
        attributes: expect.objectContaining({ version: '1.4.2' }),
        health: 'HEALTHY',
      },
    ]);

    // Recovery: the canary answers UP again, the loop marks it, discovery includes it.
    verdicts['arn:aws:lambda:us-east-1:000000000000:function:shop-Orders-canary:live'] = 'UP';
    await loop.run();
    discovery.invalidate();
    expect((await discovery.instances('orders')).map((instance) => instance.id)).toEqual([
      'orders-canary',
      'orders-stable',
    ]);
  });
});
