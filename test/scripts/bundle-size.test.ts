import { describe, expect, it } from 'vitest';
import { measureFunctionBundle } from '../../scripts/build-functions';
import { bundleContributors, formatContributors } from '../../scripts/bundle-report';
import { FUNCTION_ENTRIES } from '../support/function-bundles';

const KB = 1024;

/**
 * Ceiling of each function's minified bundle (the entry file Lambda loads), bundled exactly as
 * deployed. Sizes are deterministic for a given lockfile, so a ceiling is the size reached plus a
 * little room for code; growing past it takes a look at what was added (the message names the
 * largest contributors). The targets, 200 KB per function and 80 KB for the authorizer,
 * are not all reached: what stands between is the X-Ray SDK (Powertools Tracer, about 110 KB with
 * semver and cls-hooked) and zod's classic build (about 90 KB); see README "Performance".
 */
const LIMITS: Readonly<Record<keyof typeof FUNCTION_ENTRIES & string, number>> = {
  authorizer: 180 * KB,
  'log-shipper': 72 * KB,
  console: 8 * KB,
  'key-rotation': 270 * KB,
  'token-service': 325 * KB,
  'control-loop': 280 * KB,
  admin: 330 * KB,
  'reading-list': 405 * KB,
  recommendations: 405 * KB,
};

describe('function bundle sizes', () => {
  it('has a ceiling for every function deployed', () => {
    expect(Object.keys(LIMITS).sort()).toEqual(Object.keys(FUNCTION_ENTRIES).sort());
  });

  it.each(Object.entries(FUNCTION_ENTRIES))('%s stays within its ceiling', async (name, entry) => {
    const { bytes, metafile } = await measureFunctionBundle(entry);
    const limit = LIMITS[name];
    const top = formatContributors(bundleContributors(metafile).slice(0, 6));
    expect(
      bytes,
      `${name}'s bundle is ${(bytes / KB).toFixed(1)} KB, over its ${limit / KB} KB ceiling; largest: ${top}`,
    ).toBeLessThanOrEqual(limit);
  });

  it('keeps the X-Ray SDK out of the functions that make no traced calls', async () => {
    for (const name of ['authorizer', 'log-shipper', 'console']) {
      const { metafile } = await measureFunctionBundle(FUNCTION_ENTRIES[name]);
      const names = bundleContributors(metafile).map((contributor) => contributor.name);
      expect(names, `${name} bundles ${names.join(', ')}`).not.toContain('aws-xray-sdk-core');
      expect(names, `${name} bundles ${names.join(', ')}`).not.toContain(
        '@aws-lambda-powertools/tracer',
      );
    }
  });

  it('bundles no zod locale and no AWS SDK client (the Lambda runtime provides the SDK)', async () => {
    for (const [name, entry] of Object.entries(FUNCTION_ENTRIES)) {
      const { metafile } = await measureFunctionBundle(entry);
      const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint);
      const files = Object.entries(output?.inputs ?? {})
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([file]) => file);
      expect(
        files.filter((file) => /node_modules\/zod\/.*locales\/(?!en\.)/.test(file)),
        `${name} bundles zod locales`,
      ).toEqual([]);
      expect(
        files.filter((file) => file.includes('node_modules/@aws-sdk/')),
        `${name} bundles the AWS SDK`,
      ).toEqual([]);
    }
  });
});
