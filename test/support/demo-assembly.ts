import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addDemoStacks } from '../../examples/demo/demo-app';
import { DemoPlatformStack } from '../../examples/demo/platform-stack';
import { Microservice } from '../../lib';

export const FUNCTIONS_ROOT = path.resolve(__dirname, '..', '..', 'functions');

/**
 * Synthesizes the example app (the demo platform's stack and one stack per service) into a
 * temporary cloud assembly. Bundling is skipped (the templates are what these tests read), which
 * keeps a synth within seconds.
 */
export function synthDemoAssembly(): string {
  const outdir = mkdtempSync(path.join(tmpdir(), 'msa-assembly-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  addDemoStacks(app, { servicesRoot: path.join(FUNCTIONS_ROOT, 'services') });
  app.synth();
  return outdir;
}

/**
 * The demo's platform and both services in one stack (a Microservice may live in the platform's
 * stack too), for tests about one template's resources.
 */
export function synthSingleStackAssembly(): string {
  const outdir = mkdtempSync(path.join(tmpdir(), 'msa-assembly-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new DemoPlatformStack(app, 'ServerlessMsaDemo');
  const services = path.join(FUNCTIONS_ROOT, 'services');
  const recommendations = new Microservice(stack, 'Recommendations', {
    platform: stack.platform,
    serviceName: 'recommendations',
    entry: path.join(services, 'recommendations', 'handler.ts'),
    routes: [{ method: 'GET', scopes: ['recommendations/read'] }],
  });
  const readingList = new Microservice(stack, 'ReadingList', {
    platform: stack.platform,
    serviceName: 'reading-list',
    entry: path.join(services, 'reading-list', 'handler.ts'),
    config: { 'max-recommendations': '3' },
    routes: [{ method: 'GET', scopes: ['reading-list/read'] }],
  });
  readingList.addServiceDependency(recommendations);
  app.synth();
  return outdir;
}
