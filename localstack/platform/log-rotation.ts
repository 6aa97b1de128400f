import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';

/**
 * How many earlier runs' log folders a start keeps beside the current one.
 * @default 5
 */
export const DEFAULT_KEPT_LOG_RUNS = 5;

/**
 * Gives this run an empty `logDir` without losing the last runs' logs: `logs` becomes `logs.1`,
 * `logs.1` becomes `logs.2`, and so on; only the folder past `keep` is deleted. Run it while
 * holding the state folder's lock, so no running platform still writes to any of them.
 * Answers where the previous run's logs went, if there were any.
 */
export function rotateLogDir(logDir: string, keep = DEFAULT_KEPT_LOG_RUNS): string | undefined {
  // The previous run's logs are always kept: they are the evidence of what just happened.
  if (!Number.isInteger(keep) || keep < 1) {
    throw new RangeError(`keep must be a whole number of runs ≥ 1, not ${keep}`);
  }
  let rotated: string | undefined;
  if (existsSync(logDir) && readdirSync(logDir).length > 0) {
    rmSync(`${logDir}.${keep}`, { recursive: true, force: true });
    for (let index = keep - 1; index >= 1; index--) {
      if (existsSync(`${logDir}.${index}`)) {
        renameSync(`${logDir}.${index}`, `${logDir}.${index + 1}`);
      }
    }
    rotated = `${logDir}.1`;
    renameSync(logDir, rotated);
  }
  mkdirSync(logDir, { recursive: true });
  return rotated;
}
