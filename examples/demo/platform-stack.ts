import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { MicroservicePlatform } from '../../lib';

export interface DemoPlatformStackProps extends StackProps {
  /**
   * Name of the platform.
   * @default 'msa-demo'
   */
  readonly platformName?: string;
  /**
   * Stage of the platform.
   * @default 'dev'
   */
  readonly stage?: string;
}

/**
 * The demo's platform, alone in its stack: gateway, OAuth2, breaker table, configuration,
 * registry, admin API. Services live in stacks of their own and find it by name and stage.
 */
export class DemoPlatformStack extends Stack {
  readonly platform: MicroservicePlatform;

  constructor(scope: Construct, id: string, props: DemoPlatformStackProps = {}) {
    super(scope, id, props);
    this.platform = new MicroservicePlatform(this, 'Platform', {
      platformName: props.platformName ?? 'msa-demo',
      stage: props.stage ?? 'dev',
      removalPolicy: RemovalPolicy.DESTROY,
      // Quick to trip and to recover, so a demo shows a circuit open and close within seconds.
      circuitBreaker: {
        minimumCalls: 4,
        failureRateThreshold: 0.5,
        consecutiveFailures: 4,
        openDuration: Duration.seconds(5),
        maxOpenDuration: Duration.seconds(30),
        halfOpenSuccesses: 1,
        stateCache: Duration.millis(500),
      },
      // Short, so a changed parameter or flag shows within seconds in the demo.
      configMaxAge: Duration.seconds(2),
      healthProbeInterval: Duration.minutes(1),
      // The target comes from the context: `cdklocal deploy -c serverless-msa:target=localstack`
      // leaves out what LocalStack's community tier cannot create (see PlatformTarget).
    });
    this.platform.configuration.addFeatureFlags('features', {
      recommendations: {
        enabled: true,
        description: 'reading-list asks recommendations to enrich its answer',
      },
    });
  }
}
