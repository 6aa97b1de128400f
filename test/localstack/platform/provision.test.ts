import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StackArtifact } from '../../../localstack/platform/cloud-assembly';
import { nameResources } from '../../../localstack/platform/physical-names';
import { provisionStack } from '../../../localstack/platform/provision';

// An endpoint that answers every call the way LocalStack's free tier answers a paid service.
let server: http.Server;
let endpoint: string;

beforeAll(async () => {
  server = http.createServer((_request, response) => {
    response.writeHead(501, {
      'content-type': 'application/json',
      'x-amzn-errortype': 'InternalFailure',
    });
    response.end(
      JSON.stringify({
        __type: 'InternalFailure',
        message: 'API for service is either not included in your current license plan',
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const stack = (resources: StackArtifact['template']['Resources']): StackArtifact => ({
  stackName: 'Demo',
  assemblyDir: '/nowhere',
  template: { Resources: resources },
});
const settings = () => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  maxAttempts: 1,
});

describe('provisioning against an emulator that lacks a service', () => {
  it('runs on without Cloud Map and AppConfig, saying so once per service', async () => {
    const written = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const artifact = stack({
        Namespace: { Type: 'AWS::ServiceDiscovery::HttpNamespace', Properties: { Name: 'demo' } },
        Service: {
          Type: 'AWS::ServiceDiscovery::Service',
          Properties: { Name: 'svc', NamespaceId: { 'Fn::GetAtt': ['Namespace', 'Id'] } },
        },
        Application: { Type: 'AWS::AppConfig::Application', Properties: { Name: 'demo' } },
      });
      const created = await provisionStack(
        artifact,
        nameResources(artifact, { region: 'us-east-1', accountId: '123456789012' }),
        settings(),
      );
      expect(created).toEqual([]);
      const messages = written.mock.calls.map(([chunk]) => String(chunk));
      expect(messages.filter((m) => m.includes('ServiceDiscovery is not available'))).toHaveLength(
        1,
      );
      expect(messages.filter((m) => m.includes('AppConfig is not available'))).toHaveLength(1);
    } finally {
      written.mockRestore();
    }
  });

  it('refuses to start without a service the platform cannot run without (DynamoDB)', async () => {
    const artifact = stack({
      Table: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        },
      },
    });
    await expect(
      provisionStack(
        artifact,
        nameResources(artifact, { region: 'us-east-1', accountId: '123456789012' }),
        settings(),
      ),
    ).rejects.toThrow();
  });
});
