/**
 * Deterministic sizes: each function's minified bundle (bytes of the deployed entry file: the
 * pre-built bundle the package ships for the platform's functions, the synth's for services),
 * what makes each bundle up (esbuild's metafile, the largest contributors by bytes) and the
 * resource count of each stack against CloudFormation's 500-resource limit.
 * Run alone with `npx tsx test/bench/bundle-size.bench.ts`.
 */
import { readFileSync, statSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addDemoStacks } from '../../examples/demo/demo-app';
import { readCloudAssembly, resourcesOfType } from '../../localstack/platform/cloud-assembly';
import { bundleContributors } from '../../scripts/bundle-report';
import { buildPlatformFunctions, measureFunctionBundle } from '../../scripts/build-functions';
import { FUNCTION_ENTRIES } from '../support/function-bundles';

/** Contributors printed per function. */
const TOP = 6;

export async function run(): Promise<string[]> {
  // The platform's functions deploy their pre-built bundles: measure them fresh from source.
  await buildPlatformFunctions();
  const outdir = mkdtempSync(path.join(tmpdir(), 'msa-bench-'));
  // The CLI turns asset metadata on; an in-process synth must ask for it.
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  addDemoStacks(app, {
    servicesRoot: path.resolve(__dirname, '..', '..', 'functions', 'services'),
  });
  app.synth();
  const lines: string[] = [];
  for (const stack of readCloudAssembly(outdir)) {
    for (const [logicalId, resource] of resourcesOfType(stack.template, 'AWS::Lambda::Function')) {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      const handler = resource.Properties?.Handler;
      if (typeof assetPath !== 'string' || typeof handler !== 'string') continue;
      const entry = path.join(
        outdir,
        assetPath,
        `${handler.slice(0, handler.lastIndexOf('.'))}.js`,
      );
      const variables = (
        resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
      )?.Variables;
      const label =
        typeof variables?.POWERTOOLS_SERVICE_NAME === 'string'
          ? variables.POWERTOOLS_SERVICE_NAME
          : logicalId;
      lines.push(`bench bundle-bytes.${label} ${statSync(entry).size} bytes`);
    }
    const count = Object.keys(
      JSON.parse(readFileSync(path.join(outdir, `${stack.stackName}.template.json`), 'utf8'))
        .Resources,
    ).length;
    lines.push(
      `bench stack-resources.${stack.stackName} ${count} resources vs cloudformation-limit 500 ratio ${(count / 500).toFixed(3)}`,
    );
  }
  // What each function's bytes are: every package or source folder, largest first.
  for (const [name, entry] of Object.entries(FUNCTION_ENTRIES)) {
    const { bytes, metafile } = await measureFunctionBundle(entry);
    const top = bundleContributors(metafile).slice(0, TOP);
    for (const { name: contributor, bytes: share } of top) {
      lines.push(
        `bench bundle-share.${name}.${contributor} ${share} bytes vs bundle-total.${name} ${bytes} ratio ${(share / bytes).toFixed(3)}`,
      );
    }
  }
  return lines;
}

if (require.main === module) {
  run().then((lines) => console.log(lines.join('\n')));
}
