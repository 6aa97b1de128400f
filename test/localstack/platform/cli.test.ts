import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArguments } from '../../../localstack/platform/cli';
import { readCdkApp } from '../../../localstack/platform/synth-app';

describe('serverless-msa start: the command line', () => {
  it('reads --app, --port, --state-dir (spaced or with =) and --quiet', () => {
    expect(
      parseArguments(['start', '--app', 'node app.js', '--port=0', '--state-dir', 'x', '--quiet']),
    ).toEqual({ app: 'node app.js', port: '0', stateDir: 'x', quiet: true });
    expect(parseArguments(['start'])).toEqual({
      app: undefined,
      port: undefined,
      stateDir: undefined,
      quiet: false,
    });
  });

  it('refuses an unknown command, an unknown option, a missing value and a bad port, with the usage', () => {
    expect(() => parseArguments([])).toThrow(/^usage: serverless-msa start/);
    expect(() => parseArguments(['deploy'])).toThrow(/^usage: serverless-msa start/);
    expect(() => parseArguments(['start', '--verbose'])).toThrow(/unknown option '--verbose'/);
    expect(() => parseArguments(['start', '--app'])).toThrow(/--app needs a value/);
    expect(() => parseArguments(['start', '--port', 'http'])).toThrow(/--port must be a port/);
  });
});

describe('the app to run, as cdk.json names it', () => {
  const project = (files: Record<string, unknown>) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'msa-cdk-json-'));
    for (const [name, content] of Object.entries(files))
      writeFileSync(path.join(dir, name), JSON.stringify(content));
    return dir;
  };

  it("takes cdk.json's app and its context over cdk.context.json's, as the CLI does", () => {
    const dir = project({
      'cdk.json': { app: 'node app.js', context: { shared: 'cdk.json', own: 1 } },
      'cdk.context.json': { shared: 'saved', lookup: 'kept' },
    });
    expect(readCdkApp(dir)).toEqual({
      command: 'node app.js',
      dir,
      context: { shared: 'cdk.json', own: 1, lookup: 'kept' },
    });
  });

  it('lets --app stand in for cdk.json, and says what is missing otherwise', () => {
    const empty = project({});
    expect(readCdkApp(empty, 'npx tsx app.ts').command).toBe('npx tsx app.ts');
    expect(() => readCdkApp(empty)).toThrow(/no cdk\.json in .*; pass --app/);
    const noApp = project({ 'cdk.json': { context: {} } });
    expect(() => readCdkApp(noApp)).toThrow(/cdk\.json has no "app"/);
  });
});
