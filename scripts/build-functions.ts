/**
 * Bundles the platform's own functions (token service, key rotation, authorizer, admin API,
 * control loop) into `dist/platform-functions/<name>/index.js`, the pre-built assets the
 * constructs deploy with `Code.fromAsset`. Settings are those a service entry gets at synth.
 *
 * Runs in `npm run build` (so `prepack`), and before every synth of this repository (cdk.json's
 * app, the test projects' global set-up, the bundle-size bench), so what runs here is always
 * fresh from source. A file is replaced (write then rename) only when its bytes change, so
 * concurrent builds and readers never see a half-written bundle.
 */
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BUNDLING, PLATFORM_BUNDLES, packageRoot } from '../lib/service/platform-bundles';

const ROOT = packageRoot(path.join(__dirname, '..'));

/** Builds every platform bundle; returns the folders written. */
export async function buildPlatformFunctions(
  outRoot: string = path.join(ROOT, 'dist', 'platform-functions'),
): Promise<string[]> {
  return Promise.all(
    Object.entries(PLATFORM_BUNDLES).map(async ([name, entry]) => {
      const outdir = path.join(outRoot, name);
      const result = await build({
        ...functionBuildOptions(path.join(ROOT, 'functions', entry), path.join(outdir, 'index.js')),
        write: false,
      });
      mkdirSync(outdir, { recursive: true });
      for (const file of result.outputFiles) writeIfChanged(file.path, file.contents);
      if (name === 'console') await buildConsoleAssets(path.join(outdir, 'assets'));
      return outdir;
    }),
  );
}

/**
 * esbuild's options for one function, the same as `NodejsFunction` applies with `BUNDLING` to a
 * service's entry at synth: one minified CommonJS file (what the Lambda runtime and the local
 * platform load by `require`), tree-shaken from the packages' ES module builds.
 */
export function functionBuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    mainFields: BUNDLING.mainFields,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    external: BUNDLING.externalModules,
    logLevel: 'warning',
  };
}

/** One function bundled in memory: its entry file's bytes and esbuild's account of them. */
export interface MeasuredBundle {
  readonly bytes: number;
  readonly metafile: Metafile;
}

/** Bundles one entry as it is deployed, writing nothing, for its size and what makes it up. */
export async function measureFunctionBundle(entry: string): Promise<MeasuredBundle> {
  const outfile = path.join(ROOT, '.bundle-measure', 'index.js');
  const result = await build({
    ...functionBuildOptions(entry, outfile),
    // The metafile names inputs relative to the checkout: `functions/…`, `node_modules/…`.
    absWorkingDir: ROOT,
    write: false,
    metafile: true,
  });
  const file = result.outputFiles.find((output) => output.path === outfile);
  if (!file) throw new Error(`esbuild wrote no ${outfile} for ${entry}`);
  return { bytes: file.contents.byteLength, metafile: result.metafile };
}

/**
 * The operator console's browser side: its TypeScript and CSS bundled into `app.js` and
 * `app.css` (no framework, nothing loaded from elsewhere: the page's CSP admits only its own
 * origin), and the page itself, into `assets/` beside the console function that serves them.
 */
export async function buildConsoleAssets(outdir: string): Promise<void> {
  const app = path.join(ROOT, 'functions', 'console', 'app');
  const result = await build({
    entryPoints: [path.join(app, 'main.ts')],
    outfile: path.join(outdir, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    write: false,
  });
  mkdirSync(outdir, { recursive: true });
  for (const file of result.outputFiles) writeIfChanged(file.path, file.contents);
  writeIfChanged(path.join(outdir, 'index.html'), readFileSync(path.join(app, 'index.html')));
}

function writeIfChanged(file: string, contents: Uint8Array): void {
  if (existsSync(file) && Buffer.from(contents).equals(readFileSync(file))) return;
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

if (require.main === module) {
  buildPlatformFunctions().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
