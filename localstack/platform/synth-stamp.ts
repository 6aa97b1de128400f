import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CdkApp } from './synth-app';

/**
 * A warm start reuses the last synth when nothing it was made from changed: the stamp beside
 * `cdk.out` is a hash of the app's command and context, cdk.json, cdk.context.json, package.json,
 * package-lock.json and every source file cdk.json's `watch` names (what `cdk watch` would
 * redeploy for); without a `watch` entry, every file of the project but node_modules, cdk.out
 * and dot-folders.
 */
export const STAMP_FILE = 'cdk.out.stamp';

/** Always part of the stamp when present: they change what the app synthesizes or bundles. */
const PROJECT_FILES = ['cdk.json', 'cdk.context.json', 'package.json', 'package-lock.json'];
/** Never walked: dependencies are covered by package-lock.json, outputs are not inputs. */
const NEVER_WALKED = new Set(['node_modules', 'cdk.out']);

interface WatchSettings {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

/** The hash of everything the app's synth depends on (see STAMP_FILE). */
export function appSourceStamp(app: CdkApp): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ command: app.command, context: app.context }));
  for (const name of PROJECT_FILES) addFile(hash, app.dir, name);
  const watch = readWatch(app.dir);
  const include = watch.include.map(globExpression);
  const exclude = watch.exclude.map(globExpression);
  for (const file of walk(app.dir, '')) {
    if (include.some((re) => re.test(file)) && !exclude.some((re) => re.test(file))) {
      addFile(hash, app.dir, file);
    }
  }
  return hash.digest('hex');
}

/** Whether `outdir` holds a complete synth of exactly this stamp. */
export function synthIsCurrent(outdir: string, stamp: string): boolean {
  const file = stampPath(outdir);
  return (
    existsSync(path.join(outdir, 'manifest.json')) &&
    existsSync(file) &&
    readFileSync(file, 'utf8').trim() === stamp
  );
}

/** Forgets the stamp (before a synth starts: a failed one must not pass for current). */
export function clearSynthStamp(outdir: string): void {
  rmSync(stampPath(outdir), { force: true });
}

/** Records that `outdir` now holds the synth of `stamp`. */
export function writeSynthStamp(outdir: string, stamp: string): void {
  writeFileSync(stampPath(outdir), `${stamp}\n`);
}

function stampPath(outdir: string): string {
  return path.join(path.dirname(outdir), STAMP_FILE);
}

function addFile(hash: ReturnType<typeof createHash>, dir: string, relative: string): void {
  const file = path.join(dir, relative);
  if (!existsSync(file)) return;
  // The name and the length go in first, so moving bytes between files changes the stamp.
  const content = readFileSync(file);
  hash.update(`${relative}\0${content.length}\0`);
  hash.update(content);
}

function readWatch(dir: string): WatchSettings {
  const cdkJson = path.join(dir, 'cdk.json');
  const watch = existsSync(cdkJson)
    ? (JSON.parse(readFileSync(cdkJson, 'utf8')) as { watch?: Partial<WatchSettings> }).watch
    : undefined;
  return {
    include: watch?.include?.length ? watch.include : ['**'],
    exclude: watch?.exclude ?? [],
  };
}

/** Every file under `dir`, as sorted POSIX paths relative to the project. */
function* walk(root: string, relative: string): Generator<string> {
  const entries = readdirSync(path.join(root, relative), { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  for (const entry of entries) {
    if (entry.name.startsWith('.') || NEVER_WALKED.has(entry.name)) continue;
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) yield* walk(root, child);
    else if (entry.isFile()) yield child;
  }
}

/** A `cdk watch` glob (`**`, `*`, `?`) as a regular expression over relative POSIX paths. */
export function globExpression(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index];
    if (char === '*' && glob[index + 1] === '*') {
      // `dir/**` matches everything below dir; `**/x` matches x at any depth.
      const slash = glob[index + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      index += slash ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
