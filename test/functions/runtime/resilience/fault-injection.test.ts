import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../functions/runtime/resilience/clock';
import {
  FaultInjector,
  FaultSettingsSchema,
  FaultStore,
  InjectedFaultError,
  NO_FAULTS,
  type FaultSettings,
} from '../../../../functions/runtime/resilience/fault-injection';

const TABLE = 'shop-resilience';

const documents = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  }),
);
const dynamo = mockClient(documents);

beforeEach(() => {
  dynamo.reset();
});

describe('FaultSettingsSchema', () => {
  it('accepts rates in [0, 1] and whole latencies up to 30 s', () => {
    expect(FaultSettingsSchema.safeParse({ errorRate: 0, latencyMs: 0 }).success).toBe(true);
    expect(FaultSettingsSchema.safeParse({ errorRate: 1, latencyMs: 30_000 }).success).toBe(true);
  });

  it.each([
    ['a negative error rate', { errorRate: -0.1, latencyMs: 0 }],
    ['an error rate above 1', { errorRate: 1.01, latencyMs: 0 }],
    ['a fractional latency', { errorRate: 0, latencyMs: 1.5 }],
    ['a latency above 30 s', { errorRate: 0, latencyMs: 30_001 }],
    ['a negative latency', { errorRate: 0, latencyMs: -1 }],
    ['a missing latency', { errorRate: 0.5 }],
    ['a string rate', { errorRate: '0.5', latencyMs: 0 }],
  ])('rejects %s', (_what, value) => {
    expect(FaultSettingsSchema.safeParse(value).success).toBe(false);
  });
});

describe('InjectedFaultError', () => {
  it('carries status 503 and names the service, so callers breakers count it', () => {
    const error = new InjectedFaultError('orders');
    expect(error).toBeInstanceOf(Error);
    expect(error.status).toBe(503);
    expect(error.name).toBe('InjectedFaultError');
    expect(error.message).toContain('orders');
  });
});

describe('FaultStore', () => {
  const store = new FaultStore(documents, TABLE);

  it('reads fault#{service}/config and returns the stored settings', async () => {
    dynamo.on(GetCommand).resolves({
      Item: {
        pk: 'fault#orders',
        sk: 'config',
        service: 'orders',
        errorRate: 0.25,
        latencyMs: 120,
        updatedAt: '2030-01-01T00:00:00.000Z',
      },
    });
    await expect(store.get('orders')).resolves.toEqual({ errorRate: 0.25, latencyMs: 120 });
    const [call] = dynamo.commandCalls(GetCommand);
    expect(call.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: 'fault#orders', sk: 'config' },
    });
  });

  it('returns no faults when the item is absent', async () => {
    dynamo.on(GetCommand).resolves({});
    await expect(store.get('orders')).resolves.toEqual(NO_FAULTS);
  });

  it('returns no faults (instead of throwing) when the stored item is invalid', async () => {
    dynamo.on(GetCommand).resolves({
      Item: { pk: 'fault#orders', sk: 'config', errorRate: 7, latencyMs: 0 },
    });
    await expect(store.get('orders')).resolves.toEqual(NO_FAULTS);
  });

  it('lets a read failure through to the caller (the injector decides what to do)', async () => {
    dynamo.on(GetCommand).rejects(new Error('throttled'));
    await expect(store.get('orders')).rejects.toThrow('throttled');
  });

  it('puts the whole item with keys, service, settings and updatedAt', async () => {
    dynamo.on(PutCommand).resolves({});
    await store.put('orders', { errorRate: 0.5, latencyMs: 10 }, '2030-01-01T00:00:00.000Z');
    const calls = dynamo.commandCalls(PutCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      TableName: TABLE,
      Item: {
        pk: 'fault#orders',
        sk: 'config',
        service: 'orders',
        errorRate: 0.5,
        latencyMs: 10,
        updatedAt: '2030-01-01T00:00:00.000Z',
      },
    });
  });

  it('refuses to write invalid settings and sends nothing', async () => {
    dynamo.on(PutCommand).resolves({});
    await expect(
      store.put('orders', { errorRate: 2, latencyMs: 0 } as FaultSettings, 'now'),
    ).rejects.toThrow();
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('lists every page of fault items, skipping invalid ones, sorted by service', async () => {
    dynamo
      .on(ScanCommand)
      .resolvesOnce({
        Items: [
          { pk: 'fault#orders', sk: 'config', service: 'orders', errorRate: 0.1, latencyMs: 0 },
          { pk: 'fault#broken', sk: 'config', service: 'broken', errorRate: 'x', latencyMs: 0 },
        ],
        LastEvaluatedKey: { pk: 'fault#orders', sk: 'config' },
      })
      .resolvesOnce({
        Items: [
          {
            pk: 'fault#billing',
            sk: 'config',
            service: 'billing',
            errorRate: 0,
            latencyMs: 250,
            updatedAt: '2030-01-02T00:00:00.000Z',
          },
        ],
      });
    await expect(store.list()).resolves.toEqual([
      { service: 'billing', errorRate: 0, latencyMs: 250, updatedAt: '2030-01-02T00:00:00.000Z' },
      { service: 'orders', errorRate: 0.1, latencyMs: 0, updatedAt: undefined },
    ]);
    const scans = dynamo.commandCalls(ScanCommand);
    expect(scans).toHaveLength(2);
    expect(scans[0].args[0].input).toMatchObject({
      TableName: TABLE,
      FilterExpression: 'begins_with(pk, :prefix)',
      ExpressionAttributeValues: { ':prefix': 'fault#' },
    });
    expect(scans[0].args[0].input.ExclusiveStartKey).toBeUndefined();
    expect(scans[1].args[0].input.ExclusiveStartKey).toEqual({ pk: 'fault#orders', sk: 'config' });
  });
});

/** A store whose answers the test sets, counting reads. */
class ScriptedStore {
  reads = 0;
  next: FaultSettings | Error = NO_FAULTS;
  async get(service: string): Promise<FaultSettings> {
    expect(service).toBe('orders');
    this.reads += 1;
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
}

function injector(
  store: ScriptedStore,
  overrides: { random?: () => number; cacheMs?: number } = {},
) {
  const clock = new ManualClock();
  const delays: number[] = [];
  const randoms: number[] = [];
  const random = overrides.random ?? (() => 0.5);
  const faults = new FaultInjector({
    service: 'orders',
    store,
    clock,
    cacheMs: overrides.cacheMs,
    random: () => {
      const value = random();
      randoms.push(value);
      return value;
    },
    delay: async (ms) => {
      delays.push(ms);
    },
  });
  return { faults, clock, delays, randoms };
}

describe('FaultInjector', () => {
  it('reads the settings once per cache period, not once per request', async () => {
    const store = new ScriptedStore();
    store.next = { errorRate: 0, latencyMs: 5 };
    const { faults, clock } = injector(store, { cacheMs: 2000 });
    await faults.apply();
    await faults.apply();
    clock.advance(1999);
    await faults.apply();
    expect(store.reads).toBe(1);
    clock.advance(1);
    await faults.apply();
    expect(store.reads).toBe(2);
  });

  it('caches for 2000 ms by default', async () => {
    const store = new ScriptedStore();
    const { faults, clock } = injector(store);
    await faults.current();
    clock.advance(1999);
    await faults.current();
    expect(store.reads).toBe(1);
    clock.advance(1);
    await faults.current();
    expect(store.reads).toBe(2);
  });

  it('picks up new settings after the cache period', async () => {
    const store = new ScriptedStore();
    const { faults, clock } = injector(store, { cacheMs: 100 });
    await expect(faults.current()).resolves.toEqual(NO_FAULTS);
    store.next = { errorRate: 1, latencyMs: 0 };
    await expect(faults.current()).resolves.toEqual(NO_FAULTS);
    clock.advance(100);
    await expect(faults.current()).resolves.toEqual({ errorRate: 1, latencyMs: 0 });
  });

  it('keeps the last settings when a read fails, and does not retry before the period ends', async () => {
    const store = new ScriptedStore();
    store.next = { errorRate: 0.3, latencyMs: 40 };
    const { faults, clock } = injector(store, { cacheMs: 100 });
    await faults.current();
    store.next = new Error('DynamoDB is down');
    clock.advance(100);
    await expect(faults.current()).resolves.toEqual({ errorRate: 0.3, latencyMs: 40 });
    expect(store.reads).toBe(2);
    await faults.current();
    expect(store.reads).toBe(2);
  });

  it('applies nothing when the first read fails (faults never break a service)', async () => {
    const store = new ScriptedStore();
    store.next = new Error('DynamoDB is down');
    const { faults, delays, randoms } = injector(store);
    await expect(faults.apply()).resolves.toBeUndefined();
    expect(delays).toEqual([]);
    expect(randoms).toEqual([]);
  });

  it('adds the configured latency through the injected delay', async () => {
    const store = new ScriptedStore();
    store.next = { errorRate: 0, latencyMs: 250 };
    const { faults, delays } = injector(store);
    await faults.apply();
    expect(delays).toEqual([250]);
  });

  it('neither waits nor draws a random number without faults', async () => {
    const store = new ScriptedStore();
    const { faults, delays, randoms } = injector(store);
    await faults.apply();
    expect(delays).toEqual([]);
    expect(randoms).toEqual([]);
  });

  it('throws InjectedFaultError when the random draw falls below the error rate', async () => {
    const store = new ScriptedStore();
    store.next = { errorRate: 0.3, latencyMs: 0 };
    const { faults } = injector(store, { random: () => 0.29 });
    const error = await faults.apply().then(
      () => undefined,
      (rejected: unknown) => rejected,
    );
    expect(error).toBeInstanceOf(InjectedFaultError);
    expect((error as InjectedFaultError).status).toBe(503);
  });

  it('does not fail when the random draw equals or exceeds the error rate', async () => {
    const store = new ScriptedStore();
    store.next = { errorRate: 0.3, latencyMs: 0 };
    const { faults, randoms } = injector(store, { random: () => 0.3 });
    await expect(faults.apply()).resolves.toBeUndefined();
    expect(randoms).toEqual([0.3]);
  });

  it('waits the latency before failing', async () => {
    const store = new ScriptedStore();
    store.next = { errorRate: 1, latencyMs: 75 };
    const { faults, delays } = injector(store, { random: () => 0.99 });
    await expect(faults.apply()).rejects.toBeInstanceOf(InjectedFaultError);
    expect(delays).toEqual([75]);
  });
});
