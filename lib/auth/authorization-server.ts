import { Annotations, CfnOutput, Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import type { PlatformGateway } from '../gateway/platform-gateway';
import type { MicroservicePlatform } from '../platform/microservice-platform';
import { PlatformFunction } from '../service/platform-function';
import { createPlatformTable } from '../service/platform-table';
import { routeScopesPath } from '../platform/platform-attributes';
import { PlatformTarget } from '../platform/platform-target';
import { acknowledgeWildcardResource } from '../service/nag-findings';
import { RouteScopeParameters } from './route-scope-parameters';
import { CONSOLE_CLIENT_SCOPES, PeopleSignIn, type PeopleSignInOptions } from './people-sign-in';
import {
  AUTH_ENV,
  PLATFORM_ROUTE_SCOPES_OWNER,
  signingKeySetParameterName,
  signingKeysPath,
  usagePlanKeysParameterName,
  type RouteScopeMatch,
  type RouteScopeRuleInput,
} from '../../functions/runtime/contract';

/**
 * What the account (through IAM) may do with the signing keys' KMS key: administer it, never use
 * it. Left out on purpose: Decrypt, Encrypt, ReEncrypt*, GenerateDataKey* and CreateGrant (a grant
 * would hand out Decrypt). CDK's default key policy gives the account root `kms:*`, which makes
 * any identity policy allowing `kms:Decrypt` on `*` enough to read the keys.
 */
const KEY_ADMINISTRATION_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

/** An external OpenID Connect / OAuth2 issuer whose access tokens the gateway accepts. */
export interface TrustedIssuer {
  /** The `iss` value, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc`. */
  readonly issuer: string;
  /** Where its public keys are published. */
  readonly jwksUri: string;
  /**
   * The `aud` its tokens must carry.
   * @default - none; then `clientIds` must be set (Cognito access tokens carry no `aud`)
   */
  readonly audience?: string;
  /**
   * The `client_id` values accepted from this issuer.
   * @default - any client, when `audience` is set
   */
  readonly clientIds?: string[];
  /**
   * Claims whose values must match exactly, e.g. `{ token_use: 'access' }` for Cognito.
   * @default - none
   */
  readonly requiredClaims?: Record<string, string>;
  /**
   * The scopes this issuer may grant on this platform. A scope its token carries outside the list
   * is not granted (routes needing it answer 403). `platform/admin` is granted only when listed.
   * The authorizer also refuses this issuer's ID tokens (`token_use: id`, `typ: ID`, `at_hash`, no
   * scope claim).
   * @default - none: the issuer's tokens are authenticated but grant no scope
   */
  readonly allowedScopes?: string[];
}

/** Throttle and quota of one usage plan. */
export interface ClientQuota {
  /**
   * Steady requests per second.
   * @default 50
   */
  readonly rateLimit?: number;
  /**
   * Burst.
   * @default 100
   */
  readonly burstLimit?: number;
  /**
   * Requests per day.
   * @default 100000
   */
  readonly requestsPerDay?: number;
}

export interface AuthorizationServerOptions extends PeopleSignInOptions {
  /**
   * Lifetime of access tokens.
   * @default Duration.minutes(15)
   */
  readonly accessTokenTtl?: Duration;
  /**
   * Signing algorithm of new keys.
   * @default 'ES256'
   */
  readonly signingAlgorithm?: 'ES256' | 'RS256';
  /**
   * How often signing keys rotate (each rotation first publishes the next key).
   * @default Duration.days(30)
   */
  readonly keyRotationInterval?: Duration;
  /**
   * The issuer identifier, e.g. `https://auth.example.com` behind a custom domain.
   * @default - the stage's execute-api URL
   */
  readonly issuerUrl?: string;
  /**
   * External issuers whose tokens the authorizer accepts too.
   * @default - only this platform's own tokens
   */
  readonly trustedIssuers?: TrustedIssuer[];
  /**
   * How long API Gateway caches an authorizer decision per token. Keep it well below the token
   * lifetime: a cached decision outlives a revoked or expired token by up to this long.
   * @default Duration.minutes(1)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * The platform-wide default usage plan every client gets unless it has its own.
   * @default - 50 rps, burst 100, 100 000 requests a day
   */
  readonly defaultQuota?: ClientQuota;
}

export interface AuthorizationServerProps extends AuthorizationServerOptions {
  readonly platform: MicroservicePlatform;
  readonly gateway: PlatformGateway;
}

/**
 * The platform's OAuth2 authorization server and the gateway's token check: a token service
 * (`client_credentials`, RFC 8414 metadata, JWKS), signing keys rotated on a schedule (one SSM
 * SecureString per key under `/_auth/{platform}/{stage}/`, encrypted with a KMS key only the token
 * service and the rotation function may use), a clients table with hashed secrets, and a Lambda
 * REQUEST authorizer that turns a token's scopes into a policy over every protected route. Per-client quotas use usage plans
 * keyed by the authorizer's usage identifier.
 */
export class AuthorizationServer extends Construct {
  readonly clientsTable: dynamodb.Table;
  readonly assertionReplayTable: dynamodb.Table;
  readonly tokenFunction: PlatformFunction;
  readonly authorizerFunction: PlatformFunction;
  readonly rotationFunction: PlatformFunction;
  /** People's sign-in: users, codes and refresh tokens, the login page. */
  readonly people: PeopleSignIn;
  /**
   * The SSM path under which each signing key's private half is one SecureString named by its
   * `kid` (written by rotation, deleted when the key retires).
   */
  readonly signingKeysPath: string;
  /** The SSM parameter holding the key set's state (statuses and dates, no key material). */
  readonly signingKeySetParameterName: string;
  /**
   * The customer-managed key the private halves are encrypted with. Its key policy lets the
   * token service decrypt and the rotation function encrypt and decrypt; the account may only
   * administer it, so no identity policy, however broad, lets another role decrypt.
   */
  readonly signingKeysKey: kms.Key;
  /** Name of the SSM SecureString parameter mapping client IDs to their usage-plan API keys. */
  readonly usageKeysParameterName: string;
  readonly issuerUrl: string;
  readonly defaultUsagePlan: apigw.UsagePlan;
  /** Where every service's route scopes live; the authorizer reads everything below. */
  readonly routeScopesPath: string;
  private readonly routeScopes: RouteScopeParameters;
  private readonly scopes = new Set<string>();
  private readonly usagePlans = new Map<string, apigw.UsagePlan>();
  private authorizerInstance?: apigw.RequestAuthorizer;
  private readonly options: AuthorizationServerProps;

  constructor(scope: Construct, id: string, props: AuthorizationServerProps) {
    super(scope, id);
    this.options = props;
    const { platform, gateway } = props;
    const stack = Stack.of(this);
    // Outside every path a service (or anyone granted `/{platform}/{stage}/*`) may read.
    this.signingKeysPath = signingKeysPath(platform.platformName, platform.stage);
    this.signingKeySetParameterName = signingKeySetParameterName(
      platform.platformName,
      platform.stage,
    );
    this.usageKeysParameterName = usagePlanKeysParameterName(platform.platformName, platform.stage);
    this.issuerUrl =
      props.issuerUrl ??
      `https://${gateway.restApi.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${platform.stage}`;
    this.routeScopesPath = routeScopesPath(platform.platformName, platform.stage);
    // The platform's own protected routes (admin); services write theirs in their own stacks.
    this.routeScopes = new RouteScopeParameters(this, 'RouteScopes', {
      path: `${this.routeScopesPath}/${PLATFORM_ROUTE_SCOPES_OWNER}`,
      owner: `the ${platform.platformName} platform`,
    });
    const tokenTtl = (props.accessTokenTtl ?? Duration.minutes(15)).toSeconds();
    const shared = {
      [AUTH_ENV.accessTokenTtlSeconds]: String(tokenTtl),
      [AUTH_ENV.clockToleranceSeconds]: '30',
      [AUTH_ENV.keyCacheSeconds]: '60',
    };

    this.clientsTable = createPlatformTable(this, 'Clients', {
      partitionKey: 'clientId',
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: platform.removalPolicy,
    });

    // private_key_jwt assertions are single-use fleet-wide: seen `jti`s live here until they expire.
    this.assertionReplayTable = createPlatformTable(this, 'AssertionReplay', {
      partitionKey: 'pk',
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: platform.removalPolicy,
    });

    this.tokenFunction = new PlatformFunction(this, 'TokenService', {
      platform,
      bundle: 'token-service',
      serviceName: 'token-service',
      description: `OAuth2 token service of ${platform.platformName}`,
      // scrypt on every client authentication wants CPU, and Lambda gives CPU with memory.
      memorySize: 1024,
      environment: {
        ...shared,
        [AUTH_ENV.clientsTableName]: this.clientsTable.tableName,
        [AUTH_ENV.assertionReplayTableName]: this.assertionReplayTable.tableName,
        [AUTH_ENV.signingKeysPath]: this.signingKeysPath,
        [AUTH_ENV.signingKeySetParameter]: this.signingKeySetParameterName,
        [AUTH_ENV.issuerUrl]: this.issuerUrl,
        [AUTH_ENV.scopesSupported]: Lazy.string({
          produce: () => [...this.scopes].sort().join(' '),
        }),
      },
    });
    this.clientsTable.grantReadData(this.tokenFunction.function);
    this.assertionReplayTable.grant(this.tokenFunction.function, 'dynamodb:PutItem');
    this.grantKeyStore(this.tokenFunction.role, 'read');
    this.people = new PeopleSignIn(this, 'People', {
      tokenFunction: this.tokenFunction,
      gateway,
      issuerUrl: this.issuerUrl,
      removalPolicy: platform.removalPolicy,
      consoleRedirectUris: props.consoleRedirectUris,
      refreshTokenLifetime: props.refreshTokenLifetime,
      protectRoute: (method, resource, scopes) => this.protectRoute(method, resource, scopes),
    });
    for (const scope of CONSOLE_CLIENT_SCOPES) this.scopes.add(scope);

    this.rotationFunction = new PlatformFunction(this, 'KeyRotation', {
      platform,
      bundle: 'key-rotation',
      serviceName: 'key-rotation',
      description: `Signing-key rotation of ${platform.platformName}`,
      // The key stores have no compare-and-set: one rotation at a time.
      reservedConcurrentExecutions: 1,
      timeout: Duration.seconds(30),
      environment: {
        ...shared,
        [AUTH_ENV.signingKeysPath]: this.signingKeysPath,
        [AUTH_ENV.signingKeySetParameter]: this.signingKeySetParameterName,
        [AUTH_ENV.signingAlgorithm]: props.signingAlgorithm ?? 'ES256',
      },
    });
    this.grantKeyStore(this.rotationFunction.role, 'rotate');
    this.signingKeysKey = this.createSigningKeysKey(platform);
    this.rotationFunction.function.addEnvironment(
      AUTH_ENV.signingKeysKmsKeyId,
      this.signingKeysKey.keyArn,
    );
    new events.Rule(this, 'RotationSchedule', {
      description: `Rotates the signing keys of ${platform.platformName}`,
      schedule: events.Schedule.rate(props.keyRotationInterval ?? Duration.days(30)),
      targets: [new targets.LambdaFunction(this.rotationFunction.function)],
    });
    if (platform.target === PlatformTarget.AWS) {
      // The first keys exist before the first token is asked for: rotation runs once on deploy.
      new triggers.Trigger(this, 'BootstrapKeys', {
        handler: this.rotationFunction.function,
        executeOnHandlerChange: false,
      });
      Annotations.of(this.rotationFunction.function).acknowledgeWarning(
        '@aws-cdk/aws-lambda:addPermissionsToVersionOrAlias',
        'The trigger invokes the unqualified function; no caller uses a version or alias.',
      );
    } else {
      // LocalStack cannot run a Custom::Trigger: invoke this once after the deploy instead.
      new CfnOutput(this, 'KeyRotationFunctionName', {
        value: this.rotationFunction.function.functionName,
      });
    }

    this.authorizerFunction = new PlatformFunction(this, 'Authorizer', {
      platform,
      bundle: 'authorizer',
      serviceName: 'authorizer',
      description: `JWT authorizer of ${platform.platformName}`,
      environment: {
        [AUTH_ENV.clockToleranceSeconds]: shared[AUTH_ENV.clockToleranceSeconds],
        // Bounds the platform's tokens' lifetime and the authorizer's verified-token cache.
        [AUTH_ENV.accessTokenTtlSeconds]: shared[AUTH_ENV.accessTokenTtlSeconds],
        [AUTH_ENV.issuerUrl]: this.issuerUrl,
        [AUTH_ENV.jwksUrl]: `${this.issuerUrl}/.well-known/jwks.json`,
        [AUTH_ENV.allowedAlgorithms]: 'ES256,RS256',
        [AUTH_ENV.routeScopesPath]: this.routeScopesPath,
        [AUTH_ENV.trustedIssuers]: JSON.stringify(
          (props.trustedIssuers ?? []).map((issuer) => ({ ...issuer, scopeClaim: 'scope' })),
        ),
        [AUTH_ENV.usagePlanKeysParameter]: this.usageKeysParameterName,
      },
    });
    this.grantParameterRead(this.authorizerFunction.role, this.usageKeysParameterName);
    const routeScopesArn = this.parameterArn(this.routeScopesPath);
    this.authorizerFunction.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParametersByPath'],
        resources: [routeScopesArn, `${routeScopesArn}/*`],
      }),
    );
    acknowledgeWildcardResource(
      this.authorizerFunction.role,
      `${routeScopesArn}/*`,
      "Every service's route-scope parameters, which services add from their own stacks.",
    );

    for (const [method, resource] of [
      ['POST', '/oauth2/token'],
      ['GET', '/.well-known/oauth-authorization-server'],
      ['GET', '/.well-known/oauth-authorization-server/{path+}'],
      ['GET', '/.well-known/openid-configuration'],
      ['GET', '/.well-known/jwks.json'],
    ] as const) {
      gateway.addPublicRoute(method, resource, this.tokenFunction.function);
    }

    this.defaultUsagePlan = this.addUsagePlan('default', props.defaultQuota ?? {});

    // What `npm run client:register` needs to register a client of the deployed platform.
    new CfnOutput(this, 'ClientsTableName', { value: this.clientsTable.tableName });
    new CfnOutput(this, 'UsageKeysParameterName', { value: this.usageKeysParameterName });
    new CfnOutput(this, 'DefaultUsagePlanId', { value: this.defaultUsagePlan.usagePlanId });
    new CfnOutput(this, 'TokenEndpoint', { value: `${this.issuerUrl}/oauth2/token` });
  }

  /**
   * The REQUEST authorizer protected routes use; created with the first protected route (an
   * authorizer must be attached to a method).
   */
  get authorizer(): apigw.RequestAuthorizer {
    this.authorizerInstance ??= new apigw.RequestAuthorizer(this, 'RequestAuthorizer', {
      handler: this.authorizerFunction.function,
      identitySources: [apigw.IdentitySource.header('Authorization')],
      resultsCacheTtl: this.options.authorizerCacheTtl ?? Duration.minutes(1),
    });
    return this.authorizerInstance;
  }

  /**
   * Registers the scopes a protected route of the platform's own stack needs, so the
   * authorizer's policy covers it, and returns the authorizer to put on the method.
   * (A `Microservice` writes its routes' scopes in its own stack instead.)
   * @param match `all-of` (every scope, the default) or `any-of` (one of them is enough)
   */
  protectRoute(
    method: string,
    resource: string,
    scopes: string[],
    match: RouteScopeMatch = 'all-of',
  ): apigw.RequestAuthorizer {
    this.routeScopes.add({ method, resource, scopes, ...(match === 'any-of' ? { match } : {}) });
    for (const scope of scopes) this.scopes.add(scope);
    return this.authorizer;
  }

  /** Routes and the scopes they need, as the authorizer enforces them. */
  get protectedRoutes(): readonly RouteScopeRuleInput[] {
    return this.routeScopes.rules;
  }

  /**
   * Adds a usage plan (throttle and quota) on the platform's stage. Clients are put on a plan
   * when they are registered (`npm run client:register -- --plan <name>`).
   */
  addUsagePlan(name: string, quota: ClientQuota): apigw.UsagePlan {
    const plan = new apigw.UsagePlan(this, `UsagePlan${name.replace(/[^A-Za-z0-9]/g, '')}`, {
      name: `${this.options.platform.platformName}-${this.options.platform.stage}-${name}`,
      description: `Usage plan '${name}' of ${this.options.platform.platformName}`,
      throttle: { rateLimit: quota.rateLimit ?? 50, burstLimit: quota.burstLimit ?? 100 },
      quota: { limit: quota.requestsPerDay ?? 100_000, period: apigw.Period.DAY },
      apiStages: [
        { api: this.options.gateway.restApi, stage: this.options.gateway.restApi.deploymentStage },
      ],
    });
    this.usagePlans.set(name, plan);
    return plan;
  }

  /** Lets `grantee` register clients: write the clients table and the usage-key map. */
  grantClientAdministration(grantee: iam.IGrantable): void {
    this.clientsTable.grantReadWriteData(grantee);
    iam.Grant.addToPrincipal({
      grantee,
      // The history: registration merges versions written by a concurrent one (registration.ts).
      actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:GetParameterHistory'],
      resourceArns: [this.parameterArn(this.usageKeysParameterName)],
    });
  }

  /**
   * The signing keys' customer-managed key. The key policy is the whole story (no identity
   * policy is needed or consulted for use): the account root may administer the key, the token
   * service may decrypt and the rotation function encrypt and decrypt, each only through SSM and
   * only for parameters under the keys path.
   */
  private createSigningKeysKey(platform: MicroservicePlatform): kms.Key {
    const stack = Stack.of(this);
    const viaSsm = {
      StringEquals: { 'kms:ViaService': `ssm.${stack.region}.${stack.urlSuffix}` },
      StringLike: {
        'kms:EncryptionContext:PARAMETER_ARN': `${this.parameterArn(this.signingKeysPath)}/*`,
      },
    };
    return new kms.Key(this, 'SigningKeysKey', {
      description: `Signing keys of the ${platform.platformName} ${platform.stage} authorization server`,
      enableKeyRotation: true,
      removalPolicy: platform.removalPolicy,
      // Given in full, so CDK adds no `kms:*` statement for the account.
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'AccountAdministersOnly',
            principals: [new iam.AccountRootPrincipal()],
            actions: KEY_ADMINISTRATION_ACTIONS,
            resources: ['*'],
          }),
          new iam.PolicyStatement({
            sid: 'TokenServiceDecrypts',
            principals: [this.tokenFunction.role],
            actions: ['kms:Decrypt'],
            resources: ['*'],
            conditions: viaSsm,
          }),
          new iam.PolicyStatement({
            sid: 'RotationEncryptsAndDecrypts',
            principals: [this.rotationFunction.role],
            actions: ['kms:Encrypt', 'kms:Decrypt'],
            resources: ['*'],
            conditions: viaSsm,
          }),
        ],
      }),
    });
  }

  /**
   * SSM rights on the key store: `read` loads the set (its state, the private halves by path);
   * `rotate` also writes the state and writes and deletes private halves.
   */
  private grantKeyStore(role: iam.IRole, access: 'read' | 'rotate'): void {
    const keySet = this.parameterArn(this.signingKeySetParameterName);
    const keys = this.parameterArn(this.signingKeysPath);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions:
          access === 'read' ? ['ssm:GetParameter'] : ['ssm:GetParameter', 'ssm:PutParameter'],
        resources: [keySet],
      }),
    );
    // GetParametersByPath is authorized on the path itself, not on the parameters below it.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ssm:GetParametersByPath'], resources: [keys] }),
    );
    if (access === 'rotate') {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['ssm:PutParameter', 'ssm:DeleteParameter'],
          resources: [`${keys}/*`],
        }),
      );
      acknowledgeWildcardResource(
        role,
        `${keys}/*`,
        'One parameter per signing key, named by its kid, which rotation chooses at run time.',
      );
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords accept no resource but *.',
    });
  }

  private grantParameterRead(role: iam.IRole, name: string): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [this.parameterArn(name)],
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords accept no resource but *.',
    });
  }

  private parameterArn(name: string): string {
    return Stack.of(this).formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: name.replace(/^\//, ''),
    });
  }
}
