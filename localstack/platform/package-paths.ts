import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where the local platform finds its files, run from source (tsx, this repository) or compiled
 * (dist/localstack/platform, in the npm package). Both layouts keep the same tree under
 * `localstack/`, so the set-up scripts sit at the same place relative to this module.
 */

/** The `localstack/` folder beside this module's own (source or dist). */
export const LOCALSTACK_DIR = path.resolve(__dirname, '..');

/** The package's root: the nearest folder above this module holding a package.json. */
export const PACKAGE_ROOT = findPackageRoot(__dirname);

/**
 * True in this repository's checkout (its sources are there); false in an installed package,
 * where nothing may be written beside the code (it lives in a consumer's node_modules).
 */
export const SOURCE_CHECKOUT = existsSync(path.join(PACKAGE_ROOT, 'localstack', 'platform'));

/**
 * Where a tool the platform builds on first use goes (the emulator's virtualenv, the JVM
 * servers): in a checkout, the place `npm ci` sets it up (`inCheckout`, relative to the
 * repository's root, whether this module runs from source or from dist/); from an installed
 * package, a per-user cache named by a hash of what the build depends on, so an upgrade with
 * new requirements builds afresh and an unchanged one reuses it.
 */
export function toolDir(name: string, inCheckout: string, inputs: readonly string[]): string {
  return SOURCE_CHECKOUT ? path.join(PACKAGE_ROOT, inCheckout) : cachedToolDir(name, inputs);
}

/** `$XDG_CACHE_HOME/serverless-msa/<name>-<hash of the inputs' contents>` (~/.cache by default). */
export function cachedToolDir(
  name: string,
  inputs: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): string {
  const hash = createHash('sha256');
  for (const file of inputs) hash.update(readFileSync(file));
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'serverless-msa', `${name}-${hash.digest('hex').slice(0, 16)}`);
}

/**
 * The node_modules folder that holds the AWS SDK v3 for this package (the Lambda runtime
 * provides it to functions; locally this one does), wherever the package manager put it.
 */
export function runtimeModulesDir(): string {
  const resolved = require.resolve('@aws-sdk/client-dynamodb');
  const marker = `${path.sep}node_modules${path.sep}`;
  return resolved.slice(0, resolved.lastIndexOf(marker) + marker.length - 1);
}

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
