/**
 * Cache effect of central configuration and discovery, as exact counts: how many of 1000 calls
 * (100 per second of simulated time, one fake clock) reach SSM or Cloud Map, against a reader or
 * client without a cache. The AWS clients are mocked at the SDK boundary to count requests.
 * Run alone with `npx tsx test/bench/config-discovery.bench.ts`.
 */
import { DiscoverInstancesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { z } from 'zod';
import { ConfigReader } from '../../functions/runtime/config/config-reader';
import { DiscoveryClient } from '../../functions/runtime/discovery/discovery-client';

const CALLS = 1000;
const CALL_SPACING_MS = 10;

async function configReads(maxAgeSeconds: number): Promise<number> {
  const ssm = new SSMClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const mock = mockClient(ssm);
  mock
    .on(GetParameterCommand)
    .resolves({ Parameter: { Name: '/p/dev/s/limit', Value: '3', Type: 'String' } });
  let now = 0;
  const reader = new ConfigReader({
    servicePath: '/p/dev/s',
    sharedPath: '/p/dev/shared',
    maxAgeSeconds,
    ssmProvider: new SSMProvider({ awsSdkV3Client: ssm }),
    clock: { now: () => now },
  });
  for (let call = 0; call < CALLS; call++, now += CALL_SPACING_MS) {
    await reader.parameter('limit', z.number());
  }
  return mock.commandCalls(GetParameterCommand).length;
}

async function discoveryLookups(cacheMs: number): Promise<number> {
  const client = new ServiceDiscoveryClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const mock = mockClient(client);
  mock.on(DiscoverInstancesCommand).resolves({
    Instances: [
      {
        InstanceId: 'a',
        HealthStatus: 'HEALTHY',
        Attributes: { functionName: 'fn-a', weight: '90' },
      },
      {
        InstanceId: 'b',
        HealthStatus: 'HEALTHY',
        Attributes: { functionName: 'fn-b', weight: '10' },
      },
    ],
  });
  let now = 0;
  const discovery = new DiscoveryClient({
    namespace: 'p-dev',
    client,
    cacheMs,
    clock: { now: () => now },
  });
  for (let call = 0; call < CALLS; call++, now += CALL_SPACING_MS) {
    await discovery.choose('recommendations');
  }
  return mock.commandCalls(DiscoverInstancesCommand).length;
}

export async function run(): Promise<string[]> {
  const cachedConfig = await configReads(30);
  const uncachedConfig = await configReads(0);
  const cachedLookups = await discoveryLookups(5000);
  const uncachedLookups = await discoveryLookups(0);
  const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : (a / b).toFixed(3));
  return [
    `bench config-reads-reaching-ssm ${cachedConfig} reads/1000calls vs no-cache ${uncachedConfig} ratio ${ratio(cachedConfig, uncachedConfig)}`,
    `bench discovery-lookups ${cachedLookups} lookups/1000calls vs no-cache ${uncachedLookups} ratio ${ratio(cachedLookups, uncachedLookups)}`,
  ];
}

if (require.main === module) {
  run().then((lines) => console.log(lines.join('\n')));
}
