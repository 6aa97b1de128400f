import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import {
  type ConsumerRegistration,
  consumerQueueNames,
  consumerRegistryPath,
  EVENT_TYPE_PATTERN,
  eventSourceOf,
  MESSAGING_DEFAULTS,
  MESSAGING_ENV,
  RESUME_CHECK_EVENT,
} from '../../functions/runtime/contract/messaging';
import { platformParameterRoot } from '../platform/platform-attributes';
import { acknowledgeWildcardResource } from '../service/nag-findings';
import type { IMessagingService } from './messaging-service';
import { PlatformEventBus } from './platform-event-bus';

/** Events of one publishing service that a service consumes. */
export interface ConsumedEvents {
  /** The publishing service's name (the events' `source` is `{platform}.{service}`). */
  readonly from: string;
  /** Its event types to receive, e.g. `['BookAdded']`. */
  readonly eventTypes: string[];
}

export interface EventSubscriptionOptions {
  /**
   * Receives of one message before it goes to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long an unconsumed message stays in the queue.
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;
  /**
   * How long a dead letter stays in the dead-letter queue.
   * @default Duration.days(14)
   */
  readonly deadLetterRetentionPeriod?: Duration;
  /**
   * Messages per invocation.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long the mapping gathers messages before invoking with fewer than `batchSize`.
   * @default - none: invoke as soon as messages arrive
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Concurrent invocations the mapping may use (2-1000).
   * @default - Lambda's limit
   */
  readonly maxConcurrency?: number;
  /**
   * First delay before a failed message is seen again; doubled on each receive.
   * @default Duration.seconds(2)
   */
  readonly retryBaseDelay?: Duration;
  /**
   * Circuits the consumer's handlers call through: while one is open, consumption pauses
   * (event source mapping disabled) and the scheduled resume check re-enables it once the
   * circuit admits calls. Operators may force these circuits from the admin API.
   * @default - none
   */
  readonly pauseOnOpenCircuits?: string[];
  /**
   * Delay of a message deferred while a circuit is forced open (an operator's state, with no
   * reopening time): consumption is paused meanwhile, so this bounds how soon after a resume
   * the message is seen again.
   * @default Duration.seconds(60)
   */
  readonly forcedOpenDelay?: Duration;
  /**
   * How often the resume check runs while consumption may be paused.
   * @default Duration.minutes(1)
   */
  readonly resumeCheckInterval?: Duration;
}

export interface EventSubscriptionProps extends EventSubscriptionOptions {
  readonly service: IMessagingService;
}

/**
 * The events one service consumes: its own encrypted SQS queue with a dead-letter queue, a rule
 * per publishing service from the platform's bus to the queue (the queue's policy admits only
 * those rules), an event source mapping with partial batch responses, a scheduled resume check
 * when consumption may pause, an alarm on dead letters, and the queue's registration for the
 * admin API. The function may consume from its queue, send deferred messages back to it, and
 * enable or disable its own mapping; nothing else.
 */
export class EventSubscription extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly eventSourceMapping: lambda.EventSourceMapping;
  /** Fires when a message reaches the dead-letter queue. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly maxReceiveCount: number;
  private readonly service: IMessagingService;
  private readonly bus: events.IEventBus;
  private readonly sources = new Map<string, Set<string>>();

  constructor(scope: Construct, id: string, props: EventSubscriptionProps) {
    super(scope, id);
    const { service } = props;
    this.service = service;
    const { platform } = service;
    this.bus = PlatformEventBus.of(platform).eventBus;
    const names = consumerQueueNames(platform.platformName, platform.stage, service.serviceName);
    this.maxReceiveCount = props.maxReceiveCount ?? MESSAGING_DEFAULTS.maxReceiveCount;
    if (!Number.isInteger(this.maxReceiveCount) || this.maxReceiveCount < 1) {
      throw new Error(`maxReceiveCount must be a positive integer; got ${this.maxReceiveCount}`);
    }
    const circuits = props.pauseOnOpenCircuits ?? [];
    for (const circuit of circuits) {
      if (!/^[A-Za-z0-9._:-]{1,128}$/.test(circuit))
        throw new Error(`'${circuit}' is not a circuit name`);
    }
    const functionTimeout = service.function.timeout ?? Duration.seconds(3);
    const retryBase = props.retryBaseDelay ?? Duration.seconds(MESSAGING_DEFAULTS.retryBaseSeconds);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      queueName: names.deadLetterQueue,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.deadLetterRetentionPeriod ?? Duration.days(14),
      removalPolicy: platform.removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: names.queue,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(4),
      // Lambda's advice: six times the function's timeout, so a slow batch is not redelivered
      // while it still runs. Failed messages come back sooner: the consumer sets their delay.
      visibilityTimeout: Duration.seconds(Math.max(30, functionTimeout.toSeconds() * 6)),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
      removalPolicy: platform.removalPolicy,
    });

    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'Mapping', {
      target: service.function,
      eventSourceArn: this.queue.queueArn,
      batchSize: props.batchSize ?? MESSAGING_DEFAULTS.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency,
    });
    this.queue.grantConsumeMessages(service.function);
    // Deferred messages (a circuit was open) go back to the queue as fresh copies.
    this.queue.grantSendMessages(service.function);
    this.grantPauseControl(circuits.length > 0);

    service.function.addEnvironment(MESSAGING_ENV.consumerQueueUrl, this.queue.queueUrl);
    service.function.addEnvironment(MESSAGING_ENV.consumerQueueArn, this.queue.queueArn);
    service.function.addEnvironment(MESSAGING_ENV.idempotencyTableName, service.table.tableName);
    service.function.addEnvironment(MESSAGING_ENV.consumerCircuits, circuits.join(','));
    service.function.addEnvironment(
      MESSAGING_ENV.consumerRetryBaseSeconds,
      String(retryBase.toSeconds()),
    );
    service.function.addEnvironment(
      MESSAGING_ENV.consumerForcedOpenDelaySeconds,
      String(
        Math.min(
          900,
          (
            props.forcedOpenDelay ?? Duration.seconds(MESSAGING_DEFAULTS.forcedOpenDelaySeconds)
          ).toSeconds(),
        ),
      ),
    );
    service.function.addEnvironment(
      MESSAGING_ENV.consumerRetryMaxSeconds,
      String(MESSAGING_DEFAULTS.retryMaxSeconds),
    );

    if (circuits.length > 0) {
      new events.Rule(this, 'ResumeCheck', {
        description: `Resumes ${service.serviceName}'s consumption once its circuits admit calls`,
        schedule: events.Schedule.rate(props.resumeCheckInterval ?? Duration.minutes(1)),
        targets: [
          new targets.LambdaFunction(service.function, {
            event: events.RuleTargetInput.fromObject(RESUME_CHECK_EVENT),
          }),
        ],
      });
    }

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: `A message of ${service.serviceName} reached its dead-letter queue`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const registration: ConsumerRegistration = {
      service: service.serviceName,
      queueUrl: this.queue.queueUrl,
      queueArn: this.queue.queueArn,
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
      deadLetterQueueArn: this.deadLetterQueue.queueArn,
      maxReceiveCount: this.maxReceiveCount,
      circuits,
    };
    new ssm.StringParameter(this, 'Registration', {
      parameterName: `${consumerRegistryPath(platformParameterRoot(platform.platformName, platform.stage))}/${service.serviceName}`,
      stringValue: Stack.of(this).toJsonString(registration),
      description: `Event queues of the ${service.serviceName} service`,
    });
  }

  /** Receives `eventTypes` published by service `from` (one rule per publishing service). */
  add(consumed: ConsumedEvents): void {
    for (const type of consumed.eventTypes) {
      if (!EVENT_TYPE_PATTERN.test(type)) throw new Error(`'${type}' is not an event type`);
    }
    if (consumed.eventTypes.length === 0) throw new Error('eventTypes must not be empty');
    const existing = this.sources.get(consumed.from);
    if (existing) {
      for (const type of consumed.eventTypes) existing.add(type);
      return;
    }
    const types = new Set(consumed.eventTypes);
    this.sources.set(consumed.from, types);
    const source = eventSourceOf(this.service.platform.platformName, consumed.from);
    new events.Rule(this, `From${consumed.from.replace(/[^A-Za-z0-9]/g, '')}`, {
      eventBus: this.bus,
      description: `${consumed.from} events for ${this.service.serviceName}`,
      eventPattern: {
        source: [source],
        detailType: Lazy.list({ produce: () => [...types] }),
      },
      targets: [new targets.SqsQueue(this.queue)],
    });
  }

  /**
   * ListEventSourceMappings has no resource-level permission; Update is allowed on this
   * mapping only. In a policy of its own: the function does not wait for it.
   */
  private grantPauseControl(enabled: boolean): void {
    if (!enabled) return;
    const policy = new iam.Policy(this, 'PauseControl', {
      statements: [
        new iam.PolicyStatement({
          actions: ['lambda:ListEventSourceMappings'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          actions: ['lambda:UpdateEventSourceMapping'],
          resources: [this.eventSourceMapping.eventSourceMappingArn],
        }),
      ],
    });
    const role = this.service.function.role;
    if (role) policy.attachToRole(role);
    acknowledgeWildcardResource(
      policy,
      '*',
      'lambda:ListEventSourceMappings has no resource-level permissions; the consumer lists to find its own mapping, and may update that one only.',
    );
  }
}
