import { subscribe } from 'node:diagnostics_channel';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, inject } from 'vitest';

/**
 * Per test file, before it runs: clients made without an endpoint reach the run's emulator
 * (AWS_ENDPOINT_URL), unless a per-service variable sends them elsewhere.
 *
 * With ENDPOINT_REPORT_DIR set (the LocalStack lane), every signed AWS request is counted by
 * signing service and destination, and the file's counts are written there when it ends: the
 * evidence of which tests ran against LocalStack.
 */
process.env.AWS_ENDPOINT_URL = inject('awsEndpoint');

const reportDir = process.env.ENDPOINT_REPORT_DIR;
if (reportDir) {
  // service -> destination -> requests
  const counts = new Map<string, Map<string, number>>();
  const onRequest = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    const authorization = String(request.getHeader('authorization') ?? '');
    // Only the credential scope's service name is read; nothing of the signature is kept.
    const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(
      authorization,
    )?.[1];
    if (!service) return;
    const destination = `${request.protocol}//${String(request.getHeader('host'))}`;
    const byDestination = counts.get(service) ?? new Map<string, number>();
    byDestination.set(destination, (byDestination.get(destination) ?? 0) + 1);
    counts.set(service, byDestination);
  };
  beforeAll(() => {
    subscribe('http.client.request.start', onRequest);
  });
  afterAll(() => {
    const file = path.relative(process.cwd(), expect.getState().testPath ?? 'unknown');
    const requests = Object.fromEntries(
      [...counts].map(([service, byDestination]) => [service, Object.fromEntries(byDestination)]),
    );
    mkdirSync(reportDir, { recursive: true });
    writeFileSync(
      path.join(reportDir, `${file.replace(/[^A-Za-z0-9]+/g, '_')}.json`),
      JSON.stringify({ file, requests }),
    );
  });
}
