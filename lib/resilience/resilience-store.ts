import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { createPlatformTable } from '../service/platform-table';

export interface ResilienceStoreProps {
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The platform's one table for shared resilience state: each circuit's state and window counts
 * (`circuit#{name}` / `state`), and injected faults (`fault#{service}` / `config`). Items of
 * automatic circuit states expire through TTL on `expiresAt`.
 */
export class ResilienceStore extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: ResilienceStoreProps = {}) {
    super(scope, id);
    this.table = createPlatformTable(this, 'Resource', {
      partitionKey: 'pk',
      sortKey: 'sk',
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  get tableName(): string {
    return this.table.tableName;
  }

  /**
   * What a service's breakers and fault injector need: read an item, and conditional writes.
   * No Scan, no Delete: a service cannot list or erase other circuits.
   */
  grantBreakerAccess(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
  }

  /** What the admin API needs: list every circuit and fault, and write them. */
  grantAdministration(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(
      grantee,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:Scan',
    );
  }
}
