import * as path from 'node:path';
import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { PlatformTarget } from '../../../lib/platform/platform-target';
import {
  MicroservicePlatform,
  type MicroservicePlatformProps,
} from '../../../lib/platform/microservice-platform';
import { Microservice } from '../../../lib/service/microservice';

const ORDERS_ENTRY = path.join(
  __dirname,
  '..',
  '..',
  '..',
  'functions',
  'services',
  'reading-list',
  'handler.ts',
);

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string | string[];
};
type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

/** A platform with one service: two protected routes, one public route and its health route. */
function build(props: Partial<MicroservicePlatformProps> = {}) {
  // Bundling disabled: construct tests check the template, not the bundle.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'AuthStack', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const platform = new MicroservicePlatform(stack, 'Platform', {
    platformName: 'shop',
    stage: 'dev',
    ...props,
  });
  const orders = new Microservice(stack, 'Orders', {
    platform,
    serviceName: 'orders',
    entry: ORDERS_ENTRY,
    routes: [
      { method: 'GET', scopes: ['orders/read'] },
      { method: 'POST', path: '/{orderId}', scopes: ['orders/write', 'orders/admin'] },
      { method: 'GET', path: '/catalog', public: true },
    ],
  });
  const id = (construct: IConstruct) =>
    stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const template = () => Template.fromStack(stack);
  return { app, stack, platform, auth: platform.authorizationServer, orders, id, template };
}

let shared: { built: ReturnType<typeof build>; template: Template } | undefined;
/** The default build, synthesized once. */
function defaults() {
  if (!shared) {
    const built = build();
    shared = { built, template: built.template() };
  }
  return { ...shared.built, template: shared.template };
}

function resources(template: Template): Record<string, Resource> {
  return template.toJSON().Resources as Record<string, Resource>;
}

function resource(template: Template, logicalId: string): Resource {
  const found = resources(template)[logicalId];
  if (!found) throw new Error(`no resource ${logicalId}`);
  return found;
}

function environment(template: Template, functionLogicalId: string): Record<string, unknown> {
  return (
    resource(template, functionLogicalId).Properties.Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;
}

/** Every statement of every policy attached to the role of a function. */
function statementsOf(template: Template, functionLogicalId: string): Statement[] {
  const role = resource(template, functionLogicalId).Properties.Role as {
    'Fn::GetAtt': [string, string];
  };
  const roleId = role['Fn::GetAtt'][0];
  return Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
  ).flatMap(
    (policy) =>
      ((policy as Resource).Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

const actionsOf = (statement: Statement) => [statement.Action].flat();

/** The statements that grant at least one action of `service` (e.g. `ssm`). */
function statementsFor(statements: Statement[], service: string): Statement[] {
  return statements.filter((statement) =>
    actionsOf(statement).some((action) => action.startsWith(`${service}:`)),
  );
}

/** The ARN of an SSM parameter of the test stack, as `Stack.formatArn` renders it. */
function parameterArn(name: string) {
  return {
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, `:ssm:eu-west-1:123456789012:parameter${name}`],
    ],
  };
}

const SIGNING_KEYS = '/_auth/shop/dev/signing-keys';
const KEY_SET = '/_auth/shop/dev/signing-key-set';
const USAGE_KEYS = '/_auth/shop/dev/usage-plan-keys';

/** Each method as `VERB /path`, with its authorization settings. */
function methods(template: Template) {
  const all = resources(template);
  const pathOf = (ref: unknown): string => {
    const logicalId = (ref as { Ref?: string }).Ref;
    if (!logicalId) return ''; // the root resource (Fn::GetAtt RootResourceId)
    const res = all[logicalId];
    return `${pathOf(res.Properties.ParentId)}/${res.Properties.PathPart as string}`;
  };
  return Object.values(all)
    .filter((res) => res.Type === 'AWS::ApiGateway::Method')
    .map((res) => ({
      route: `${res.Properties.HttpMethod as string} ${pathOf(res.Properties.ResourceId) || '/'}`,
      authorizationType: res.Properties.AuthorizationType,
      authorizerId: res.Properties.AuthorizerId,
      apiKeyRequired: res.Properties.ApiKeyRequired,
    }));
}

const routeOf = (rule: { method: string; resource: string }) => `${rule.method} ${rule.resource}`;

/** Every route-scope rule the template writes (the platform's and its services'), for the authorizer. */
function routeScopeRules(template: Template) {
  return Object.values(template.findResources('AWS::SSM::Parameter'))
    .map((parameter) => (parameter as Resource).Properties as { Name: string; Value: string })
    .filter((parameter) => parameter.Name.startsWith('/shop/dev/_platform/route-scopes/'))
    .flatMap(
      (parameter) =>
        JSON.parse(parameter.Value) as { method: string; resource: string; scopes: string[] }[],
    );
}

describe('AuthorizationServer', () => {
  it('is created by default and wired to the platform', () => {
    const { auth } = defaults();
    expect(auth).toBeDefined();
    expect(auth!.signingKeysPath).toBe(SIGNING_KEYS);
    expect(auth!.signingKeySetParameterName).toBe(KEY_SET);
    expect(auth!.usageKeysParameterName).toBe(USAGE_KEYS);
  });

  describe('clients table', () => {
    it('is on-demand, point-in-time recoverable, encrypted, keyed by clientId, expiring on expiresAt', () => {
      const { template, auth, id } = defaults();
      expect(resource(template, id(auth!.clientsTable)).Properties).toMatchObject({
        KeySchema: [{ AttributeName: 'clientId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
    });
  });

  describe('token service', () => {
    it('knows its clients table, where the signing keys live and its issuer', () => {
      const { template, auth, platform, id } = defaults();
      const variables = environment(template, id(auth!.tokenFunction.function));
      expect(variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'token-service',
        CLIENTS_TABLE_NAME: { Ref: id(auth!.clientsTable) },
        SIGNING_KEYS_PATH: SIGNING_KEYS,
        SIGNING_KEY_SET_PARAMETER: KEY_SET,
        ACCESS_TOKEN_TTL_SECONDS: '900',
      });
      // It only decrypts: the key's ID is the rotation function's business.
      expect(variables.SIGNING_KEYS_KMS_KEY_ID).toBeUndefined();
      // https://{api id}.execute-api.{region}.{suffix}/{stage}
      expect(variables.ISSUER_URL).toEqual({
        'Fn::Join': [
          '',
          [
            'https://',
            { Ref: id(platform.restApi) },
            '.execute-api.eu-west-1.',
            { Ref: 'AWS::URLSuffix' },
            '/dev',
          ],
        ],
      });
    });

    it("advertises the scopes of the platform's own protected routes and the console's in SCOPES_SUPPORTED", () => {
      const { template, auth, id } = defaults();
      const supported = String(
        environment(template, id(auth!.tokenFunction.function)).SCOPES_SUPPORTED,
      ).split(' ');
      const registered = new Set(auth!.protectedRoutes.flatMap((rule) => rule.scopes));
      expect(registered.size).toBeGreaterThan(0);
      expect(supported).toEqual([...new Set([...registered, 'platform/read'])].sort());
      // Services write their scopes in their own stacks: the token service's never changes.
      expect(supported).not.toContain('orders/read');
    });

    it('uses a custom issuer and token lifetime when given', () => {
      const { template, auth, id } = (() => {
        const built = build({
          authorization: {
            issuerUrl: 'https://auth.example.com',
            accessTokenTtl: Duration.minutes(5),
          },
        });
        return { ...built, template: built.template() };
      })();
      expect(environment(template, id(auth!.tokenFunction.function))).toMatchObject({
        ISSUER_URL: 'https://auth.example.com',
        ACCESS_TOKEN_TTL_SECONDS: '300',
      });
      expect(environment(template, id(auth!.authorizerFunction.function))).toMatchObject({
        ISSUER_URL: 'https://auth.example.com',
        JWKS_URL: 'https://auth.example.com/.well-known/jwks.json',
      });
    });

    it('mounts the token endpoint and the discovery metadata as public routes on the token service', () => {
      const { template } = defaults();
      const byRoute = new Map(methods(template).map((method) => [method.route, method]));
      for (const route of [
        'POST /oauth2/token',
        'GET /.well-known/oauth-authorization-server',
        'GET /.well-known/oauth-authorization-server/{path+}',
        'GET /.well-known/openid-configuration',
        'GET /.well-known/jwks.json',
      ]) {
        expect(byRoute.get(route), route).toMatchObject({ authorizationType: 'NONE' });
        expect(byRoute.get(route)?.authorizerId, route).toBeUndefined();
        expect(byRoute.get(route)?.apiKeyRequired, route).toBeUndefined();
      }
    });
  });

  describe('authorizer function', () => {
    it('writes route-scope rules for exactly the protected routes, where the authorizer reads them', () => {
      const { template, auth, id } = defaults();
      expect(environment(template, id(auth!.authorizerFunction.function))).toMatchObject({
        ROUTE_SCOPES_PATH: '/shop/dev/_platform/route-scopes',
      });
      const rules = routeScopeRules(template);
      // The same set of routes the gateway guards with the authorizer, no more, no less.
      const guarded = methods(template)
        .filter((method) => method.authorizationType === 'CUSTOM')
        .map((method) => method.route)
        .sort();
      expect(rules.map(routeOf).sort()).toEqual(guarded);
      expect(rules.filter((rule) => rule.resource.startsWith('/orders'))).toEqual([
        { method: 'GET', resource: '/orders', scopes: ['orders/read'] },
        { method: 'POST', resource: '/orders/{orderId}', scopes: ['orders/write', 'orders/admin'] },
      ]);
      const listed = rules.map(routeOf);
      for (const open of [
        'GET /orders/health',
        'GET /orders/catalog',
        'POST /oauth2/token',
        'GET /.well-known/jwks.json',
      ]) {
        expect(listed).not.toContain(open);
      }
    });

    it('knows the issuer, its JWKS, the usage-key parameter and the allowed algorithms', () => {
      const { template, auth, id } = defaults();
      const variables = environment(template, id(auth!.authorizerFunction.function));
      expect(variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'authorizer',
        USAGE_PLAN_KEYS_PARAMETER: USAGE_KEYS,
        ALLOWED_ALGORITHMS: 'ES256,RS256',
        TRUSTED_ISSUERS: '[]',
        // the token service's lifetime: the authorizer bounds own tokens and its cache by it
        ACCESS_TOKEN_TTL_SECONDS: '900',
      });
      expect(JSON.stringify(variables.JWKS_URL)).toContain('/dev/.well-known/jwks.json');
    });

    it('passes trusted external issuers, reading their scopes from the scope claim', () => {
      const { auth, id, template } = (() => {
        const built = build({
          authorization: {
            trustedIssuers: [
              {
                issuer: 'https://issuer.example.com',
                jwksUri: 'https://issuer.example.com/jwks',
                clientIds: ['abc'],
                allowedScopes: ['reading-list/read'],
              },
            ],
          },
        });
        return { ...built, template: built.template() };
      })();
      const trusted = JSON.parse(
        String(environment(template, id(auth!.authorizerFunction.function)).TRUSTED_ISSUERS),
      ) as unknown[];
      expect(trusted).toEqual([
        {
          issuer: 'https://issuer.example.com',
          jwksUri: 'https://issuer.example.com/jwks',
          clientIds: ['abc'],
          allowedScopes: ['reading-list/read'],
          scopeClaim: 'scope',
        },
      ]);
    });
  });

  describe('key rotation', () => {
    it('runs one at a time (reserved concurrency 1)', () => {
      const { template, auth, id } = defaults();
      expect(
        resource(template, id(auth!.rotationFunction.function)).Properties
          .ReservedConcurrentExecutions,
      ).toBe(1);
    });

    it('is scheduled by an events rule at a rate, every 30 days by default', () => {
      const { template, auth, id } = defaults();
      const rules = template.findResources('AWS::Events::Rule', {
        Properties: {
          Targets: [{ Arn: { 'Fn::GetAtt': [id(auth!.rotationFunction.function), 'Arn'] } }],
        },
      });
      expect(Object.keys(rules)).toHaveLength(1);
      const rule = Object.values(rules)[0] as Resource;
      expect(rule.Properties.ScheduleExpression).toBe('rate(30 days)');
      expect(rule.Properties.State).toBe('ENABLED');
      // EventBridge may invoke it, from this rule only.
      template.hasResourceProperties('AWS::Lambda::Permission', {
        FunctionName: { 'Fn::GetAtt': [id(auth!.rotationFunction.function), 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [Object.keys(rules)[0], 'Arn'] },
      });
    });

    it('follows keyRotationInterval', () => {
      const built = build({ authorization: { keyRotationInterval: Duration.days(7) } });
      built.template().hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(7 days)',
        Targets: [
          { Arn: { 'Fn::GetAtt': [built.id(built.auth!.rotationFunction.function), 'Arn'] } },
        ],
      });
    });

    it('runs once on deploy through a Custom::Trigger on a version of the rotation function', () => {
      const { template, auth, id } = defaults();
      const all = resources(template);
      const triggers = Object.values(all).filter((res) => res.Type === 'Custom::Trigger');
      const ours = triggers.filter((trigger) => {
        const handler = trigger.Properties.HandlerArn as { Ref?: string };
        const version = handler.Ref ? all[handler.Ref] : undefined;
        return (
          version?.Type === 'AWS::Lambda::Version' &&
          (version.Properties.FunctionName as { Ref?: string }).Ref ===
            id(auth!.rotationFunction.function)
        );
      });
      expect(ours).toHaveLength(1);
      expect(ours[0].Properties).toMatchObject({
        InvocationType: 'RequestResponse',
        ExecuteOnHandlerChange: false,
      });
    });

    it('uses ES256 by default and RS256 when asked', () => {
      const { template, auth, id } = defaults();
      expect(environment(template, id(auth!.rotationFunction.function))).toMatchObject({
        SIGNING_ALGORITHM: 'ES256',
        SIGNING_KEYS_PATH: SIGNING_KEYS,
        SIGNING_KEY_SET_PARAMETER: KEY_SET,
        SIGNING_KEYS_KMS_KEY_ID: { 'Fn::GetAtt': [id(auth!.signingKeysKey), 'Arn'] },
      });
      const rsa = build({ authorization: { signingAlgorithm: 'RS256' } });
      expect(
        environment(rsa.template(), rsa.id(rsa.auth!.rotationFunction.function)),
      ).toMatchObject({ SIGNING_ALGORITHM: 'RS256' });
    });
  });

  describe('least privilege', () => {
    it('lets the token service read the signing keys, read (not write) the clients table, and only record assertion IDs', () => {
      const { template, auth, id } = defaults();
      const statements = statementsOf(template, id(auth!.tokenFunction.function));
      expect(statementsFor(statements, 'ssm')).toEqual([
        { Action: 'ssm:GetParameter', Effect: 'Allow', Resource: parameterArn(KEY_SET) },
        {
          Action: 'ssm:GetParametersByPath',
          Effect: 'Allow',
          Resource: parameterArn(SIGNING_KEYS),
        },
      ]);
      const dynamo = statementsFor(statements, 'dynamodb');
      const clientsTable = { 'Fn::GetAtt': [id(auth!.clientsTable), 'Arn'] };
      const replayTable = { 'Fn::GetAtt': [id(auth!.assertionReplayTable), 'Arn'] };
      const onClients = dynamo.filter((statement) =>
        JSON.stringify(statement.Resource).includes(JSON.stringify(clientsTable)),
      );
      expect(onClients.flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:GetItem']));
      const writes = onClients
        .flatMap(actionsOf)
        .filter((action) =>
          /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|\*)$/.test(action),
        );
      expect(writes).toEqual([]);
      const onReplay = dynamo.filter((statement) =>
        JSON.stringify(statement.Resource).includes(JSON.stringify(replayTable)),
      );
      expect(onReplay.flatMap(actionsOf)).toEqual(['dynamodb:PutItem']);
      // The rest is people's sign-in, checked in people-sign-in.test.ts.
      const people = [auth!.people.usersTable, auth!.people.grantsTable].map((table) =>
        JSON.stringify({ 'Fn::GetAtt': [id(table), 'Arn'] }),
      );
      const onPeople = dynamo.filter((statement) =>
        people.some((table) => JSON.stringify(statement.Resource).includes(table)),
      );
      expect(onClients.length + onReplay.length + onPeople.length).toBe(dynamo.length);
      // Decrypting is granted by the key policy alone.
      expect(statementsFor(statements, 'kms')).toEqual([]);
    });

    it('lets rotation read and write the key set and write and delete its keys, nothing else in SSM', () => {
      const { template, auth, id } = defaults();
      const statements = statementsOf(template, id(auth!.rotationFunction.function));
      expect(statementsFor(statements, 'ssm')).toEqual([
        {
          Action: ['ssm:GetParameter', 'ssm:PutParameter'],
          Effect: 'Allow',
          Resource: parameterArn(KEY_SET),
        },
        {
          Action: 'ssm:GetParametersByPath',
          Effect: 'Allow',
          Resource: parameterArn(SIGNING_KEYS),
        },
        {
          Action: ['ssm:PutParameter', 'ssm:DeleteParameter'],
          Effect: 'Allow',
          Resource: parameterArn(`${SIGNING_KEYS}/*`),
        },
      ]);
      expect(statementsFor(statements, 'dynamodb')).toEqual([]);
      expect(statementsFor(statements, 'kms')).toEqual([]);
    });

    it('lets the authorizer read only the usage-key parameter and the route scopes', () => {
      const { template, auth, id } = defaults();
      const statements = statementsOf(template, id(auth!.authorizerFunction.function));
      expect(statementsFor(statements, 'ssm')).toEqual([
        { Action: 'ssm:GetParameter', Effect: 'Allow', Resource: parameterArn(USAGE_KEYS) },
        {
          Action: 'ssm:GetParametersByPath',
          Effect: 'Allow',
          Resource: [
            parameterArn('/shop/dev/_platform/route-scopes'),
            parameterArn('/shop/dev/_platform/route-scopes/*'),
          ],
        },
      ]);
      expect(statementsFor(statements, 'dynamodb')).toEqual([]);
    });

    it('grants no auth function an action beyond logs, X-Ray, SSM and DynamoDB', () => {
      const { template, auth, id } = defaults();
      for (const fn of [auth!.tokenFunction, auth!.rotationFunction, auth!.authorizerFunction]) {
        const unexpected = statementsOf(template, id(fn.function))
          .flatMap(actionsOf)
          .filter((action) => !/^(logs|xray|ssm|dynamodb):/.test(action));
        expect(unexpected, fn.node.path).toEqual([]);
      }
    });

    it('grantClientAdministration grants writing clients and the usage-key map', () => {
      const { stack, auth, id } = build();
      const admin = new iam.Role(stack, 'ClientAdmin', {
        assumedBy: new iam.AccountRootPrincipal(),
      });
      auth!.grantClientAdministration(admin);
      const template = Template.fromStack(stack);
      const policy = Object.values(
        template.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: id(admin) }] },
        }),
      )[0] as Resource;
      const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
      expect(statementsFor(statements, 'ssm')).toEqual([
        {
          Action: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:GetParameterHistory'],
          Effect: 'Allow',
          Resource: parameterArn(USAGE_KEYS),
        },
      ]);
      expect(statementsFor(statements, 'dynamodb').flatMap(actionsOf)).toContain(
        'dynamodb:PutItem',
      );
    });
  });

  describe('gateway', () => {
    it('checks tokens with a REQUEST authorizer on the Authorization header, cached 60 s', () => {
      const { template, auth, id } = defaults();
      template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
        Type: 'REQUEST',
        IdentitySource: 'method.request.header.Authorization',
        AuthorizerResultTtlInSeconds: 60,
      });
      const authorizer = resource(template, id(auth!.authorizer));
      expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(
        `"${id(auth!.authorizerFunction.function)}","Arn"`,
      );
    });

    it('follows authorizerCacheTtl', () => {
      const built = build({ authorization: { authorizerCacheTtl: Duration.seconds(15) } });
      built.template().hasResourceProperties('AWS::ApiGateway::Authorizer', {
        AuthorizerResultTtlInSeconds: 15,
      });
    });

    it('creates the authorizer only when a route needs one (a public-only service adds none)', () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'Public');
      const platform = new MicroservicePlatform(stack, 'Platform', { platformName: 'shop' });
      new Microservice(stack, 'Svc', { platform, serviceName: 'orders', entry: ORDERS_ENTRY });
      const template = Template.fromStack(stack);
      const ordersMethods = methods(template).filter((method) => method.route.includes(' /orders'));
      expect(ordersMethods.map((method) => method.route)).toEqual(['GET /orders/health']);
      // Whatever else the platform itself protects, the authorizer exists exactly when a
      // route is protected, and every protected route is registered for the authorizer.
      const protectedRoutes = platform.authorizationServer!.protectedRoutes;
      const guarded = methods(template).filter((method) => method.authorizationType === 'CUSTOM');
      expect(guarded.map((method) => method.route).sort()).toEqual(
        protectedRoutes.map(routeOf).sort(),
      );
      template.resourceCountIs('AWS::ApiGateway::Authorizer', protectedRoutes.length > 0 ? 1 : 0);
    });

    it('guards protected routes with the authorizer and a usage-plan key; public ones with neither', () => {
      const { template, auth, id } = defaults();
      const byRoute = new Map(methods(template).map((method) => [method.route, method]));
      for (const route of ['GET /orders', 'POST /orders/{orderId}']) {
        expect(byRoute.get(route), route).toEqual({
          route,
          authorizationType: 'CUSTOM',
          authorizerId: { Ref: id(auth!.authorizer) },
          apiKeyRequired: true,
        });
      }
      for (const route of ['GET /orders/health', 'GET /orders/catalog', 'POST /oauth2/token']) {
        expect(byRoute.get(route), route).toEqual({
          route,
          authorizationType: 'NONE',
          authorizerId: undefined,
          apiKeyRequired: undefined,
        });
      }
    });

    it('takes the usage-plan API key from the authorizer', () => {
      const { template } = defaults();
      template.hasResourceProperties('AWS::ApiGateway::RestApi', {
        ApiKeySourceType: 'AUTHORIZER',
      });
    });

    it('throttles POST /oauth2/token at 100 rps, burst 200 behind the per-source firewall', () => {
      const { template } = defaults();
      template.resourceCountIs('AWS::WAFv2::WebACL', 1);
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([
          Match.objectLike({
            HttpMethod: 'POST',
            ResourcePath: '/~1oauth2~1token',
            ThrottlingRateLimit: 100,
            ThrottlingBurstLimit: 200,
          }),
        ]),
      });
    });

    it('throttles POST /oauth2/token at 10 rps, burst 20 without the firewall', () => {
      const built = build({ tokenEndpointFirewall: false });
      built.template().resourceCountIs('AWS::WAFv2::WebACL', 0);
      built.template().resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
      expect(built.platform.tokenEndpointFirewall).toBeUndefined();
      built.template().hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([
          Match.objectLike({
            HttpMethod: 'POST',
            ResourcePath: '/~1oauth2~1token',
            ThrottlingRateLimit: 10,
            ThrottlingBurstLimit: 20,
          }),
        ]),
      });
    });

    it('has no web ACL on a LocalStack target, whose community tier has no WAF', () => {
      const built = build({ target: PlatformTarget.LOCALSTACK });
      built.template().resourceCountIs('AWS::WAFv2::WebACL', 0);
      built.template().hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([
          Match.objectLike({ ResourcePath: '/~1oauth2~1token', ThrottlingRateLimit: 10 }),
        ]),
      });
    });

    it('passes the firewall options to the web ACL', () => {
      const built = build({ tokenEndpointFirewall: { limit: 30 } });
      expect(built.platform.tokenEndpointFirewall?.limit).toBe(30);
      built.template().hasResourceProperties('AWS::WAFv2::WebACL', {
        Rules: Match.arrayWith([
          Match.objectLike({
            Statement: { RateBasedStatement: Match.objectLike({ Limit: 30 }) },
          }),
        ]),
      });
    });

    it('follows tokenEndpointThrottle', () => {
      const built = build({ tokenEndpointThrottle: { rateLimit: 2, burstLimit: 5 } });
      built.template().hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([
          Match.objectLike({
            HttpMethod: 'POST',
            ResourcePath: '/~1oauth2~1token',
            ThrottlingRateLimit: 2,
            ThrottlingBurstLimit: 5,
          }),
        ]),
      });
    });
  });

  describe('usage plans', () => {
    it('attaches a default usage plan to the stage: 50 rps, burst 100, 100 000 a day', () => {
      const { template, auth, platform, id } = defaults();
      expect(resource(template, id(auth!.defaultUsagePlan)).Properties).toMatchObject({
        UsagePlanName: 'shop-dev-default',
        ApiStages: [
          {
            ApiId: { Ref: id(platform.restApi) },
            Stage: { Ref: id(platform.restApi.deploymentStage) },
          },
        ],
        Throttle: { RateLimit: 50, BurstLimit: 100 },
        Quota: { Limit: 100_000, Period: 'DAY' },
      });
    });

    it('follows defaultQuota', () => {
      const built = build({
        authorization: { defaultQuota: { rateLimit: 5, burstLimit: 10, requestsPerDay: 1000 } },
      });
      built.template().hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        UsagePlanName: 'shop-dev-default',
        Throttle: { RateLimit: 5, BurstLimit: 10 },
        Quota: { Limit: 1000, Period: 'DAY' },
      });
    });

    it('addUsagePlan adds another plan on the same stage', () => {
      const { stack, auth, platform, id } = build();
      const gold = auth!.addUsagePlan('gold', { rateLimit: 500, burstLimit: 1000 });
      const template = Template.fromStack(stack);
      const plans = template.findResources('AWS::ApiGateway::UsagePlan');
      expect(Object.keys(plans).sort()).toEqual([id(auth!.defaultUsagePlan), id(gold)].sort());
      expect(resource(template, id(gold)).Properties).toMatchObject({
        UsagePlanName: 'shop-dev-gold',
        ApiStages: [
          {
            ApiId: { Ref: id(platform.restApi) },
            Stage: { Ref: id(platform.restApi.deploymentStage) },
          },
        ],
        Throttle: { RateLimit: 500, BurstLimit: 1000 },
        Quota: { Limit: 100_000, Period: 'DAY' },
      });
    });
  });

  describe('authorization: false', () => {
    const open = () => {
      const built = build({ authorization: false });
      return { ...built, template: built.template() };
    };

    it('creates no authorization server, authorizer, auth function, trigger or usage plan', () => {
      const { template, auth } = open();
      expect(auth).toBeUndefined();
      template.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
      template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
      template.resourceCountIs('Custom::Trigger', 0);
      for (const name of ['token-service', 'key-rotation', 'authorizer']) {
        expect(
          Object.keys(
            template.findResources('AWS::Lambda::Function', {
              Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: name } } },
            }),
          ),
          name,
        ).toEqual([]);
      }
      expect(
        Object.keys(
          template.findResources('AWS::DynamoDB::Table', {
            Properties: { KeySchema: [{ AttributeName: 'clientId' }] },
          }),
        ),
      ).toEqual([]);
    });

    it('mounts service routes without authorization, and no OAuth2 routes', () => {
      const { template } = open();
      const all = methods(template);
      expect(
        all
          .filter((method) => method.route.includes(' /orders'))
          .map((method) => method.route)
          .sort(),
      ).toEqual([
        'GET /orders',
        'GET /orders/catalog',
        'GET /orders/health',
        'POST /orders/{orderId}',
      ]);
      for (const method of all) {
        expect(method.authorizationType, method.route).toBe('NONE');
        expect(method.apiKeyRequired, method.route).toBeUndefined();
      }
      expect(all.map((method) => method.route)).not.toContain('POST /oauth2/token');
    });

    it('sets no API key source and no token-endpoint throttle', () => {
      const { template } = open();
      const api = Object.values(template.findResources('AWS::ApiGateway::RestApi'))[0] as Resource;
      expect(api.Properties.ApiKeySourceType).toBeUndefined();
      const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0] as Resource;
      expect(JSON.stringify(stage.Properties.MethodSettings)).not.toContain('oauth2');
    });
  });
});
