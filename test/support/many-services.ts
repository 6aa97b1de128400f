import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Microservice, MicroservicePlatform } from '../../lib';

const ENTRY = path.resolve(
  __dirname,
  '..',
  '..',
  'functions',
  'services',
  'recommendations',
  'handler.ts',
);
const ENV = { account: '123456789012', region: 'eu-west-1' };

export interface StackSize {
  readonly stackName: string;
  readonly resources: number;
}

/**
 * An app of a platform stack and `count` service stacks, each service found the way a separate
 * team's would be (`MicroservicePlatform.fromLookup`), with three routes, a config value, and a
 * call to the previous service. Bundling is skipped: what is measured is the templates.
 */
export function synthManyServices(count: number): { stacks: StackSize[]; synthMs: number } {
  const started = performance.now();
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const platformStack = new Stack(app, 'Platform', { env: ENV });
  new MicroservicePlatform(platformStack, 'Platform', { platformName: 'scale', stage: 'dev' });
  for (let index = 0; index < count; index++) {
    const stack = new Stack(app, `Service${index}`, { env: ENV });
    const platform = MicroservicePlatform.fromLookup(stack, 'Platform', {
      platformName: 'scale',
      stage: 'dev',
    });
    const service = new Microservice(stack, 'Service', {
      platform,
      serviceName: `service-${index}`,
      entry: ENTRY,
      config: { 'page-size': '20' },
      routes: [
        { method: 'GET', scopes: [`service-${index}/read`] },
        { method: 'POST', scopes: [`service-${index}/write`] },
        { method: 'GET', path: '/{id}', scopes: [`service-${index}/read`] },
      ],
    });
    if (index > 0) {
      service.addServiceDependency(
        Microservice.fromServiceName(stack, 'Previous', {
          platform,
          serviceName: `service-${index - 1}`,
        }),
      );
    }
    stack.addStackDependency(platformStack);
  }
  const assembly = app.synth();
  const stacks = assembly.stacks.map((stack) => ({
    stackName: stack.stackName,
    resources: Object.keys(stack.template.Resources ?? {}).length,
  }));
  return { stacks, synthMs: performance.now() - started };
}
