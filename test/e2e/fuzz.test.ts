import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCloudAssembly } from '../../localstack/platform/cloud-assembly';
import { parseRequestTarget } from '../../localstack/platform/request-path';
import { readRestApis } from '../../localstack/platform/rest-api-model';
import { rawRequest, type RawResponse } from '../support/raw-http';
import { generateCases, type FuzzCase, type FuzzRoute } from './fuzz/cases';
import { sendRequest, type FuzzResponse } from './fuzz/http-client';
import { seededRandom } from './fuzz/prng';
import { snapshotDifferences, snapshotState } from './fuzz/state-snapshot';
import {
  demoClient,
  requestToken,
  startPlatformProcess,
  type PlatformProcess,
} from './platform-process';

/** FUZZ_SEED=<n> replays a run; the seed is printed either way. */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const MINIMUM_REQUESTS = 1_600;
const CONCURRENCY = 8;

/** A stack frame or a path of this machine in a body: what an error must never show. */
const LEAKS = [
  /(^|\n|\\n)\s*at\s+\S+.*:\d+:\d+/,
  /\/work\//,
  /\/tmp\//,
  /node_modules/,
  /\.(ts|mjs|js):\d+/,
  /\bTypeError\b|\bReferenceError\b|\bSyntaxError:/,
];

let platform: PlatformProcess;
let tokens: { full: string; none: string; admin: string };

beforeAll(async () => {
  platform = await startPlatformProcess({}, mkdtempSync(path.join(tmpdir(), 'msa-e2e-fuzz-')));
  tokens = {
    full: await requestToken(platform, 'demo-full'),
    none: await requestToken(platform, 'demo-none'),
    admin: await requestToken(platform, 'demo-admin'),
  };
});

afterAll(async () => {
  await platform?.stop();
});

/** Every route of every REST API in the assembly the running platform synthesized. */
function routesOfTemplate(stateDir: string): FuzzRoute[] {
  const routes = new Map<string, FuzzRoute>();
  for (const stack of readCloudAssembly(path.join(stateDir, 'cdk.out'))) {
    for (const api of readRestApis(stack.template)) {
      for (const route of api.routes) routes.set(`${route.method} ${route.resourcePath}`, route);
    }
  }
  return [...routes.values()].sort((a, b) =>
    `${a.resourcePath} ${a.method}`.localeCompare(`${b.resourcePath} ${b.method}`),
  );
}

type Outcome =
  | { readonly kind: 'http'; readonly response: FuzzResponse }
  | { readonly kind: 'raw'; readonly response: RawResponse | undefined }
  | { readonly kind: 'error'; readonly message: string };

async function run(fuzzCase: FuzzCase, agents: Record<'gateway' | 'lambda', Agent>) {
  const base = new URL(
    fuzzCase.target === 'gateway' ? platform.baseUrl : platform.document.lambdaEndpoint,
  );
  try {
    if (fuzzCase.kind === 'raw') {
      return {
        kind: 'raw',
        response: await rawRequest(Number(base.port), fuzzCase.bytes),
      } as const;
    }
    const response = await sendRequest(agents[fuzzCase.target], base, {
      method: fuzzCase.method,
      path: fuzzCase.path,
      headers: fuzzCase.headers,
      body: fuzzCase.body,
    });
    return { kind: 'http', response } as const;
  } catch (error) {
    return { kind: 'error', message: (error as Error).message } as const;
  }
}

/** What is wrong with one answer; empty when it is as it must be. */
function problemsOf(fuzzCase: FuzzCase, outcome: Outcome): string[] {
  if (outcome.kind === 'error') return [`no answer: ${outcome.message}`];
  const response = outcome.response;
  if (!response) return ['the connection closed without an answer'];
  const problems: string[] = [];
  const { status, body } = response;
  const header = (name: string) => {
    const value = response.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  if (!(status >= 200 && status < 500)) problems.push(`answered ${status}`);
  if (fuzzCase.mustReject && status < 400)
    problems.push(`accepted (${status}) what must be refused`);
  for (const leak of LEAKS) if (leak.test(body)) problems.push(`body shows ${leak}`);
  if (status < 400) return problems;

  const contentType = (header('content-type') ?? '').split(';')[0].trim();
  const isHead = fuzzCase.kind === 'http' && fuzzCase.method === 'HEAD';
  const parsed = (() => {
    try {
      return JSON.parse(body) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  })();
  const isProblem =
    contentType === 'application/problem+json' &&
    (isHead || (parsed?.status === status && typeof parsed?.title === 'string'));
  // RFC 6749 §5.2 on the token endpoint; Lambda's own error shape on its API.
  const isOAuthError =
    contentType === 'application/json' && (isHead || typeof parsed?.error === 'string');
  const isLambdaError =
    fuzzCase.target === 'lambda' &&
    contentType === 'application/json' &&
    header('x-amzn-errortype') !== undefined &&
    (isHead || typeof parsed?.message === 'string');
  const target = fuzzCase.kind === 'http' ? parseRequestTarget(fuzzCase.path) : undefined;
  const onTokenEndpoint = target?.ok === true && target.path === '/oauth2/token';
  if (!isProblem && !(onTokenEndpoint && isOAuthError) && !isLambdaError) {
    problems.push(
      `error ${status} is not a problem document (${contentType}): ${body.slice(0, 120)}`,
    );
  }
  // RFC 6750 §3: a gateway 401 names the Bearer scheme.
  if (status === 401 && fuzzCase.target === 'gateway' && !onTokenEndpoint) {
    if (!/^Bearer /.test(header('www-authenticate') ?? ''))
      problems.push('401 without a Bearer WWW-Authenticate challenge');
  }
  return problems;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

describe('fuzzing the running platform from its route table', () => {
  it('answers every malformed or unauthorized request with a 4xx problem, changes nothing and logs no secret', async () => {
    const started = Date.now();
    const routes = routesOfTemplate(platform.stateDir);
    expect(routes.length).toBeGreaterThan(5);
    const clients = ['demo-full', 'demo-none', 'demo-admin'].map((id) => demoClient(platform, id));
    const { cases, badTokens } = generateCases(
      routes,
      {
        ...tokens,
        clients,
        functionNames: platform.document.functions.map((f) => f.functionName),
      },
      seededRandom(SEED),
      MINIMUM_REQUESTS,
    );
    console.log(
      `fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays it), ${routes.length} routes, ${cases.length} requests`,
    );
    const aws = { endpoint: platform.document.awsEndpoint, region: platform.document.region };
    const before = await snapshotState(aws);

    const agents = {
      gateway: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }),
      lambda: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }),
    };
    const histogram = new Map<string, number>();
    const failures: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const fuzzCase = cases[next++];
          const outcome = await run(fuzzCase, agents);
          const status =
            outcome.kind === 'error' ? 'error' : String(outcome.response?.status ?? 'none');
          histogram.set(status, (histogram.get(status) ?? 0) + 1);
          for (const problem of problemsOf(fuzzCase, outcome)) {
            const sent =
              fuzzCase.kind === 'http'
                ? `${fuzzCase.method} ${fuzzCase.path.slice(0, 100)}`
                : JSON.stringify(fuzzCase.bytes.subarray(0, 60).toString('latin1'));
            failures.push(
              `#${fuzzCase.id} [${fuzzCase.target}] ${fuzzCase.label} — ${sent}: ${problem}`,
            );
          }
        }
      }),
    );
    agents.gateway.destroy();
    agents.lambda.destroy();

    const after = await snapshotState(aws);
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    const statuses = [...histogram.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, count]) => `${status}×${count}`)
      .join(' ');
    console.log(`fuzz: ${cases.length} requests in ${elapsed} s, statuses ${statuses}`);

    expect(cases.length).toBeGreaterThanOrEqual(1_500);
    expect(failures.slice(0, 25), `${failures.length} failures, seed ${SEED}`).toEqual([]);
    expect([...histogram.keys()].filter((status) => !/^[1-4]\d\d$/.test(status))).toEqual([]);
    expect(before.size).toBeGreaterThan(0);
    expect(snapshotDifferences(before, after)).toEqual([]);

    // No secret and no token of this run in any log line the platform wrote.
    const secrets = [
      ...clients.map((client) => client.clientSecret),
      ...Object.values(tokens),
      ...Object.values(tokens).map((token) => token.split('.')[2]),
      ...badTokens.map((value) => value.replace(/^\S+ /, '')).filter((value) => value.length >= 20),
    ];
    const logs = filesUnder(platform.document.logDir).map(
      (file) => [file, readFileSync(file, 'utf8')] as const,
    );
    logs.push(['the platform console', platform.output()]);
    expect(logs.length).toBeGreaterThan(1);
    const found = logs.flatMap(([file, text]) =>
      secrets
        .filter((secret) => text.includes(secret))
        .map((secret) => `${path.basename(file)} holds ${secret.slice(0, 6)}…`),
    );
    expect(found).toEqual([]);
  });
});
