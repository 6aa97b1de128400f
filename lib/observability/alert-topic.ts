import { Aspects, type IAspect, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';

export interface AlertTopicOptions {
  /**
   * Addresses that receive every alarm by e-mail (each confirms its subscription once).
   * @default - none
   */
  readonly emails?: string[];
  /**
   * Further subscriptions (a chat webhook's Lambda, an SQS queue, an HTTPS endpoint).
   * @default - none
   */
  readonly subscriptions?: sns.ITopicSubscription[];
}

export interface AlertTopicProps extends AlertTopicOptions {
  /** Name of the platform and stage, for the topic's name. */
  readonly topicName: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The one SNS topic every alarm of a platform and its services goes to. Encrypted with a key of
 * its own (CloudWatch cannot publish to a topic under the AWS-managed SNS key), TLS only, and
 * publishable by CloudWatch alarms of this account alone.
 */
export class AlertTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlertTopicProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the alert topic ${props.topicName}`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // Alarms publish as the CloudWatch service: it must make the data key the topic needs.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Resource', {
      topicName: props.topicName,
      displayName: `Alerts of ${props.topicName}`,
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
        },
      }),
    );
    for (const email of props.emails ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    for (const subscription of props.subscriptions ?? []) this.topic.addSubscription(subscription);
  }
}

/**
 * Sends every CloudWatch alarm below a scope to the alert topic, also alarms other constructs
 * create (the registry's, a consumer's dead-letter alarm, cdk-monitoring-constructs' own): an
 * alarm that tells nobody is a graph, not an alarm.
 */
export function routeAlarmsToTopic(scope: IConstruct, topicArn: string): void {
  Aspects.of(scope).add(new AlarmsToTopic(topicArn));
}

class AlarmsToTopic implements IAspect {
  constructor(private readonly topicArn: string) {}

  visit(node: IConstruct): void {
    if (!(node instanceof cloudwatch.CfnAlarm)) return;
    const original = node.alarmActions;
    const topicArn = this.topicArn;
    const stack = Stack.of(node);
    // Resolved late: an L2 alarm's actions are a lazy list, complete only at synthesis.
    node.alarmActions = Lazy.list({
      produce: () => {
        const current = (stack.resolve(original) ?? []) as unknown[];
        const wanted = stack.resolve(topicArn) as unknown;
        const present = current.some((action) => JSON.stringify(action) === JSON.stringify(wanted));
        return (present ? current : [...current, wanted]) as string[];
      },
    });
  }
}
