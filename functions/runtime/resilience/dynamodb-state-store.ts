import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
  type ScanCommandOutput,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { StateStoreError } from './errors';
import { transitionIdOf } from './transitions';
import {
  DEFAULT_WINDOW_MS,
  emptyRecord,
  type CircuitRecord,
  type CircuitState,
  type OutcomeBatch,
  type ProbeLease,
  type StateStore,
  type StoreCallOptions,
} from './state-store';

/** Item keys: `pk = circuit#<name>`, `sk = state`. One item per circuit holds everything. */
export const CIRCUIT_KEY_PREFIX = 'circuit#';
export const CIRCUIT_SORT_KEY = 'state';

export interface DynamoDbStateStoreOptions {
  readonly tableName: string;
  /** @default - a client from `createBreakerDynamoDbClient()` */
  readonly client?: DynamoDBClient;
  /**
   * Automatic-state items (CLOSED, OPEN, HALF_OPEN) carry `expiresAt` this far past their last
   * write, so circuits nobody calls any more disappear; forced states never expire.
   * @default 7 days
   */
  readonly retentionMs?: number;
}

export interface BreakerClientOptions {
  /** @default 200 */
  readonly connectionTimeoutMs?: number;
  /** @default 400 */
  readonly requestTimeoutMs?: number;
  /** @default 2 */
  readonly maxAttempts?: number;
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: DynamoDBClientConfig['credentials'];
}

/**
 * A DynamoDB client tuned for the breaker: short timeouts and at most one retry, because a
 * breaker that waits seconds for its own state protects nothing. Slower than this, it fails open.
 */
export function createBreakerDynamoDbClient(options: BreakerClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient({
    maxAttempts: options.maxAttempts ?? 2,
    endpoint: options.endpoint,
    region: options.region,
    credentials: options.credentials,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.connectionTimeoutMs ?? 200,
      requestTimeout: options.requestTimeoutMs ?? 400,
      // Without this the SDK only warns when the request timeout passes and keeps waiting: a
      // hung request would then hold a write (which the breaker does not abort) for ever.
      throwOnRequestTimeout: true,
    }),
  });
}

const MAX_LEASE_SLOTS = 32;

/** What the item says about whether a write is already applied. */
type AppliedTest = (item: Record<string, unknown>) => boolean;

/**
 * The shared store. Every mutation is one conditional request: transitions are a PutItem
 * conditioned on `version`; counts, leases and probe results are UpdateItems conditioned on the
 * same version, so none of them can land on a state they were not meant for.
 *
 * Every write is idempotent under retry. When the SDK resends a write whose first attempt was
 * applied but whose answer was lost, the resend fails its own condition; the store then looks
 * at the item (`ReturnValuesOnConditionCheckFailure: ALL_OLD`, or one consistent read where the
 * answer lacks it) and recognises its own write by the mark it left: the transition's id, the
 * outcome writer's counter, the lease token, the completed probe's token. The write is then
 * reported as applied, once; an outcome batch cannot be added twice (its condition excludes a
 * counter already recorded).
 */
export class DynamoDbStateStore implements StateStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retentionMs: number;

  constructor(options: DynamoDbStateStoreOptions) {
    this.tableName = options.tableName;
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3600 * 1000;
    this.documents = DynamoDBDocumentClient.from(options.client ?? createBreakerDynamoDbClient(), {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async get(name: string, options?: StoreCallOptions): Promise<CircuitRecord> {
    const item = await this.getItem(name, options);
    return item ? fromItem(item) : emptyRecord(name);
  }

  async transition(
    expectedVersion: number,
    next: CircuitRecord,
    options?: StoreCallOptions,
  ): Promise<boolean> {
    const automatic =
      next.state === 'CLOSED' || next.state === 'OPEN' || next.state === 'HALF_OPEN';
    const item = {
      ...toItem(next),
      expiresAt: automatic ? epochSeconds(next.changedAt + this.retentionMs) : undefined,
    };
    const id = transitionIdOf(next);
    return this.conditional(
      next.name,
      new PutCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression:
          (expectedVersion === 0
            ? '(attribute_not_exists(pk) OR version = :expected)'
            : 'version = :expected') +
          (next.leaseSeq
            ? ' AND leaseSeq = :leaseSeq'
            : ' AND (attribute_not_exists(leaseSeq) OR leaseSeq = :zero)'),
        ExpressionAttributeValues: {
          ':expected': expectedVersion,
          ...(next.leaseSeq ? { ':leaseSeq': next.leaseSeq } : { ':zero': 0 }),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      (old) => id !== undefined && listOf(old.transitionIds).includes(id),
      options,
    ).then((output) => output !== undefined);
  }

  async addOutcomes(
    name: string,
    batch: OutcomeBatch,
    options?: StoreCallOptions,
  ): Promise<CircuitRecord | undefined> {
    const rolls = batch.bucketStart !== batch.expectedBucketStart;
    const set = [
      // An absent record is CLOSED version 0: create it as such on its first counts.
      '#name = if_not_exists(#name, :name)',
      '#state = if_not_exists(#state, :closed)',
      'version = if_not_exists(version, :zero)',
      'changedAt = if_not_exists(changedAt, :zero)',
      'reopenCount = if_not_exists(reopenCount, :zero)',
      'probeSuccesses = if_not_exists(probeSuccesses, :zero)',
      'windowMs = :windowMs',
      'expiresAt = :expiresAt',
      batch.hadSuccess ? 'streak = :trailing' : 'streak = if_not_exists(streak, :zero) + :failures',
    ];
    const add: string[] = [];
    // `writers` maps each environment to the counter of its last batch in this bucket: a batch
    // whose counter is already there was applied (its answer was lost) and must not add again.
    let writerCondition = '';
    if (rolls) {
      // Right-hand sides read the item as it was before this update.
      set.push('bucketStart = :bucket', 'calls = :calls', 'failures = :failures');
      set.push(batch.carryOver ? 'prevCalls = calls' : 'prevCalls = :zero');
      set.push(batch.carryOver ? 'prevFailures = failures' : 'prevFailures = :zero');
      set.push('prevWriters = if_not_exists(#writers, :noWriters)', '#writers = :writers');
    } else {
      add.push('calls :calls', 'failures :failures');
      set.push(
        'prevCalls = if_not_exists(prevCalls, :zero)',
        'prevFailures = if_not_exists(prevFailures, :zero)',
        '#writers.#writer = :seq',
      );
      writerCondition = ' AND (attribute_not_exists(#writers.#writer) OR #writers.#writer < :seq)';
    }
    const versionCondition =
      batch.expectedVersion === 0
        ? '(attribute_not_exists(pk) OR version = :version)'
        : 'version = :version';
    const bucketCondition =
      batch.expectedBucketStart === 0
        ? '(attribute_not_exists(bucketStart) OR bucketStart = :expectedBucket)'
        : 'bucketStart = :expectedBucket';
    return this.conditionalUpdate(
      name,
      {
        UpdateExpression: `SET ${set.join(', ')}${add.length ? ` ADD ${add.join(', ')}` : ''}`,
        ConditionExpression: `${versionCondition} AND ${bucketCondition}${writerCondition}`,
        ExpressionAttributeNames: {
          '#name': 'name',
          '#state': 'state',
          '#writers': 'writers',
          ...(rolls ? {} : { '#writer': batch.writer }),
        },
        ExpressionAttributeValues: {
          ':name': name,
          ':closed': 'CLOSED',
          ':zero': 0,
          ':version': batch.expectedVersion,
          ':expectedBucket': batch.expectedBucketStart,
          ...(rolls ? { ':bucket': batch.bucketStart } : {}),
          ':windowMs': batch.windowMs,
          ':calls': batch.calls,
          ':failures': batch.failures,
          ...(batch.hadSuccess ? { ':trailing': batch.trailingFailures } : {}),
          ':expiresAt': epochSeconds(batch.at + this.retentionMs),
          ...(rolls
            ? { ':writers': { [batch.writer]: batch.seq }, ':noWriters': {} }
            : { ':seq': batch.seq }),
        },
      },
      (old) =>
        old.version === batch.expectedVersion &&
        (counterOf(old.writers, batch.writer) >= batch.seq ||
          counterOf(old.prevWriters, batch.writer) >= batch.seq),
      options,
    );
  }

  async acquireLease(
    name: string,
    expectedVersion: number,
    lease: ProbeLease,
    now: number,
    options?: StoreCallOptions,
  ): Promise<CircuitRecord | undefined> {
    return this.conditionalUpdate(
      name,
      {
        UpdateExpression: 'SET #token = :token, #until = :until ADD leaseSeq :one',
        ConditionExpression:
          'version = :version AND #state = :halfOpen AND (attribute_not_exists(#until) OR #until <= :now)',
        ExpressionAttributeNames: {
          '#state': 'state',
          '#token': leaseTokenAttribute(lease.slot),
          '#until': leaseUntilAttribute(lease.slot),
        },
        ExpressionAttributeValues: {
          ':version': expectedVersion,
          ':halfOpen': 'HALF_OPEN',
          ':token': lease.token,
          ':until': lease.until,
          ':now': now,
          ':one': 1,
        },
      },
      (old) =>
        old.version === expectedVersion && old[leaseTokenAttribute(lease.slot)] === lease.token,
      options,
    );
  }

  async releaseLease(
    name: string,
    expectedVersion: number,
    lease: ProbeLease,
    options?: StoreCallOptions,
  ): Promise<CircuitRecord | undefined> {
    return this.conditionalUpdate(
      name,
      {
        UpdateExpression: 'REMOVE #token, #until',
        ConditionExpression: 'version = :version AND #token = :token',
        ExpressionAttributeNames: {
          '#token': leaseTokenAttribute(lease.slot),
          '#until': leaseUntilAttribute(lease.slot),
        },
        ExpressionAttributeValues: { ':version': expectedVersion, ':token': lease.token },
      },
      // Released (by an earlier attempt) or taken by someone else: either way not ours now.
      () => false,
      options,
    );
  }

  async completeProbe(
    name: string,
    expectedVersion: number,
    lease: ProbeLease,
    options?: StoreCallOptions,
  ): Promise<CircuitRecord | undefined> {
    return this.conditionalUpdate(
      name,
      {
        // The token joins `probesCompleted` (cleared by the next transition): the mark by
        // which a retried completion recognises that it already counted.
        UpdateExpression: 'ADD probeSuccesses :one, probesCompleted :tokens REMOVE #token, #until',
        ConditionExpression: 'version = :version AND #token = :token',
        ExpressionAttributeNames: {
          '#token': leaseTokenAttribute(lease.slot),
          '#until': leaseUntilAttribute(lease.slot),
        },
        ExpressionAttributeValues: {
          ':version': expectedVersion,
          ':token': lease.token,
          ':tokens': new Set([lease.token]),
          ':one': 1,
        },
      },
      (old) =>
        old.version === expectedVersion &&
        old.probesCompleted instanceof Set &&
        old.probesCompleted.has(lease.token),
      options,
    );
  }

  async list(options?: StoreCallOptions): Promise<CircuitRecord[]> {
    const records: CircuitRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send<ScanCommandOutput>(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(pk, :prefix) AND sk = :sk',
          ExpressionAttributeValues: { ':prefix': CIRCUIT_KEY_PREFIX, ':sk': CIRCUIT_SORT_KEY },
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
        options,
      );
      for (const item of page.Items ?? []) records.push(fromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * One conditional UpdateItem on a circuit's item: the record as it stands after it, or
   * undefined when the condition failed (another environment changed the circuit first).
   */
  private async conditionalUpdate(
    name: string,
    update: Omit<
      UpdateCommandInput,
      'TableName' | 'Key' | 'ReturnValues' | 'ReturnValuesOnConditionCheckFailure'
    >,
    applied: AppliedTest,
    options?: StoreCallOptions,
  ): Promise<CircuitRecord | undefined> {
    const output = await this.conditional(
      name,
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(name),
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ...update,
      }),
      applied,
      options,
    );
    return output?.Attributes ? fromItem(output.Attributes) : undefined;
  }

  /**
   * Sends a conditional write: its output, the item as it stands if the condition failed on
   * this very write applied earlier (a retry after a lost answer), else `undefined`.
   */
  private async conditional(
    name: string,
    command: PutCommand | UpdateCommand,
    applied: AppliedTest,
    options?: StoreCallOptions,
  ): Promise<{ Attributes?: Record<string, unknown> } | undefined> {
    try {
      return await this.send(command, options);
    } catch (error) {
      const cause = (error as { cause?: { name?: string; Item?: Record<string, unknown> } }).cause;
      if (!(error instanceof StateStoreError) || cause?.name !== 'ConditionalCheckFailedException')
        throw error;
      const old = cause.Item
        ? unmarshall(cause.Item as Parameters<typeof unmarshall>[0])
        : ((await this.getItem(name, options)) ?? {});
      return applied(old) ? { Attributes: old } : undefined;
    }
  }

  private async getItem(
    name: string,
    options?: StoreCallOptions,
  ): Promise<Record<string, unknown> | undefined> {
    const output = await this.send<{ Item?: Record<string, unknown> }>(
      new GetCommand({ TableName: this.tableName, Key: keyOf(name), ConsistentRead: true }),
      options,
    );
    return output.Item;
  }

  private async send<Output>(
    command: { resolveMiddleware: unknown } & { constructor: { name: string } },
    options?: StoreCallOptions,
  ): Promise<Output> {
    try {
      // One send for every command type; the document client checks the command at run time.
      return (await this.documents.send(command as GetCommand, {
        abortSignal: options?.signal,
      })) as Output;
    } catch (error) {
      throw new StateStoreError(`DynamoDB ${command.constructor.name} failed`, { cause: error });
    }
  }
}

function keyOf(name: string): { pk: string; sk: string } {
  return { pk: `${CIRCUIT_KEY_PREFIX}${name}`, sk: CIRCUIT_SORT_KEY };
}

function leaseTokenAttribute(slot: number): string {
  return `lease${slot}Token`;
}

function leaseUntilAttribute(slot: number): string {
  return `lease${slot}Until`;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function counterOf(writers: unknown, writer: string): number {
  const value = (writers as Record<string, unknown> | undefined)?.[writer];
  return typeof value === 'number' ? value : -1;
}

function epochSeconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

function toItem(record: CircuitRecord): Record<string, unknown> {
  const { leases, ...rest } = record;
  const item: Record<string, unknown> = { ...keyOf(record.name), ...rest };
  for (const lease of leases) {
    item[leaseTokenAttribute(lease.slot)] = lease.token;
    item[leaseUntilAttribute(lease.slot)] = lease.until;
  }
  return item;
}

function fromItem(item: Record<string, unknown>): CircuitRecord {
  const number = (key: string): number =>
    typeof item[key] === 'number' ? (item[key] as number) : 0;
  const optionalNumber = (key: string): number | undefined =>
    typeof item[key] === 'number' ? (item[key] as number) : undefined;
  const leases: ProbeLease[] = [];
  for (let slot = 0; slot < MAX_LEASE_SLOTS; slot++) {
    const token = item[leaseTokenAttribute(slot)];
    const until = item[leaseUntilAttribute(slot)];
    if (typeof token === 'string' && typeof until === 'number') leases.push({ slot, token, until });
  }
  return {
    name: String(item.name ?? String(item.pk).slice(CIRCUIT_KEY_PREFIX.length)),
    state: (item.state as CircuitState | undefined) ?? 'CLOSED',
    version: number('version'),
    changedAt: number('changedAt'),
    reason: typeof item.reason === 'string' ? item.reason : undefined,
    openedAt: optionalNumber('openedAt'),
    openUntil: optionalNumber('openUntil'),
    reopenCount: number('reopenCount'),
    bucketStart: number('bucketStart'),
    windowMs: optionalNumber('windowMs') ?? DEFAULT_WINDOW_MS,
    calls: number('calls'),
    failures: number('failures'),
    prevCalls: number('prevCalls'),
    prevFailures: number('prevFailures'),
    streak: number('streak'),
    probeSuccesses: number('probeSuccesses'),
    leases,
    leaseSeq: optionalNumber('leaseSeq'),
    transitionIds: Array.isArray(item.transitionIds)
      ? item.transitionIds.filter((id): id is string => typeof id === 'string')
      : undefined,
  };
}
