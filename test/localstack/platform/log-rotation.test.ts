import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rotateLogDir } from '../../../localstack/platform/log-rotation';

function stateDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'msa-rotate-'));
}

/** One run: rotate, then write a log file that says which run it was. */
function run(logDir: string, label: string, keep?: number): string | undefined {
  const rotated = rotateLogDir(logDir, keep);
  writeFileSync(path.join(logDir, 'fn.log'), `${label}\n`);
  return rotated;
}

const runIn = (folder: string) => readFileSync(path.join(folder, 'fn.log'), 'utf8').trim();

describe('rotateLogDir', () => {
  it('creates an empty log folder on the first run and rotates nothing', () => {
    const logDir = path.join(stateDir(), 'logs');
    expect(rotateLogDir(logDir)).toBeUndefined();
    expect(readdirSync(logDir)).toEqual([]);
    expect(existsSync(`${logDir}.1`)).toBe(false);
  });

  it('leaves an empty log folder in place instead of rotating it', () => {
    const logDir = path.join(stateDir(), 'logs');
    mkdirSync(logDir);
    expect(rotateLogDir(logDir)).toBeUndefined();
    expect(existsSync(`${logDir}.1`)).toBe(false);
  });

  it('moves the last run’s logs to logs.1, byte for byte, and starts empty', () => {
    const logDir = path.join(stateDir(), 'logs');
    run(logDir, 'first');
    const rotated = rotateLogDir(logDir);
    expect(rotated).toBe(`${logDir}.1`);
    expect(runIn(`${logDir}.1`)).toBe('first');
    expect(readdirSync(logDir)).toEqual([]);
  });

  it('keeps the newest runs in logs.1 … logs.N and drops only the one past N', () => {
    const logDir = path.join(stateDir(), 'logs');
    for (const label of ['r1', 'r2', 'r3', 'r4', 'r5']) run(logDir, label, 3);
    expect(runIn(logDir)).toBe('r5');
    expect(runIn(`${logDir}.1`)).toBe('r4');
    expect(runIn(`${logDir}.2`)).toBe('r3');
    expect(runIn(`${logDir}.3`)).toBe('r2');
    expect(existsSync(`${logDir}.4`)).toBe(false);
  });

  it('refuses to keep fewer than one earlier run (the last run’s logs are evidence)', () => {
    const logDir = path.join(stateDir(), 'logs');
    run(logDir, 'first');
    expect(() => rotateLogDir(logDir, 0)).toThrow(RangeError);
    expect(() => rotateLogDir(logDir, 1.5)).toThrow(RangeError);
    expect(runIn(logDir)).toBe('first');
  });
});
