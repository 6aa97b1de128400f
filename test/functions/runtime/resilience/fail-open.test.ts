import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DynamoDbStateStore,
  MemoryStateStore,
  type CircuitRecord,
  type StateStore,
} from '../../../../functions/runtime/resilience';
import { boom, callMany, ok, rig, settle } from './fixtures';

/** A store whose every request fails, as DynamoDB does when throttled or unreachable. */
class BrokenStore extends MemoryStateStore {
  broken = true;
  override async get(name: string): Promise<CircuitRecord> {
    if (this.broken) throw new Error('ProvisionedThroughputExceededException');
    return super.get(name);
  }
  override async transition(expectedVersion: number, next: CircuitRecord): Promise<boolean> {
    if (this.broken) throw new Error('ProvisionedThroughputExceededException');
    return super.transition(expectedVersion, next);
  }
}

const documents = mockClient(DynamoDBDocumentClient);
afterEach(() => documents.reset());

function dynamoStore(): StateStore {
  return new DynamoDbStateStore({
    tableName: 'circuits',
    client: new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    }),
  });
}

describe('fail open when the shared store fails', () => {
  it('keeps serving calls through a local breaker and counts the store error', async () => {
    const store = new BrokenStore();
    const { breaker } = rig({ store });
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.stats().storeErrors).toBe(1);
    expect((await breaker.view()).scope).toBe('local');
  });

  it('the local breaker still opens on failures, and the store is tried again after failOpenMs', async () => {
    const store = new BrokenStore();
    const { breaker, clock, logger } = rig({ store, consecutiveFailures: 3, failOpenMs: 5000 });
    await callMany(breaker, 3, boom);
    expect(await breaker.view()).toMatchObject({ scope: 'local', record: { state: 'OPEN' } });
    expect(logger.transitions()).toEqual([expect.objectContaining({ to: 'OPEN', scope: 'local' })]);
    expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    store.broken = false;
    clock.advance(5000);
    expect(await breaker.view()).toMatchObject({ scope: 'shared', record: { state: 'CLOSED' } });
  });

  it('carries the last shared state into the local breaker: an open circuit stays open', async () => {
    const store = new BrokenStore();
    store.broken = false;
    const { breaker, clock } = rig({ store, consecutiveFailures: 1, stateCacheMs: 100 });
    await callMany(breaker, 1, boom);
    clock.advance(100); // the cached state expires, the circuit is still within its open duration
    store.broken = true;
    await expect(breaker.execute(ok, (context) => context.reason)).resolves.toBe('open');
    expect(await breaker.view()).toMatchObject({ scope: 'local', record: { state: 'OPEN' } });
  });

  it('never probes alone: past the open time the local breaker waits for the store', async () => {
    const store = new BrokenStore();
    store.broken = false;
    const { breaker, clock } = rig({ store, consecutiveFailures: 1, failOpenMs: 60_000 });
    await callMany(breaker, 1, boom); // the shared circuit opens for 1 s
    store.broken = true;
    clock.advance(5000); // long past the open time, and the cached copy
    const call = vi.fn(ok);
    for (let i = 0; i < 5; i++) {
      await expect(breaker.execute(call, (context) => context.state)).resolves.toBe('HALF_OPEN');
    }
    expect(call).not.toHaveBeenCalled(); // another environment may hold the fleet's probe slot
    expect(breaker.stats()).toMatchObject({ storeErrors: 1, localDecisions: 5 });
  });

  it('every fall-back starts from the latest shared state, not from an earlier outage', async () => {
    const store = new BrokenStore();
    const { breaker, clock } = rig({
      store,
      consecutiveFailures: 2,
      stateCacheMs: 100,
      failOpenMs: 1000,
      openDurationMs: 60_000,
      maxOpenDurationMs: 60_000,
    });
    await callMany(breaker, 1, boom); // first outage: the local breaker records a failure
    store.broken = false;
    clock.advance(1000);
    await callMany(breaker, 2, boom); // the store is back; the fleet's circuit opens
    expect(await breaker.view()).toMatchObject({ scope: 'shared', record: { state: 'OPEN' } });
    clock.advance(100);
    store.broken = true; // second outage, 59.9 s of open time left
    const call = vi.fn(ok);
    for (let i = 0; i < 10; i++) await breaker.execute(call, () => 'fallback');
    expect(call).not.toHaveBeenCalled();
    expect(await breaker.view()).toMatchObject({ scope: 'local', record: { state: 'OPEN' } });
    expect(breaker.stats()).toMatchObject({ storeErrors: 2, localDecisions: 11 });
  });

  it('falls open when DynamoDB throws (throttling), counted once per failed request', async () => {
    documents
      .on(GetCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const { breaker } = rig({ store: dynamoStore() });
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.stats().storeErrors).toBe(1); // the second call is already local
    expect(documents.commandCalls(GetCommand)).toHaveLength(1);
  });

  it('falls open when DynamoDB is slower than storeTimeoutMs, aborting the request', async () => {
    documents.on(GetCommand).callsFake(() => new Promise(() => undefined));
    const send = vi.spyOn(DynamoDBDocumentClient.prototype, 'send');
    const { breaker, clock } = rig({ store: dynamoStore(), storeTimeoutMs: 300 });
    const pending = breaker.execute(ok);
    await settle();
    const signal = (send.mock.calls[0]?.[1] as { abortSignal?: AbortSignal } | undefined)
      ?.abortSignal;
    clock.advance(300);
    await expect(pending).resolves.toBe('ok');
    expect(breaker.stats().storeErrors).toBe(1);
    expect(signal?.aborted).toBe(true);
    send.mockRestore();
  });

  it('treats a failed condition as a lost race, not as a store error', async () => {
    documents.on(GetCommand).resolves({ Item: undefined });
    documents.on(PutCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
      }),
    );
    documents.on(UpdateCommand).resolves({
      Attributes: {
        pk: 'circuit#inventory',
        sk: 'state',
        name: 'inventory',
        state: 'CLOSED',
        version: 0,
        streak: 1,
        calls: 1,
        failures: 1,
        bucketStart: 1,
      },
    });
    const { breaker } = rig({ store: dynamoStore(), consecutiveFailures: 1 });
    await callMany(breaker, 1, boom);
    expect(breaker.stats().storeErrors).toBe(0);
    expect(documents.commandCalls(PutCommand)).toHaveLength(1);
  });
});
