import {
  AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  ListConfigurationProfilesCommand,
} from '@aws-sdk/client-appconfig';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListNamespacesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
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

interface Answer {
  recommendations: unknown[] | null;
  notice?: string;
}

interface ServiceView {
  name: string;
  instances: { id: string; attributes: Record<string, string>; health: string }[];
}

let platform: PlatformProcess;
let admin: string;
let reader: string;
let aws: {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
};

const PARAMETER = '/msa-demo/dev/reading-list/max-recommendations';
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function readingList(): Promise<Answer> {
  const response = await fetch(`${platform.baseUrl}/reading-list?userId=linus`, {
    headers: auth(reader),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Answer;
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  return (await eventually(probe, done)).last;
}

async function services(): Promise<ServiceView[]> {
  const response = await fetch(`${platform.baseUrl}/admin/services`, { headers: auth(admin) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { services: ServiceView[] }).services;
}

async function runControlLoop(): Promise<{
  services: { name: string; instances: { status: string; reason?: string }[] }[];
}> {
  const fn = platform.document.functions.find((f) => f.label === 'control-loop')!;
  const lambda = new LambdaClient({
    endpoint: platform.document.lambdaEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: platform.document.operatorAccessKeyId, secretAccessKey: 'local' },
  });
  const output = await lambda.send(
    new InvokeCommand({
      FunctionName: fn.functionName,
      Payload: Buffer.from('{"action":"probe"}'),
    }),
  );
  expect(output.FunctionError).toBeUndefined();
  return JSON.parse(Buffer.from(output.Payload!).toString());
}

beforeAll(async () => {
  platform = await startPlatformProcess({}, mkdtempSync(path.join(tmpdir(), 'msa-e2e-config-')));
  aws = {
    endpoint: platform.document.awsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  admin = await requestToken(platform, 'demo-admin');
  reader = await requestToken(platform, 'demo-full');
});

afterAll(async () => {
  await platform?.stop();
});

describe('central configuration, discovery and health under npm start', () => {
  it('holds the platform’s parameters and registrations in the emulator', async () => {
    const { Parameter } = await new SSMClient(aws).send(
      new GetParameterCommand({ Name: PARAMETER }),
    );
    expect(Parameter?.Value).toBe('3');
    const { Namespaces } = await new ServiceDiscoveryClient(aws).send(
      new ListNamespacesCommand({}),
    );
    expect(Namespaces?.map((namespace) => namespace.Name)).toContain('msa-demo-dev');
  });

  it('lists both sample services with healthy instances and their attributes at /admin/services', async () => {
    const listed = await services();
    expect(listed.map((service) => service.name).sort()).toEqual([
      'reading-list',
      'recommendations',
    ]);
    for (const service of listed) {
      expect(service.instances).toHaveLength(1);
      expect(service.instances[0]).toMatchObject({
        health: 'HEALTHY',
        attributes: { basePath: `/${service.name}`, version: '1', stage: 'dev', weight: '100' },
      });
    }
  });

  it('reports the reading-list’s dependencies on its health route', async () => {
    const response = await fetch(`${platform.baseUrl}/reading-list/health`);
    expect(await response.json()).toMatchObject({
      status: 'UP',
      components: { table: { status: 'UP' }, config: { status: 'UP' } },
    });
  });

  it('follows a changed parameter within the cache age, and keeps the last good value when the new one is invalid', async () => {
    expect((await readingList()).recommendations).toHaveLength(3);
    const ssm = new SSMClient(aws);
    await ssm.send(
      new PutParameterCommand({ Name: PARAMETER, Value: '1', Type: 'String', Overwrite: true }),
    );
    await until(readingList, (answer) => answer.recommendations?.length === 1);

    await ssm.send(
      new PutParameterCommand({ Name: PARAMETER, Value: 'lots', Type: 'String', Overwrite: true }),
    );
    const logFile = platform.document.functions.find((f) => f.label === 'reading-list')!.logFile;
    const rejected = () => readFileSync(logFile, 'utf8').includes('max-recommendations');
    const answer = await until(readingList, () => rejected());
    expect(answer.recommendations).toHaveLength(1);
    expect(readFileSync(logFile, 'utf8')).not.toContain('"lots"');
    await ssm.send(
      new PutParameterCommand({ Name: PARAMETER, Value: '3', Type: 'String', Overwrite: true }),
    );
    await until(readingList, (latest) => latest.recommendations?.length === 3);
  });

  it('switches recommendations off and on with a feature flag, without a restart', async () => {
    const appconfig = new AppConfigClient(aws);
    const application = await applicationAndProfile(appconfig);
    const flags = (enabled: boolean) =>
      new TextEncoder().encode(
        JSON.stringify({
          version: '1',
          flags: { recommendations: { name: 'recommendations' } },
          values: { recommendations: { enabled } },
        }),
      );
    await appconfig.send(
      new CreateHostedConfigurationVersionCommand({
        ...application,
        Content: flags(false),
        ContentType: 'application/json',
      }),
    );
    const off = await until(
      readingList,
      (answer) => answer.notice === 'Recommendations are switched off.',
    );
    expect(off.recommendations).toBeNull();
    await appconfig.send(
      new CreateHostedConfigurationVersionCommand({
        ...application,
        Content: flags(true),
        ContentType: 'application/json',
      }),
    );
    await until(readingList, (answer) => Array.isArray(answer.recommendations));
  });

  it('marks an instance whose table is gone UNHEALTHY, so discovery skips it, and HEALTHY again once it is back', async () => {
    const dynamodb = new DynamoDBClient(aws);
    const tableName = recommendationsTable();
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));

    const down = await runControlLoop();
    const recommendations = down.services.find((service) => service.name === 'recommendations')!;
    expect(recommendations.instances[0]).toMatchObject({ status: 'UNHEALTHY' });
    expect(
      (await services()).find((service) => service.name === 'recommendations')!.instances[0].health,
    ).toBe('UNHEALTHY');
    const skipped = await until(readingList, (answer) => answer.recommendations === null);
    expect(skipped.notice).toMatch(/under maintenance/);

    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: Table!.KeySchema,
        AttributeDefinitions: Table!.AttributeDefinitions,
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const up = await runControlLoop();
    expect(
      up.services.find((service) => service.name === 'recommendations')!.instances[0],
    ).toMatchObject({ status: 'HEALTHY' });
    await until(readingList, (answer) => Array.isArray(answer.recommendations));
  });
});

async function applicationAndProfile(appconfig: AppConfigClient) {
  const readingList = platform.document.functions.find((f) => f.label === 'reading-list')!;
  const applicationId = functionEnvironment(readingList.functionName).APPCONFIG_APPLICATION;
  const { Items } = await appconfig.send(
    new ListConfigurationProfilesCommand({ ApplicationId: applicationId }),
  );
  return {
    ApplicationId: applicationId,
    ConfigurationProfileId: Items!.find((item) => item.Name === 'features')!.Id!,
  };
}

function recommendationsTable(): string {
  const fn = platform.document.functions.find((f) => f.label === 'recommendations')!;
  return functionEnvironment(fn.functionName).TABLE_NAME;
}

function functionEnvironment(functionName: string): Record<string, string> {
  return platform.document.functions.find((f) => f.functionName === functionName)!.environment;
}
