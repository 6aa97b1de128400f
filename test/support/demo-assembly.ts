import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addDemoStacks } from '../../examples/demo/demo-app';

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
