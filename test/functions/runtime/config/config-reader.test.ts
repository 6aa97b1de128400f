import type { Metrics } from '@aws-lambda-powertools/metrics';
import { AppConfigProvider } from '@aws-lambda-powertools/parameters/appconfig';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import {
  AppConfigDataClient,
  GetLatestConfigurationCommand,
  StartConfigurationSessionCommand,
} from '@aws-sdk/client-appconfigdata';
import {
  GetParameterCommand,
  GetParametersByPathCommand,
  ParameterNotFound,
  SSMClient,
  ThrottlingException,
} from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  ConfigReader,
  type ConfigLogger,
  type ConfigReaderOptions,
} from '../../../../functions/runtime/config';
import { ManualClock } from '../../../../functions/runtime/resilience/clock';
import { checkHealth } from '../../../../functions/runtime/service/health';

const SERVICE_PATH = '/shop/dev/reading-list';
const SHARED_PATH = '/shop/dev/shared';
const credentials = { accessKeyId: 'unit', secretAccessKey: 'unit' };

/** The SSM parameter store as the mocked client sees it; a test edits it between reads. */
let store: Map<string, string>;
let ssmClient: SSMClient;
let ssm: AwsClientStub<SSMClient>;
let clock: ManualClock;
let logger: { warn: Mock<ConfigLogger['warn']> };
let metrics: { addMetric: Mock<Metrics['addMetric']> };

function reader(options: Partial<ConfigReaderOptions> = {}): ConfigReader {
  return new ConfigReader({
    servicePath: SERVICE_PATH,
    sharedPath: SHARED_PATH,
    maxAgeSeconds: 30,
    ssmProvider: new SSMProvider({ awsSdkV3Client: ssmClient }),
    clock,
    logger,
    metrics,
    ...options,
  });
}

/** The ConfigError a read rejects with (fails the test if it resolves). */
async function failure(read: Promise<unknown>): Promise<ConfigError> {
  const outcome = await read.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error('expected the read to fail');
  expect(outcome.error).toBeInstanceOf(ConfigError);
  return outcome.error as ConfigError;
}

function ssmReads(): number {
  return ssm.commandCalls(GetParameterCommand).length;
}

beforeEach(() => {
  store = new Map();
  ssmClient = new SSMClient({ region: 'eu-west-1', credentials });
  ssm = mockClient(ssmClient);
  ssm.on(GetParameterCommand).callsFake(async (input: { Name: string }) => {
    const value = store.get(input.Name);
    if (value === undefined) {
      throw new ParameterNotFound({ message: 'Parameter not found', $metadata: {} });
    }
    return { Parameter: { Name: input.Name, Value: value, Type: 'String' } };
  });
  clock = new ManualClock();
  logger = { warn: vi.fn<ConfigLogger['warn']>() };
  metrics = { addMetric: vi.fn<Metrics['addMetric']>() };
});

describe('ConfigReader.parameter', () => {
  it('reads service-own and shared parameters, as text for string schemas and JSON otherwise', async () => {
    store.set(`${SERVICE_PATH}/greeting`, 'hello');
    store.set(`${SERVICE_PATH}/limits`, '{"pageSize":25}');
    store.set(`${SERVICE_PATH}/timeout-ms`, '1500');
    store.set(`${SHARED_PATH}/issuer`, 'https://auth.example');
    store.set(`${SERVICE_PATH}/regions`, 'eu-west-1,eu-central-1');
    const config = reader();

    await expect(config.parameter('greeting', z.string())).resolves.toBe('hello');
    await expect(
      config.parameter('limits', z.object({ pageSize: z.number().int() })),
    ).resolves.toEqual({ pageSize: 25 });
    await expect(config.parameter('timeout-ms', z.number())).resolves.toBe(1500);
    await expect(config.parameter('issuer', z.url(), { shared: true })).resolves.toBe(
      'https://auth.example',
    );
    await expect(
      config.parameter('regions', z.array(z.string()), { format: 'list' }),
    ).resolves.toEqual(['eu-west-1', 'eu-central-1']);
    expect(config.parameterName('issuer', { shared: true })).toBe(`${SHARED_PATH}/issuer`);
  });

  it('asks SSM at most once per value per cache age, and sees a change after it', async () => {
    store.set(`${SERVICE_PATH}/page-size`, '10');
    const config = reader();

    for (let call = 0; call < 100; call += 1) {
      await expect(config.parameter('page-size', z.number())).resolves.toBe(10);
    }
    expect(ssmReads()).toBe(1);

    store.set(`${SERVICE_PATH}/page-size`, '20');
    clock.advance(29_999);
    await expect(config.parameter('page-size', z.number())).resolves.toBe(10);
    expect(ssmReads()).toBe(1);

    clock.advance(1);
    await expect(config.parameter('page-size', z.number())).resolves.toBe(20);
    expect(ssmReads()).toBe(2);
    expect(config.counts).toEqual({ storeReads: 2, rejected: 0 });
  });

  it('lets concurrent callers share one read when the value is due', async () => {
    store.set(`${SERVICE_PATH}/page-size`, '10');
    const config = reader();

    const values = await Promise.all(
      Array.from({ length: 20 }, () => config.parameter('page-size', z.number())),
    );

    expect(values).toEqual(Array(20).fill(10));
    expect(ssmReads()).toBe(1);
  });

  it('reads every time with maxAgeSeconds 0', async () => {
    store.set(`${SERVICE_PATH}/page-size`, '10');
    const config = reader({ maxAgeSeconds: 0 });

    await config.parameter('page-size', z.number());
    await config.parameter('page-size', z.number());

    expect(ssmReads()).toBe(2);
  });

  it('keeps the last good value when a new one fails its schema, and reports it once', async () => {
    const name = `${SERVICE_PATH}/page-size`;
    const schema = z.number().int().min(1);
    store.set(name, '10');
    const config = reader();
    await expect(config.parameter('page-size', schema)).resolves.toBe(10);

    store.set(name, '-5');
    clock.advance(30_000);
    await expect(config.parameter('page-size', schema)).resolves.toBe(10);
    clock.advance(30_000);
    await expect(config.parameter('page-size', schema)).resolves.toBe(10);

    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][1]).toEqual({
      source: name,
      problem: expect.stringContaining('does not match its schema'),
    });
    expect(metrics.addMetric).toHaveBeenCalledTimes(1);
    expect(metrics.addMetric).toHaveBeenCalledWith('ConfigRejected', 'Count', 1);
    expect(config.counts).toEqual({ storeReads: 3, rejected: 1 });

    store.set(name, '12');
    clock.advance(30_000);
    await expect(config.parameter('page-size', schema)).resolves.toBe(12);
  });

  it('keeps the last good value when the new one is not JSON', async () => {
    const name = `${SERVICE_PATH}/limits`;
    const schema = z.object({ pageSize: z.number() });
    store.set(name, '{"pageSize":25}');
    const config = reader();
    await config.parameter('limits', schema);

    store.set(name, '{"pageSize":');
    clock.advance(30_000);

    await expect(config.parameter('limits', schema)).resolves.toEqual({ pageSize: 25 });
    expect(logger.warn.mock.calls[0][1]).toEqual({ source: name, problem: 'is not valid JSON' });
  });

  it('keeps the last good value when the parameter disappears or SSM fails', async () => {
    const name = `${SERVICE_PATH}/greeting`;
    store.set(name, 'hello');
    const config = reader();
    await config.parameter('greeting', z.string());

    store.delete(name);
    clock.advance(30_000);
    await expect(config.parameter('greeting', z.string())).resolves.toBe('hello');
    expect(logger.warn.mock.calls[0][1]).toEqual({ source: name, problem: 'does not exist' });

    ssm.on(GetParameterCommand).rejects(
      new ThrottlingException({
        message: 'Rate exceeded',
        Message: 'Rate exceeded',
        $metadata: {},
      }),
    );
    clock.advance(30_000);
    await expect(config.parameter('greeting', z.string())).resolves.toBe('hello');
    expect(logger.warn.mock.calls[1][1]).toEqual({
      source: name,
      problem: 'could not be read (ThrottlingException)',
    });
    expect(config.counts.rejected).toBe(2);
  });

  it('fails clearly when there is no good value yet, without asking SSM on every call', async () => {
    const config = reader();

    const missing = await failure(config.parameter('absent', z.string()));
    expect(missing.message).toBe(`configuration ${SERVICE_PATH}/absent: does not exist`);
    await expect(config.parameter('absent', z.string())).rejects.toThrow(ConfigError);
    expect(ssmReads()).toBe(1);

    store.set(`${SERVICE_PATH}/page-size`, 'ten');
    await expect(config.parameter('page-size', z.number())).rejects.toThrow(
      `configuration ${SERVICE_PATH}/page-size: is not valid JSON`,
    );
    store.set(`${SERVICE_PATH}/limits`, '{"pageSize":"many"}');
    await expect(config.parameter('limits', z.object({ pageSize: z.number() }))).rejects.toThrow(
      /limits: does not match its schema \(pageSize: Invalid input: expected number/,
    );
    expect(logger.warn).not.toHaveBeenCalled();

    store.set(`${SERVICE_PATH}/absent`, 'now here');
    clock.advance(30_000);
    await expect(config.parameter('absent', z.string())).resolves.toBe('now here');
  });

  it('never puts a secret value in an error or a log line', async () => {
    const secret = 'sk_live_7Hq2-very-secret';
    const name = `${SERVICE_PATH}/api-key`;
    ssm
      .on(GetParameterCommand)
      .callsFake(async (input: { Name: string; WithDecryption?: boolean }) => ({
        Parameter: {
          Name: input.Name,
          Type: 'SecureString',
          Value: input.WithDecryption ? store.get(input.Name) : 'AQICAHh-ciphertext',
        },
      }));
    // A schema whose own message would quote the value.
    const schema = z.string().refine((value) => value.startsWith('sk_test_'), {
      error: (issue) => `expected a test key, got ${String(issue.input)}`,
    });
    const config = reader();

    store.set(name, secret);
    const first = await failure(config.parameter('api-key', schema, { decrypt: true }));
    expect(first.message).not.toContain(secret);
    expect(first.message).toContain('(value): custom');
    expect(ssm.commandCalls(GetParameterCommand)[0].args[0].input.WithDecryption).toBe(true);

    store.set(name, 'sk_test_good');
    clock.advance(30_000);
    await expect(config.parameter('api-key', schema, { decrypt: true })).resolves.toBe(
      'sk_test_good',
    );

    store.set(name, secret);
    clock.advance(30_000);
    await expect(config.parameter('api-key', schema, { decrypt: true })).resolves.toBe(
      'sk_test_good',
    );
    expect(JSON.stringify(logger.warn.mock.calls)).not.toContain(secret);

    // JSON.parse's own message would quote the text: it is not passed on either.
    store.set(`${SERVICE_PATH}/db`, `{"password": ${secret}}`);
    const json = await failure(
      config.parameter('db', z.object({ password: z.string() }), { decrypt: true }),
    );
    expect(json.message).toBe(`configuration ${SERVICE_PATH}/db: is not valid JSON`);
  });
});

describe('ConfigReader.appConfig and featureFlag', () => {
  const APPLICATION = 'shop';
  const ENVIRONMENT = 'dev';
  let dataClient: AppConfigDataClient;
  let data: AwsClientStub<AppConfigDataClient>;
  /** What the data plane answers next, per profile; `undefined` answers "unchanged" (empty). */
  let documents: Map<string, string | undefined>;

  function appConfigReader(): ConfigReader {
    return reader({
      appConfig: { application: APPLICATION, environment: ENVIRONMENT },
      appConfigProvider: new AppConfigProvider({
        application: APPLICATION,
        environment: ENVIRONMENT,
        awsSdkV3Client: dataClient,
      }),
    });
  }

  beforeEach(() => {
    documents = new Map();
    dataClient = new AppConfigDataClient({ region: 'eu-west-1', credentials });
    data = mockClient(dataClient);
    data
      .on(StartConfigurationSessionCommand)
      .callsFake(async (input: { ConfigurationProfileIdentifier: string }) => ({
        InitialConfigurationToken: `token:${input.ConfigurationProfileIdentifier}:0`,
      }));
    data
      .on(GetLatestConfigurationCommand)
      .callsFake(async (input: { ConfigurationToken: string }) => {
        const [, profile, n] = input.ConfigurationToken.split(':');
        const document = documents.get(profile);
        documents.set(profile, undefined);
        return {
          NextPollConfigurationToken: `token:${profile}:${Number(n) + 1}`,
          NextPollIntervalInSeconds: 60,
          ContentType: 'application/json',
          Configuration: new TextEncoder().encode(document ?? ''),
        };
      });
  });

  it('reads a free-form profile as typed JSON, once per cache age', async () => {
    documents.set('ranking', '{"algorithm":"popularity","maxItems":5}');
    const schema = z.object({ algorithm: z.enum(['popularity', 'recency']), maxItems: z.number() });
    const config = appConfigReader();

    await expect(config.appConfig('ranking', schema)).resolves.toEqual({
      algorithm: 'popularity',
      maxItems: 5,
    });
    await config.appConfig('ranking', schema);
    expect(data.commandCalls(GetLatestConfigurationCommand)).toHaveLength(1);

    // Unchanged: the data plane answers an empty body and the last document stands.
    clock.advance(30_000);
    await expect(config.appConfig('ranking', schema)).resolves.toEqual({
      algorithm: 'popularity',
      maxItems: 5,
    });

    documents.set('ranking', '{"algorithm":"recency","maxItems":5}');
    clock.advance(30_000);
    await expect(config.appConfig('ranking', schema)).resolves.toMatchObject({
      algorithm: 'recency',
    });
    expect(data.commandCalls(StartConfigurationSessionCommand)).toHaveLength(1);
    expect(data.commandCalls(GetLatestConfigurationCommand)).toHaveLength(3);
    expect(config.counts.storeReads).toBe(3);
  });

  it('keeps the last good document when a new one fails its schema', async () => {
    const schema = z.object({ maxItems: z.number().max(50) });
    documents.set('ranking', '{"maxItems":5}');
    const config = appConfigReader();
    await config.appConfig('ranking', schema);

    documents.set('ranking', '{"maxItems":5000}');
    clock.advance(30_000);

    await expect(config.appConfig('ranking', schema)).resolves.toEqual({ maxItems: 5 });
    expect(logger.warn.mock.calls[0][1]).toMatchObject({
      source: 'appconfig:shop/dev/ranking',
      problem: expect.stringContaining('maxItems'),
    });
  });

  it('answers feature flags from the simplified data-plane document', async () => {
    documents.set(
      'features',
      JSON.stringify({
        'new-ranking': { enabled: true, weight: 5 },
        'dark-mode': { enabled: false },
      }),
    );
    const config = appConfigReader();

    await expect(config.featureFlag('features', 'new-ranking')).resolves.toBe(true);
    await expect(config.featureFlag('features', 'dark-mode')).resolves.toBe(false);
    await expect(config.featureFlags('features')).resolves.toMatchObject({
      'new-ranking': { enabled: true, weight: 5 },
    });
    await expect(config.featureFlag('features', 'toString')).rejects.toThrow(
      'configuration appconfig:shop/dev/features: has no flag "toString"',
    );
    await expect(config.featureFlag('features', 'beta', { default: false })).resolves.toBe(false);
    expect(data.commandCalls(GetLatestConfigurationCommand)).toHaveLength(1);
  });

  it('refuses a flag document that is not flags, when nothing good came before', async () => {
    documents.set('features', JSON.stringify({ 'new-ranking': { enabled: 'yes' } }));
    const config = appConfigReader();

    await expect(config.featureFlag('features', 'new-ranking')).rejects.toThrow(
      /appconfig:shop\/dev\/features: does not match its schema \(new-ranking\.enabled: /,
    );
  });

  it('says so when a profile has nothing deployed, and when AppConfig is not configured', async () => {
    const config = appConfigReader();
    await expect(config.appConfig('empty', z.object({}))).rejects.toThrow(
      'configuration appconfig:shop/dev/empty: has no deployed configuration',
    );
    await expect(reader().featureFlags('features')).rejects.toThrow(
      /AppConfig is not configured for this reader/,
    );
  });

  it("reads every flag as off, or as the caller's default, without AppConfig (a LocalStack target)", async () => {
    const config = reader();
    await expect(config.featureFlag('features', 'x')).resolves.toBe(false);
    await expect(config.featureFlag('features', 'x', { default: true })).resolves.toBe(true);
    await expect(config.featureFlag('features', 'x', { default: false })).resolves.toBe(false);
  });
});

describe('ConfigReader.healthCheck', () => {
  it('is UP when SSM answers for the service path, and lists values kept from before', async () => {
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    store.set(`${SERVICE_PATH}/page-size`, '10');
    const config = reader();
    await config.parameter('page-size', z.number());
    store.set(`${SERVICE_PATH}/page-size`, 'x');
    clock.advance(30_000);
    await config.parameter('page-size', z.number());

    const report = await checkHealth(
      { config: config.healthCheck() },
      { service: 's', version: '1' },
    );

    expect(report.components.config).toEqual({
      status: 'UP',
      details: { path: SERVICE_PATH, servingLastGood: [`${SERVICE_PATH}/page-size`] },
    });
    expect(ssm.commandCalls(GetParametersByPathCommand)[0].args[0].input).toMatchObject({
      Path: SERVICE_PATH,
      MaxResults: 1,
    });
  });

  it('is DOWN when SSM does not answer', async () => {
    ssm
      .on(GetParametersByPathCommand)
      .rejects(new ThrottlingException({ message: 'no', Message: 'no', $metadata: {} }));

    const report = await checkHealth(
      { config: reader().healthCheck() },
      { service: 's', version: '1' },
    );

    expect(report.components.config).toEqual({
      status: 'DOWN',
      details: { error: 'ThrottlingException' },
    });
  });
});
