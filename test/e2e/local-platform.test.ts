import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  demoClient,
  requestToken,
  startPlatformProcess,
  type PlatformProcess,
} from './platform-process';

let platform: PlatformProcess;
let fullToken: string;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  platform = await startPlatformProcess({}, mkdtempSync(path.join(tmpdir(), 'msa-e2e-')));
  fullToken = await requestToken(platform, 'demo-full');
});

afterAll(async () => {
  await platform?.stop();
});

function functionOf(label: string) {
  const found = platform.document.functions.find((fn) => fn.label === label);
  if (!found) throw new Error(`platform.json lists no function labelled ${label}`);
  return found;
}

function logLines(label: string): Record<string, unknown>[] {
  return readFileSync(functionOf(label).logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the local platform (npm start)', () => {
  it('writes platform.json with the gateway, the emulator and the demo clients', () => {
    expect(platform.document.baseUrl).toBe(platform.baseUrl);
    expect(platform.document.awsEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(platform.document.region).toBe('us-east-1');
    expect(demoClient(platform, 'demo-full').scopes.sort()).toEqual([
      'reading-list/read',
      'reading-list/write',
      'recommendations/read',
    ]);
    expect(demoClient(platform, 'demo-none').scopes).toEqual([]);
    expect(demoClient(platform, 'demo-admin').scopes).toContain('platform/admin');
    expect(demoClient(platform, 'demo-full').clientSecret).not.toBe(
      demoClient(platform, 'demo-none').clientSecret,
    );
  });

  it('answers GET /reading-list/health with 200 JSON that reports its table', async () => {
    const response = await fetch(`${platform.baseUrl}/reading-list/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = await response.json();
    expect(body).toMatchObject({
      status: 'UP',
      service: 'reading-list',
      components: { table: { status: 'UP' } },
    });
  });

  it('returns a reading list enriched by the recommendations service, with one correlation ID in both services’ logs', async () => {
    const add = await fetch(`${platform.baseUrl}/reading-list`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(fullToken) },
      body: JSON.stringify({
        userId: 'ada',
        bookId: 'release-it',
        title: 'Release It!',
        author: 'Michael T. Nygard',
      }),
    });
    expect(add.status).toBe(201);

    const correlationId = `e2e-${Date.now().toString(36)}`;
    const response = await fetch(`${platform.baseUrl}/reading-list?userId=ada`, {
      headers: { 'x-correlation-id': correlationId, ...bearer(fullToken) },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-correlation-id')).toBe(correlationId);
    const body = (await response.json()) as {
      books: { bookId: string }[];
      recommendations: { bookId: string }[];
    };
    expect(body.books.map((book) => book.bookId)).toEqual(['release-it']);
    expect(body.recommendations.length).toBeGreaterThan(0);
    expect(body.recommendations.map((book) => book.bookId)).not.toContain('release-it');

    // Every log line of both services for this request carries the caller's correlation ID.
    const readingListLines = logLines('reading-list').filter(
      (line) => line.correlation_id === correlationId,
    );
    const recommendationLines = logLines('recommendations').filter(
      (line) => line.correlation_id === correlationId,
    );
    expect(readingListLines.length).toBeGreaterThan(0);
    expect(recommendationLines.length).toBeGreaterThan(0);
    expect(recommendationLines[0]).toMatchObject({ source_service: 'reading-list' });
  });

  it('answers an unknown route with a 404 problem, not API Gateway’s 403', async () => {
    const response = await fetch(`${platform.baseUrl}/no-such-service`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({
      status: 404,
      title: 'Not Found',
      instance: '/no-such-service',
    });
  });

  it('answers bad input with a 400 problem that names the field, never a 500', async () => {
    const query = await fetch(
      `${platform.baseUrl}/reading-list?userId=${encodeURIComponent('not valid!')}`,
      { headers: bearer(fullToken) },
    );
    expect(query.status).toBe(400);
    expect(await query.json()).toMatchObject({ status: 400, errors: [{ pointer: '/userId' }] });

    const body = await fetch(`${platform.baseUrl}/reading-list`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(fullToken) },
      body: '{"userId":',
    });
    expect(body.status).toBe(400);
    expect(body.headers.get('content-type')).toBe('application/problem+json');

    const type = await fetch(`${platform.baseUrl}/reading-list`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...bearer(fullToken) },
      body: 'x',
    });
    expect(type.status).toBe(415);
  });

  it('serves the Lambda Invoke API and enforces the template’s IAM grants between functions', async () => {
    const recommendations = functionOf('recommendations');
    const readingList = functionOf('reading-list');
    const envelope = {
      type: 'serverless-msa.internal-request.v1',
      source: 'e2e',
      operation: 'recommend',
      correlationId: 'e2e-direct',
      caller: { sub: 'demo-full', clientId: 'demo-full', scopes: ['recommendations/read'] },
      payload: { userId: 'ada', readBookIds: [], limit: 2 },
    };
    const clientAs = (accessKeyId: string) =>
      new LambdaClient({
        endpoint: platform.document.lambdaEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId, secretAccessKey: 'local' },
      });
    // reading-list's role is granted invoke on recommendations…
    const allowed = await clientAs(`LOCAL${readingList.logicalId}`).send(
      new InvokeCommand({
        FunctionName: recommendations.functionName,
        Payload: Buffer.from(JSON.stringify(envelope)),
      }),
    );
    expect(allowed.FunctionError).toBeUndefined();
    const answer = JSON.parse(Buffer.from(allowed.Payload!).toString()) as {
      status: number;
      payload: { recommendations: unknown[] };
    };
    expect(answer.status).toBe(200);
    expect(answer.payload.recommendations).toHaveLength(2);
    // …recommendations' role is granted nothing, and an unknown caller neither.
    await expect(
      clientAs(`LOCAL${recommendations.logicalId}`).send(
        new InvokeCommand({ FunctionName: readingList.functionName, Payload: Buffer.from('{}') }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(
      clientAs('someone-else').send(
        new InvokeCommand({
          FunctionName: recommendations.functionName,
          Payload: Buffer.from('{}'),
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('refuses to start on a taken port with a one-line error, and stops cleanly on SIGTERM', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const second = startPlatformProcess(
      { PORT: String(port), LOCAL_CLOUD_ASSEMBLY: path.join(platform.stateDir, 'cdk.out') },
      mkdtempSync(path.join(tmpdir(), 'msa-e2e-port-')),
    );
    await expect(second).rejects.toThrow(new RegExp(`Port ${port} is already in use; set PORT`));
    blocker.close();

    const code = await platform.stop();
    expect(code).toBe(0);
    const again = await fetch(`${platform.baseUrl}/reading-list/health`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(again).toBe('refused');
  });

  it('starts a second time from the same cloud assembly', async () => {
    const second = await startPlatformProcess(
      { LOCAL_CLOUD_ASSEMBLY: path.join(platform.stateDir, 'cdk.out') },
      mkdtempSync(path.join(tmpdir(), 'msa-e2e-again-')),
    );
    try {
      const response = await fetch(`${second.baseUrl}/recommendations/health`);
      expect(response.status).toBe(200);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
