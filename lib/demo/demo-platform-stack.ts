import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { MicroservicePlatform } from '../platform/microservice-platform';
import { Microservice } from '../service/microservice';

export interface DemoPlatformStackProps extends StackProps {
  /** Folder of the demo's handler sources (`functions/`). */
  readonly functionsRoot: string;
  /**
   * Name of the platform.
   * @default 'msa-demo'
   */
  readonly platformName?: string;
}

/** The demo platform: `reading-list` calls `recommendations` directly to enrich its answer. */
export class DemoPlatformStack extends Stack {
  readonly platform: MicroservicePlatform;
  readonly readingList: Microservice;
  readonly recommendations: Microservice;

  constructor(scope: Construct, id: string, props: DemoPlatformStackProps) {
    super(scope, id, props);
    this.platform = new MicroservicePlatform(this, 'Platform', {
      platformName: props.platformName ?? 'msa-demo',
      stage: 'dev',
      removalPolicy: RemovalPolicy.DESTROY,
      // Quick to trip and to recover, so a demo shows a circuit open and close within seconds.
      circuitBreaker: {
        minimumCalls: 4,
        failureRateThreshold: 0.5,
        consecutiveFailures: 4,
        openDuration: Duration.seconds(5),
        maxOpenDuration: Duration.seconds(30),
        halfOpenSuccesses: 1,
        stateCacheTtl: Duration.millis(500),
      },
      // Short, so a changed parameter or flag shows within seconds in the demo.
      configCacheTtl: Duration.seconds(2),
      healthProbeInterval: Duration.minutes(1),
    });
    this.platform.configuration.addFeatureFlags('features', {
      recommendations: {
        enabled: true,
        description: 'reading-list asks recommendations to enrich its answer',
      },
    });
    this.recommendations = new Microservice(this, 'Recommendations', {
      platform: this.platform,
      serviceName: 'recommendations',
      entry: path.join(props.functionsRoot, 'services', 'recommendations', 'handler.ts'),
      routes: [{ method: 'GET', scopes: ['recommendations/read'] }],
    });
    this.readingList = new Microservice(this, 'ReadingList', {
      platform: this.platform,
      serviceName: 'reading-list',
      entry: path.join(props.functionsRoot, 'services', 'reading-list', 'handler.ts'),
      config: { 'max-recommendations': '3' },
      routes: [
        { method: 'GET', scopes: ['reading-list/read'] },
        { method: 'POST', scopes: ['reading-list/write'] },
      ],
    });
    this.readingList.addServiceDependency(this.recommendations);
  }
}
