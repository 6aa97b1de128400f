/**
 * What a junk token request costs the token service (issue 16 item 3), driven through the service
 * the Lambda handler runs (createTokenService, API Gateway proxy events, audit and metrics on):
 * - refusals per second for unknown client IDs with a secret (keyed-hash dummy work) against the
 *   same requests for a client whose hash is still scrypt: what every junk request cost before;
 * - refusals per second of private_key_jwt assertions for unknown clients (dummy-key signature
 *   check) against assertions for a known client signed with the wrong key: the ratio near 1 is the
 *   timing parity that keeps client IDs secret.
 * Sides are interleaved call by call (shared, noisy machine).
 *
 * Run: npx tsx test/bench/token-refusal.bench.ts
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { hashClientSecret, InMemoryClientsRepository } from '../../functions/auth/token/clients';
import { InMemoryReplayStore } from '../../functions/auth/token/replay';
import { hashSecret } from '../../functions/auth/token/secret-hash';
import { createTokenService } from '../../functions/auth/token/token-service';
import { rotateKeys } from '../../functions/auth/rotation/rotate';
import { CachedKeyDocument, InMemoryKeyStore } from '../../functions/runtime/auth/key-store';
import { createPowertools } from '../../functions/runtime/observability/powertools';

const ISSUER = 'https://bench123.execute-api.eu-west-1.amazonaws.com/prod';
const SECRET_REQUESTS = 60;
const ASSERTION_REQUESTS = 400;
const JWT_TYPE = encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');

function line(
  name: string,
  value: number,
  unit: string,
  baseline: { name: string; value: number },
) {
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
  return `bench ${name} ${fmt(value)} ${unit} vs ${baseline.name} ${fmt(baseline.value)} ratio ${(value / baseline.value).toFixed(2)}`;
}

function event(body: string): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    resource: '/oauth2/token',
    path: '/oauth2/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    multiValueHeaders: {},
    body,
    isBase64Encoded: false,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: randomUUID() } as APIGatewayProxyEvent['requestContext'],
  } as APIGatewayProxyEvent;
}

async function paired(
  count: number,
  a: (i: number) => Promise<unknown>,
  b: (i: number) => Promise<unknown>,
): Promise<{ a: number; b: number }> {
  let aNs = 0n;
  let bNs = 0n;
  for (let i = 0; i < count; i++) {
    for (const side of i % 2 === 0 ? ['a', 'b'] : ['b', 'a']) {
      const start = process.hrtime.bigint();
      await (side === 'a' ? a : b)(i);
      const elapsed = process.hrtime.bigint() - start;
      if (side === 'a') aNs += elapsed;
      else bNs += elapsed;
    }
  }
  return { a: count / (Number(aNs) / 1e9), b: count / (Number(bNs) / 1e9) };
}

export async function run(): Promise<string[]> {
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
  const { document } = await rotateKeys(undefined, new Date(), {
    algorithm: 'ES256',
    retiredGraceSeconds: 3700,
    minNextAgeSeconds: 0,
  });
  const clientPair = await generateKeyPair('ES256');
  const stranger = (await generateKeyPair('ES256')).privateKey;
  const service = createTokenService({
    clients: new InMemoryClientsRepository([
      {
        clientId: 'scrypt-client',
        // The cost registration used before the keyed hash (N 16384, r 8, p 1).
        secretHash: await hashSecret('scrypt-secret-0123456789abcdef0123456789'),
        scopes: [],
      },
      {
        clientId: 'keyed-client',
        secretHash: await hashClientSecret('keyed-secret-0123456789abcdef0123456789'),
        scopes: [],
      },
      { clientId: 'jwt-client', publicJwk: await exportJWK(clientPair.publicKey), scopes: [] },
    ]),
    keys: new CachedKeyDocument(new InMemoryKeyStore(document)),
    replay: new InMemoryReplayStore(),
    powertools: createPowertools('token-bench'),
    options: { issuer: ISSUER },
  });
  const refuse = async (body: string) => {
    const result = await service(event(body));
    if (result.statusCode !== 401) throw new Error(`expected a 401, got ${result.statusCode}`);
  };
  const secretBody = (id: string) =>
    `grant_type=client_credentials&client_id=${id}&client_secret=junk-${randomUUID()}`;
  const assertion = (sub: string, key: CryptoKey) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(sub)
      .setSubject(sub)
      .setAudience(ISSUER)
      .setIssuedAt()
      .setExpirationTime('1m')
      .setJti(randomUUID())
      .sign(key);
  const unknown = await Promise.all(
    Array.from({ length: ASSERTION_REQUESTS }, (_, i) => assertion(`ghost-${i}`, stranger)),
  );
  const forged = await Promise.all(
    Array.from({ length: ASSERTION_REQUESTS }, () => assertion('jwt-client', stranger)),
  );

  // Audit lines of every refusal are written as in Lambda, to a sink rather than the terminal.
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  let secrets: { a: number; b: number };
  let assertions: { a: number; b: number };
  try {
    await refuse(secretBody('warm-up'));
    await refuse(
      `grant_type=client_credentials&client_assertion_type=${JWT_TYPE}&client_assertion=${forged[0]}`,
    );
    secrets = await paired(
      SECRET_REQUESTS,
      () => refuse(secretBody(`ghost-${randomUUID()}`)),
      () => refuse(secretBody('scrypt-client')),
    );
    assertions = await paired(
      ASSERTION_REQUESTS,
      (i) =>
        refuse(
          `grant_type=client_credentials&client_assertion_type=${JWT_TYPE}&client_assertion=${unknown[i]}`,
        ),
      (i) =>
        refuse(
          `grant_type=client_credentials&client_assertion_type=${JWT_TYPE}&client_assertion=${forged[i]}`,
        ),
    );
  } finally {
    process.stdout.write = write;
  }
  return [
    line('token-refusal-unknown-client-secret', secrets.a, 'req/s', {
      name: 'scrypt-hashed-client',
      value: secrets.b,
    }),
    line('token-refusal-unknown-client-assertion', assertions.a, 'req/s', {
      name: 'known-client-wrong-key',
      value: assertions.b,
    }),
  ];
}

if (process.argv[1]?.endsWith('token-refusal.bench.ts')) {
  run().then(
    (lines) => lines.forEach((l) => console.log(l)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
