import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  commandExists,
  keepTail,
  lastLines,
  NotReadyError,
  runSetupScript,
  stopChild,
  waitForHttp,
} from '../../../localstack/platform/child-service';

const servers: Server[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

/** A loopback server answering every request with `status`. */
async function answering(status: number): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((_request, response) => {
    requests += 1;
    response.writeHead(status).end('body');
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/ready`, requests: () => requests };
}

/** A node child that prints `ready` once `setup` has run, then stays up until stopped. */
async function nodeChild(setup: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['-e', `${setup}; setInterval(() => {}, 1000); console.log('ready')`],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  children.push(child);
  await once(child.stdout!, 'data');
  return child;
}

describe('waitForHttp', () => {
  it('resolves on the first answer, whatever its status, unless a 2xx is required', async () => {
    const server = await answering(503);
    await waitForHttp(server.url, { timeoutMs: 5000 });
    expect(server.requests()).toBe(1);
  });

  it('fails with NotReadyError naming the last status when only 503s come before the deadline', async () => {
    const server = await answering(503);
    const waiting = waitForHttp(server.url, { timeoutMs: 300, intervalMs: 50, requireOk: true });
    await expect(waiting).rejects.toBeInstanceOf(NotReadyError);
    await expect(waiting).rejects.toThrow(`${server.url}: HTTP 503 after 300 ms`);
    expect(server.requests()).toBeGreaterThan(1);
  });

  it('fails at once with the early reason (not NotReadyError), before any request', async () => {
    const server = await answering(200);
    const waiting = waitForHttp(server.url, {
      timeoutMs: 5000,
      failedEarly: () => 'the child exited with code 2',
    });
    await expect(waiting).rejects.toThrow('the child exited with code 2');
    await expect(waiting).rejects.not.toBeInstanceOf(NotReadyError);
    expect(server.requests()).toBe(0);
  });
});

describe('stopChild', () => {
  it('closes standard input when asked by stdin, and the child ends by itself', async () => {
    const child = await nodeChild("process.stdin.on('end', () => process.exit(0)).resume()");
    await stopChild(child, { ask: 'stdin', forceAfterMs: 10_000 });
    expect(child.exitCode).toBe(0);
  });

  it('sends the signal it is asked to send', async () => {
    const child = await nodeChild('');
    await stopChild(child, { ask: 'SIGTERM', forceAfterMs: 10_000 });
    expect(child.signalCode).toBe('SIGTERM');
  });

  it('kills a child that ignores the request once the grace time is over', async () => {
    const child = await nodeChild("process.on('SIGTERM', () => {})");
    await stopChild(child, { ask: 'SIGTERM', forceAfterMs: 200 });
    expect(child.signalCode).toBe('SIGKILL');
  });

  it('resolves at once for a child that has already ended', async () => {
    const child = await nodeChild('');
    child.kill('SIGKILL');
    await once(child, 'exit');
    await expect(stopChild(child, { ask: 'stdin', forceAfterMs: 10_000 })).resolves.toBeUndefined();
  });
});

describe('runSetupScript', () => {
  it("answers the script's exit code and the tail of both its streams", async () => {
    const script = path.join(mkdtempSync(path.join(tmpdir(), 'msa-setup-')), 'setup.sh');
    writeFileSync(script, 'echo fetching\necho "no network" >&2\nexit 3\n');
    const { code, output } = await runSetupScript(script);
    expect(code).toBe(3);
    expect(output).toContain('fetching');
    expect(output).toContain('no network');
  });

  it('answers a non-zero code for a script that is not there', async () => {
    const { code } = await runSetupScript(path.join(tmpdir(), 'msa-no-such-setup.sh'));
    expect(code).not.toBe(0);
  });
});

describe('keepTail and lastLines', () => {
  it('keeps only the last 4000 characters written to any of the streams', () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const tail = keepTail(out, err, undefined);
    out.write('a'.repeat(3000));
    err.write('b'.repeat(3000));
    expect(tail()).toBe('a'.repeat(1000) + 'b'.repeat(3000));
  });

  it('joins the last lines of trimmed output', () => {
    expect(lastLines('one\ntwo\nthree\n\n', 2, ' | ')).toBe('two | three');
    expect(lastLines('', 1, '')).toBe('');
  });
});

describe('commandExists', () => {
  it('finds sh and refuses a name that is on no PATH', () => {
    expect(commandExists('sh')).toBe(true);
    expect(commandExists('msa-no-such-command')).toBe(false);
  });
});
