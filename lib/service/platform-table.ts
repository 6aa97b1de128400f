import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

export interface PlatformTableProps {
  /** String partition key attribute. */
  readonly partitionKey: string;
  /**
   * String sort key attribute.
   * @default - none
   */
  readonly sortKey?: string;
  /**
   * Attribute (epoch seconds) after which DynamoDB deletes an item.
   * @default - no TTL
   */
  readonly timeToLiveAttribute?: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A table as every part of the platform keeps one: on-demand, point-in-time recovery, encrypted
 * at rest, string keys.
 */
export function createPlatformTable(
  scope: Construct,
  id: string,
  props: PlatformTableProps,
): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    partitionKey: { name: props.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: props.sortKey
      ? { name: props.sortKey, type: dynamodb.AttributeType.STRING }
      : undefined,
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    timeToLiveAttribute: props.timeToLiveAttribute,
    removalPolicy: props.removalPolicy,
  });
}
