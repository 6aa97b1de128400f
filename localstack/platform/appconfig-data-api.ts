import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  AppConfigClient,
  GetApplicationCommand,
  GetHostedConfigurationVersionCommand,
  ListApplicationsCommand,
  ListConfigurationProfilesCommand,
  ListEnvironmentsCommand,
  ListHostedConfigurationVersionsCommand,
  type AppConfigClientConfig,
} from '@aws-sdk/client-appconfig';
import { readBody, send, closeServer, listenOnLoopback } from './http-util';

/** How long a configuration token stays usable, as in AWS. */
const TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** The poll interval AWS answers when the session did not ask for one. */
const DEFAULT_POLL_INTERVAL_SECONDS = 60;
const MAX_REQUEST_BYTES = 64 * 1024;
const FEATURE_FLAGS_TYPE = 'AWS.AppConfig.FeatureFlags';

/** The error types the AppConfig control plane models; anything else means "not implemented". */
const MODELED_ERRORS = new Set([
  'BadRequestException',
  'ConflictException',
  'InternalServerException',
  'PayloadTooLargeException',
  'ResourceNotFoundException',
  'ServiceQuotaExceededException',
]);

/** A configuration profile the data plane serves, resolved once when its session starts. */
interface SessionTarget {
  readonly applicationId: string;
  /** The environment's ID when the control plane knows environments; moto does not (see below). */
  readonly environment: string;
  readonly profileId: string;
  readonly profileType?: string;
  readonly pollIntervalSeconds: number;
}

/** What one token stands for: the session, and the version its predecessor's answer delivered. */
interface TokenState {
  readonly target: SessionTarget;
  readonly deliveredVersion?: number;
  readonly expiresAt: number;
}

/** An error answered in the data plane's own shape (restJson1: `x-amzn-errortype` + JSON body). */
class DataPlaneError extends Error {
  constructor(
    readonly status: 400 | 404 | 500,
    readonly type: 'BadRequestException' | 'ResourceNotFoundException' | 'InternalServerException',
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface LocalAppConfigDataApiOptions {
  /** @default Date.now */
  readonly clock?: { now(): number };
}

/**
 * The AppConfigData API (StartConfigurationSession, GetLatestConfiguration) that moto lacks,
 * backed by the AppConfig control plane of the emulator, so that `@aws-sdk/client-appconfigdata`
 * and Powertools' AppConfigProvider work locally with `AWS_ENDPOINT_URL_APPCONFIGDATA` (or an
 * `endpoint`) pointing here.
 *
 * Which version is served: the latest hosted configuration version of the profile. AWS serves
 * the version last deployed to the environment, but moto 5.2.5 has no environments and no
 * deployments (CreateEnvironment, ListEnvironments, StartDeployment and ListDeployments all
 * answer 404), so "latest hosted version" is the only meaningful reading there, and it matches
 * what a local developer expects: create a version, see it.
 *
 * What moto 5.2.5 does not implement, and how this copes:
 * - ListApplications (500): application names are resolved through moto's own
 *   `/moto-api/data.json`; IDs work through GetApplication.
 * - environments: when ListEnvironments is not implemented, any environment identifier is
 *   accepted as given.
 * - ListHostedConfigurationVersions (500): the latest version is found by asking
 *   GetHostedConfigurationVersion for the next numbers (moto numbers versions 1, 2, 3, …).
 * On a control plane that does implement these calls (LocalStack, AWS), they are used instead.
 *
 * Feature-flag profiles (`AWS.AppConfig.FeatureFlags`) are answered in the data plane's
 * simplified form `{ flag: { enabled, ...attributes } }`, as AWS does. Multi-variant flags are
 * not evaluated (that needs the AppConfig agent's context); their default `enabled` is served.
 */
export class LocalAppConfigDataApi {
  private server?: Server;
  private readonly controlPlane: AppConfigClient;
  private readonly clock: { now(): number };
  private readonly tokens = new Map<string, TokenState>();
  /** The highest version seen per profile, where probing starts (moto only). */
  private readonly knownLatest = new Map<string, number>();
  /** Control-plane operations found missing once, so that they are not asked again. */
  private readonly missingOperations = new Set<string>();

  constructor(
    private readonly controlPlaneClientConfig: AppConfigClientConfig,
    options: LocalAppConfigDataApiOptions = {},
  ) {
    // One attempt: a local emulator that fails now fails again, and moto's "not implemented"
    // answers are 500s that the SDK would otherwise retry with back-off.
    this.controlPlane = new AppConfigClient({ maxAttempts: 1, ...controlPlaneClientConfig });
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  async listen(port = 0): Promise<string> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        const failure =
          error instanceof DataPlaneError
            ? error
            : errorName(error) === 'ResourceNotFoundException'
              ? notFound('Configuration', (error as Error).message)
              : new DataPlaneError(
                  500,
                  'InternalServerException',
                  `Local AppConfigData API failed: ${(error as Error).message}`,
                );
        answerError(response, failure);
      });
    });
    return listenOnLoopback(this.server, port);
  }

  async close(): Promise<void> {
    this.controlPlane.destroy();
    await closeServer(this.server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'POST' && url.pathname === '/configurationsessions') {
      const body = await readBody(request, MAX_REQUEST_BYTES);
      if (body === 'too-large') throw badRequest('The request body is too large');
      const token = await this.startSession(parseJsonObject(body));
      return send(
        response,
        201,
        { 'content-type': 'application/json' },
        JSON.stringify({ InitialConfigurationToken: token }),
      );
    }
    if (request.method === 'GET' && url.pathname === '/configuration') {
      return this.latestConfiguration(url.searchParams.get('configuration_token'), response);
    }
    send(
      response,
      404,
      { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' },
      JSON.stringify({
        Message: `${request.method} ${url.pathname} is not an AppConfigData operation`,
      }),
    );
  }

  /** StartConfigurationSession: checks the identifiers and hands out the first token. */
  private async startSession(body: Record<string, unknown>): Promise<string> {
    const invalid: Record<string, { Problem: string }> = {};
    const identifier = (name: string): string => {
      const value = body[name];
      if (typeof value !== 'string' || value.length < 1 || value.length > 128) {
        invalid[name] = { Problem: value === undefined ? 'Required' : 'Corrupted' };
        return '';
      }
      return value;
    };
    const application = identifier('ApplicationIdentifier');
    const environment = identifier('EnvironmentIdentifier');
    const profile = identifier('ConfigurationProfileIdentifier');
    const interval = body.RequiredMinimumPollIntervalInSeconds;
    if (
      interval !== undefined &&
      !(
        typeof interval === 'number' &&
        Number.isInteger(interval) &&
        interval >= 15 &&
        interval <= 86400
      )
    ) {
      invalid.RequiredMinimumPollIntervalInSeconds = { Problem: 'Corrupted' };
    }
    if (Object.keys(invalid).length > 0) {
      throw badRequest('Invalid parameters', {
        Reason: 'InvalidParameters',
        Details: { InvalidParameters: invalid },
      });
    }
    const applicationId = await this.resolveApplication(application);
    const environmentId = await this.resolveEnvironment(applicationId, environment);
    const found = await this.resolveProfile(applicationId, profile);
    const target: SessionTarget = {
      applicationId,
      environment: environmentId,
      profileId: found.id,
      profileType: found.type,
      pollIntervalSeconds: (interval as number | undefined) ?? DEFAULT_POLL_INTERVAL_SECONDS,
    };
    return this.issueToken(target, undefined);
  }

  /** GetLatestConfiguration: the profile's bytes, or an empty body when nothing changed. */
  private async latestConfiguration(token: string | null, response: ServerResponse): Promise<void> {
    if (!token) {
      throw badRequest('Configuration token is required', {
        Reason: 'InvalidParameters',
        Details: { InvalidParameters: { ConfigurationToken: { Problem: 'Required' } } },
      });
    }
    this.pruneTokens();
    const state = this.tokens.get(token);
    if (!state) throw badRequest('Request includes an invalid or expired configuration token');
    const { target } = state;
    const latest = await this.latestVersion(target);
    const headers: Record<string, string> = {
      'next-poll-interval-in-seconds': String(target.pollIntervalSeconds),
    };
    if (latest === undefined || latest === state.deliveredVersion) {
      headers['next-poll-configuration-token'] = this.issueToken(target, state.deliveredVersion);
      return send(response, 200, headers, '');
    }
    const version = await this.controlPlane.send(
      new GetHostedConfigurationVersionCommand({
        ApplicationId: target.applicationId,
        ConfigurationProfileId: target.profileId,
        VersionNumber: latest,
      }),
    );
    let content = Buffer.from(version.Content ?? new Uint8Array());
    let contentType = version.ContentType ?? 'application/octet-stream';
    if (target.profileType === FEATURE_FLAGS_TYPE) {
      content = Buffer.from(JSON.stringify(simplifyFeatureFlags(content)));
      contentType = 'application/json';
    }
    headers['content-type'] = contentType;
    // moto renders an unset label as the string "None".
    if (version.VersionLabel && version.VersionLabel !== 'None') {
      headers['version-label'] = version.VersionLabel;
    }
    headers['next-poll-configuration-token'] = this.issueToken(target, latest);
    send(response, 200, headers, content);
  }

  private issueToken(target: SessionTarget, deliveredVersion: number | undefined): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, {
      target,
      deliveredVersion,
      expiresAt: this.clock.now() + TOKEN_LIFETIME_MS,
    });
    return token;
  }

  private pruneTokens(): void {
    const now = this.clock.now();
    for (const [token, state] of this.tokens) if (state.expiresAt <= now) this.tokens.delete(token);
  }

  /** An application ID or name → its ID (GetApplication, then ListApplications or moto's data). */
  private async resolveApplication(identifier: string): Promise<string> {
    try {
      const found = await this.controlPlane.send(
        new GetApplicationCommand({ ApplicationId: identifier }),
      );
      if (found.Id) return found.Id;
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException' && !isBadRequest(error)) throw error;
    }
    const named =
      (await this.ifImplemented('ListApplications', async () => {
        const all: { Id?: string; Name?: string }[] = [];
        let NextToken: string | undefined;
        do {
          const page = await this.controlPlane.send(new ListApplicationsCommand({ NextToken }));
          all.push(...(page.Items ?? []));
          NextToken = page.NextToken;
        } while (NextToken);
        return all;
      })) ?? (await this.motoApplications());
    const match = named?.find((app) => app.Name === identifier);
    if (match?.Id) return match.Id;
    throw notFound('Application', `Application ${identifier} could not be found`);
  }

  /** Applications as moto's own state dump lists them (moto has no ListApplications). */
  private async motoApplications(): Promise<{ Id?: string; Name?: string }[] | undefined> {
    const endpoint = this.controlPlaneClientConfig.endpoint;
    const base =
      typeof endpoint === 'string' ? endpoint : endpoint instanceof URL ? endpoint.href : undefined;
    if (!base) return undefined;
    const region = await this.controlPlane.config.region();
    const answer = await fetch(new URL('/moto-api/data.json', base), {
      signal: AbortSignal.timeout(5000),
    });
    if (!answer.ok) return undefined;
    const data = (await answer.json()) as {
      appconfig?: { Application?: { id: string; name: string; arn: string }[] };
    };
    return (data.appconfig?.Application ?? [])
      .filter((app) => app.arn.split(':')[3] === region)
      .map((app) => ({ Id: app.id, Name: app.name }));
  }

  /**
   * An environment ID or name → its ID. moto 5.2.5 has no environments at all, so there any
   * identifier is accepted as it is: the stage cannot be checked, only carried.
   */
  private async resolveEnvironment(applicationId: string, identifier: string): Promise<string> {
    const environments = await this.ifImplemented('ListEnvironments', async () => {
      const all: { Id?: string; Name?: string }[] = [];
      let NextToken: string | undefined;
      do {
        const page = await this.controlPlane.send(
          new ListEnvironmentsCommand({ ApplicationId: applicationId, NextToken }),
        );
        all.push(...(page.Items ?? []));
        NextToken = page.NextToken;
      } while (NextToken);
      return all;
    });
    if (!environments) return identifier;
    const match = environments.find((env) => env.Id === identifier || env.Name === identifier);
    if (match?.Id) return match.Id;
    throw notFound('Environment', `Environment ${identifier} could not be found`);
  }

  private async resolveProfile(
    applicationId: string,
    identifier: string,
  ): Promise<{ id: string; type?: string }> {
    const profiles: { Id?: string; Name?: string; Type?: string; LocationUri?: string }[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.controlPlane.send(
        new ListConfigurationProfilesCommand({ ApplicationId: applicationId, NextToken }),
      );
      profiles.push(...(page.Items ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    const match = profiles.find((p) => p.Id === identifier || p.Name === identifier);
    if (!match?.Id) {
      throw notFound(
        'ConfigurationProfile',
        `Configuration profile ${identifier} could not be found`,
      );
    }
    if (match.LocationUri && match.LocationUri !== 'hosted') {
      throw badRequest(
        `Configuration profile ${identifier} is stored at ${match.LocationUri}; only hosted configurations are served locally`,
      );
    }
    return { id: match.Id, type: match.Type };
  }

  /** The profile's highest hosted configuration version number, if it has any. */
  private async latestVersion(target: SessionTarget): Promise<number | undefined> {
    const ids = { ApplicationId: target.applicationId, ConfigurationProfileId: target.profileId };
    const listed = await this.ifImplemented('ListHostedConfigurationVersions', async () => {
      let highest = 0;
      let NextToken: string | undefined;
      do {
        const page = await this.controlPlane.send(
          new ListHostedConfigurationVersionsCommand({ ...ids, NextToken }),
        );
        for (const item of page.Items ?? []) highest = Math.max(highest, item.VersionNumber ?? 0);
        NextToken = page.NextToken;
      } while (NextToken);
      return highest;
    });
    const latest = listed ?? (await this.probeLatestVersion(ids));
    return latest > 0 ? latest : undefined;
  }

  /** Runs an optional control-plane call; `undefined` when the emulator does not implement it. */
  private async ifImplemented<T>(
    operation: string,
    call: () => Promise<T>,
  ): Promise<T | undefined> {
    if (this.missingOperations.has(operation)) return undefined;
    try {
      return await call();
    } catch (error) {
      if (!notImplemented(error)) throw error;
      this.missingOperations.add(operation);
      return undefined;
    }
  }

  /**
   * moto numbers a profile's versions 1, 2, 3, … (the highest + 1) and cannot list them: start
   * at the highest number seen and ask for the next ones until one is missing. When the known
   * one was deleted meanwhile, walk down to the highest that is left.
   */
  private async probeLatestVersion(ids: {
    ApplicationId: string;
    ConfigurationProfileId: string;
  }): Promise<number> {
    const key = `${ids.ApplicationId}/${ids.ConfigurationProfileId}`;
    const exists = async (version: number): Promise<boolean> => {
      try {
        await this.controlPlane.send(
          new GetHostedConfigurationVersionCommand({ ...ids, VersionNumber: version }),
        );
        return true;
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') return false;
        throw error;
      }
    };
    let latest = this.knownLatest.get(key) ?? 0;
    while (latest > 0 && !(await exists(latest))) latest -= 1;
    while (await exists(latest + 1)) latest += 1;
    this.knownLatest.set(key, latest);
    return latest;
  }
}

/**
 * A stored `AWS.AppConfig.FeatureFlags` document (`{ version: "1", flags: { name: { attributes
 * } }, values: { name: { enabled, ...attributeValues } } }`) in the form the data plane returns:
 * `{ name: { enabled, ...attributeValues } }`. Keys starting with `_` are the service's own
 * bookkeeping (`_createdAt`, `_updatedAt`, `_variants`, …) and are left out, as AWS does; a
 * flag with no value entry is disabled.
 */
export function simplifyFeatureFlags(stored: Uint8Array): Record<string, Record<string, unknown>> {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(stored).toString('utf8'));
  } catch {
    throw badRequest('The stored feature-flag document is not valid JSON');
  }
  if (!isRecord(document) || !isRecord(document.flags)) {
    throw badRequest('The stored feature-flag document has no "flags" object');
  }
  const values = isRecord(document.values) ? document.values : {};
  const simplified: Record<string, Record<string, unknown>> = {};
  for (const flag of Object.keys(document.flags)) {
    const value = isRecord(values[flag]) ? values[flag] : {};
    const attributes = Object.fromEntries(
      Object.entries(value).filter(([key]) => key !== 'enabled' && !key.startsWith('_')),
    );
    simplified[flag] = { enabled: value.enabled === true, ...attributes };
  }
  return simplified;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8') || '{}');
    if (isRecord(parsed)) return parsed;
  } catch {
    // answered below
  }
  throw badRequest('The request body is not a JSON object');
}

function badRequest(message: string, extra: Record<string, unknown> = {}): DataPlaneError {
  return new DataPlaneError(400, 'BadRequestException', message, extra);
}

function notFound(resourceType: string, message: string): DataPlaneError {
  return new DataPlaneError(404, 'ResourceNotFoundException', message, {
    ResourceType: resourceType,
  });
}

function answerError(response: ServerResponse, error: DataPlaneError): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  send(
    response,
    error.status,
    { 'content-type': 'application/json', 'x-amzn-errortype': error.type },
    JSON.stringify({ Message: error.message, ...error.extra }),
  );
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** moto answers some unknown names with BadRequestException rather than ResourceNotFound. */
function isBadRequest(error: unknown): boolean {
  return errorName(error) === 'BadRequestException';
}

/**
 * The control plane does not implement the call: moto answers unimplemented operations with a
 * 404 or 500 HTML page, which the SDK reports as an unmodeled (deserialization) error. A network
 * failure has no HTTP status and is not taken for this.
 */
function notImplemented(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  const name = errorName(error);
  return (
    status !== undefined && [404, 405, 500, 501].includes(status) && !MODELED_ERRORS.has(name ?? '')
  );
}
