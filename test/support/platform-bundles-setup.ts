import { buildPlatformFunctions } from '../../scripts/build-functions';

/**
 * Vitest global set-up: the constructs deploy the platform's own functions from pre-built bundles
 * (dist/platform-functions); tests that synthesize read them, so they are rebuilt from source
 * first (unchanged bundles are left untouched).
 */
export async function setup(): Promise<void> {
  await buildPlatformFunctions();
}
