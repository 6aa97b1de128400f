import { randomUUID } from 'node:crypto';
import {
  AppConfigClient,
  CreateApplicationCommand,
  CreateConfigurationProfileCommand,
  CreateHostedConfigurationVersionCommand,
  GetHostedConfigurationVersionCommand,
} from '@aws-sdk/client-appconfig';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationAdmin, SECRET_PLACEHOLDER } from '../../../functions/admin/configuration';
import { ProblemError } from '../../../functions/runtime/http/problem';
import { emulatorClientConfig } from '../aws-clients';

const ROOT = `/shop-${randomUUID().slice(0, 8)}/prod`;
let ssm: SSMClient;
let appConfig: AppConfigClient;
let applicationId: string;
let profileId: string;
let admin: ConfigurationAdmin;

const FLAGS = {
  version: '1',
  flags: {
    recommendations: { name: 'recommendations', description: 'enrich answers' },
    ranking: { name: 'ranking' },
  },
  values: { recommendations: { enabled: true }, ranking: { enabled: false } },
};

beforeAll(async () => {
  ssm = new SSMClient(emulatorClientConfig());
  appConfig = new AppConfigClient(emulatorClientConfig());
  const put = (name: string, value: string, type: 'String' | 'SecureString' = 'String') =>
    ssm.send(new PutParameterCommand({ Name: `${ROOT}/${name}`, Value: value, Type: type }));
  await put('reading-list/page-size', '20');
  await put('reading-list/db/password', 'hunter2-secret', 'SecureString');
  await put('shared/region-label', 'EU');
  await put('_platform/route-scopes/_platform/0', '[]');
  applicationId = (
    await appConfig.send(new CreateApplicationCommand({ Name: `shop-${randomUUID()}` }))
  ).Id!;
  profileId = (
    await appConfig.send(
      new CreateConfigurationProfileCommand({
        ApplicationId: applicationId,
        Name: 'features',
        LocationUri: 'hosted',
        Type: 'AWS.AppConfig.FeatureFlags',
      }),
    )
  ).Id!;
  await appConfig.send(
    new CreateConfigurationProfileCommand({
      ApplicationId: applicationId,
      Name: 'limits',
      LocationUri: 'hosted',
      Type: 'AWS.Freeform',
    }),
  );
  await appConfig.send(
    new CreateHostedConfigurationVersionCommand({
      ApplicationId: applicationId,
      ConfigurationProfileId: profileId,
      Content: new TextEncoder().encode(JSON.stringify(FLAGS)),
      ContentType: 'application/json',
    }),
  );
  admin = new ConfigurationAdmin({
    ssm,
    appConfig,
    rootPath: ROOT,
    application: applicationId,
    environment: 'prod',
    deploymentStrategy: 'strategy-1',
  });
});

afterAll(() => {
  ssm.destroy();
  appConfig.destroy();
});

async function problemOf(work: Promise<unknown>): Promise<number> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return (error as ProblemError).problem.status;
}

describe('ConfigurationAdmin against the emulator', () => {
  it('lists every service’s values under the platform’s root, secrets masked, internals left out', async () => {
    const values = await admin.values();
    expect(values.map(({ service, name, value }) => ({ service, name, value }))).toEqual([
      { service: 'reading-list', name: 'db/password', value: SECRET_PLACEHOLDER },
      { service: 'reading-list', name: 'page-size', value: '20' },
      { service: 'shared', name: 'region-label', value: 'EU' },
    ]);
    expect(values[1].version).toBe(1);
    expect(Number.isNaN(Date.parse(values[1].lastModified ?? ''))).toBe(false);
    expect(JSON.stringify(values)).not.toContain('hunter2');
  });

  it('lists the flags of feature-flag profiles only, with their state', async () => {
    expect(await admin.flags()).toEqual([
      { service: 'features', name: 'recommendations', enabled: true },
      { service: 'features', name: 'ranking', enabled: false },
    ]);
  });

  it('switches a flag as a new hosted version that keeps the other flags and definitions', async () => {
    const result = await admin.setFlag('features', 'recommendations', false);
    expect(result.version).toBe(2);
    expect(await admin.flags()).toEqual([
      { service: 'features', name: 'recommendations', enabled: false },
      { service: 'features', name: 'ranking', enabled: false },
    ]);
    const stored = await appConfig.send(
      new GetHostedConfigurationVersionCommand({
        ApplicationId: applicationId,
        ConfigurationProfileId: profileId,
        VersionNumber: 2,
      }),
    );
    expect(JSON.parse(new TextDecoder().decode(stored.Content))).toEqual({
      ...FLAGS,
      values: { recommendations: { enabled: false }, ranking: { enabled: false } },
    });
    expect((await admin.setFlag('features', 'recommendations', true)).version).toBe(3);
  });

  it('answers 404 for an unknown flag or profile (a free-form profile has no flags), changing nothing', async () => {
    expect(await problemOf(admin.setFlag('features', 'nope', true))).toBe(404);
    expect(await problemOf(admin.setFlag('limits', 'recommendations', true))).toBe(404);
    expect(await problemOf(admin.setFlag('__proto__', 'recommendations', true))).toBe(404);
    expect((await admin.flags()).map((flag) => flag.enabled)).toEqual([true, false]);
  });

  it('answers 503 for a switch when the platform has no AppConfig application, and lists no flags', async () => {
    const bare = new ConfigurationAdmin({ ssm, appConfig, rootPath: ROOT });
    expect(await bare.flags()).toEqual([]);
    expect(await problemOf(bare.setFlag('features', 'recommendations', true))).toBe(503);
  });
});
