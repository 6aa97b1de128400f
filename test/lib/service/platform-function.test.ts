import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { MicroservicePlatform } from '../../../lib/platform/microservice-platform';
import { Microservice } from '../../../lib/service/microservice';
import {
  PLATFORM_BUNDLES,
  packageRoot,
  platformBundleDir,
  type PlatformBundleName,
} from '../../../lib/service/platform-bundles';
import { PlatformFunction } from '../../../lib/service/platform-function';
import { readCloudAssembly, resourcesOfType } from '../../../localstack/platform/cloud-assembly';

const ENTRY = path.join(__dirname, '..', '..', '..', 'functions', 'services', 'recommendations');

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function newPlatform(context: Record<string, unknown> = {}) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'msa-platform-function-'));
  const app = new App({ outdir, context });
  const stack = new Stack(app, 'Functions');
  const platform = new MicroservicePlatform(stack, 'Platform', { platformName: 'shop' });
  return { app, stack, platform, outdir };
}

describe('PlatformFunction', () => {
  it('deploys every platform function from its pre-built bundle, with no bundling at synth', () => {
    // Asset metadata on (as the CLI does) so the template says where each asset came from.
    const { app, stack, platform, outdir } = newPlatform({
      'aws:cdk:enable-asset-metadata': true,
    });
    new Microservice(stack, 'Recommendations', {
      platform,
      serviceName: 'recommendations',
      entry: path.join(ENTRY, 'handler.ts'),
    });
    app.synth();
    const [assembly] = readCloudAssembly(outdir);
    const byService = new Map<string, { bundled: unknown; assetPath: string; handler: unknown }>();
    for (const [, resource] of resourcesOfType(assembly.template, 'AWS::Lambda::Function')) {
      const environment = resource.Properties?.Environment as
        { Variables?: Record<string, string> } | undefined;
      // CDK's own helper functions (the trigger provider) carry no service name.
      const serviceName = environment?.Variables?.POWERTOOLS_SERVICE_NAME;
      if (serviceName === undefined) continue;
      byService.set(serviceName, {
        bundled: resource.Metadata?.['aws:asset:is-bundled'],
        assetPath: path.join(outdir, String(resource.Metadata?.['aws:asset:path'])),
        handler: resource.Properties?.Handler,
      });
    }
    const names = Object.keys(PLATFORM_BUNDLES) as PlatformBundleName[];
    const serviceNameOf: Record<PlatformBundleName, string> = {
      'token-service': 'token-service',
      'key-rotation': 'key-rotation',
      authorizer: 'authorizer',
      admin: 'platform-admin',
      'control-loop': 'control-loop',
      console: 'console',
      'log-shipper': 'platform-log-shipper',
    };
    for (const name of names) {
      const found = byService.get(serviceNameOf[name]);
      expect(found, name).toBeDefined();
      expect(found?.bundled, name).toBe(false);
      expect(found?.handler, name).toBe('index.handler');
      // The staged asset is byte for byte the bundle shipped in the package.
      expect(sha256(path.join(found!.assetPath, 'index.js')), name).toBe(
        sha256(path.join(platformBundleDir(name), 'index.js')),
      );
    }
    // A service's own entry is still bundled at synth.
    expect(byService.get('recommendations')?.bundled).toBe(true);
    expect(byService.get('recommendations')?.handler).toBe('index.handler');
  });

  it('fails when given both an entry and a bundle, or neither', () => {
    const { stack, platform } = newPlatform({ 'aws:cdk:bundling-stacks': [] });
    const common = { platform, serviceName: 'x', description: 'x' };
    expect(
      () =>
        new PlatformFunction(stack, 'Both', {
          ...common,
          entry: path.join(ENTRY, 'handler.ts'),
          bundle: 'admin',
        }),
    ).toThrow(/exactly one of 'entry' and 'bundle'/);
    expect(() => new PlatformFunction(stack, 'Neither', common)).toThrow(
      /exactly one of 'entry' and 'bundle'/,
    );
  });
});

describe('packageRoot', () => {
  it('finds the nearest package.json above a compiled file, as for one from source', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'msa-package-root-'));
    writeFileSync(path.join(root, 'package.json'), '{}');
    const compiled = path.join(root, 'dist', 'lib', 'service');
    mkdirSync(compiled, { recursive: true });
    expect(packageRoot(compiled)).toBe(root);
    expect(packageRoot(path.join(__dirname, '..', '..', '..', 'lib', 'service'))).toBe(
      path.resolve(__dirname, '..', '..', '..'),
    );
  });
});
