import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  demoClient,
  eventually,
  PROJECT_ROOT,
  requestToken,
  runPlatformProcessToExit,
  startPlatformProcess,
  type PlatformProcess,
} from './platform-process';

let platform: PlatformProcess;
let fullToken: string;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  // This boot runs central logs (the suite's one OpenSearch node).
  platform = await startPlatformProcess(
    { LOCAL_OPENSEARCH: '1' },
    mkdtempSync(path.join(tmpdir(), 'msa-e2e-')),
  );
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

  it('ships both services’ log lines of one request to OpenSearch within 15 s, and npm run logs finds them', async () => {
    const openSearchUrl = platform.document.openSearchUrl;
    expect(openSearchUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const correlationId = `e2e-logs-${Date.now().toString(36)}`;
    const response = await fetch(`${platform.baseUrl}/reading-list?userId=grace`, {
      headers: { 'x-correlation-id': correlationId, ...bearer(fullToken) },
    });
    expect(response.status).toBe(200);
    const sent = Date.now();

    const servicesInOpenSearch = async () => {
      const answer = await fetch(`${openSearchUrl}/logs-*/_search?ignore_unavailable=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          size: 100,
          query: { term: { correlation_id: correlationId } },
        }),
      });
      const hits =
        ((await answer.json()) as { hits?: { hits: { _source: { service: string } }[] } }).hits
          ?.hits ?? [];
      return [...new Set(hits.map((hit) => hit._source.service))].sort();
    };
    const { last } = await eventually(
      servicesInOpenSearch,
      (services) => services.includes('reading-list') && services.includes('recommendations'),
      15_000,
    );
    expect(last).toEqual(['reading-list', 'recommendations']);
    expect(Date.now() - sent).toBeLessThan(15_000);

    // The command a developer runs answers from the same index.
    const logs = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(PROJECT_ROOT, 'bin/logs.ts'),
        '--correlation-id',
        correlationId,
      ],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, LOCAL_STATE_DIR: platform.stateDir },
        encoding: 'utf8',
      },
    );
    expect(logs.status).toBe(0);
    const printed = logs.stdout.trim().split('\n');
    expect(printed.every((line) => line.includes(correlationId))).toBe(true);
    expect(printed.some((line) => / reading-list /.test(line))).toBe(true);
    expect(printed.some((line) => / recommendations /.test(line))).toBe(true);
  });

  it('answers an unknown route with a 404 problem, not API Gateway’s 403', async () => {
    const response = await fetch(`${platform.baseUrl}/no-such-service`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({
      status: 404,
      title: 'Not Found',
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

  it('prints one line per start-up phase with its duration, and never the SDK’s Node 20 notice', () => {
    const output = platform.output();
    for (const name of [
      'state',
      'synth',
      'emulator',
      'provisioning',
      'functions',
      'gateway',
      'bootstrap',
    ]) {
      expect(output).toMatch(new RegExp(`^${name} +\\d+\\.\\d s(  .+)?$`, 'm'));
    }
    expect(output).toMatch(/^provisioning +\d+\.\d s {2}\d+ resources$/m);
    // The heading, phase lines, the summary lines and the ready line: nothing else.
    const lines = output.trim().split('\n');
    const unexpected = lines.filter(
      (line) =>
        !/^Starting the local platform, phase by phase:$/.test(line) &&
        !/^[a-z][a-z ]+ +\d+\.\d s( {2}.+)?$/.test(line) &&
        !/^(AWS API emulator|Lambda API|Function logs|Central logs|Zipkin): +\S/.test(line) &&
        !/^Started in \d+\.\d s$/.test(line) &&
        !/^Platform ready at http:\/\/127\.0\.0\.1:\d+$/.test(line),
    );
    expect(unexpected).toEqual([]);
    expect(lines.filter((line) => line.startsWith('Platform ready at'))).toHaveLength(1);
    expect(output).not.toMatch(/NodeVersionSupportWarning|will require node/i);
    for (const file of readdirSync(platform.document.logDir)) {
      expect(readFileSync(path.join(platform.document.logDir, file), 'utf8')).not.toContain(
        'NodeVersionSupportWarning',
      );
    }
  });

  it('refuses a second start on the same state folder in one line, before synthesizing, and leaves the running one’s logs and platform.json as they were', async () => {
    const before = evidenceOf(platform.stateDir);
    const second = await runPlatformProcessToExit({}, platform.stateDir);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(
      `serverless-msa: ${platform.stateDir} is in use by a running platform (pid ${platform.child.pid}, ${platform.baseUrl}); stop it or set LOCAL_STATE_DIR\n`,
    );
    // No phase ran: not even the state phase, so no synth into the running platform's cdk.out.
    expect(second.stdout).toBe('');
    expect(second.elapsedMs).toBeLessThan(10_000);
    expectEvidenceKept(before, evidenceOf(platform.stateDir));
  });

  it('refuses a start on the port of the running one before touching its own state folder', async () => {
    const port = new URL(platform.baseUrl).port;
    const before = evidenceOf(platform.stateDir);
    const elsewhere = path.join(mkdtempSync(path.join(tmpdir(), 'msa-e2e-port-')), 'state');
    const other = await runPlatformProcessToExit({ PORT: port }, elsewhere);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(
      `serverless-msa: Port ${port} is already in use; set PORT to another port (PORT=0 picks a free one)\n`,
    );
    expect(existsSync(elsewhere)).toBe(false);

    // The same port and the same folder: the running platform is named, with both ways out.
    const same = await runPlatformProcessToExit({ PORT: port }, platform.stateDir);
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(
      new RegExp(
        `in use by a running platform \\(pid ${platform.child.pid}, .+\\); stop it or set LOCAL_STATE_DIR and PORT\\n$`,
      ),
    );
    expectEvidenceKept(before, evidenceOf(platform.stateDir));
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
    // The lock and platform.json went with the platform; its logs stay.
    expect(existsSync(path.join(platform.stateDir, 'platform.lock'))).toBe(false);
    expect(existsSync(path.join(platform.stateDir, 'platform.json'))).toBe(false);
    expect(readdirSync(platform.document.logDir).length).toBeGreaterThan(0);
  });

  it('restarts on the same state folder over a stale lock, keeping the last run’s logs in logs.1', async () => {
    const logDir = platform.document.logDir;
    const lastRun = new Map(
      readdirSync(logDir).map((file) => [file, readFileSync(path.join(logDir, file))]),
    );
    expect(lastRun.size).toBeGreaterThan(0);
    // A platform that was killed leaves its lock behind, naming a process that is gone.
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(
      path.join(platform.stateDir, 'platform.lock'),
      JSON.stringify({ pid: gone, startedAt: 'earlier' }),
    );

    const second = await startPlatformProcess(
      { LOCAL_CLOUD_ASSEMBLY: path.join(platform.stateDir, 'cdk.out') },
      platform.stateDir,
    );
    try {
      expect(second.output()).toMatch(/^state .+ locked; last run's logs moved to .+logs\.1$/m);
      const rotated = `${logDir}.1`;
      expect(readdirSync(rotated).sort()).toEqual([...lastRun.keys()].sort());
      for (const [file, content] of lastRun) {
        expect(readFileSync(path.join(rotated, file)).equals(content)).toBe(true);
      }
      expect(second.document.logDir).toBe(logDir);
      const response = await fetch(`${second.baseUrl}/recommendations/health`);
      expect(response.status).toBe(200);
      expect(
        JSON.parse(readFileSync(path.join(platform.stateDir, 'platform.lock'), 'utf8')),
      ).toMatchObject({ pid: second.child.pid, baseUrl: second.baseUrl });
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});

/** What a running platform leaves in its state folder: platform.json, the lock and every log. */
interface Evidence {
  readonly platformJson: Buffer;
  readonly lock: Buffer;
  readonly manifestMtimeMs: number;
  readonly entries: string[];
  readonly logs: Map<string, { ino: number; content: Buffer }>;
}

function evidenceOf(stateDir: string): Evidence {
  const logDir = path.join(stateDir, 'logs');
  return {
    platformJson: readFileSync(path.join(stateDir, 'platform.json')),
    lock: readFileSync(path.join(stateDir, 'platform.lock')),
    manifestMtimeMs: statSync(path.join(stateDir, 'cdk.out', 'manifest.json')).mtimeMs,
    entries: readdirSync(stateDir).sort(),
    logs: new Map(
      readdirSync(logDir).map((file) => {
        const full = path.join(logDir, file);
        return [file, { ino: statSync(full).ino, content: readFileSync(full) }];
      }),
    ),
  };
}

/**
 * platform.json, the lock and the synthesized app are byte for byte what they were; every log
 * file is the same file still holding every byte it held (the running platform's schedules
 * may have appended lines meanwhile); nothing was added beside them.
 */
function expectEvidenceKept(before: Evidence, after: Evidence): void {
  expect(after.platformJson.equals(before.platformJson)).toBe(true);
  expect(after.lock.equals(before.lock)).toBe(true);
  expect(after.manifestMtimeMs).toBe(before.manifestMtimeMs);
  expect(after.entries).toEqual(before.entries);
  expect(before.logs.size).toBeGreaterThan(0);
  for (const [file, { ino, content }] of before.logs) {
    const now = after.logs.get(file);
    expect(now?.ino).toBe(ino);
    expect(now!.content.subarray(0, content.length).equals(content)).toBe(true);
  }
}
