import {
  AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  GetHostedConfigurationVersionCommand,
  ListConfigurationProfilesCommand,
  ListHostedConfigurationVersionsCommand,
  StartDeploymentCommand,
  type ConfigurationProfileSummary,
} from '@aws-sdk/client-appconfig';
import { GetParametersByPathCommand, SSMClient, type Parameter } from '@aws-sdk/client-ssm';
import { FEATURE_FLAGS_PROFILE_TYPE } from '../runtime/config';
import { notFound, ProblemError } from '../runtime/http/problem';

/** One value of the platform's parameter hierarchy, as the console lists it. */
export interface ConfigValue {
  readonly service: string;
  readonly name: string;
  readonly value: string;
  readonly version?: number;
  readonly lastModified?: string;
}

/** One flag of a feature-flag profile; `service` is the profile's name. */
export interface FeatureFlagView {
  readonly service: string;
  readonly name: string;
  readonly enabled: boolean;
}

export interface ConfigurationAdminOptions {
  readonly ssm: SSMClient;
  readonly appConfig: AppConfigClient;
  /** `/{platform}/{stage}`: every service's subtree and `shared`. */
  readonly rootPath: string;
  /** AppConfig application and environment IDs; unset: no flags. */
  readonly application?: string;
  readonly environment?: string;
  /** The platform's deployment strategy, used for every flag change. */
  readonly deploymentStrategy?: string;
}

/** Shown instead of a SecureString's value (never decrypted here). */
export const SECRET_PLACEHOLDER = '(secret)';

/** The AppConfig error types the control plane models; others mean "not implemented" (moto). */
const MODELED_ERRORS = new Set([
  'BadRequestException',
  'ConflictException',
  'InternalServerException',
  'PayloadTooLargeException',
  'ResourceNotFoundException',
  'ServiceQuotaExceededException',
]);

interface FlagsDocument {
  version?: string;
  flags?: Record<string, unknown>;
  values?: Record<string, { enabled?: boolean } & Record<string, unknown>>;
}

/**
 * The configuration page's data: the parameters under the platform's hierarchy (the platform's
 * own `_platform` subtree left out: those are its internals, not configuration) and the
 * feature flags of every `AWS.AppConfig.FeatureFlags` profile; a flag switch is a new hosted
 * version deployed with the platform's strategy.
 */
export class ConfigurationAdmin {
  constructor(private readonly options: ConfigurationAdminOptions) {}

  async values(): Promise<ConfigValue[]> {
    const root = this.options.rootPath.replace(/\/$/, '');
    const found: Parameter[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.options.ssm.send(
        new GetParametersByPathCommand({
          Path: root,
          Recursive: true,
          WithDecryption: false,
          NextToken,
        }),
      );
      found.push(...(page.Parameters ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return found
      .filter((parameter) => parameter.Name && !parameter.Name.startsWith(`${root}/_platform/`))
      .map((parameter) => {
        const [service, ...rest] = parameter.Name!.slice(root.length + 1).split('/');
        return {
          service,
          name: rest.join('/') || service,
          value: parameter.Type === 'SecureString' ? SECRET_PLACEHOLDER : (parameter.Value ?? ''),
          version: parameter.Version,
          lastModified: parameter.LastModifiedDate?.toISOString(),
        };
      })
      .sort((a, b) => a.service.localeCompare(b.service) || a.name.localeCompare(b.name));
  }

  async flags(): Promise<FeatureFlagView[]> {
    const views: FeatureFlagView[] = [];
    for (const profile of await this.flagProfiles()) {
      const latest = await this.latest(profile.Id!);
      if (!latest) continue;
      for (const name of Object.keys(latest.document.flags ?? {})) {
        views.push({
          service: profile.Name!,
          name,
          enabled: latest.document.values?.[name]?.enabled === true,
        });
      }
    }
    return views;
  }

  /**
   * Sets one flag: a new hosted version of its profile (the version read is named as the
   * latest, so a concurrent change answers 409), then a deployment with the platform's strategy.
   */
  async setFlag(
    profileName: string,
    flag: string,
    enabled: boolean,
  ): Promise<{ version: number; deploymentNumber?: number }> {
    const { application, environment, deploymentStrategy } = this.requireAppConfig();
    const profile = (await this.flagProfiles()).find((candidate) => candidate.Name === profileName);
    if (!profile?.Id) throw notFound(`No feature-flag profile named ${profileName}.`);
    const latest = await this.latest(profile.Id);
    if (!latest || !Object.hasOwn(latest.document.flags ?? {}, flag)) {
      throw notFound(`No flag ${flag} in ${profileName}.`);
    }
    const values = Object.assign(Object.create(null), latest.document.values) as NonNullable<
      FlagsDocument['values']
    >;
    values[flag] = { ...(values[flag] ?? {}), enabled };
    let version: number;
    try {
      const created = await this.options.appConfig.send(
        new CreateHostedConfigurationVersionCommand({
          ApplicationId: application,
          ConfigurationProfileId: profile.Id,
          ContentType: 'application/json',
          Content: new TextEncoder().encode(
            JSON.stringify({ ...latest.document, values: { ...values } }),
          ),
          LatestVersionNumber: latest.version,
          Description: `${flag} ${enabled ? 'on' : 'off'} (admin API)`,
        }),
      );
      version = created.VersionNumber!;
    } catch (error) {
      if ((error as Error).name === 'ConflictException') {
        throw new ProblemError({
          title: 'Conflict',
          status: 409,
          detail: `${profileName} changed meanwhile; read it again.`,
        });
      }
      throw error;
    }
    try {
      const deployment = await this.options.appConfig.send(
        new StartDeploymentCommand({
          ApplicationId: application,
          EnvironmentId: environment,
          ConfigurationProfileId: profile.Id,
          ConfigurationVersion: String(version),
          DeploymentStrategyId: deploymentStrategy,
          Description: `${profileName}/${flag} ${enabled ? 'on' : 'off'}`,
        }),
      );
      return { version, deploymentNumber: deployment.DeploymentNumber };
    } catch (error) {
      // An emulator without deployments (moto) serves the latest hosted version: nothing to start.
      if (MODELED_ERRORS.has((error as Error).name)) throw error;
      return { version };
    }
  }

  private requireAppConfig(): {
    application: string;
    environment: string;
    deploymentStrategy: string;
  } {
    const { application, environment, deploymentStrategy } = this.options;
    if (!application || !environment || !deploymentStrategy) {
      throw new ProblemError({
        title: 'Service Unavailable',
        status: 503,
        detail: 'This platform has no AppConfig application configured.',
      });
    }
    return { application, environment, deploymentStrategy };
  }

  private async flagProfiles(): Promise<ConfigurationProfileSummary[]> {
    if (!this.options.application) return [];
    const profiles: ConfigurationProfileSummary[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.options.appConfig.send(
        new ListConfigurationProfilesCommand({
          ApplicationId: this.options.application,
          NextToken,
        }),
      );
      profiles.push(...(page.Items ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    // Filtered here: not every control plane honours the Type filter.
    return profiles.filter(
      (profile) => profile.Type === FEATURE_FLAGS_PROFILE_TYPE && profile.Id && profile.Name,
    );
  }

  /** The profile's newest hosted version and its document. */
  private async latest(
    profileId: string,
  ): Promise<{ version: number; document: FlagsDocument } | undefined> {
    const version = await this.latestVersion(profileId);
    if (version === undefined) return undefined;
    const answer = await this.options.appConfig.send(
      new GetHostedConfigurationVersionCommand({
        ApplicationId: this.options.application,
        ConfigurationProfileId: profileId,
        VersionNumber: version,
      }),
    );
    const document = JSON.parse(new TextDecoder().decode(answer.Content)) as FlagsDocument;
    return { version, document };
  }

  private async latestVersion(profileId: string): Promise<number | undefined> {
    const ids = { ApplicationId: this.options.application, ConfigurationProfileId: profileId };
    try {
      let highest = 0;
      let NextToken: string | undefined;
      do {
        const page = await this.options.appConfig.send(
          new ListHostedConfigurationVersionsCommand({ ...ids, NextToken }),
        );
        for (const item of page.Items ?? []) highest = Math.max(highest, item.VersionNumber ?? 0);
        NextToken = page.NextToken;
      } while (NextToken);
      return highest > 0 ? highest : undefined;
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') throw error;
      // moto cannot list versions; it numbers them 1, 2, 3, …: ask until one is missing.
      let version = 0;
      for (;;) {
        try {
          await this.options.appConfig.send(
            new GetHostedConfigurationVersionCommand({ ...ids, VersionNumber: version + 1 }),
          );
          version++;
        } catch {
          return version > 0 ? version : undefined;
        }
      }
    }
  }
}
