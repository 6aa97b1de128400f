import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCloudAssembly } from '../../localstack/platform/cloud-assembly';
import { readFirewallRules } from '../../localstack/platform/gateway-firewall';
import { tokenRequestFrom } from '../support/raw-http';
import { demoClient, startPlatformProcess, type PlatformProcess } from './platform-process';

// Issue 16, item 3: junk from one source must not turn a legitimate client's token request into
// a 429. Two sources on one machine: Linux routes all of 127.0.0.0/8 to the loopback, so a
// socket bound to 127.0.0.2 reaches the gateway on 127.0.0.1 from another address.
const JUNK_SOURCE = '127.0.0.2';
const CLIENT_SOURCE = '127.0.0.1';

let platform: PlatformProcess;

beforeAll(async () => {
  platform = await startPlatformProcess(
    {},
    mkdtempSync(path.join(tmpdir(), 'msa-e2e-token-limit-')),
  );
});

afterAll(async () => {
  await platform?.stop();
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function tokenRequest(localAddress: string, authorization: string): Promise<Answer> {
  // Not trusted: the gateway keys by the socket, whatever a caller claims in X-Forwarded-For.
  return tokenRequestFrom(platform.baseUrl, localAddress, authorization, {
    'x-forwarded-for': '203.0.113.7',
  });
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const junk = (index: number) => basic(`junk-${index}`, 'not-a-secret');

/** Sends `count` junk requests from the junk source, `concurrency` at a time. */
async function junkBurst(count: number, concurrency: number, startAt = 0): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = startAt + next++;
        answers.push(await tokenRequest(JUNK_SOURCE, junk(index)));
      }
    }),
  );
  return answers;
}

describe('per-source limit on the token endpoint (local stand-in for the WAF rule)', () => {
  it('refuses junk from one address past its limit while a client from another gets tokens', async () => {
    // The limit the local gateway enforces is the synthesized web ACL's.
    const rules = readCloudAssembly(path.join(platform.stateDir, 'cdk.out')).flatMap(
      (stack) => readFirewallRules(stack.template).rules,
    );
    const tokenRule = rules.find((rule) => rule.name.endsWith('/per-source-oauth2-token'));
    expect(tokenRule, 'the platform template has a per-source token endpoint rule').toBeDefined();
    const { limit, windowSeconds } = tokenRule!;
    const refillPerSecond = limit / windowSeconds;

    // 1. Junk until the gateway refuses the junk source: about `limit` requests reach the
    //    token function (plus what refilled meanwhile), then 429.
    const started = performance.now();
    const first: Answer[] = [];
    while (!first.some((answer) => answer.status === 429) && first.length < 3 * limit + 100)
      first.push(...(await junkBurst(10, 5, first.length)));
    const firstSeconds = (performance.now() - started) / 1000;
    const reached = first.filter((answer) => answer.status !== 429);
    expect(reached.map((answer) => answer.status)).toEqual(reached.map(() => 401));
    expect(reached.length).toBeGreaterThanOrEqual(limit);
    expect(reached.length).toBeLessThanOrEqual(
      limit + Math.ceil(firstSeconds * refillPerSecond) + 5,
    );

    // 2. Junk well above 10 rps, with a legitimate client's token requests in between.
    const { clientId, clientSecret } = demoClient(platform, 'demo-full');
    const floodStarted = performance.now();
    const [flood, legit] = await Promise.all([
      junkBurst(200, 8, first.length),
      (async () => {
        const answers: Answer[] = [];
        for (let index = 0; index < 5; index++)
          answers.push(await tokenRequest(CLIENT_SOURCE, basic(clientId, clientSecret)));
        return answers;
      })(),
    ]);
    const floodSeconds = (performance.now() - floodStarted) / 1000;

    expect(flood.length / floodSeconds, 'junk requests per second').toBeGreaterThanOrEqual(10);
    expect(legit.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    for (const answer of legit)
      expect(JSON.parse(answer.body)).toMatchObject({ token_type: expect.any(String) });
    // Only what refilled during the flood got through to the function.
    const floodReached = flood.filter((answer) => answer.status !== 429).length;
    expect(floodReached).toBeLessThanOrEqual(Math.ceil(floodSeconds * refillPerSecond) + 1);

    const refused = flood.find((answer) => answer.status === 429)!;
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(refused.body)).toMatchObject({ status: 429, title: 'Too Many Requests' });
  });
});
