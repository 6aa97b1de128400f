import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  requestToken,
  startPlatformProcess,
  type PlatformProcess,
} from './platform-process';

interface ReadingListAnswer {
  recommendations: unknown[] | null;
  notice?: string;
}

interface CircuitSummary {
  name: string;
  state: string;
  version: number;
  reason?: string;
}

let platform: PlatformProcess;
let admin: string;
let reader: string;

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function readingList(): Promise<{ status: number; body: ReadingListAnswer }> {
  const response = await fetch(`${platform.baseUrl}/reading-list?userId=grace`, {
    headers: auth(reader),
  });
  return { status: response.status, body: (await response.json()) as ReadingListAnswer };
}

async function setFaults(errorRate: number, latencyMs = 0): Promise<void> {
  const response = await fetch(`${platform.baseUrl}/admin/faults/recommendations`, {
    method: 'PUT',
    headers: { ...auth(admin), 'content-type': 'application/json' },
    body: JSON.stringify({ errorRate, latencyMs }),
  });
  expect(response.status).toBe(200);
}

async function circuit(name: string): Promise<CircuitSummary | undefined> {
  const response = await fetch(`${platform.baseUrl}/admin/circuits`, { headers: auth(admin) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { circuits: CircuitSummary[] }).circuits.find(
    (c) => c.name === name,
  );
}

/**
 * Calls reading-list until `done` holds: the circuit's timing (open duration, state cache) is
 * the platform's, in real time, so the test waits for the behaviour itself, within a bound.
 */
async function callUntil(done: (answer: { status: number; body: ReadingListAnswer }) => boolean) {
  return (await eventually(readingList, done)).seen;
}

beforeAll(async () => {
  platform = await startPlatformProcess(
    {},
    mkdtempSync(path.join(tmpdir(), 'msa-e2e-resilience-')),
  );
  admin = await requestToken(platform, 'demo-admin');
  reader = await requestToken(platform, 'demo-full');
});

afterAll(async () => {
  await platform?.stop();
});

describe('the shared circuit breaker, end to end', () => {
  it('keeps answering 200 with the fallback while recommendations fail, opens the circuit, then short-circuits', async () => {
    expect((await readingList()).body.recommendations).not.toBeNull();
    await setFaults(1);
    // Fault settings are cached per environment (2 s): call until the faults show, then on.
    const failing = await callUntil((answer) => answer.body.recommendations === null);
    expect(failing.every((answer) => answer.status === 200)).toBe(true);
    for (let call = 0; call < 6; call++) expect((await readingList()).status).toBe(200);
    const afterFaults = await readingList();
    expect(afterFaults.status).toBe(200);
    expect(afterFaults.body.recommendations).toBeNull();
    expect(afterFaults.body.notice).toMatch(/under maintenance/);

    const state = await circuit('recommendations');
    expect(state?.state).toBe('OPEN');
    expect(state?.version).toBe(1);

    // While OPEN (for 5 s from the trip, in the demo), calls short-circuit: recommendations
    // is not even invoked, so its log does not grow.
    const logFile = platform.document.functions.find((f) => f.label === 'recommendations')!.logFile;
    const before = readFileSync(logFile, 'utf8').split('\n').length;
    const shortCircuited = await readingList();
    expect(shortCircuited.body.notice).toMatch(/under maintenance/);
    expect(readFileSync(logFile, 'utf8').split('\n').length).toBe(before);
  });

  it('closes again after the faults are cleared, through a half-open probe', async () => {
    await setFaults(0);
    await callUntil((answer) => answer.body.recommendations !== null);
    const state = await circuit('recommendations');
    expect(state?.state).toBe('CLOSED');
    expect(state?.reason).toBe('probes-succeeded');
  });

  it('holds a forced-open state until an operator resets it', async () => {
    const forced = await fetch(`${platform.baseUrl}/admin/circuits/recommendations/force-open`, {
      method: 'POST',
      headers: auth(admin),
    });
    expect(forced.status).toBe(200);
    await callUntil((answer) => answer.body.recommendations === null);
    expect((await circuit('recommendations'))?.state).toBe('FORCED_OPEN');

    const reset = await fetch(`${platform.baseUrl}/admin/circuits/recommendations/reset`, {
      method: 'POST',
      headers: auth(admin),
    });
    expect(reset.status).toBe(200);
    await callUntil((answer) => answer.body.recommendations !== null);
    expect((await circuit('recommendations'))?.state).toBe('CLOSED');
  });

  it('refuses the admin API to a token without platform/admin', async () => {
    const response = await fetch(`${platform.baseUrl}/admin/circuits`, { headers: auth(reader) });
    expect(response.status).toBe(403);
    const faults = await fetch(`${platform.baseUrl}/admin/faults/recommendations`, {
      method: 'PUT',
      headers: { ...auth(reader), 'content-type': 'application/json' },
      body: '{"errorRate":1,"latencyMs":0}',
    });
    expect(faults.status).toBe(403);
  });
});
