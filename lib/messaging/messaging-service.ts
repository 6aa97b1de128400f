import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IMicroservicePlatform } from '../platform/platform-attributes';

/** What publishing and consuming need of a service (a `Microservice` is one). */
export interface IMessagingService {
  readonly serviceName: string;
  readonly platform: IMicroservicePlatform;
  readonly function: lambda.Function;
  /** The service's own table: the consumer keeps its idempotency records there. */
  readonly table: dynamodb.ITable;
}
