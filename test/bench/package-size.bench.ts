/**
 * Size of the package as published: `npm pack` (its `prepack` builds dist/) and the bytes of the
 * tarball a consumer downloads. Run alone with `npx tsx test/bench/package-size.bench.ts`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '..', '..');

export async function run(): Promise<string[]> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'msa-pack-'));
  try {
    // Without the npm_* variables of `npm run bench`: the pack is the one a user would run.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)),
    );
    await promisify(execFile)('npm', ['pack', '--pack-destination', outdir], {
      cwd: ROOT,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    const [tarball] = readdirSync(outdir).filter((name) => name.endsWith('.tgz'));
    return [`bench package-tarball ${statSync(path.join(outdir, tarball)).size} bytes`];
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().then((lines) => console.log(lines.join('\n')));
}
