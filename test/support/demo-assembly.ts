import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { DemoPlatformStack } from '../../lib/demo/demo-platform-stack';

export const FUNCTIONS_ROOT = path.resolve(__dirname, '..', '..', 'functions');

/**
 * Synthesizes the demo platform into a temporary cloud assembly. Bundling is skipped (the
 * templates are what these tests read), which keeps a synth under a second.
 */
export function synthDemoAssembly(): string {
  const outdir = mkdtempSync(path.join(tmpdir(), 'msa-assembly-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  new DemoPlatformStack(app, 'ServerlessMsaDemo', { functionsRoot: FUNCTIONS_ROOT });
  app.synth();
  return outdir;
}
