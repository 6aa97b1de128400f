import { CONFIG_MAX_AGE_SECONDS_DEFAULT } from '../contract/environment';
import { SERVICE_METRICS } from '../contract/metrics';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { AppConfigProvider } from '@aws-lambda-powertools/parameters/appconfig';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import type { z } from 'zod';
import type { HealthCheck } from '../service/health';
import { ConfigError } from './errors';
import { FeatureFlagsSchema, type FeatureFlags } from './feature-flags';
import { decodeValue, impliedFormat, type ValueFormat } from './value-format';

/** Where the reader reports a value it refused or could not read (names and reasons only). */
export interface ConfigLogger {
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface ConfigReaderOptions {
  /** SSM path of the service's own parameters, `/{platform}/{stage}/{service}`. */
  readonly servicePath: string;
  /** SSM path of the parameters every service shares, `/{platform}/{stage}/shared`. */
  readonly sharedPath: string;
  /**
   * The AppConfig application (one per platform) and environment (one per stage) that
   * `appConfig()` and `featureFlag()` read; without it `appConfig()` throws a `ConfigError` and
   * `featureFlag()` answers the caller's default, or off.
   */
  readonly appConfig?: { readonly application: string; readonly environment: string };
  /**
   * How long a value read from SSM or AppConfig is served before it is read again: a change in
   * the store reaches every environment within this time, without a redeploy.
   * @default 30
   */
  readonly maxAgeSeconds?: number;
  /** @default new SSMProvider() (endpoint from the SDK's own settings, e.g. AWS_ENDPOINT_URL_SSM) */
  readonly ssmProvider?: SSMProvider;
  /**
   * @default new AppConfigProvider({ application, environment }) (endpoint from the SDK's own
   * settings, e.g. AWS_ENDPOINT_URL_APPCONFIGDATA)
   */
  readonly appConfigProvider?: AppConfigProvider;
  /** @default Date.now */
  readonly clock?: { now(): number };
  /** Told when a bad or unreadable value is replaced by the last good one. @default none */
  readonly logger?: ConfigLogger;
  /** Counts `ConfigRejected` whenever the last good value is kept. @default none */
  readonly metrics?: Pick<Metrics, 'addMetric'>;
}

export interface ParameterOptions {
  /** Read `{sharedPath}/{name}` instead of the service's own `{servicePath}/{name}`. @default false */
  readonly shared?: boolean;
  /**
   * Decrypt a SecureString. Errors about such a value name only the failing path and zod's
   * issue code, never a message that could quote it.
   * @default false
   */
  readonly decrypt?: boolean;
  /** How the stored text becomes the schema's input. @default impliedFormat(schema) */
  readonly format?: ValueFormat;
}

/** Reads that went to the store, and values refused in favour of the last good one. */
export interface ConfigReaderCounts {
  /** Calls that reached SSM or AppConfig (a cache miss each; health checks not included). */
  readonly storeReads: number;
  /** Times a bad, missing or unreadable value was replaced by the last good one. */
  readonly rejected: number;
}

/** One stored value as this environment last saw it. */
interface CacheEntry {
  /** The parameter's full name or the AppConfig profile, as errors and logs name it. */
  readonly label: string;
  /** The store's text at the last successful read, good or bad. */
  text?: string;
  /** Why the latest read failed, when it did. */
  readFailure?: string;
  /** When the store is next asked. */
  expiresAt: number;
  /** The read under way, which every concurrent caller awaits instead of starting its own. */
  refreshing?: Promise<void>;
  /** The last value that passed its schema, and what it was decoded from. */
  good?: { text: string; schema: z.ZodType; format: ValueFormat; value: unknown };
  /** The text last reported as rejected, so that one bad value is logged and counted once. */
  reportedText?: string;
}

interface Source {
  readonly key: string;
  readonly redact: boolean;
  read(): Promise<string>;
}

/**
 * The service's view of central configuration (Spring Cloud Config's role): SSM parameters under
 * its own and the shared path, AppConfig free-form profiles and feature flags, each checked by a
 * zod schema.
 *
 * Every value is served from memory for `maxAgeSeconds`, then read again through Powertools
 * Parameters, so the store sees at most one read per value per environment per period, however
 * busy the function is. The reader keeps that cache itself, asking Powertools with `maxAge: 0`:
 * Powertools caches the raw value before any validation, forgets it when a read fails and reads
 * `Date.now()`, whereas here a value that fails its schema, disappears or cannot be read must
 * not replace the last good one, and tests drive time by hand.
 *
 * A bad value with no good one before it is an error (`ConfigError`, naming the source and the
 * problem, never the value); a bad value after a good one keeps the good one, logs a warning and
 * counts `ConfigRejected`, so a typo in the store degrades nothing.
 */
export class ConfigReader {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly maxAgeMs: number;
  private readonly clock: { now(): number };
  private readonly servicePath: string;
  private readonly sharedPath: string;
  private ssmProvider?: SSMProvider;
  private appConfigProvider?: AppConfigProvider;
  private storeReads = 0;
  private rejected = 0;

  constructor(private readonly options: ConfigReaderOptions) {
    const maxAgeSeconds = options.maxAgeSeconds ?? CONFIG_MAX_AGE_SECONDS_DEFAULT;
    if (!Number.isFinite(maxAgeSeconds) || maxAgeSeconds < 0) {
      throw new RangeError(`maxAgeSeconds must be a number >= 0, got ${maxAgeSeconds}`);
    }
    this.maxAgeMs = maxAgeSeconds * 1000;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.servicePath = normalizePath(options.servicePath);
    this.sharedPath = normalizePath(options.sharedPath);
    this.ssmProvider = options.ssmProvider;
    this.appConfigProvider = options.appConfigProvider;
  }

  get counts(): ConfigReaderCounts {
    return { storeReads: this.storeReads, rejected: this.rejected };
  }

  /** The full SSM name of a parameter: `{servicePath}/{name}` or `{sharedPath}/{name}`. */
  parameterName(name: string, options: Pick<ParameterOptions, 'shared'> = {}): string {
    const base = options.shared ? this.sharedPath : this.servicePath;
    return `${base}/${name.replace(/^\/+/, '')}`;
  }

  /**
   * The typed value of an SSM parameter. The stored text is handed to the schema as text when
   * the schema takes a string, parsed as JSON otherwise (see `impliedFormat`), or split as a
   * StringList when `format: 'list'`. Use one schema per parameter: the last good value is kept
   * per parameter, not per schema (schemas written inline are new objects on every call).
   */
  async parameter<S extends z.ZodType>(
    name: string,
    schema: S,
    options: ParameterOptions = {},
  ): Promise<z.output<S>> {
    const fullName = this.parameterName(name, options);
    const decrypt = options.decrypt ?? false;
    return this.value(
      {
        key: `ssm:${fullName}:${decrypt}`,
        redact: decrypt,
        read: async () => {
          const value = await this.ssm().get(fullName, {
            decrypt,
            maxAge: 0,
            throwOnMissing: true,
          });
          if (typeof value !== 'string') throw new ConfigError(fullName, 'has no value');
          return value;
        },
      },
      fullName,
      schema,
      options.format ?? impliedFormat(schema),
    );
  }

  /** The typed JSON document of an AppConfig free-form profile. */
  async appConfig<S extends z.ZodType>(profile: string, schema: S): Promise<z.output<S>> {
    const { application, environment } = this.requireAppConfig(profile);
    const label = `appconfig:${application}/${environment}/${profile}`;
    return this.value(
      {
        key: label,
        redact: false,
        read: async () => {
          const value = await this.appConfigData().get(profile, { maxAge: 0 });
          if (!(value instanceof Uint8Array) || value.length === 0) {
            throw new ConfigError(label, 'has no deployed configuration');
          }
          return new TextDecoder().decode(value);
        },
      },
      label,
      schema,
      'json',
    );
  }

  /** Every flag of a feature-flag profile, with its attributes. */
  featureFlags(profile: string): Promise<FeatureFlags> {
    return this.appConfig(profile, FeatureFlagsSchema);
  }

  /**
   * Whether a flag of an `AWS.AppConfig.FeatureFlags` profile is enabled. A flag the document
   * does not have is an error (a typo should be loud) unless the caller gives a default. Without
   * AppConfig (a platform on LocalStack) there is no document: every flag is the caller's
   * default, or off.
   */
  async featureFlag(
    profile: string,
    flag: string,
    options: { readonly default?: boolean } = {},
  ): Promise<boolean> {
    if (!this.options.appConfig) return options.default ?? false;
    const flags = await this.featureFlags(profile);
    const entry = Object.hasOwn(flags, flag) ? flags[flag] : undefined;
    if (entry) return entry.enabled;
    if (options.default !== undefined) return options.default;
    const { application, environment } = this.requireAppConfig(profile);
    throw new ConfigError(
      `appconfig:${application}/${environment}/${profile}`,
      `has no flag "${flag}"`,
    );
  }

  /**
   * For `GET /{service}/health`: UP when SSM answers for the service's path. The details say
   * which values are currently served from their last good version (names only).
   */
  healthCheck(): HealthCheck {
    return async (signal) => {
      await this.ssm().client.send(
        new GetParametersByPathCommand({ Path: this.servicePath, Recursive: true, MaxResults: 1 }),
        { abortSignal: signal },
      );
      const servingLastGood = [...this.cache.values()]
        .filter((entry) => entry.good && (entry.readFailure || entry.reportedText === entry.text))
        .map((entry) => entry.label);
      return { status: 'UP', details: { path: this.servicePath, servingLastGood } };
    };
  }

  private async value<S extends z.ZodType>(
    source: Source,
    label: string,
    schema: S,
    format: ValueFormat,
  ): Promise<z.output<S>> {
    const entry = await this.current(source, label);
    const good = entry.good;
    if (entry.text === undefined || (entry.readFailure && !good)) {
      throw new ConfigError(label, entry.readFailure ?? 'was never read');
    }
    if (good && good.text === entry.text && good.schema === schema && good.format === format) {
      return good.value as z.output<S>;
    }
    // The read failed but an earlier value was good: `refresh` already reported it.
    if (entry.readFailure && good) return good.value as z.output<S>;
    const decoded = decodeValue(entry.text, schema, format, source.redact);
    if (decoded.ok) {
      entry.good = { text: entry.text, schema, format, value: decoded.value };
      entry.reportedText = undefined;
      return decoded.value;
    }
    if (!good) throw new ConfigError(label, decoded.problem);
    if (entry.reportedText !== entry.text) {
      entry.reportedText = entry.text;
      this.reject(label, decoded.problem);
    }
    return good.value as z.output<S>;
  }

  /** The entry for a source, read again first when its age is up (one read for all callers). */
  private async current(source: Source, label: string): Promise<CacheEntry> {
    let entry = this.cache.get(source.key);
    if (!entry) {
      entry = { label, expiresAt: Number.NEGATIVE_INFINITY };
      this.cache.set(source.key, entry);
    }
    if (!entry.refreshing && this.clock.now() >= entry.expiresAt) {
      const refreshing = this.refresh(entry, source);
      entry.refreshing = refreshing;
      void refreshing.finally(() => {
        if (entry.refreshing === refreshing) entry.refreshing = undefined;
      });
    }
    if (entry.refreshing) await entry.refreshing;
    return entry;
  }

  private async refresh(entry: CacheEntry, source: Source): Promise<void> {
    // A failed read is remembered for a full period too: a missing or broken value must not
    // turn every call into a store read.
    entry.expiresAt = this.clock.now() + this.maxAgeMs;
    this.storeReads += 1;
    try {
      entry.text = await source.read();
      entry.readFailure = undefined;
    } catch (error) {
      entry.readFailure = describeReadFailure(error);
      if (entry.good) this.reject(entry.label, entry.readFailure);
    }
  }

  private reject(label: string, problem: string): void {
    this.rejected += 1;
    this.options.logger?.warn('Configuration value rejected; keeping the last good value', {
      source: label,
      problem,
    });
    this.options.metrics?.addMetric(SERVICE_METRICS.configRejected, MetricUnit.Count, 1);
  }

  private requireAppConfig(profile: string): { application: string; environment: string } {
    const appConfig = this.options.appConfig;
    if (!appConfig) {
      throw new ConfigError(
        `appconfig:${profile}`,
        'AppConfig is not configured for this reader (APPCONFIG_APPLICATION, APPCONFIG_ENVIRONMENT)',
      );
    }
    return appConfig;
  }

  private ssm(): SSMProvider {
    this.ssmProvider ??= new SSMProvider();
    return this.ssmProvider;
  }

  private appConfigData(): AppConfigProvider {
    this.appConfigProvider ??= new AppConfigProvider({ ...this.options.appConfig! });
    return this.appConfigProvider;
  }
}

/** `/a/b/` and `a/b` both become `/a/b`. */
function normalizePath(path: string): string {
  return `/${path.replace(/^\/+|\/+$/g, '')}`;
}

/**
 * What a failed read means, from the error's class names only (Powertools wraps the SDK's error
 * as its `cause`); messages are not passed on.
 */
function describeReadFailure(error: unknown): string {
  if (error instanceof ConfigError) return error.problem;
  const names = [error, (error as { cause?: unknown } | undefined)?.cause]
    .map((e) => (e instanceof Error ? e.name : undefined))
    .filter((name): name is string => name !== undefined);
  if (
    names.some((n) =>
      ['ParameterNotFoundError', 'ParameterNotFound', 'ResourceNotFoundException'].includes(n),
    )
  ) {
    return 'does not exist';
  }
  return `could not be read (${names.at(-1) ?? 'unknown error'})`;
}
