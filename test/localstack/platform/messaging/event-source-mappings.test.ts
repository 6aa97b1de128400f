import {
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambdaApi } from '../../../../localstack/platform/lambda-api';
import {
  batchItemFailures,
  LocalEventSourceMappings,
  LocalSqsMapping,
} from '../../../../localstack/platform/messaging/event-source-mappings';
import { eventSourceMappingRoutes } from '../../../../localstack/platform/messaging/mapping-api';

describe('batchItemFailures: the partial batch response as Lambda reads it', () => {
  it.each([
    ['nothing returned', undefined, []],
    ['null', null, []],
    ['an empty object', {}, []],
    ['an empty list', { batchItemFailures: [] }, []],
    [
      'two failures',
      { batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }] },
      ['a', 'b'],
    ],
  ])('%s', (_what, payload, expected) => {
    expect(batchItemFailures(payload)).toEqual(expected);
  });

  it.each([
    ['a string', 'ok'],
    ['a list', [{ itemIdentifier: 'a' }]],
    ['failures that are not a list', { batchItemFailures: 'a' }],
    ['an empty identifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a missing identifier', { batchItemFailures: [{}] }],
    ['a numeric identifier', { batchItemFailures: [{ itemIdentifier: 7 }] }],
  ])('fails the whole batch on %s', (_what, payload) => {
    expect(batchItemFailures(payload)).toBe('invalid');
  });
});

const OWNER = 'arn:aws:lambda:us-east-1:123456789012:function:consumer';
const OTHER = 'arn:aws:lambda:us-east-1:123456789012:function:other';

describe('the Lambda API for local event source mappings', () => {
  const sqs = new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
  const mappings = new LocalEventSourceMappings(sqs);
  const mapping = new LocalSqsMapping(
    {
      uuid: '11111111-2222-3333-4444-555555555555',
      queueArn: 'arn:aws:sqs:us-east-1:123456789012:orders-events',
      queueUrl: 'http://127.0.0.1:9/123456789012/orders-events',
      target: { arn: OWNER, invoke: async () => ({ payload: null }) },
      reportBatchItemFailures: true,
    },
    sqs,
    'us-east-1',
  );
  mappings.add(mapping);
  const api = new LocalLambdaApi(new Map(), () => false);
  let endpoint = '';
  const client = (accessKeyId: string) =>
    new LambdaClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId, secretAccessKey: 'x' },
    });
  const callers: Record<string, string> = { consumer: OWNER, other: OTHER };

  beforeAll(async () => {
    endpoint = await api.listen(0);
    api.extend(
      eventSourceMappingRoutes(mappings, (key) =>
        key === 'operator' ? 'operator' : key ? callers[key] : undefined,
      ),
    );
  });
  afterAll(() => api.close());

  it('lists mappings by function name or ARN and queue, as Lambda describes them', async () => {
    const byName = await client('consumer').send(
      new ListEventSourceMappingsCommand({ FunctionName: 'consumer' }),
    );
    expect(byName.EventSourceMappings).toHaveLength(1);
    expect(byName.EventSourceMappings![0]).toMatchObject({
      UUID: mapping.definition.uuid,
      FunctionArn: OWNER,
      State: 'Enabled',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const otherQueue = await client('consumer').send(
      new ListEventSourceMappingsCommand({ EventSourceArn: 'arn:aws:sqs:us-east-1:1:nope' }),
    );
    expect(otherQueue.EventSourceMappings).toEqual([]);
  });

  it('lets the function disable and enable its own mapping', async () => {
    await client('consumer').send(
      new UpdateEventSourceMappingCommand({ UUID: mapping.definition.uuid, Enabled: false }),
    );
    expect(mapping.configuration.State).toBe('Disabled');
    const read = await client('consumer').send(
      new GetEventSourceMappingCommand({ UUID: mapping.definition.uuid }),
    );
    expect(read.State).toBe('Disabled');
    await client('operator').send(
      new UpdateEventSourceMappingCommand({ UUID: mapping.definition.uuid, Enabled: true }),
    );
    expect(mapping.configuration.State).toBe('Enabled');
  });

  it("refuses another function's update and an unknown caller, and changes nothing", async () => {
    await expect(
      client('other').send(
        new UpdateEventSourceMappingCommand({ UUID: mapping.definition.uuid, Enabled: false }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(
      client('stranger').send(new ListEventSourceMappingsCommand({})),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(mapping.configuration.State).toBe('Enabled');
  });

  it('answers 404 for an unknown mapping', async () => {
    await expect(
      client('operator').send(
        new UpdateEventSourceMappingCommand({ UUID: 'no-such-mapping', Enabled: false }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
