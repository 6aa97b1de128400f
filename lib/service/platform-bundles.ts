import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * The platform's own functions, shipped pre-bundled inside the package so that an app using the
 * constructs bundles only its own services at synth (no esbuild or Docker needed for these).
 * Each maps to its handler source below `functions/`; `scripts/build-functions.ts` bundles them
 * into `dist/platform-functions/<name>/index.js`.
 */
export const PLATFORM_BUNDLES = {
  'token-service': 'auth/token/handler.ts',
  'key-rotation': 'auth/rotation/handler.ts',
  authorizer: 'auth/authorizer/handler.ts',
  admin: 'admin/handler.ts',
  'control-loop': 'platform/control-loop/handler.ts',
  // The operator console's server; its page, script and style sheet go beside it in `assets/`.
  console: 'console/handler.ts',
  'log-shipper': 'platform/log-shipper/handler.ts',
} as const;

export type PlatformBundleName = keyof typeof PLATFORM_BUNDLES;

/** How every function is bundled: a service's entry at synth, the platform's at package build. */
export const BUNDLING = {
  minify: true,
  sourceMap: true,
  // Stack traces map to file and line without the sources themselves: a fifth of the map's size.
  sourcesContent: false,
  target: 'node22',
  // Packages' ES module builds first: esbuild drops what an entry does not use from those, while
  // a CommonJS build comes whole (@smithy/core: 128 KB as CommonJS, 5 KB as used from ESM).
  mainFields: ['module', 'main'],
  // The Lambda runtime ships the AWS SDK v3; keeping it out keeps bundles small.
  externalModules: ['@aws-sdk/*'],
} satisfies nodejs.BundlingOptions;

/** The handler every bundle exports: `handler` of `index.js`. */
export const PLATFORM_BUNDLE_HANDLER = 'index.handler';

/**
 * The package's root: the nearest folder holding a package.json. The same answer whether this
 * file runs from source (`lib/service`) or compiled (`dist/lib/service`).
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No package.json above ${from}`);
  }
}

/** Folder holding every pre-built platform bundle. */
export function platformBundlesDir(): string {
  return path.join(packageRoot(), 'dist', 'platform-functions');
}

/** Folder of one pre-built bundle (holds `index.js` and its source map). */
export function platformBundleDir(name: PlatformBundleName): string {
  return path.join(platformBundlesDir(), name);
}

/** The pre-built bundle of one platform function as Lambda code (no bundling at synth). */
export function platformBundleCode(name: PlatformBundleName): lambda.Code {
  const dir = platformBundleDir(name);
  if (!existsSync(path.join(dir, 'index.js'))) {
    throw new Error(
      `The pre-built bundle of the platform function '${name}' is missing (${dir}); in the serverless-msa repository run 'npm run build:functions'`,
    );
  }
  return lambda.Code.fromAsset(dir);
}
