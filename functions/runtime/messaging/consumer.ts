import {
  BatchProcessor,
  EventType as BatchEventType,
  processPartialResponse,
} from '@aws-lambda-powertools/batch';
import { AsyncLocalStorage } from 'node:async_hooks';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import {
  ChangeMessageVisibilityBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { CircuitBreaker } from '../resilience/circuit-breaker';
import { CircuitOpenError } from '../resilience/errors';
import type { CircuitRecord } from '../resilience/state-store';
import type { Powertools } from '../observability/powertools';
import type { CallerIdentity } from '../service/internal-request';
import type { EventSourceMappingControl } from './consumption-control';
import {
  BusEventSchema,
  EventDetailSchema,
  type EventMetadata,
  type EventType,
  EventValidationError,
  validateEventData,
} from './event-type';

/** What an event handler receives beside the event's data. */
export interface EventContext {
  readonly metadata: EventMetadata;
  readonly correlationId: string;
  /** The caller on whose behalf the event was published. */
  readonly caller?: CallerIdentity;
  readonly traceHeader?: string;
  /** How many times SQS delivered this message (1 on the first delivery). */
  readonly receiveCount: number;
  readonly lambdaContext: Context;
}

export type EventHandler<T> = (data: T, context: EventContext) => Promise<void>;

export interface Subscription<T> {
  readonly type: EventType<T>;
  readonly handle: EventHandler<T>;
}

/** Pairs an event type with its handler. */
export function on<T>(type: EventType<T>, handle: EventHandler<T>): Subscription<T> {
  return { type, handle };
}

export interface EventConsumerOptions {
  readonly powertools: Powertools;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one handler per event type, each typed by on()
  readonly subscriptions: readonly Subscription<any>[];
  /** Where processed event IDs are remembered (Powertools Idempotency). */
  readonly persistence: BasePersistenceLayer;
  /**
   * How long a processed event ID is remembered.
   * @default 86400
   */
  readonly idempotencyTtlSeconds?: number;
  /** The consumer's own queue: a message deferred while a circuit is open goes back to it. */
  readonly queueUrl: string;
  /** @default - a client from the environment */
  readonly sqs?: SQSClient;
  /**
   * The breaker of each circuit the handlers call through, by name: consumption pauses while
   * one is open, and the resume check reads them.
   * @default - none: an open circuit is only known from the error a handler throws
   */
  readonly circuits?: (name: string) => CircuitBreaker;
  /** Pauses and resumes the event source mapping. @default - no pause: deferral only */
  readonly control?: EventSourceMappingControl;
  /** The service's injected faults, applied before each event as before each request. */
  readonly faults?: { apply(): Promise<void> };
  /**
   * Delay before a failed message is seen again: `baseSeconds` doubled per receive, capped.
   * @default { baseSeconds: 2, maxSeconds: 300 }
   */
  readonly retry?: { readonly baseSeconds: number; readonly maxSeconds: number };
  /**
   * Delay of a message deferred while a forced-open circuit gives no reopening time.
   * @default 60
   */
  readonly forcedOpenDelaySeconds?: number;
  /** Work to finish before the invocation ends (breaker flushes). */
  readonly afterBatch?: () => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface ResumeCheckResult {
  readonly paused: boolean;
  readonly resumed: boolean;
  /** Circuits that still refuse calls. */
  readonly stillOpen: readonly string[];
}

/** SQS's longest message delay. */
const MAX_DELAY_SECONDS = 900;

/**
 * A service's event consumer: Powertools Batch (partial batch responses: only failed messages
 * come back) and Powertools Idempotency keyed on the event ID (a redelivered or republished
 * event changes state once). Every message is validated (envelope, then the event type's
 * schema); a failed one comes back after a delay that doubles per receive, and reaches the
 * dead-letter queue after the queue's max receives.
 *
 * When a handler meets an open circuit, the consumer stops: that message and the rest of the
 * batch go back to the queue as fresh copies delayed until the circuit may reopen (the original
 * is acknowledged, so its receive count does not grow), and the event source mapping is
 * disabled until the resume check sees the circuit admit calls again. An outage dead-letters
 * nothing.
 */
export class EventConsumer {
  private readonly sqs: SQSClient;
  private readonly now: () => number;
  private readonly config: IdempotencyConfig;
  private readonly process: (detail: {
    metadata: EventMetadata;
    data: unknown;
  }) => Promise<{ processed: true }>;
  private readonly subscriptions = new Map<string, Subscription<unknown>>();
  /**
   * The record being handled, for the idempotent wrapper's inner call: kept per async context,
   * not in a field, so two batches handled at once (as a local poller may) never mix records.
   */
  private readonly current = new AsyncLocalStorage<{ record: SQSRecord; context: Context }>();

  constructor(private readonly options: EventConsumerOptions) {
    this.sqs = options.sqs ?? new SQSClient({});
    this.now = options.now ?? Date.now;
    for (const subscription of options.subscriptions) {
      this.subscriptions.set(subscription.type.name, subscription as Subscription<unknown>);
    }
    this.config = new IdempotencyConfig({
      eventKeyJmesPath: 'metadata.eventId',
      expiresAfterSeconds: options.idempotencyTtlSeconds ?? 86_400,
    });
    this.process = makeIdempotent(
      async (detail: { metadata: EventMetadata; data: unknown }) => {
        await this.dispatch(detail);
        return { processed: true as const };
      },
      { persistenceStore: options.persistence, config: this.config },
    );
  }

  /** The Lambda handler body for an SQS batch. */
  async handleBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const { logger, metrics } = this.options.powertools;
    this.config.registerLambdaContext(context);
    const byId = new Map(event.Records.map((record) => [record.messageId, record]));
    let open: OpenCircuit | undefined;
    const processor = new BatchProcessor(BatchEventType.SQS);
    try {
      const response = await processPartialResponse(
        event,
        async (record: SQSRecord) => {
          if (open) return this.defer(record, open);
          try {
            await this.processRecord(record, context);
            metrics.addMetric('EventsProcessed', 'Count', 1);
          } catch (error) {
            const circuit = openCircuitOf(error);
            if (!circuit) {
              metrics.addMetric('EventsFailed', 'Count', 1);
              logger.warn('Event failed', {
                messageId: record.messageId,
                receiveCount: receiveCountOf(record),
                error: error instanceof Error ? error.name : 'unknown',
                detail: error instanceof Error ? error.message : undefined,
              });
              throw error;
            }
            open = await this.describeOpen(circuit);
            return this.defer(record, open);
          } finally {
            logger.removeKeys(['correlation_id', 'event_id', 'event_type']);
          }
        },
        processor,
        { context, processInParallel: false, throwOnFullBatchFailure: false },
      );
      const failed = response.batchItemFailures
        .map((failure) => byId.get(failure.itemIdentifier))
        .filter((record): record is SQSRecord => record !== undefined);
      await this.delayRetries(failed);
      if (open) await this.pause(open);
      return response;
    } finally {
      await Promise.resolve()
        .then(() => this.options.afterBatch?.())
        .catch(() => logger.warn('After-batch work failed'));
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  }

  /**
   * The scheduled check: if the consumer paused itself and every circuit it paused for admits
   * calls again (closed, half-open, or open past its reopening time), enable the mapping.
   */
  async resumeCheck(): Promise<ResumeCheckResult> {
    const control = this.options.control;
    if (!control) return { paused: false, resumed: false, stillOpen: [] };
    const marker = await control.marker();
    if (!marker) return { paused: false, resumed: false, stillOpen: [] };
    const stillOpen: string[] = [];
    for (const name of marker.circuits) {
      const breaker = this.options.circuits?.(name);
      if (!breaker) continue;
      const { record } = await breaker.view();
      if (!admitsCalls(record, this.now())) stillOpen.push(name);
    }
    if (stillOpen.length > 0) return { paused: true, resumed: false, stillOpen };
    await control.resume();
    this.options.powertools.logger.info('Consumption resumed', { circuits: marker.circuits });
    this.options.powertools.metrics.addMetric('ConsumerResumed', 'Count', 1);
    if (this.options.powertools.metrics.hasStoredMetrics())
      this.options.powertools.metrics.publishStoredMetrics();
    return { paused: true, resumed: true, stillOpen };
  }

  private async processRecord(record: SQSRecord, context: Context): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      throw new EventValidationError('message', [{ path: '', message: 'body is not JSON' }]);
    }
    const busEvent = parseOrThrow(BusEventSchema, body, 'event');
    const detail = parseOrThrow(EventDetailSchema, busEvent.detail, busEvent['detail-type']);
    if (detail.metadata.eventType !== busEvent['detail-type']) {
      throw new EventValidationError(busEvent['detail-type'], [
        { path: '/metadata/eventType', message: 'differs from the detail-type' },
      ]);
    }
    const { logger } = this.options.powertools;
    logger.appendKeys({
      correlation_id: detail.metadata.correlationId,
      event_id: detail.metadata.eventId,
      event_type: detail.metadata.eventType,
    });
    await this.options.faults?.apply();
    await this.current.run({ record, context }, () =>
      this.process({ metadata: detail.metadata, data: detail.data }),
    );
  }

  /** Runs once per event ID (inside the idempotent wrapper). */
  private async dispatch(detail: { metadata: EventMetadata; data: unknown }): Promise<void> {
    const { metadata } = detail;
    const subscription = this.subscriptions.get(metadata.eventType);
    if (!subscription) {
      throw new EventValidationError(metadata.eventType, [
        { path: '/detail-type', message: 'no handler for this event type' },
      ]);
    }
    const data = validateEventData(subscription.type, detail.data);
    const handling = this.current.getStore();
    if (!handling) throw new Error('dispatch ran outside a record being handled');
    const { record, context } = handling;
    await subscription.handle(data, {
      metadata,
      correlationId: metadata.correlationId,
      caller: metadata.caller,
      traceHeader: metadata.traceHeader,
      receiveCount: receiveCountOf(record),
      lambdaContext: context,
    });
    this.options.powertools.logger.info('Event processed', {
      publishedBy: metadata.publishedBy,
      receiveCount: receiveCountOf(record),
    });
  }

  /** Sends a fresh copy (receive count 0) delayed until the circuit may reopen. */
  private async defer(record: SQSRecord, open: OpenCircuit): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.options.queueUrl,
        MessageBody: record.body,
        DelaySeconds: open.delaySeconds,
      }),
    );
    this.options.powertools.metrics.addMetric('EventsDeferred', 'Count', 1);
  }

  private async describeOpen(circuit: string): Promise<OpenCircuit> {
    const forced = this.options.forcedOpenDelaySeconds ?? 60;
    let openUntil = 0;
    try {
      const breaker = this.options.circuits?.(circuit);
      if (breaker) openUntil = (await breaker.view()).record.openUntil ?? 0;
    } catch {
      // unknown reopening time: the forced-open delay stands
    }
    const remaining = openUntil > 0 ? Math.ceil((openUntil - this.now()) / 1000) : forced;
    return {
      circuit,
      openUntil,
      delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(1, remaining)),
    };
  }

  private async pause(open: OpenCircuit): Promise<void> {
    const { logger, metrics } = this.options.powertools;
    logger.warn('Consumption paused: a circuit is open', {
      circuit: open.circuit,
      deferSeconds: open.delaySeconds,
    });
    metrics.addMetric('ConsumerPaused', 'Count', 1);
    if (!this.options.control) return;
    try {
      await this.options.control.pause({
        circuits: [open.circuit],
        pausedAt: this.now(),
        openUntil: open.openUntil,
      });
    } catch (error) {
      // The messages are deferred already; the next batch meets the circuit and tries again.
      logger.error('Could not pause the event source mapping', error as Error);
    }
  }

  /** Failed messages come back after `base * 2^(receives-1)` seconds, capped. */
  private async delayRetries(failed: readonly SQSRecord[]): Promise<void> {
    const { baseSeconds, maxSeconds } = this.options.retry ?? { baseSeconds: 2, maxSeconds: 300 };
    for (let start = 0; start < failed.length; start += 10) {
      const entries = failed.slice(start, start + 10).map((record, index) => ({
        Id: String(index),
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: Math.min(
          maxSeconds,
          Math.round(baseSeconds * 2 ** Math.min(20, receiveCountOf(record) - 1)),
        ),
      }));
      await this.sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: entries,
          }),
        )
        // The queue's visibility timeout applies instead: later, never lost.
        .catch(() => this.options.powertools.logger.warn('Could not set retry delays'));
    }
  }
}

interface OpenCircuit {
  readonly circuit: string;
  readonly openUntil: number;
  readonly delaySeconds: number;
}

/** The circuit an error says is open: the breaker's own error, or one wrapped (service client). */
function openCircuitOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof CircuitOpenError) return current.circuit;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether a circuit would let a call through now (a probe counts). */
export function admitsCalls(record: CircuitRecord, now: number): boolean {
  switch (record.state) {
    case 'FORCED_OPEN':
      return false;
    case 'OPEN':
      return record.openUntil !== undefined && now >= record.openUntil;
    default:
      return true;
  }
}

function receiveCountOf(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount ?? 1);
  return Number.isFinite(count) && count >= 1 ? count : 1;
}

function parseOrThrow<T>(
  schema: {
    safeParse(
      value: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  value: unknown,
  what: string,
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new EventValidationError(
    what,
    result.error.issues.map((issue) => ({
      path: `/${issue.path.map(String).join('/')}`,
      message: issue.message,
    })),
  );
}
