import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acquireStateLock,
  isAlive,
  LOCK_FILE_NAME,
  stateLockHolder,
  StateDirInUseError,
  type StateLock,
} from '../../../localstack/platform/state-lock';

const held: StateLock[] = [];
afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
});

function freshDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'msa-lock-'));
}

function take(stateDir: string, baseUrl?: string): StateLock {
  const lock = acquireStateLock(stateDir, { baseUrl });
  held.push(lock);
  return lock;
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(child.status).toBe(0);
  expect(isAlive(child.pid!)).toBe(false);
  return child.pid!;
}

const lockFile = (stateDir: string) => path.join(stateDir, LOCK_FILE_NAME);
const lockContent = (stateDir: string) =>
  JSON.parse(readFileSync(lockFile(stateDir), 'utf8')) as { pid: number; baseUrl?: string };

describe('acquireStateLock', () => {
  it('writes this process’s pid and URL into platform.lock, and release removes it', () => {
    const stateDir = freshDir();
    const lock = take(stateDir, 'http://127.0.0.1:3000');
    expect(lockContent(stateDir)).toMatchObject({
      pid: process.pid,
      baseUrl: 'http://127.0.0.1:3000',
    });
    expect(lock.holder.pid).toBe(process.pid);
    lock.release();
    expect(existsSync(lockFile(stateDir))).toBe(false);
    lock.release(); // idempotent
  });

  it('refuses a folder held by a live process in one line that names the folder, pid and URL', () => {
    const stateDir = freshDir();
    take(stateDir, 'http://127.0.0.1:3000');
    const refusal = (() => {
      try {
        acquireStateLock(stateDir);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(StateDirInUseError);
    const message = (refusal as Error).message;
    expect(message).toBe(
      `${stateDir} is in use by a running platform (pid ${process.pid}, http://127.0.0.1:3000); stop it or set LOCAL_STATE_DIR`,
    );
    expect(message).not.toContain('\n');
    // The refused start changed nothing: the holder's lock is as it was.
    expect(lockContent(stateDir)).toMatchObject({ pid: process.pid });
  });

  it('refuses a folder held by another live process', async () => {
    const stateDir = freshDir();
    const other = spawn(process.execPath, ['-e', 'process.stdin.resume()'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    await new Promise((resolve) => other.once('spawn', resolve));
    try {
      writeFileSync(lockFile(stateDir), JSON.stringify({ pid: other.pid, startedAt: 'x' }));
      expect(() => acquireStateLock(stateDir)).toThrow(StateDirInUseError);
      expect(stateLockHolder(stateDir)?.pid).toBe(other.pid);
    } finally {
      other.stdin!.end();
      await new Promise((resolve) => other.once('exit', resolve));
    }
  });

  it('takes over a stale lock whose pid is gone', () => {
    const stateDir = freshDir();
    const gone = deadPid();
    writeFileSync(lockFile(stateDir), JSON.stringify({ pid: gone, startedAt: 'earlier' }));
    expect(stateLockHolder(stateDir)).toBeUndefined();
    take(stateDir);
    expect(lockContent(stateDir).pid).toBe(process.pid);
    expect(existsSync(`${lockFile(stateDir)}.takeover`)).toBe(false);
  });

  it('treats a lock with no content yet as another start taking it, unless it is old', () => {
    const stateDir = freshDir();
    writeFileSync(lockFile(stateDir), '');
    expect(() => acquireStateLock(stateDir)).toThrow(/is being locked by another start/);
    const past = new Date(Date.now() - 60_000);
    utimesSync(lockFile(stateDir), past, past);
    take(stateDir);
    expect(lockContent(stateDir).pid).toBe(process.pid);
  });

  it('clears a takeover guard left by a start that died mid-takeover', () => {
    const stateDir = freshDir();
    writeFileSync(lockFile(stateDir), JSON.stringify({ pid: deadPid(), startedAt: 'x' }));
    const guard = `${lockFile(stateDir)}.takeover`;
    writeFileSync(guard, `${deadPid()}\n`);
    const past = new Date(Date.now() - 60_000);
    utimesSync(guard, past, past);
    take(stateDir);
    expect(lockContent(stateDir).pid).toBe(process.pid);
    expect(existsSync(guard)).toBe(false);
  });

  it('release leaves a lock alone that is no longer this one', () => {
    const stateDir = freshDir();
    const lock = take(stateDir);
    const someoneElse = JSON.stringify({ pid: 1, startedAt: 'later' });
    writeFileSync(lockFile(stateDir), someoneElse);
    lock.release();
    expect(readFileSync(lockFile(stateDir), 'utf8')).toBe(someoneElse);
  });

  it('lets exactly one of several processes racing for a stale lock win', async () => {
    const stateDir = freshDir();
    writeFileSync(lockFile(stateDir), JSON.stringify({ pid: deadPid(), startedAt: 'x' }));
    const racer = path.join(__dirname, 'fixtures', 'lock-racer.ts');
    const contenders = Array.from({ length: 4 }, () =>
      spawn(process.execPath, ['--import', 'tsx', racer, stateDir], {
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    const exited = contenders.map((child) => new Promise((resolve) => child.once('exit', resolve)));
    // Each says once how it went; winners hold the lock until every contender has answered.
    const outcomes = await Promise.all(
      contenders.map(
        (child) =>
          new Promise<string>((resolve) =>
            createInterface({ input: child.stdout! }).once('line', resolve),
          ),
      ),
    );
    for (const child of contenders) child.stdin!.end();
    await Promise.all(exited);
    expect(outcomes.filter((outcome) => outcome === 'won')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'refused')).toHaveLength(3);
    expect(existsSync(lockFile(stateDir))).toBe(false);
  });
});
