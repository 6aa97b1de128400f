import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { resourcesOfType, type StackArtifact } from '../cloud-assembly';
import { resolveValue, type ResolutionContext } from '../intrinsics';
import type { InvocationResult } from '../lambda-runtime';
import type { AwsClientSettings } from '../provision';

/** What the local poller needs of a function: invoke it as Lambda's mapping would. */
export interface MappingTarget {
  readonly arn: string;
  invoke(event: unknown): Promise<InvocationResult>;
}

/** An event source mapping as the Lambda API describes it. */
export interface EventSourceMappingConfiguration {
  readonly UUID: string;
  readonly EventSourceArn: string;
  readonly FunctionArn: string;
  readonly State: 'Enabled' | 'Disabled';
  readonly StateTransitionReason: string;
  readonly BatchSize: number;
  readonly MaximumBatchingWindowInSeconds: number;
  readonly FunctionResponseTypes: string[];
  readonly LastModified: number;
}

export interface MappingDefinition {
  readonly uuid: string;
  readonly queueArn: string;
  readonly queueUrl: string;
  readonly target: MappingTarget;
  /** @default 10 */
  readonly batchSize?: number;
  /** @default 0 */
  readonly maximumBatchingWindowSeconds?: number;
  /** @default false */
  readonly reportBatchItemFailures?: boolean;
  /** @default true */
  readonly enabled?: boolean;
  /**
   * Batches in flight at once (Lambda scales pollers; ScalingConfig caps them).
   * @default 2
   */
  readonly concurrency?: number;
}

/** How long one ReceiveMessage waits for messages (long polling, as Lambda's pollers do). */
const WAIT_SECONDS = 1;

/**
 * One SQS event source mapping run locally, as Lambda runs it: pollers receive batches (long
 * polling), invoke the function with an SQS event, and delete what succeeded. With partial batch
 * responses only the reported failures stay; a function error or a malformed response leaves the
 * whole batch. What stays becomes visible again after its visibility timeout (or the delay the
 * consumer set), and the emulator moves it to the dead-letter queue once its receive count
 * passes the redrive policy's maximum. A disabled mapping receives nothing.
 */
export class LocalSqsMapping {
  private enabled: boolean;
  private lastModified = Date.now();
  private stopped = false;
  private readonly abort = new AbortController();
  private wake?: () => void;
  private readonly loops: Promise<void>[] = [];
  /** Batches handed to the function, and messages deleted: what a test or a bench reads. */
  readonly stats = { batches: 0, deleted: 0, failedItems: 0, functionErrors: 0 };

  constructor(
    readonly definition: MappingDefinition,
    private readonly sqs: SQSClient,
    private readonly region: string,
  ) {
    this.enabled = definition.enabled ?? true;
  }

  start(): this {
    for (let index = 0; index < (this.definition.concurrency ?? 2); index++) {
      this.loops.push(this.poll());
    }
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    await Promise.all(this.loops);
  }

  get configuration(): EventSourceMappingConfiguration {
    const { definition } = this;
    return {
      UUID: definition.uuid,
      EventSourceArn: definition.queueArn,
      FunctionArn: definition.target.arn,
      State: this.enabled ? 'Enabled' : 'Disabled',
      StateTransitionReason: 'USER_INITIATED',
      BatchSize: definition.batchSize ?? 10,
      MaximumBatchingWindowInSeconds: definition.maximumBatchingWindowSeconds ?? 0,
      FunctionResponseTypes: definition.reportBatchItemFailures ? ['ReportBatchItemFailures'] : [],
      LastModified: Math.floor(this.lastModified / 1000),
    };
  }

  setEnabled(enabled: boolean): void {
    if (this.enabled === enabled) return;
    this.enabled = enabled;
    this.lastModified = Date.now();
    if (enabled) {
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
    }
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      if (!this.enabled) {
        // Woken by setEnabled(true) or stop(): no timer stands in for the state change.
        await new Promise<void>((resolve) => {
          const previous = this.wake;
          this.wake = () => {
            previous?.();
            resolve();
          };
        });
        continue;
      }
      let messages: Message[];
      try {
        messages = await this.receive();
      } catch (error) {
        if (this.stopped) return;
        process.stderr.write(
          `serverless-msa: polling ${this.definition.queueArn} failed: ${(error as Error).message}\n`,
        );
        await new Promise((resolve) => setTimeout(resolve, 1000).unref());
        continue;
      }
      // A mapping disabled while the receive waited hands nothing over: the messages come
      // back after their visibility timeout, as after any receive.
      if (messages.length === 0 || this.stopped) continue;
      await this.deliver(messages);
    }
  }

  private async receive(): Promise<Message[]> {
    const batchSize = this.definition.batchSize ?? 10;
    const windowMs = (this.definition.maximumBatchingWindowSeconds ?? 0) * 1000;
    const messages: Message[] = [];
    const deadline = Date.now() + windowMs;
    do {
      const { Messages } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.definition.queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - messages.length),
          WaitTimeSeconds: messages.length === 0 ? WAIT_SECONDS : 0,
          MessageSystemAttributeNames: ['All'],
          // The older name too: emulators may know only it.
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: this.abort.signal },
      );
      if (!Messages?.length) break;
      messages.push(...Messages);
    } while (messages.length < batchSize && Date.now() < deadline);
    return messages;
  }

  private async deliver(messages: Message[]): Promise<void> {
    const event = {
      Records: messages.map((message) => ({
        messageId: message.MessageId,
        receiptHandle: message.ReceiptHandle,
        body: message.Body ?? '',
        attributes: message.Attributes ?? {},
        messageAttributes: message.MessageAttributes ?? {},
        md5OfBody: message.MD5OfBody,
        eventSource: 'aws:sqs',
        eventSourceARN: this.definition.queueArn,
        awsRegion: this.region,
      })),
    };
    this.stats.batches++;
    const result = await this.definition.target.invoke(event);
    const succeeded = this.succeeded(messages, result);
    if (succeeded.length === 0) return;
    for (let start = 0; start < succeeded.length; start += 10) {
      const chunk = succeeded.slice(start, start + 10);
      await this.sqs
        .send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.definition.queueUrl,
            Entries: chunk.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle!,
            })),
          }),
        )
        .then(() => {
          this.stats.deleted += chunk.length;
        })
        .catch((error: Error) =>
          process.stderr.write(`serverless-msa: could not delete messages: ${error.message}\n`),
        );
    }
  }

  /** Lambda's reading of the function's answer: which messages count as processed. */
  private succeeded(messages: Message[], result: InvocationResult): Message[] {
    if (result.functionError) {
      this.stats.functionErrors++;
      return [];
    }
    if (!this.definition.reportBatchItemFailures) return messages;
    const failures = batchItemFailures(result.payload);
    if (failures === 'invalid') {
      this.stats.functionErrors++;
      return [];
    }
    const ids = new Set(messages.map((message) => message.MessageId));
    // An identifier that names no message of the batch fails the whole batch, as on AWS.
    if (failures.some((id) => !ids.has(id))) {
      this.stats.functionErrors++;
      return [];
    }
    this.stats.failedItems += failures.length;
    const failed = new Set(failures);
    return messages.filter((message) => !failed.has(message.MessageId!));
  }
}

/** The failed message IDs of a partial batch response; `invalid` when it is malformed. */
export function batchItemFailures(payload: unknown): string[] | 'invalid' {
  if (payload === null || payload === undefined || payload === '') return [];
  if (typeof payload !== 'object' || Array.isArray(payload)) return 'invalid';
  const list = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return 'invalid';
  const ids: string[] = [];
  for (const item of list) {
    const id = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') return 'invalid';
    ids.push(id);
  }
  return ids;
}

/**
 * Every SQS event source mapping of the app, run locally; answers the Lambda API's mapping
 * operations (list, get, update) for them.
 */
export class LocalEventSourceMappings {
  private readonly mappings = new Map<string, LocalSqsMapping>();

  constructor(private readonly sqs: SQSClient) {}

  static fromStacks(
    deployed: readonly { stack: StackArtifact; context: ResolutionContext }[],
    targets: (stackIndex: number, functionLogicalId: string) => MappingTarget | undefined,
    clients: AwsClientSettings,
    options: { concurrency?: number } = {},
  ): LocalEventSourceMappings {
    const registry = new LocalEventSourceMappings(new SQSClient(clients));
    for (const [index, { stack, context }] of deployed.entries()) {
      const queueUrls = new Map<string, string>();
      for (const [logicalId] of resourcesOfType(stack.template, 'AWS::SQS::Queue')) {
        const arn = context.attributes.get(`${logicalId}.Arn`);
        const url = context.refs.get(logicalId);
        if (arn && url) queueUrls.set(arn, url);
      }
      for (const [logicalId, resource] of resourcesOfType(
        stack.template,
        'AWS::Lambda::EventSourceMapping',
      )) {
        const properties = resource.Properties ?? {};
        const queueArn = resolveValue(properties.EventSourceArn, context);
        const queueUrl = typeof queueArn === 'string' ? queueUrls.get(queueArn) : undefined;
        const functionRef = properties.FunctionName as { Ref?: string } | undefined;
        const target = functionRef?.Ref ? targets(index, functionRef.Ref) : undefined;
        if (!queueUrl || !target || typeof queueArn !== 'string') continue;
        const scaling = properties.ScalingConfig as { MaximumConcurrency?: number } | undefined;
        registry.add(
          new LocalSqsMapping(
            {
              uuid: context.refs.get(logicalId)!,
              queueArn,
              queueUrl,
              target,
              batchSize: Number(properties.BatchSize ?? 10),
              maximumBatchingWindowSeconds: Number(properties.MaximumBatchingWindowInSeconds ?? 0),
              reportBatchItemFailures: (
                (properties.FunctionResponseTypes as string[] | undefined) ?? []
              ).includes('ReportBatchItemFailures'),
              enabled: properties.Enabled !== false,
              concurrency: Math.min(
                scaling?.MaximumConcurrency ?? options.concurrency ?? 2,
                options.concurrency ?? 2,
              ),
            },
            registry.sqs,
            context.region,
          ),
        );
      }
    }
    return registry;
  }

  add(mapping: LocalSqsMapping): void {
    this.mappings.set(mapping.definition.uuid, mapping);
  }

  get size(): number {
    return this.mappings.size;
  }

  get(uuid: string): LocalSqsMapping | undefined {
    return this.mappings.get(uuid);
  }

  list(filter: { functionArn?: string; eventSourceArn?: string } = {}): LocalSqsMapping[] {
    return [...this.mappings.values()].filter(
      (mapping) =>
        (!filter.functionArn || mapping.definition.target.arn === filter.functionArn) &&
        (!filter.eventSourceArn || mapping.definition.queueArn === filter.eventSourceArn),
    );
  }

  start(): void {
    for (const mapping of this.mappings.values()) mapping.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.mappings.values()].map((mapping) => mapping.stop()));
    this.sqs.destroy();
  }
}
