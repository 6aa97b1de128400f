import * as path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const eslint = new ESLint({ cwd: ROOT });

/** The no-restricted-imports messages ESLint gives `code` as if it were the file `file`. */
async function restrictions(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result.messages
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

describe('import boundaries of handler code (eslint.config.mjs)', () => {
  it.each([
    [
      'functions/services/orders/handler.ts',
      "import { jsonResponse } from '../../runtime/http/json';",
    ],
    [
      'functions/platform/control-loop/x.ts',
      "import { systemClock } from '../../runtime/resilience/clock';",
    ],
    [
      'functions/services/orders/handler.ts',
      "import { x } from 'serverless-msa/runtime/service/service-handler';",
    ],
  ])('refuses a deep runtime import in %s: %s', async (file, code) => {
    expect(await restrictions(file, `${code}\nexport {};\n`)).toEqual([
      expect.stringContaining('Import the runtime from its entry points'),
    ]);
  });

  it.each([
    "import { defineService } from '../../runtime';",
    "import { jsonResponse } from '../../runtime/http';",
    "import { SERVICE_ENV } from '../../runtime/contract';",
  ])('allows the entry point import %s', async (code) => {
    expect(
      await restrictions('functions/services/orders/handler.ts', `${code}\nexport {};\n`),
    ).toEqual([]);
  });

  it.each([
    [
      'functions/auth/token/x.ts',
      "import { Stack } from 'aws-cdk-lib';",
      'must not import CDK code',
    ],
    [
      'functions/services/orders/x.ts',
      "import { Duration } from 'aws-cdk-lib';",
      'must not import CDK code',
    ],
    [
      'functions/admin/x.ts',
      "import { Microservice } from '../../lib/service/microservice';",
      'must not import lib/',
    ],
  ])('refuses CDK and lib/ anywhere under functions/ (%s)', async (file, code, message) => {
    expect(await restrictions(file, `${code}\nexport {};\n`)).toEqual([
      expect.stringContaining(message),
    ]);
  });
});
