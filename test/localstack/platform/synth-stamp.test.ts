import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appSourceStamp,
  clearSynthStamp,
  globExpression,
  synthIsCurrent,
  writeSynthStamp,
} from '../../../localstack/platform/synth-stamp';
import type { CdkApp } from '../../../localstack/platform/synth-app';

function project(): CdkApp {
  const dir = mkdtempSync(path.join(tmpdir(), 'msa-stamp-'));
  writeFileSync(
    path.join(dir, 'cdk.json'),
    JSON.stringify({
      app: 'node app.js',
      watch: { include: ['lib/**'], exclude: ['lib/**/*.test.ts'] },
    }),
  );
  mkdirSync(path.join(dir, 'lib', 'deep'), { recursive: true });
  writeFileSync(path.join(dir, 'lib', 'deep', 'stack.ts'), 'export const a = 1;');
  writeFileSync(path.join(dir, 'package-lock.json'), '{}');
  return { command: 'node app.js', dir, context: {} };
}

describe('synth stamp', () => {
  it('stays the same while nothing the app is made from changes', () => {
    const app = project();
    expect(appSourceStamp(app)).toBe(appSourceStamp(app));
  });

  it('changes when a watched source, package-lock.json or the context changes', () => {
    const app = project();
    const before = appSourceStamp(app);
    writeFileSync(path.join(app.dir, 'lib', 'deep', 'stack.ts'), 'export const a = 2;');
    const edited = appSourceStamp(app);
    expect(edited).not.toBe(before);
    writeFileSync(path.join(app.dir, 'package-lock.json'), '{"lockfileVersion":3}');
    const locked = appSourceStamp(app);
    expect(locked).not.toBe(edited);
    expect(appSourceStamp({ ...app, context: { stage: 'prod' } })).not.toBe(locked);
  });

  it('ignores files outside the watch globs and the excluded ones', () => {
    const app = project();
    const before = appSourceStamp(app);
    writeFileSync(path.join(app.dir, 'notes.md'), 'not a source');
    writeFileSync(path.join(app.dir, 'lib', 'deep', 'stack.test.ts'), 'excluded');
    expect(appSourceStamp(app)).toBe(before);
  });

  it('counts a synth current only with its manifest and the same stamp', () => {
    const app = project();
    const outdir = path.join(app.dir, 'cdk.out');
    mkdirSync(outdir);
    writeSynthStamp(outdir, 'abc');
    expect(synthIsCurrent(outdir, 'abc')).toBe(false); // no manifest.json yet
    writeFileSync(path.join(outdir, 'manifest.json'), '{}');
    expect(synthIsCurrent(outdir, 'abc')).toBe(true);
    expect(synthIsCurrent(outdir, 'def')).toBe(false);
    clearSynthStamp(outdir);
    expect(synthIsCurrent(outdir, 'abc')).toBe(false);
  });

  it('reads cdk watch globs: ** spans folders, * stays in one', () => {
    expect(globExpression('lib/**').test('lib/a/b.ts')).toBe(true);
    expect(globExpression('lib/*').test('lib/a/b.ts')).toBe(false);
    expect(globExpression('**/*.test.ts').test('x/y.test.ts')).toBe(true);
    expect(globExpression('**/*.test.ts').test('y.test.ts')).toBe(true);
    expect(globExpression('lib/**').test('library/x.ts')).toBe(false);
  });
});
