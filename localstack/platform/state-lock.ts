import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { LocalPlatformError } from './emulator';

/** Who holds a state folder: written into its lock file. */
export interface LockHolder {
  readonly pid: number;
  /** The gateway URL of the holding platform, when it has one. */
  readonly baseUrl?: string;
  readonly startedAt: string;
}

/** A held lock on a state folder; `release` is idempotent. */
export interface StateLock {
  readonly file: string;
  readonly holder: LockHolder;
  release(): void;
}

/** Another live process holds the state folder. */
export class StateDirInUseError extends LocalPlatformError {
  constructor(
    readonly stateDir: string,
    readonly holder: LockHolder,
    /** The start also wanted that platform's port: moving the state alone would not do. */
    portTaken = false,
  ) {
    super(
      `${displayPath(stateDir)} is in use by a running platform (pid ${holder.pid}${
        holder.baseUrl ? `, ${holder.baseUrl}` : ''
      }); stop it or set ${portTaken ? 'LOCAL_STATE_DIR and PORT' : 'LOCAL_STATE_DIR'}`,
    );
    this.name = 'StateDirInUseError';
  }
}

export const LOCK_FILE_NAME = 'platform.lock';

/** How often a start retries when the lock changes hands under it (stale takeover races). */
const ATTEMPTS = 5;

/**
 * Takes the state folder for this process: creates `<stateDir>/platform.lock` exclusively
 * (O_EXCL, so two starts can never both win) with this pid in it. A lock left by a process that
 * is gone (killed, crashed) is taken over; one held by a live process is refused with a
 * {@link StateDirInUseError}. The folder must exist.
 */
export function acquireStateLock(
  stateDir: string,
  details: { readonly baseUrl?: string } = {},
): StateLock {
  const file = path.join(stateDir, LOCK_FILE_NAME);
  const holder: LockHolder = {
    pid: process.pid,
    baseUrl: details.baseUrl,
    startedAt: new Date().toISOString(),
  };
  const content = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (createExclusive(file, content)) {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.removeListener('exit', release);
        // Only our own lock is removed: a takeover after a (wrongly judged) stale lock is not ours.
        if (readText(file) === content) unlinkQuietly(file);
      };
      // A process.exit() that skips stop() still frees the folder.
      process.once('exit', release);
      return { file, holder, release };
    }
    const existing = readText(file);
    if (existing === undefined) continue; // released in between: try again
    const current = parseHolder(existing);
    if (current && isAlive(current.pid)) throw new StateDirInUseError(stateDir, current);
    if (!current && !lockIsOld(file)) {
      // Created this instant and not yet written by its owner: another start is taking it.
      throw new LocalPlatformError(
        `${displayPath(stateDir)} is being locked by another start; stop it or set LOCAL_STATE_DIR`,
      );
    }
    takeOverStale(file, existing);
  }
  throw new LocalPlatformError(
    `Could not lock ${displayPath(stateDir)}: another start keeps taking it; try again`,
  );
}

/** The live holder of a state folder's lock, if any; reads only. */
export function stateLockHolder(stateDir: string): LockHolder | undefined {
  const existing = readText(path.join(stateDir, LOCK_FILE_NAME));
  const current = existing === undefined ? undefined : parseHolder(existing);
  return current && isAlive(current.pid) ? current : undefined;
}

/** Whether a process with this pid exists (one of another user counts: EPERM). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a stale lock, guarded by a second exclusive file so that two starts which both found
 * it stale cannot remove each other's fresh lock: only the guard's holder unlinks, and only when
 * the lock still holds exactly the stale content it judged.
 */
function takeOverStale(file: string, staleContent: string): void {
  const guard = `${file}.takeover`;
  if (!createExclusive(guard, `${process.pid}\n`)) {
    const guardPid = Number.parseInt(readText(guard) ?? '', 10);
    // A guard left by a start that died mid-takeover is itself stale.
    if (!isAlive(guardPid) && lockIsOld(guard)) unlinkQuietly(guard);
    return;
  }
  try {
    if (readText(file) === staleContent) unlinkQuietly(file);
  } finally {
    unlinkQuietly(guard);
  }
}

function createExclusive(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    return typeof parsed.pid === 'number'
      ? { pid: parsed.pid, baseUrl: parsed.baseUrl, startedAt: String(parsed.startedAt ?? '') }
      : undefined;
  } catch {
    return undefined;
  }
}

/** An unreadable lock or guard older than this was abandoned between create and write. */
const HALF_WRITTEN_GRACE_MS = 5_000;

function lockIsOld(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > HALF_WRITTEN_GRACE_MS;
  } catch {
    return true;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** `.local` rather than an absolute path when the folder is under the working directory. */
export function displayPath(folder: string): string {
  const relative = path.relative(process.cwd(), folder);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : folder;
}
