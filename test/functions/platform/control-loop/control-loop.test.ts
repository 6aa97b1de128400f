import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import {
  GetInstancesHealthStatusCommand,
  GetServiceCommand,
  ListInstancesCommand,
  ListServicesCommand,
  ServiceDiscoveryClient,
  UpdateInstanceCustomHealthStatusCommand,
} from '@aws-sdk/client-servicediscovery';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHealthControlLoop } from '../../../../functions/platform/control-loop/control-loop';
import { ManualClock } from '../../../../functions/runtime/resilience/clock';
import { captureOutput } from '../../../support/captured-output';

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const serviceDiscovery = new ServiceDiscoveryClient({ region: 'eu-west-1', credentials });
const lambda = new LambdaClient({ region: 'eu-west-1', credentials });
const cloudMap = mockClient(serviceDiscovery);
const lambdaMock = mockClient(lambda);

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const up = {
  StatusCode: 200,
  Payload: encode({
    status: 200,
    payload: { status: 'UP', service: 's', version: '1', components: {} },
  }),
} as unknown as InvokeCommandOutput;
const down = {
  StatusCode: 200,
  Payload: encode({
    status: 503,
    payload: {
      status: 'DOWN',
      service: 's',
      version: '1',
      components: { table: { status: 'DOWN' } },
    },
  }),
} as unknown as InvokeCommandOutput;

let clock: ManualClock;
const { logLines, metricLines } = captureOutput();

/**
 * The namespace of these tests: `orders` (two instances, v1 healthy and answering UP, v2
 * healthy but answering DOWN), `billing` (one instance previously UNHEALTHY that now times
 * out, one with no function attribute), and `legacy`, registered without custom health.
 */
function givenNamespace(): void {
  cloudMap.on(ListServicesCommand).resolves({
    Services: [
      { Id: 'srv-orders', Name: 'orders', HealthCheckCustomConfig: {} },
      { Id: 'srv-billing', Name: 'billing', HealthCheckCustomConfig: {} },
      { Id: 'srv-legacy', Name: 'legacy' },
    ],
  });
  givenServicesConfirmed({ 'srv-orders': true, 'srv-billing': true, 'srv-legacy': false });
  cloudMap
    .on(ListInstancesCommand, { ServiceId: 'srv-orders' })
    .resolves({
      Instances: [
        { Id: 'orders-v1', Attributes: { functionName: 'orders-v1-fn' } },
        { Id: 'orders-v2', Attributes: { functionName: 'orders-v2-fn', weight: '10' } },
      ],
    })
    .on(ListInstancesCommand, { ServiceId: 'srv-billing' })
    .resolves({
      Instances: [
        { Id: 'billing-1', Attributes: { functionName: 'billing-fn' } },
        { Id: 'billing-odd', Attributes: { version: '1' } },
      ],
    })
    .on(ListInstancesCommand, { ServiceId: 'srv-legacy' })
    .resolves({ Instances: [{ Id: 'legacy-1', Attributes: { functionName: 'legacy-fn' } }] });
  cloudMap
    .on(GetInstancesHealthStatusCommand, { ServiceId: 'srv-orders' })
    .resolves({ Status: { 'orders-v1': 'HEALTHY', 'orders-v2': 'HEALTHY' } })
    .on(GetInstancesHealthStatusCommand, { ServiceId: 'srv-billing' })
    .resolves({ Status: { 'billing-1': 'UNHEALTHY', 'billing-odd': 'HEALTHY' } });
  cloudMap.on(UpdateInstanceCustomHealthStatusCommand).resolves({});
  lambdaMock
    .on(InvokeCommand, { FunctionName: 'orders-v1-fn' })
    .resolves(up)
    .on(InvokeCommand, { FunctionName: 'orders-v2-fn' })
    .resolves(down)
    .on(InvokeCommand, { FunctionName: 'billing-fn' })
    .callsFake(() => {
      clock.advance(500);
      return new Promise<never>(() => undefined);
    })
    .on(InvokeCommand, { FunctionName: 'legacy-fn' })
    .resolves(up);
}

/** GetService answers, as Cloud Map does, with the namespace and health config of each. */
function givenServicesConfirmed(customHealth: Record<string, boolean>): void {
  cloudMap.on(GetServiceCommand).callsFake((input: { Id: string }) => ({
    Service: {
      Id: input.Id,
      NamespaceId: 'ns-1',
      ...(customHealth[input.Id] ? { HealthCheckCustomConfig: {} } : {}),
    },
  }));
}

function loop(extra: { logger?: Logger; metrics?: Metrics } = {}) {
  return createHealthControlLoop({
    serviceDiscovery,
    lambda,
    namespaceId: 'ns-1',
    clock,
    probeTimeoutMs: 500,
    probeAttempts: 2,
    ...extra,
  });
}

beforeEach(() => {
  cloudMap.reset();
  lambdaMock.reset();
  clock = new ManualClock();
});

describe('createHealthControlLoop', () => {
  it('probes every instance and returns the verdicts with what Cloud Map held before', async () => {
    givenNamespace();
    const summary = await loop().run();
    expect(summary).toEqual({
      services: [
        {
          name: 'billing',
          instances: [
            {
              id: 'billing-1',
              status: 'UNHEALTHY',
              previous: 'UNHEALTHY',
              reason: 'no answer within 500 ms',
              updated: false,
            },
            {
              id: 'billing-odd',
              status: 'UNHEALTHY',
              previous: 'HEALTHY',
              reason: 'no functionName attribute',
              updated: true,
            },
          ],
        },
        {
          name: 'legacy',
          instances: [
            {
              id: 'legacy-1',
              status: 'HEALTHY',
              previous: 'UNKNOWN',
              reason: 'UP',
              updated: false,
            },
          ],
        },
        {
          name: 'orders',
          instances: [
            {
              id: 'orders-v1',
              status: 'HEALTHY',
              previous: 'HEALTHY',
              reason: 'UP',
              updated: false,
            },
            {
              id: 'orders-v2',
              status: 'UNHEALTHY',
              previous: 'HEALTHY',
              reason: 'reported DOWN: table',
              updated: true,
            },
          ],
        },
      ],
    });
    // A timed-out probe is tried twice; the others once.
    expect(lambdaMock.commandCalls(InvokeCommand, { FunctionName: 'billing-fn' })).toHaveLength(2);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(5);
    expect(clock.pendingTimers).toBe(0);
  });

  it('updates Cloud Map only for the statuses that changed, and never for a service without custom health', async () => {
    givenNamespace();
    await loop().run();
    const updates = cloudMap
      .commandCalls(UpdateInstanceCustomHealthStatusCommand)
      .map((call) => call.args[0].input)
      .sort((a, b) => String(a.InstanceId).localeCompare(String(b.InstanceId)));
    expect(updates).toEqual([
      { ServiceId: 'srv-billing', InstanceId: 'billing-odd', Status: 'UNHEALTHY' },
      { ServiceId: 'srv-orders', InstanceId: 'orders-v2', Status: 'UNHEALTHY' },
    ]);
    expect(
      cloudMap.commandCalls(GetInstancesHealthStatusCommand, { ServiceId: 'srv-legacy' }),
    ).toHaveLength(0);
  });

  it('marks a recovered instance HEALTHY again', async () => {
    givenNamespace();
    lambdaMock.on(InvokeCommand, { FunctionName: 'billing-fn' }).resolves(up);
    const summary = await loop().run();
    expect(summary.services[0].instances[0]).toEqual({
      id: 'billing-1',
      status: 'HEALTHY',
      previous: 'UNHEALTHY',
      reason: 'UP',
      updated: true,
    });
    expect(
      cloudMap.commandCalls(UpdateInstanceCustomHealthStatusCommand, {
        InstanceId: 'billing-1',
        Status: 'HEALTHY',
      }),
    ).toHaveLength(1);
  });

  it('logs one line per status change and a warning for the service it cannot mark', async () => {
    givenNamespace();
    await loop({ logger: new Logger({ serviceName: 'control-loop' }) }).run();
    const changes = logLines().filter((line) => line.message === 'Instance health changed');
    expect(
      changes.map((line) => ({
        service: line.target_service,
        instance: line.instance_id,
        from: line.from,
        to: line.to,
        reason: line.reason,
      })),
    ).toEqual(
      expect.arrayContaining([
        {
          service: 'orders',
          instance: 'orders-v2',
          from: 'HEALTHY',
          to: 'UNHEALTHY',
          reason: 'reported DOWN: table',
        },
        {
          service: 'billing',
          instance: 'billing-odd',
          from: 'HEALTHY',
          to: 'UNHEALTHY',
          reason: 'no functionName attribute',
        },
      ]),
    );
    expect(changes).toHaveLength(2);
    expect(
      logLines()
        .filter((line) => line.level === 'WARN')
        .map((line) => line.target_service),
    ).toEqual(['legacy']);
  });

  it('publishes HealthyInstances per service and ServicesWithoutHealthyInstance', async () => {
    givenNamespace();
    clock = new ManualClock(Date.UTC(2030, 0, 1));
    await loop({
      metrics: new Metrics({ namespace: 'Platform', serviceName: 'control-loop' }),
    }).run();
    const healthy = metricLines()
      .filter((line) => 'HealthyInstances' in line)
      .map((line) => ({ service: line.service, value: line.HealthyInstances }));
    expect(healthy).toEqual([
      { service: 'billing', value: 0 },
      { service: 'legacy', value: 1 },
      { service: 'orders', value: 1 },
    ]);
    const perService = metricLines().find((line) => 'HealthyInstances' in line)!;
    expect(perService._aws).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: 'Platform',
          Dimensions: [['service']],
          Metrics: [{ Name: 'HealthyInstances', Unit: 'Count' }],
        },
      ],
    });
    const overall = metricLines().find((line) => 'ServicesWithoutHealthyInstance' in line)!;
    expect(overall).toMatchObject({
      service: 'control-loop',
      ServicesWithoutHealthyInstance: 1,
      HealthStatusChanges: 2,
      HealthUpdateErrors: 0,
      ControlLoopDuration: 1000, // billing's two timed-out attempts, on the fake clock
    });
  });

  it('records a failed update and carries on with the rest', async () => {
    givenNamespace();
    cloudMap
      .on(UpdateInstanceCustomHealthStatusCommand, { InstanceId: 'orders-v2' })
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const summary = await loop().run();
    const orders = summary.services.find((service) => service.name === 'orders')!;
    expect(orders.instances[1]).toMatchObject({
      id: 'orders-v2',
      status: 'UNHEALTHY',
      updated: false,
      updateError: 'ThrottlingException',
    });
    const billing = summary.services.find((service) => service.name === 'billing')!;
    expect(billing.instances[1]).toMatchObject({ id: 'billing-odd', updated: true });
  });

  it('skips a service whose instances cannot be listed, and carries on with the rest', async () => {
    givenNamespace();
    cloudMap
      .on(ListInstancesCommand, { ServiceId: 'srv-billing' })
      .rejects(Object.assign(new Error('nope'), { name: 'ServiceUnavailable' }));
    const summary = await loop({
      metrics: new Metrics({ namespace: 'Platform', serviceName: 'control-loop' }),
    }).run();
    expect(summary.services.find((service) => service.name === 'billing')).toEqual({
      name: 'billing',
      instances: [],
      error: 'ServiceUnavailable',
    });
    expect(summary.services.find((service) => service.name === 'orders')!.instances).toHaveLength(
      2,
    );
    const healthy = metricLines().filter((line) => 'HealthyInstances' in line);
    expect(healthy.map((line) => line.service)).toEqual(['legacy', 'orders']);
    expect(metricLines().find((line) => 'ServicesWithoutHealthyInstance' in line)).toMatchObject({
      ServicesWithoutHealthyInstance: 0,
    });
  });

  it('updates every differing instance when previous statuses cannot be read', async () => {
    givenNamespace();
    cloudMap
      .on(GetInstancesHealthStatusCommand, { ServiceId: 'srv-orders' })
      .rejects(Object.assign(new Error('nope'), { name: 'ServiceUnavailable' }));
    const summary = await loop().run();
    const orders = summary.services.find((service) => service.name === 'orders')!;
    expect(orders.instances.map((i) => [i.id, i.previous, i.updated])).toEqual([
      ['orders-v1', 'UNKNOWN', true],
      ['orders-v2', 'UNKNOWN', true],
    ]);
  });

  it('keeps at most `concurrency` probes in flight', async () => {
    const instances = Array.from({ length: 7 }, (_, i) => ({
      Id: `i-${i}`,
      Attributes: { functionName: `fn-${i}` },
    }));
    cloudMap
      .on(ListServicesCommand)
      .resolves({ Services: [{ Id: 'srv', Name: 'wide', HealthCheckCustomConfig: {} }] });
    givenServicesConfirmed({ srv: true });
    cloudMap.on(ListInstancesCommand).resolves({ Instances: instances });
    cloudMap.on(GetInstancesHealthStatusCommand).resolves({ Status: {} });
    cloudMap.on(UpdateInstanceCustomHealthStatusCommand).resolves({});
    let inFlight = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const probe = () =>
      new Promise<{ status: 'UP'; reason: string }>((resolve) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        release.push(() => {
          inFlight--;
          resolve({ status: 'UP', reason: 'UP' });
        });
      });
    const running = createHealthControlLoop({
      serviceDiscovery,
      lambda,
      namespaceId: 'ns-1',
      concurrency: 3,
      prober: probe,
    }).run();
    // Release probes one at a time as they start, until all seven have run.
    for (let released = 0; released < 7;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const next = release.shift();
      if (next) {
        next();
        released++;
      }
    }
    const summary = await running;
    expect(summary.services[0].instances).toHaveLength(7);
    expect(peak).toBe(3);
  });
});
