import * as path from 'node:path';
import { PLATFORM_BUNDLES } from '../../lib/service/platform-bundles';

const FUNCTIONS = path.resolve(__dirname, '..', '..', 'functions');

/**
 * Every function this repository deploys, by name, with its handler source: the platform's
 * pre-built bundles and the demo's services (bundled by `NodejsFunction` at synth).
 */
export const FUNCTION_ENTRIES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    Object.entries(PLATFORM_BUNDLES).map(([name, entry]) => [name, path.join(FUNCTIONS, entry)]),
  ),
  'reading-list': path.join(FUNCTIONS, 'services', 'reading-list', 'handler.ts'),
  recommendations: path.join(FUNCTIONS, 'services', 'recommendations', 'handler.ts'),
};
