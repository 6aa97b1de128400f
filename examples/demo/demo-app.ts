import * as path from 'node:path';
import type { App, Environment } from 'aws-cdk-lib';
import { DemoPlatformStack } from './platform-stack';
import { ReadingListStack, RecommendationsStack } from './service-stacks';

export interface DemoAppOptions {
  /**
   * Folder of the services' handler sources.
   * @default - `functions/services` of this repository
   */
  readonly servicesRoot?: string;
  /** @default - the CLI's default account and region */
  readonly env?: Environment;
  /** @default 'msa-demo' */
  readonly platformName?: string;
  /** @default 'ServerlessMsaDemo' */
  readonly stackPrefix?: string;
}

export interface DemoStacks {
  readonly platform: DemoPlatformStack;
  readonly recommendations: RecommendationsStack;
  readonly readingList: ReadingListStack;
}

/**
 * The demo: a platform stack and one stack per service. The services find the platform (and
 * each other) through SSM, not through stack exports; the stack dependencies below only order a
 * first `cdk deploy --all`. Afterwards `cdk deploy --exclusively <service stack>` deploys, updates
 * or deletes one service on its own.
 */
export function addDemoStacks(app: App, options: DemoAppOptions = {}): DemoStacks {
  const prefix = options.stackPrefix ?? 'ServerlessMsaDemo';
  const platformName = options.platformName ?? 'msa-demo';
  const stage = 'dev';
  const shared = {
    env: options.env,
    servicesRoot:
      options.servicesRoot ?? path.resolve(__dirname, '..', '..', 'functions', 'services'),
    platformName,
    stage,
  };
  const platform = new DemoPlatformStack(app, prefix, { env: options.env, platformName, stage });
  const recommendations = new RecommendationsStack(app, `${prefix}Recommendations`, shared);
  const readingList = new ReadingListStack(app, `${prefix}ReadingList`, shared);
  recommendations.addStackDependency(platform);
  readingList.addStackDependency(platform);
  readingList.addStackDependency(recommendations);
  return { platform, recommendations, readingList };
}
