/**
 * The package as a new user gets it: `npm pack`, then the README's "Use the constructs in your
 * own stack" recipes run as written, each in an empty directory with nothing else of this
 * repository (npm's cache serves the dependencies; the registry is asked only for what it lacks).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_BUNDLES } from '../../lib/service/platform-bundles';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const README_SECTION = '## Use the constructs in your own stack';
const TARBALL_PLACEHOLDER = '/path/to/serverless-msa-0.1.0.tgz';

/** A child's environment without what `npm test` sets for this repository's own scripts. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { CDK_DISABLE_CLI_TELEMETRY: 'true' };
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'INIT_CWD') env[key] = value;
  }
  return env;
}

async function sh(script: string, cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      env: childEnv(),
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `'${script}' failed in ${cwd}:\n${String(stderr ?? '').slice(-4000)}\n${String(stdout ?? '').slice(-4000)}`,
    );
  }
}

type Step = { kind: 'sh'; script: string } | { kind: 'file'; path: string; content: string };

/** The README's recipe under `### <title>` of the section: its commands and files, in order. */
function readmeRecipe(title: string): Step[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(README_SECTION);
  expect(start, 'README section').toBeGreaterThanOrEqual(0);
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const from = section.indexOf(`### ${title}`);
  expect(from, `README recipe ${title}`).toBeGreaterThanOrEqual(0);
  const next = section.indexOf('\n### ', from + 1);
  const recipe = section.slice(from, next === -1 ? undefined : next);
  const steps: Step[] = [];
  for (const [, lang, body] of recipe.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    if (lang === 'sh') {
      steps.push({ kind: 'sh', script: body });
      continue;
    }
    const [first, ...rest] = body.split('\n');
    const file = /^\/\/ (\S+)$/.exec(first)?.[1];
    if (!file) throw new Error(`A ${lang} block of '${title}' does not name its file`);
    steps.push({ kind: 'file', path: file, content: rest.join('\n') });
  }
  return steps;
}

/** Runs a recipe in `dir` (empty), with the packed tarball in place of the README's path. */
async function follow(steps: Step[], dir: string, tarball: string): Promise<string[]> {
  const outputs: string[] = [];
  for (const step of steps) {
    if (step.kind === 'file') {
      mkdirSync(path.dirname(path.join(dir, step.path)), { recursive: true });
      writeFileSync(path.join(dir, step.path), step.content);
      continue;
    }
    const script = step.script
      .replaceAll(TARBALL_PLACEHOLDER, tarball)
      .replace(/\bnpm install\b/g, 'npm install --prefer-offline --no-audit --no-fund');
    const { stdout, stderr } = await sh(script, dir);
    outputs.push(stdout + stderr);
  }
  return outputs;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

type TemplateResource = {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
};

let work: string;
let tarball: string;
let jsDir: string;
let tsDir: string;
let jsOutput: string[];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'msa-consumer-'));
  // prepack builds dist/ (compiled constructs and runtime, platform bundles) as a publish would.
  await sh(`npm pack --pack-destination ${JSON.stringify(work)}`, ROOT);
  const [file] = readdirSync(work).filter((name) => name.endsWith('.tgz'));
  tarball = path.join(work, file);
  jsDir = path.join(work, 'js', 'shop');
  tsDir = path.join(work, 'ts', 'shop');
  mkdirSync(jsDir, { recursive: true });
  mkdirSync(tsDir, { recursive: true });
  // Not in the README: proof that the package's declarations are real types (the README's
  // `npx tsc` fails on an expected error that does not occur), so a clean check means something.
  writeFileSync(
    path.join(tsDir, 'type-probe.ts'),
    [
      "import { Stack } from 'aws-cdk-lib';",
      "import { Microservice, MicroservicePlatform } from 'serverless-msa';",
      "import { jsonResponse } from 'serverless-msa/runtime/http';",
      "import { BREAKER_SETTINGS } from 'serverless-msa/runtime/contract';",
      'export function probe(stack: Stack, platform: MicroservicePlatform): void {',
      '  // @ts-expect-error a service needs an entry',
      "  new Microservice(stack, 'NoEntry', { platform, serviceName: 'x' });",
      '  // @ts-expect-error a status is a number',
      "  jsonResponse('200', {});",
      '  // @ts-expect-error the contract names each setting once: no halfOpenProbes',
      '  void BREAKER_SETTINGS.halfOpenProbes;',
      '}',
      '',
    ].join('\n'),
  );
  [jsOutput] = await Promise.all([
    follow(readmeRecipe('In JavaScript'), jsDir, tarball),
    follow(readmeRecipe('In TypeScript'), tsDir, tarball),
  ]);
}, 900_000);

// Two consumers' node_modules are some 600 MB (and a local platform's state): removing them can
// outlast the default hook timeout on a busy machine.
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('the packed package', () => {
  it('holds the compiled constructs, runtime library and platform bundles, and no sources, tests or local state', async () => {
    const { stdout } = await sh(`tar -tzf ${JSON.stringify(tarball)}`, work);
    const files = stdout
      .trim()
      .split('\n')
      .map((entry) => entry.replace(/^package\//, ''));
    expect(files).toContain('dist/lib/index.js');
    expect(files).toContain('dist/lib/index.d.ts');
    expect(files).toContain('dist/functions/runtime/service/service-handler.js');
    expect(files).toContain('dist/functions/runtime/service/service-handler.d.ts');
    // Every entry point of the exports map is in the tarball, declarations included.
    const exportsMap = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
      .exports as Record<string, string | { types: string; default: string }>;
    for (const target of Object.values(exportsMap)) {
      if (typeof target === 'string') continue;
      expect(files).toContain(target.default.replace(/^\.\//, ''));
      expect(files).toContain(target.types.replace(/^\.\//, ''));
    }
    expect(files).toContain('dist/functions/runtime/contract/index.js');
    for (const name of Object.keys(PLATFORM_BUNDLES)) {
      expect(files).toContain(`dist/platform-functions/${name}/index.js`);
    }
    const unexpected = files.filter(
      (file) =>
        !['package.json', 'README.md', 'LICENSE'].includes(file) &&
        !/^dist\/(lib|functions\/runtime)\/.+\.(js|d\.ts)$/.test(file) &&
        !/^dist\/platform-functions\/[a-z-]+\/index\.js(\.map)?$/.test(file) &&
        // The console's single-page app, served by its function.
        !/^dist\/platform-functions\/console\/assets\/[\w.-]+\.(js|css|html|svg)$/.test(file) &&
        // `serverless-msa start`: the local platform compiled, the modules it shares with the
        // functions, the Lambda worker, and the set-up scripts (with their inputs) of the tools
        // it builds on first use.
        !/^dist\/localstack\/platform\/.+\.(js|mjs)$/.test(file) &&
        !/^dist\/functions\/(auth|platform)\/.+\.js$/.test(file) &&
        !/^dist\/localstack\/emulator\/(setup\.sh|requirements\.txt)$/.test(file) &&
        !/^dist\/localstack\/observability\/(maven-setup\.sh|[a-z]+\/(setup\.sh|pom\.xml|src\/main\/java\/.+\.java))$/.test(
          file,
        ),
    );
    expect(unexpected).toEqual([]);
    expect(files).toContain('dist/localstack/platform/cli.js');
    expect(files).toContain('dist/localstack/platform/lambda-worker.mjs');
    expect(files).toContain('dist/localstack/emulator/setup.sh');
    expect(
      files.filter((file) => /(^|\/)(test|\.local|\.venv|target|scripts)\//.test(file)),
    ).toEqual([]);
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
  });

  it('runs nothing at install time in a consumer', () => {
    const installed = JSON.parse(
      readFileSync(path.join(jsDir, 'node_modules', 'serverless-msa', 'package.json'), 'utf8'),
    ) as { scripts?: Record<string, string> };
    for (const hook of ['preinstall', 'install', 'postinstall']) {
      expect(installed.scripts?.[hook], hook).toBeUndefined();
    }
  });

  it('loads from plain Node with require and import, the runtime library by its entry points', async () => {
    const cjs = await sh(
      `node -e "const m = require('serverless-msa'); console.log(typeof m.MicroservicePlatform, typeof m.Microservice)"`,
      jsDir,
    );
    expect(cjs.stdout.trim()).toBe('function function');
    const esm = await sh(
      `node --input-type=module -e "import { Microservice } from 'serverless-msa'; import { defineService } from 'serverless-msa/runtime'; import { ServiceClient } from 'serverless-msa/runtime/service'; import { CircuitBreaker } from 'serverless-msa/runtime/resilience'; import { SERVICE_ENV } from 'serverless-msa/runtime/contract'; console.log(typeof Microservice, typeof defineService, typeof ServiceClient, typeof CircuitBreaker, SERVICE_ENV.tableName)"`,
      jsDir,
    );
    expect(esm.stdout.trim()).toBe('function function function function TABLE_NAME');
  });

  it.each([
    'serverless-msa/dist/lib/index.js',
    'serverless-msa/runtime/service/service-handler',
    'serverless-msa/runtime/http/json',
    'serverless-msa/runtime/contract/breaker',
  ])('refuses the deep import %s: only the entry points are public', async (specifier) => {
    await expect(sh(`node -e "require('${specifier}')"`, jsDir)).rejects.toThrow(
      /ERR_PACKAGE_PATH_NOT_EXPORTED/,
    );
  });

  it("synthesizes the README's JavaScript app: two services, the platform's functions from the pre-built bundles", () => {
    const outdir = path.join(jsDir, 'cdk.out');
    const template = JSON.parse(readFileSync(path.join(outdir, 'Shop.template.json'), 'utf8')) as {
      Resources: Record<string, TemplateResource>;
    };
    const functions = new Map<string, TemplateResource>();
    for (const resource of Object.values(template.Resources)) {
      const variables = (
        resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
      )?.Variables;
      if (resource.Type === 'AWS::Lambda::Function' && variables?.POWERTOOLS_SERVICE_NAME) {
        functions.set(String(variables.POWERTOOLS_SERVICE_NAME), resource);
      }
    }
    expect([...functions.keys()].sort()).toEqual([
      'authorizer',
      'catalog',
      'console',
      'control-loop',
      'key-rotation',
      'orders',
      'platform-admin',
      'platform-log-shipper',
      'token-service',
    ]);
    const installedBundles = path.join(jsDir, 'node_modules', 'serverless-msa', 'dist');
    for (const [serviceName, bundle] of [
      ['token-service', 'token-service'],
      ['key-rotation', 'key-rotation'],
      ['authorizer', 'authorizer'],
      ['platform-admin', 'admin'],
      ['control-loop', 'control-loop'],
      ['console', 'console'],
      ['platform-log-shipper', 'log-shipper'],
    ]) {
      const metadata = functions.get(serviceName)?.Metadata ?? {};
      expect(metadata['aws:asset:is-bundled'], serviceName).toBe(false);
      expect(
        sha256(path.join(outdir, String(metadata['aws:asset:path']), 'index.js')),
        serviceName,
      ).toBe(sha256(path.join(installedBundles, 'platform-functions', bundle, 'index.js')));
    }
    for (const serviceName of ['catalog', 'orders']) {
      expect(functions.get(serviceName)?.Metadata?.['aws:asset:is-bundled'], serviceName).toBe(
        true,
      );
    }
    // esbuild ran for the two services' entries and for nothing else.
    const bundled = [...jsOutput.join('\n').matchAll(/Bundling asset (\S+)/g)].map(
      ([, asset]) => asset,
    );
    expect(bundled.sort()).toEqual([
      'Shop/Catalog/Resource/Resource/Code/Stage...',
      'Shop/Orders/Resource/Resource/Code/Stage...',
    ]);
    // orders depends on catalog: it knows catalog's function and may invoke it.
    const ordersVariables = (
      functions.get('orders')?.Properties?.Environment as { Variables: Record<string, unknown> }
    ).Variables;
    expect(ordersVariables.SERVICE_CATALOG_FUNCTION_NAME).toBeDefined();
    expect(functions.get('catalog')?.Properties?.Environment).not.toHaveProperty(
      'Variables.SERVICE_ORDERS_FUNCTION_NAME',
    );
  });

  it('runs the JavaScript app with `npx serverless-msa start`: a route called with a demo token answers 200', async () => {
    const stateDir = path.join(work, 'js-state');
    // Its own process group, so the end of the test can stop npx and everything under it.
    const child = spawn(
      'npx',
      ['serverless-msa', 'start', '--port', '0', '--state-dir', stateDir, '--quiet'],
      {
        cwd: jsDir,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        // The optional JVM servers are left out: this is about the command, not them.
        env: { ...childEnv(), LOCAL_OPENSEARCH: '0', LOCAL_TRACING: 'off' },
      },
    );
    // 'close': npx and the platform under it (which shares its pipes) have both ended.
    const exited = new Promise<string>((resolve) =>
      child.once('close', (code, signal) => resolve(String(code ?? signal))),
    );
    let output = '';
    try {
      const baseUrl = await new Promise<string>((resolve, reject) => {
        // A first start on this machine builds the emulator's virtualenv in the user's cache.
        const deadline = setTimeout(
          () => reject(new Error(`no ready line within 300 s:\n${output.slice(-4000)}`)),
          300_000,
        );
        const read = (chunk: Buffer) => {
          output += chunk.toString();
          const ready = /Platform ready at (\S+)/.exec(output);
          if (ready) {
            clearTimeout(deadline);
            resolve(ready[1]);
          }
        };
        child.stdout.on('data', read);
        child.stderr.on('data', read);
        void exited.then((code) => {
          clearTimeout(deadline);
          reject(new Error(`serverless-msa start exited (${code}):\n${output.slice(-4000)}`));
        });
      });
      const platform = JSON.parse(readFileSync(path.join(stateDir, 'platform.json'), 'utf8')) as {
        baseUrl: string;
        clients: { clientId: string; clientSecret: string; scopes: string[] }[];
      };
      expect(platform.baseUrl).toBe(baseUrl);
      const client = platform.clients.find(({ scopes }) => scopes.includes('catalog/read'));
      expect(client, 'a demo client with catalog/read').toBeDefined();
      const tokenResponse = await fetch(`${baseUrl}/oauth2/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${client!.clientId}:${client!.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      expect(tokenResponse.status).toBe(200);
      const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
      const unauthenticated = await fetch(`${baseUrl}/catalog`);
      expect(unauthenticated.status).toBe(401);
      const response = await fetch(`${baseUrl}/catalog`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ books: [{ id: 'b1', title: 'Release It!' }] });
      // The emulator's virtualenv lives in the user's cache, never in the consumer's node_modules.
      expect(
        readdirSync(
          path.join(jsDir, 'node_modules', 'serverless-msa', 'dist', 'localstack', 'emulator'),
        ).sort(),
      ).toEqual(['requirements.txt', 'setup.sh']);
    } finally {
      if (child.exitCode === null && child.signalCode === null)
        process.kill(-child.pid!, 'SIGTERM');
    }
    // npx ends by the signal; the platform, told too, stopped its emulator and functions first.
    expect(await exited).toMatch(/^(0|SIGTERM)$/);
    expect(output).toMatch(/Stopping the platform \(SIGTERM\)/);
  }, 420_000);

  it("type-checks the README's TypeScript consumer with skipLibCheck off", () => {
    // The recipe's last command is `npx tsc`: it exited 0 with the probe's expected errors
    // present, so the package's declarations check cleanly and type the consumer's code.
    const steps = readmeRecipe('In TypeScript');
    expect(steps.at(-1)).toEqual({ kind: 'sh', script: 'npx tsc\n' });
    const tsconfig = readFileSync(path.join(tsDir, 'tsconfig.json'), 'utf8');
    expect(tsconfig).toMatch(/"skipLibCheck": false/);
  });
});
