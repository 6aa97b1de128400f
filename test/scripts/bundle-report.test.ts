import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleContributors, formatContributors } from '../../scripts/bundle-report';

function metafile(
  inputs: Record<string, number>,
  extraOutputs: Metafile['outputs'] = {},
): Metafile {
  return {
    inputs: {},
    outputs: {
      'out/index.js': {
        bytes: Object.values(inputs).reduce((sum, bytes) => sum + bytes, 0),
        entryPoint: 'functions/x/handler.ts',
        imports: [],
        exports: [],
        inputs: Object.fromEntries(
          Object.entries(inputs).map(([file, bytesInOutput]) => [file, { bytesInOutput }]),
        ),
      },
      ...extraOutputs,
    },
  };
}

describe('bundleContributors', () => {
  it('adds up the files of a package, scoped or not, and of a source folder, largest first', () => {
    const contributors = bundleContributors(
      metafile({
        'node_modules/zod/v4/core/core.js': 300,
        'node_modules/zod/v4/classic/schemas.js': 200,
        'node_modules/@aws-lambda-powertools/logger/lib/esm/Logger.js': 400,
        'functions/runtime/http/problem.ts': 50,
        'functions/runtime/http/json.ts': 25,
        'functions/auth/authorizer/handler.ts': 100,
      }),
    );
    expect(contributors).toEqual([
      { name: 'zod', bytes: 500 },
      { name: '@aws-lambda-powertools/logger', bytes: 400 },
      { name: 'functions/auth/authorizer', bytes: 100 },
      { name: 'functions/runtime/http', bytes: 75 },
    ]);
  });

  it('counts a package nested in another under its own name, and leaves out what left no bytes', () => {
    const contributors = bundleContributors(
      metafile({
        'node_modules/@aws-lambda-powertools/parser/node_modules/@aws-lambda-powertools/commons/lib/index.js': 70,
        'node_modules/@aws-lambda-powertools/commons/lib/index.js': 30,
        'node_modules/semver/index.js': 0,
      }),
    );
    expect(contributors).toEqual([{ name: '@aws-lambda-powertools/commons', bytes: 100 }]);
  });

  it('refuses a metafile without exactly one bundled entry', () => {
    const twoEntries = metafile(
      { 'functions/a.ts': 1 },
      {
        'out/other.js': {
          bytes: 1,
          entryPoint: 'functions/b.ts',
          imports: [],
          exports: [],
          inputs: {},
        },
      },
    );
    expect(() => bundleContributors(twoEntries)).toThrow(/one bundled entry.*found 2/);
  });
});

describe('formatContributors', () => {
  it('names each contributor with its size in KB', () => {
    expect(
      formatContributors([
        { name: 'zod', bytes: 92_262 },
        { name: 'jose', bytes: 1024 },
      ]),
    ).toBe('zod 90.1 KB, jose 1.0 KB');
  });
});
