import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { toJSONSchema } from 'zod';
import { BookAdded } from '../../functions/services/contracts/book-added';
import { type IMicroservice, Microservice, MicroservicePlatform } from '../../lib';

export interface DemoServiceStackProps extends StackProps {
  /** Folder of the demo services' handler sources (`functions/services`). */
  readonly servicesRoot: string;
  /** The platform's name and stage, as its stack published them. */
  readonly platformName: string;
  readonly stage: string;
}

/**
 * The platform a service stack attaches to: found by name and stage, read at deploy time. Its
 * target (AWS or LocalStack) comes from the same context as the platform stack's.
 */
function lookupPlatform(scope: Construct, props: DemoServiceStackProps) {
  return MicroservicePlatform.fromLookup(scope, 'Platform', {
    platformName: props.platformName,
    stage: props.stage,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}

/** `recommendations`, deployed on its own. */
export class RecommendationsStack extends Stack {
  readonly service: Microservice;

  constructor(scope: Construct, id: string, props: DemoServiceStackProps) {
    super(scope, id, props);
    this.service = new Microservice(this, 'Recommendations', {
      platform: lookupPlatform(this, props),
      serviceName: 'recommendations',
      entry: path.join(props.servicesRoot, 'recommendations', 'handler.ts'),
      routes: [{ method: 'GET', scopes: ['recommendations/read'] }],
    });
    // It learns what a user reads only from reading-list's BookAdded events. Quick retries and
    // three receives, so the demo shows a poison message reach the dead-letter queue in seconds;
    // consumption pauses while the circuit around its own store is open.
    this.service.consumes(
      { from: 'reading-list', eventTypes: [BookAdded.name] },
      {
        maxReceiveCount: 3,
        retryBaseDelay: Duration.seconds(1),
        pauseOnOpenCircuits: ['recommendations-store'],
        forcedOpenDelay: Duration.seconds(2),
      },
    );
  }
}

/**
 * `reading-list`, deployed on its own. It calls `recommendations` directly, found by name (what
 * that service's stack published), so neither stack references the other's resources.
 */
export class ReadingListStack extends Stack {
  readonly service: Microservice;
  readonly recommendations: IMicroservice;

  constructor(scope: Construct, id: string, props: DemoServiceStackProps) {
    super(scope, id, props);
    const platform = lookupPlatform(this, props);
    this.service = new Microservice(this, 'ReadingList', {
      platform,
      serviceName: 'reading-list',
      entry: path.join(props.servicesRoot, 'reading-list', 'handler.ts'),
      config: { 'max-recommendations': '3' },
      routes: [
        { method: 'GET', scopes: ['reading-list/read'] },
        { method: 'POST', scopes: ['reading-list/write'] },
      ],
    });
    this.service.publishes({
      eventType: BookAdded.name,
      schema: toJSONSchema(BookAdded.schema, { target: 'draft-04' }) as Record<string, unknown>,
      description: 'A user put a book on their reading list',
    });
    this.recommendations = Microservice.fromServiceName(this, 'Recommendations', {
      platform,
      serviceName: 'recommendations',
    });
    this.service.addServiceDependency(this.recommendations);
  }
}
