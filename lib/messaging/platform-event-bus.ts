import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import {
  consumerQueueNames,
  consumerRegistryPath,
  eventBusParameterNames,
} from '../../functions/runtime/contract/messaging';
import { type IMicroservicePlatform, platformParameterRoot } from '../platform/platform-attributes';
import { acknowledgeWildcardResource } from '../service/nag-findings';

export interface PlatformEventBusProps {
  readonly platform: IMicroservicePlatform;
  /**
   * How long the bus keeps every event in its archive, for replays.
   * @default Duration.days(7)
   */
  readonly archiveRetention?: Duration;
}

/** The bus and schema registry a service publishes to, wherever it is defined. */
export interface PlatformMessagingAttributes {
  readonly eventBus: events.IEventBus;
  /** The EventBridge schema registry holding every declared event type's JSON schema. */
  readonly schemaRegistryName: string;
}

const ID = 'Messaging';
const LOOKUP_ID = 'MessagingLookup';

/**
 * The platform's event bus (every service's events), its archive, and a schema registry with
 * each declared event type's JSON schema. Its name and ARN are published under the platform's
 * SSM path, so services in other stacks or apps find it by platform name and stage.
 */
export class PlatformEventBus extends Construct {
  /**
   * The messaging of a platform: the construct itself when the platform was built in this app
   * (`MicroservicePlatform`), otherwise the bus read from what the platform published in SSM.
   */
  static of(platform: IMicroservicePlatform): PlatformMessagingAttributes {
    const own = platform.node.tryFindChild(ID);
    if (own instanceof PlatformEventBus) return own;
    const existing = platform.node.tryFindChild(LOOKUP_ID) as PlatformMessagingLookup | undefined;
    return existing ?? new PlatformMessagingLookup(platform, LOOKUP_ID, platform);
  }

  /** Registry name of a platform's event schemas. */
  static schemaRegistryNameOf(platform: IMicroservicePlatform): string {
    return `${platform.platformName}-${platform.stage}`;
  }

  readonly eventBus: events.EventBus;
  readonly schemaRegistryName: string;
  private readonly platform: IMicroservicePlatform;

  constructor(scope: IMicroservicePlatform, props: PlatformEventBusProps) {
    // Always the platform's child named 'Messaging': that is how `of(platform)` finds it.
    super(scope, ID);
    const { platform } = props;
    this.platform = platform;
    this.eventBus = new events.EventBus(this, 'Bus', {
      eventBusName: `${platform.platformName}-${platform.stage}`,
      description: `Events between the services of ${platform.platformName} (${platform.stage})`,
    });
    this.eventBus.archive('Archive', {
      description: 'Every event of the platform, for replays',
      eventPattern: { account: [Stack.of(this).account] },
      retention: props.archiveRetention ?? Duration.days(7),
    });
    const registry = new eventschemas.CfnRegistry(this, 'Schemas', {
      registryName: PlatformEventBus.schemaRegistryNameOf(platform),
      description: `Event schemas of ${platform.platformName} (${platform.stage})`,
    });
    this.schemaRegistryName = registry.attrRegistryName;
    const names = eventBusParameterNames(
      platformParameterRoot(platform.platformName, platform.stage),
    );
    new ssm.StringParameter(this, 'PublishedBusName', {
      parameterName: names.name,
      stringValue: this.eventBus.eventBusName,
      description: `Event bus of ${platform.platformName} (${platform.stage})`,
    });
    new ssm.StringParameter(this, 'PublishedBusArn', {
      parameterName: names.arn,
      stringValue: this.eventBus.eventBusArn,
      description: `Event bus ARN of ${platform.platformName} (${platform.stage})`,
    });
  }

  /** Where consumers register their queues for the admin API. */
  get consumerRegistryPath(): string {
    return consumerRegistryPath(
      platformParameterRoot(this.platform.platformName, this.platform.stage),
    );
  }

  /**
   * Lets an operator function list and redrive every consumer's dead letters: read the
   * consumers' registrations, receive and delete dead letters, send them back to their queue.
   * Queues are found by the platform's name prefix, so services deploy without this grant
   * changing.
   */
  grantDeadLetterAdministration(grantee: iam.IGrantable & { readonly role?: iam.IRole }): void {
    const stack = Stack.of(this);
    const { prefix } = consumerQueueNames(this.platform.platformName, this.platform.stage, 'x');
    const queues = stack.formatArn({ service: 'sqs', resource: `${prefix}*` });
    const registry = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: this.consumerRegistryPath.slice(1),
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:SendMessage',
        'sqs:GetQueueAttributes',
      ],
      resourceArns: [queues],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['ssm:GetParametersByPath', 'ssm:GetParameter'],
      resourceArns: [registry, `${registry}/*`],
    });
    if (grantee.role) {
      acknowledgeWildcardResource(
        grantee.role,
        queues,
        "The queues of the platform's consumers (named by platform and stage), which services add without redeploying the platform.",
      );
      acknowledgeWildcardResource(
        grantee.role,
        `${registry}/*`,
        "The consumers' registrations, one parameter per consuming service.",
      );
    }
  }
}

/** The bus of a platform defined elsewhere, read from its SSM parameters at deploy time. */
class PlatformMessagingLookup extends Construct implements PlatformMessagingAttributes {
  readonly eventBus: events.IEventBus;
  readonly schemaRegistryName: string;

  constructor(scope: Construct, id: string, platform: IMicroservicePlatform) {
    super(scope, id);
    const names = eventBusParameterNames(
      platformParameterRoot(platform.platformName, platform.stage),
    );
    this.eventBus = events.EventBus.fromEventBusAttributes(this, 'Bus', {
      eventBusName: ssm.StringParameter.valueForStringParameter(this, names.name),
      eventBusArn: ssm.StringParameter.valueForStringParameter(this, names.arn),
      eventBusPolicy: '',
    });
    this.schemaRegistryName = PlatformEventBus.schemaRegistryNameOf(platform);
  }
}
