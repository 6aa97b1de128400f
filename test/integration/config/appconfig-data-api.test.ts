import { randomUUID } from 'node:crypto';
import { AppConfigProvider } from '@aws-lambda-powertools/parameters/appconfig';
import {
  AppConfigClient,
  CreateApplicationCommand,
  CreateConfigurationProfileCommand,
  CreateHostedConfigurationVersionCommand,
  DeleteHostedConfigurationVersionCommand,
} from '@aws-sdk/client-appconfig';
import {
  AppConfigDataClient,
  BadRequestException,
  GetLatestConfigurationCommand,
  ResourceNotFoundException,
  StartConfigurationSessionCommand,
} from '@aws-sdk/client-appconfigdata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigReader } from '../../../functions/runtime/config';
import { ManualClock } from '../../../functions/runtime/resilience/clock';
import { LocalAppConfigDataApi } from '../../../localstack/platform/appconfig-data-api';
import { emulatorClientConfig, emulatorEndpoint } from '../aws-clients';

const APPLICATION = `shop-${randomUUID().slice(0, 8)}`;
const ENVIRONMENT = 'dev';

let controlPlane: AppConfigClient;
let api: LocalAppConfigDataApi;
let endpoint: string;
let dataPlane: AppConfigDataClient;
let applicationId: string;

async function createProfile(name: string, type: string): Promise<string> {
  const profile = await controlPlane.send(
    new CreateConfigurationProfileCommand({
      ApplicationId: applicationId,
      Name: name,
      LocationUri: 'hosted',
      Type: type,
    }),
  );
  return profile.Id!;
}

async function hostVersion(profileId: string, document: unknown): Promise<number> {
  const version = await controlPlane.send(
    new CreateHostedConfigurationVersionCommand({
      ApplicationId: applicationId,
      ConfigurationProfileId: profileId,
      Content: new TextEncoder().encode(JSON.stringify(document)),
      ContentType: 'application/json',
    }),
  );
  return version.VersionNumber!;
}

async function startSession(profile: string, application = APPLICATION): Promise<string> {
  const session = await dataPlane.send(
    new StartConfigurationSessionCommand({
      ApplicationIdentifier: application,
      EnvironmentIdentifier: ENVIRONMENT,
      ConfigurationProfileIdentifier: profile,
      RequiredMinimumPollIntervalInSeconds: 15,
    }),
  );
  return session.InitialConfigurationToken!;
}

function text(bytes: Uint8Array | undefined): string {
  return new TextDecoder().decode(bytes ?? new Uint8Array());
}

beforeAll(async () => {
  const config = emulatorClientConfig();
  controlPlane = new AppConfigClient(config);
  applicationId = (await controlPlane.send(new CreateApplicationCommand({ Name: APPLICATION })))
    .Id!;
  // It reads moto's own API for applications (moto has no ListApplications): give it the URL.
  api = new LocalAppConfigDataApi({ ...config, endpoint: emulatorEndpoint('AppConfig') });
  endpoint = await api.listen();
  dataPlane = new AppConfigDataClient({ ...config, endpoint });
});

afterAll(async () => {
  dataPlane.destroy();
  controlPlane.destroy();
  await api.close();
});

describe('LocalAppConfigDataApi with @aws-sdk/client-appconfigdata', () => {
  it('serves the latest hosted version, nothing while unchanged, and a new version when there is one', async () => {
    const profileId = await createProfile('ranking', 'AWS.Freeform');
    await hostVersion(profileId, { algorithm: 'popularity' });

    const first = await dataPlane.send(
      new GetLatestConfigurationCommand({ ConfigurationToken: await startSession('ranking') }),
    );
    expect(text(first.Configuration)).toBe('{"algorithm":"popularity"}');
    expect(first.ContentType).toBe('application/json');
    expect(first.NextPollIntervalInSeconds).toBe(15);
    expect(first.NextPollConfigurationToken).toEqual(expect.any(String));

    const unchanged = await dataPlane.send(
      new GetLatestConfigurationCommand({ ConfigurationToken: first.NextPollConfigurationToken }),
    );
    expect(text(unchanged.Configuration)).toBe('');

    await hostVersion(profileId, { algorithm: 'recency' });
    const changed = await dataPlane.send(
      new GetLatestConfigurationCommand({
        ConfigurationToken: unchanged.NextPollConfigurationToken,
      }),
    );
    expect(text(changed.Configuration)).toBe('{"algorithm":"recency"}');
  });

  it('accepts application and profile IDs as well as names', async () => {
    const profileId = await createProfile('by-id', 'AWS.Freeform');
    await hostVersion(profileId, { ok: true });

    const answer = await dataPlane.send(
      new GetLatestConfigurationCommand({
        ConfigurationToken: await startSession(profileId, applicationId),
      }),
    );

    expect(JSON.parse(text(answer.Configuration))).toEqual({ ok: true });
  });

  it('serves the highest version left after the latest is deleted', async () => {
    const profileId = await createProfile('rollback', 'AWS.Freeform');
    await hostVersion(profileId, { v: 1 });
    const second = await hostVersion(profileId, { v: 2 });
    await dataPlane.send(
      new GetLatestConfigurationCommand({ ConfigurationToken: await startSession('rollback') }),
    );

    await controlPlane.send(
      new DeleteHostedConfigurationVersionCommand({
        ApplicationId: applicationId,
        ConfigurationProfileId: profileId,
        VersionNumber: second,
      }),
    );
    const answer = await dataPlane.send(
      new GetLatestConfigurationCommand({ ConfigurationToken: await startSession('rollback') }),
    );

    expect(JSON.parse(text(answer.Configuration))).toEqual({ v: 1 });
  });

  it('answers a feature-flag profile in the simplified data-plane form', async () => {
    const profileId = await createProfile('features', 'AWS.AppConfig.FeatureFlags');
    await hostVersion(profileId, {
      version: '1',
      flags: {
        'new-ranking': {
          name: 'New ranking',
          attributes: { weight: { constraints: { type: 'number' } } },
        },
        'dark-mode': { name: 'Dark mode' },
        'never-set': { name: 'No value entry' },
      },
      values: {
        'new-ranking': { enabled: true, weight: 5, _createdAt: '2030-01-01T00:00:00Z' },
        'dark-mode': { enabled: false },
      },
    });

    const answer = await dataPlane.send(
      new GetLatestConfigurationCommand({ ConfigurationToken: await startSession('features') }),
    );

    expect(answer.ContentType).toBe('application/json');
    expect(JSON.parse(text(answer.Configuration))).toEqual({
      'new-ranking': { enabled: true, weight: 5 },
      'dark-mode': { enabled: false },
      'never-set': { enabled: false },
    });
  });

  it('answers unknown resources with 404 and bad requests with 400, as AppConfigData does', async () => {
    await expect(startSession('ranking', 'no-such-application')).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    const missingProfile = await startSession('no-such-profile').catch((e: unknown) => e);
    expect(missingProfile).toBeInstanceOf(ResourceNotFoundException);
    expect((missingProfile as ResourceNotFoundException).ResourceType).toBe('ConfigurationProfile');

    const tooFast = await dataPlane
      .send(
        new StartConfigurationSessionCommand({
          ApplicationIdentifier: APPLICATION,
          EnvironmentIdentifier: ENVIRONMENT,
          ConfigurationProfileIdentifier: 'ranking',
          RequiredMinimumPollIntervalInSeconds: 1,
        }),
      )
      .catch((e: unknown) => e);
    expect(tooFast).toBeInstanceOf(BadRequestException);
    expect((tooFast as BadRequestException).Details?.InvalidParameters).toEqual({
      RequiredMinimumPollIntervalInSeconds: { Problem: 'Corrupted' },
    });

    await expect(
      dataPlane.send(new GetLatestConfigurationCommand({ ConfigurationToken: 'not-a-token' })),
    ).rejects.toBeInstanceOf(BadRequestException);

    const raw = await fetch(`${endpoint}/configuration?configuration_token=not-a-token`);
    expect(raw.status).toBe(400);
    expect(raw.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    expect(await raw.json()).toEqual({
      Message: 'Request includes an invalid or expired configuration token',
    });
  });
});

describe('LocalAppConfigDataApi under Powertools AppConfigProvider and the ConfigReader', () => {
  it('serves the provider, and the reader follows a new version after its cache age', async () => {
    const profileId = await createProfile('limits', 'AWS.Freeform');
    await hostVersion(profileId, { maxItems: 5 });
    const provider = new AppConfigProvider({
      application: APPLICATION,
      environment: ENVIRONMENT,
      clientConfig: { ...emulatorClientConfig(), endpoint },
    });
    await expect(provider.get('limits', { transform: 'json', maxAge: 0 })).resolves.toEqual({
      maxItems: 5,
    });

    const clock = new ManualClock();
    const config = new ConfigReader({
      servicePath: '/shop/dev/reading-list',
      sharedPath: '/shop/dev/shared',
      appConfig: { application: APPLICATION, environment: ENVIRONMENT },
      appConfigProvider: provider,
      maxAgeSeconds: 30,
      clock,
    });
    const schema = z.object({ maxItems: z.number().int().max(50) });
    await expect(config.appConfig('limits', schema)).resolves.toEqual({ maxItems: 5 });

    await hostVersion(profileId, { maxItems: 8 });
    await expect(config.appConfig('limits', schema)).resolves.toEqual({ maxItems: 5 });
    clock.advance(30_000);
    await expect(config.appConfig('limits', schema)).resolves.toEqual({ maxItems: 8 });

    await hostVersion(profileId, { maxItems: 5000 });
    clock.advance(30_000);
    await expect(config.appConfig('limits', schema)).resolves.toEqual({ maxItems: 8 });
    expect(config.counts).toEqual({ storeReads: 3, rejected: 1 });
  });

  it('reads feature flags through the reader', async () => {
    const profileId = await createProfile('toggles', 'AWS.AppConfig.FeatureFlags');
    await hostVersion(profileId, {
      version: '1',
      flags: { 'fast-path': { name: 'Fast path' }, 'slow-path': { name: 'Slow path' } },
      values: { 'fast-path': { enabled: true } },
    });
    const config = new ConfigReader({
      servicePath: '/shop/dev/reading-list',
      sharedPath: '/shop/dev/shared',
      appConfig: { application: APPLICATION, environment: ENVIRONMENT },
      appConfigProvider: new AppConfigProvider({
        application: APPLICATION,
        environment: ENVIRONMENT,
        clientConfig: { ...emulatorClientConfig(), endpoint },
      }),
      clock: new ManualClock(),
    });

    await expect(config.featureFlag('toggles', 'fast-path')).resolves.toBe(true);
    await expect(config.featureFlag('toggles', 'slow-path')).resolves.toBe(false);
    expect(config.counts.storeReads).toBe(1);
  });
});
