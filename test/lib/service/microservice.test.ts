import * as path from 'node:path';
import { App, type CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { MicroservicePlatform } from '../../../lib/platform/microservice-platform';
import { Microservice, type MicroserviceProps } from '../../../lib/service/microservice';

const FUNCTIONS = path.join(__dirname, '..', '..', '..', 'functions');
const READING_LIST_ENTRY = path.join(FUNCTIONS, 'services', 'reading-list', 'handler.ts');
const RECOMMENDATIONS_ENTRY = path.join(FUNCTIONS, 'services', 'recommendations', 'handler.ts');

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

function newPlatform(
  props: { logRetention?: logs.RetentionDays; removalPolicy?: RemovalPolicy } = {},
) {
  // Bundling disabled: construct tests check the template, not the bundle.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'ServiceStack', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const platform = new MicroservicePlatform(stack, 'Platform', {
    platformName: 'shop',
    stage: 'dev',
    ...props,
  });
  return { stack, platform };
}

function service(
  platform: MicroservicePlatform,
  id: string,
  props: Partial<MicroserviceProps> & { serviceName: string },
) {
  return new Microservice(platform.node.scope as Stack, id, {
    platform,
    entry: props.serviceName === 'recommendations' ? RECOMMENDATIONS_ENTRY : READING_LIST_ENTRY,
    ...props,
  });
}

/** Two services in one stack: reading-list (three routes) calls recommendations (one route). */
function twoServices() {
  const { stack, platform } = newPlatform();
  const recommendations = service(platform, 'Recommendations', {
    serviceName: 'recommendations',
    routes: [{ method: 'GET', scopes: ['recommendations/read'] }],
  });
  const readingList = service(platform, 'ReadingList', {
    serviceName: 'reading-list',
    routes: [
      { method: 'GET', scopes: ['reading-list/read'] },
      { method: 'post', scopes: ['reading-list/write'] },
      { method: 'DELETE', path: '/{bookId}', scopes: ['reading-list/write'] },
    ],
  });
  readingList.addServiceDependency(recommendations);
  const template = Template.fromStack(stack);
  const id = (construct: IConstruct) =>
    stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return { stack, platform, template, readingList, recommendations, id };
}

let shared: ReturnType<typeof twoServices> | undefined;
const demo = () => (shared ??= twoServices());

function resource(template: Template, logicalId: string): Resource {
  const found = (template.toJSON().Resources as Record<string, Resource>)[logicalId];
  if (!found) throw new Error(`no resource ${logicalId}`);
  return found;
}

function rolePolicy(template: Template, fn: Microservice, stack: Stack): Resource {
  const roleId = stack.getLogicalId(fn.function.role!.node.defaultChild as CfnElement);
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
  ) as Resource[];
  expect(policies).toHaveLength(1);
  return policies[0];
}

type Statement = { Action: string | string[]; Effect: string; Resource: unknown };
const statements = (policy: Resource) =>
  (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
const actions = (statement: Statement) => [statement.Action].flat();

describe('Microservice', () => {
  describe('function', () => {
    it('creates one Lambda function per service', () => {
      const { template, readingList, recommendations, id } = demo();
      for (const svc of [readingList, recommendations]) {
        const fns = template.findResources('AWS::Lambda::Function', {
          Properties: {
            Environment: { Variables: { POWERTOOLS_SERVICE_NAME: svc.serviceName } },
          },
        });
        expect(Object.keys(fns), svc.serviceName).toEqual([id(svc.function)]);
      }
    });

    it('runs Node.js 22 on arm64 with active tracing and the Powertools environment', () => {
      const { template, readingList, recommendations, id } = demo();
      for (const svc of [readingList, recommendations]) {
        const fn = resource(template, id(svc.function));
        expect(fn.Type).toBe('AWS::Lambda::Function');
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          Handler: 'index.handler',
          MemorySize: 256,
          Timeout: 10,
          LoggingConfig: { LogGroup: { Ref: id(svc.logGroup) } },
        });
        expect(
          (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
        ).toMatchObject({
          POWERTOOLS_SERVICE_NAME: svc.serviceName,
          POWERTOOLS_METRICS_NAMESPACE: 'ServerlessMsa/shop',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          SERVICE_NAME: svc.serviceName,
          SERVICE_VERSION: '1',
          PLATFORM_NAME: 'shop',
          PLATFORM_STAGE: 'dev',
          TABLE_NAME: { Ref: id(svc.table) },
        });
      }
    });

    it('applies memory, timeout, version and extra environment overrides', () => {
      const { stack, platform } = newPlatform();
      const svc = service(platform, 'Svc', {
        serviceName: 'orders',
        memorySize: 512,
        timeout: Duration.seconds(3),
        version: '2.1',
        environment: { FEATURE_X: 'on' },
      });
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
        MemorySize: 512,
        Timeout: 3,
        Environment: { Variables: Match.objectLike({ FEATURE_X: 'on', SERVICE_VERSION: '2.1' }) },
      });
      expect(svc.version).toBe('2.1');
    });
  });

  describe('table', () => {
    it('creates one on-demand, PITR-enabled, encrypted table per service', () => {
      const { template, readingList, recommendations, id } = demo();
      // The platform has tables of its own (OAuth2 clients, resilience state): look at the
      // services' tables only.
      const serviceTables = [id(readingList.table), id(recommendations.table)];
      expect(new Set(serviceTables).size).toBe(2);
      for (const table of serviceTables.map((logicalId) => resource(template, logicalId))) {
        expect(table.Type).toBe('AWS::DynamoDB::Table');
        expect(table.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          // The consumers' idempotency records expire through it.
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        });
        expect(table.DeletionPolicy).toBe('Retain');
      }
    });

    it("grants each function its own table and no other service's table", () => {
      const { template, stack, platform, readingList, recommendations, id } = demo();
      const ownOrShared = (own: Microservice) => [
        [{ 'Fn::GetAtt': [id(own.table), 'Arn'] }],
        // The platform's resilience table (circuit state) is shared by design.
        { 'Fn::GetAtt': [id(platform.resilience.table), 'Arn'] },
      ];
      const pairs: [Microservice, Microservice][] = [
        [readingList, recommendations],
        [recommendations, readingList],
      ];
      for (const [own, other] of pairs) {
        const policy = JSON.stringify(rolePolicy(template, own, stack));
        expect(policy).toContain(id(own.table));
        expect(
          policy,
          `${own.serviceName}'s policy references ${other.serviceName}'s table`,
        ).not.toContain(id(other.table));
        const dynamo = statements(rolePolicy(template, own, stack)).filter((statement) =>
          actions(statement).some((action) => action.startsWith('dynamodb:')),
        );
        expect(dynamo.length).toBeGreaterThan(0);
        expect(
          dynamo.some((statement) =>
            JSON.stringify(statement.Resource).includes(`"${id(own.table)}"`),
          ),
        ).toBe(true);
        for (const statement of dynamo) {
          expect(ownOrShared(own)).toContainEqual(statement.Resource);
        }
      }
    });
  });

  describe('logs', () => {
    it('gives each function its own log group with the platform retention, writable only by its role', () => {
      const { template, stack, readingList, recommendations, id } = demo();
      for (const svc of [readingList, recommendations]) {
        expect(resource(template, id(svc.logGroup)).Properties).toMatchObject({
          RetentionInDays: 30,
        });
        const logStatements = statements(rolePolicy(template, svc, stack)).filter((statement) =>
          actions(statement).some((action) => action.startsWith('logs:')),
        );
        expect(logStatements).toEqual([
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [id(svc.logGroup), 'Arn'] },
          },
        ]);
      }
    });

    it('uses no AWS-managed policy on the execution role', () => {
      const { template, stack, readingList } = demo();
      const role = resource(
        template,
        stack.getLogicalId(readingList.function.role!.node.defaultChild as CfnElement),
      );
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('follows the platform log retention and removal policy', () => {
      const { stack, platform } = newPlatform({
        logRetention: logs.RetentionDays.ONE_WEEK,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const svc = service(platform, 'Svc', { serviceName: 'orders' });
      const template = Template.fromStack(stack);
      const logGroup = resource(
        template,
        stack.getLogicalId(svc.logGroup.node.defaultChild as CfnElement),
      );
      expect(logGroup.Properties.RetentionInDays).toBe(7);
      expect(logGroup.DeletionPolicy).toBe('Delete');
      expect(
        resource(template, stack.getLogicalId(svc.table.node.defaultChild as CfnElement))
          .DeletionPolicy,
      ).toBe('Delete');
    });
  });

  describe('routes', () => {
    function methods(template: Template) {
      const resources = template.toJSON().Resources as Record<string, Resource>;
      const pathOf = (ref: { Ref: string } | { 'Fn::GetAtt': string[] }): string => {
        if ('Fn::GetAtt' in ref) return '';
        const res = resources[ref.Ref];
        if (res.Type !== 'AWS::ApiGateway::Resource') return '';
        return `${pathOf(res.Properties.ParentId as { Ref: string })}/${res.Properties.PathPart as string}`;
      };
      return Object.values(resources)
        .filter((res) => res.Type === 'AWS::ApiGateway::Method')
        .map((res) => ({
          route: `${res.Properties.HttpMethod as string} ${pathOf(res.Properties.ResourceId as { Ref: string })}`,
          authorizationType: res.Properties.AuthorizationType,
          authorizerId: res.Properties.AuthorizerId,
          apiKeyRequired: res.Properties.ApiKeyRequired,
          target: JSON.stringify((res.Properties.Integration as { Uri: unknown }).Uri),
        }));
    }

    /** Routes of the two services (the platform mounts its own OAuth2 routes too). */
    const serviceMethods = (template: Template) =>
      methods(template).filter((method) =>
        /^[A-Z]+ \/(reading-list|recommendations)(\/|$)/.test(method.route),
      );

    it('mounts every route under /{serviceName}, including a public GET /{serviceName}/health', () => {
      const { template } = demo();
      expect(
        serviceMethods(template)
          .map((method) => method.route)
          .sort(),
      ).toEqual([
        'DELETE /reading-list/{bookId}',
        'GET /reading-list',
        'GET /reading-list/health',
        'GET /recommendations',
        'GET /recommendations/health',
        'POST /reading-list',
      ]);
      for (const health of methods(template).filter((method) => method.route.endsWith('/health'))) {
        expect(health.authorizationType).toBe('NONE');
        expect(health.authorizerId).toBeUndefined();
      }
    });

    it("protects every other route with the platform's authorizer and a usage-plan key", () => {
      const { template, platform, stack } = demo();
      const authorizerId = stack.getLogicalId(
        platform.authorizationServer!.authorizer.node.defaultChild as CfnElement,
      );
      const protectedRoutes = serviceMethods(template).filter(
        (method) => !method.route.endsWith('/health'),
      );
      expect(protectedRoutes).toHaveLength(4);
      for (const method of protectedRoutes) {
        expect(method, method.route).toMatchObject({
          authorizationType: 'CUSTOM',
          authorizerId: { Ref: authorizerId },
          apiKeyRequired: true,
        });
      }
    });

    it("writes each protected route and its scopes in the service's own route-scope parameter", () => {
      const { platform, template } = demo();
      const rules = (service: string) => {
        const found = Object.values(template.findResources('AWS::SSM::Parameter')).find(
          (parameter) =>
            (parameter as Resource).Properties.Name ===
            `/shop/dev/_platform/route-scopes/${service}/0`,
        ) as Resource | undefined;
        return JSON.parse(String(found?.Properties.Value ?? 'null'));
      };
      expect(rules('recommendations')).toEqual([
        { method: 'GET', resource: '/recommendations', scopes: ['recommendations/read'] },
      ]);
      expect(rules('reading-list')).toEqual([
        { method: 'GET', resource: '/reading-list', scopes: ['reading-list/read'] },
        { method: 'POST', resource: '/reading-list', scopes: ['reading-list/write'] },
        { method: 'DELETE', resource: '/reading-list/{bookId}', scopes: ['reading-list/write'] },
      ]);
      // Nothing of the services in the platform's own rules (its stack never changes for them).
      expect(
        platform.authorizationServer!.protectedRoutes.filter((rule) =>
          /^\/(reading-list|recommendations)(\/|$)/.test(rule.resource),
        ),
      ).toEqual([]);
    });

    it('splits many routes over several parameters, each within the 4 KB of a standard one', () => {
      const { stack, platform } = newPlatform();
      const svc = service(platform, 'Many', { serviceName: 'catalogue' });
      // 80 routes: several parameters' worth, with the platform (its dashboard, alarms and
      // central logs too) in the same stack under 500 resources.
      for (let index = 0; index < 80; index++) {
        svc.addRoute({ method: 'GET', path: `/items-${index}/{id}`, scopes: ['catalogue/read'] });
      }
      const chunks = Object.values(Template.fromStack(stack).findResources('AWS::SSM::Parameter'))
        .map((parameter) => (parameter as Resource).Properties)
        .filter((properties) =>
          String(properties.Name).startsWith('/shop/dev/_platform/route-scopes/catalogue/'),
        );
      expect(chunks.length).toBeGreaterThan(1);
      const rules = chunks.flatMap((properties) => {
        expect(String(properties.Value).length).toBeLessThanOrEqual(4096);
        return JSON.parse(String(properties.Value)) as { resource: string }[];
      });
      expect(rules).toHaveLength(80);
      expect(new Set(rules.map((rule) => rule.resource)).size).toBe(80);
    });

    it('mounts every route without authorizer when the platform has no authorization server', () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'OpenStack');
      const platform = new MicroservicePlatform(stack, 'Platform', {
        platformName: 'shop',
        authorization: false,
      });
      service(platform, 'Svc', {
        serviceName: 'orders',
        routes: [{ method: 'GET', scopes: ['orders/read'] }],
      });
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
      const all = methods(template).filter((method) => method.route.includes('/orders'));
      expect(all.map((method) => method.route).sort()).toEqual([
        'GET /orders',
        'GET /orders/health',
      ]);
      for (const method of all) {
        expect(method.authorizationType).toBe('NONE');
        expect(method.apiKeyRequired).toBeUndefined();
      }
    });

    it("integrates each route with its own service's function (Lambda proxy)", () => {
      const { template, readingList, recommendations, id } = demo();
      for (const method of serviceMethods(template)) {
        const owner = method.route.includes('/reading-list') ? readingList : recommendations;
        const other = owner === readingList ? recommendations : readingList;
        expect(method.target).toContain(`"${id(owner.function)}","Arn"`);
        expect(method.target).not.toContain(`"${id(other.function)}"`);
      }
      template.allResourcesProperties('AWS::ApiGateway::Method', {
        Integration: { Type: 'AWS_PROXY' },
      });
    });

    it('lists its routes with upper-cased methods and full paths', () => {
      const { readingList } = demo();
      expect(readingList.basePath).toBe('/reading-list');
      expect(readingList.routes).toEqual([
        { method: 'GET', path: '/reading-list/health', scopes: [], public: true },
        { method: 'GET', path: '/reading-list', scopes: ['reading-list/read'], public: false },
        { method: 'POST', path: '/reading-list', scopes: ['reading-list/write'], public: false },
        {
          method: 'DELETE',
          path: '/reading-list/{bookId}',
          scopes: ['reading-list/write'],
          public: false,
        },
      ]);
    });

    it('creates exactly one API Gateway invoke permission per function, however many routes', () => {
      const { template, readingList, recommendations, id } = demo();
      for (const svc of [readingList, recommendations]) {
        const permissions = template.findResources('AWS::Lambda::Permission', {
          Properties: {
            FunctionName: { 'Fn::GetAtt': [id(svc.function), 'Arn'] },
            Principal: 'apigateway.amazonaws.com',
          },
        });
        expect(Object.keys(permissions), svc.serviceName).toHaveLength(1);
        const permission = Object.values(permissions)[0] as Resource;
        expect(permission.Properties).toMatchObject({
          Action: 'lambda:InvokeFunction',
          Principal: 'apigateway.amazonaws.com',
        });
        // Scoped to the API (any stage, method and path), not to one method.
        const sourceArn = JSON.stringify(permission.Properties.SourceArn);
        expect(sourceArn).toContain('/*/*/*');
      }
    });

    it('adds later routes without adding permissions', () => {
      const { stack, platform } = newPlatform();
      const svc = service(platform, 'Svc', { serviceName: 'orders' });
      for (let index = 0; index < 5; index++) svc.addRoute({ method: 'PUT', path: `/r${index}` });
      const template = Template.fromStack(stack);
      expect(methods(template).filter((method) => method.route.includes(' /orders'))).toHaveLength(
        6,
      );
      const functionArn = {
        'Fn::GetAtt': [stack.getLogicalId(svc.function.node.defaultChild as CfnElement), 'Arn'],
      };
      expect(
        Object.keys(
          template.findResources('AWS::Lambda::Permission', {
            Properties: { FunctionName: functionArn, Principal: 'apigateway.amazonaws.com' },
          }),
        ),
      ).toHaveLength(1);
    });

    it('rejects a route path without a leading slash, which would escape the base path', () => {
      const { platform } = newPlatform();
      const svc = service(platform, 'Svc', { serviceName: 'reading' });
      // '/reading' + '-list' would otherwise mount on another service's base path.
      expect(() => svc.addRoute({ method: 'GET', path: '-list' })).toThrow(
        /not a valid resource path/,
      );
      expect(() => svc.addRoute({ method: 'GET', path: 'items' })).toThrow(
        /not a valid resource path/,
      );
    });

    it.each(['/items?x=1', 'items', '/items//x', '/items/', '/it ems', '/items/#'])(
      'rejects the invalid route path %j',
      (routePath) => {
        const { platform } = newPlatform();
        const svc = service(platform, 'Svc', { serviceName: 'orders' });
        expect(() => svc.addRoute({ method: 'GET', path: routePath })).toThrow(
          `Route path '/orders${routePath}' of orders is not a valid resource path`,
        );
      },
    );

    it('rejects an invalid route path given in the props', () => {
      const { platform } = newPlatform();
      expect(() =>
        service(platform, 'Svc', {
          serviceName: 'orders',
          routes: [{ method: 'GET', path: '/a b' }],
        }),
      ).toThrow(/not a valid resource path/);
    });
  });

  describe('addServiceDependency', () => {
    it('grants the caller lambda:InvokeFunction on exactly the target function and its qualifiers', () => {
      const { template, stack, readingList, recommendations, id } = demo();
      const invoke = statements(rolePolicy(template, readingList, stack)).filter((statement) =>
        actions(statement).some((action) => action.startsWith('lambda:')),
      );
      const target = { 'Fn::GetAtt': [id(recommendations.function), 'Arn'] };
      expect(invoke).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          Effect: 'Allow',
          Resource: [target, { 'Fn::Join': ['', [target, ':*']] }],
        },
      ]);
    });

    it('grants nothing beyond logs, X-Ray, its tables, its configuration, discovery and the one invoke', () => {
      const { template, stack, readingList } = demo();
      const all = statements(rolePolicy(template, readingList, stack)).flatMap(actions);
      const unexpected = all.filter(
        (action) =>
          !/^(logs:(CreateLogStream|PutLogEvents)|xray:Put.*|dynamodb:.*|lambda:InvokeFunction|ssm:(GetParameter|GetParameters|GetParametersByPath)|appconfig:(StartConfigurationSession|GetLatestConfiguration)|servicediscovery:DiscoverInstances)$/.test(
            action,
          ),
      );
      expect(unexpected).toEqual([]);
      expect(all.filter((action) => action === 'lambda:InvokeFunction')).toHaveLength(1);
      expect(all.filter((action) => action === 'servicediscovery:DiscoverInstances')).toHaveLength(
        1,
      );
      // Nothing writes configuration, and no other service-discovery action is granted.
      expect(all.filter((action) => /^(ssm|appconfig|servicediscovery):/.test(action))).toEqual([
        'ssm:GetParameter',
        'ssm:GetParameters',
        'ssm:GetParametersByPath',
        'appconfig:StartConfigurationSession',
        'appconfig:GetLatestConfiguration',
        'servicediscovery:DiscoverInstances',
      ]);
      // A wildcard resource only where the service offers nothing narrower (X-Ray, Cloud Map).
      const wildcard = statements(rolePolicy(template, readingList, stack))
        .filter((statement) => [statement.Resource].flat().includes('*'))
        .flatMap(actions);
      expect(
        wildcard.filter(
          (action) => !/^(xray:Put.*|servicediscovery:DiscoverInstances)$/.test(action),
        ),
      ).toEqual([]);
    });

    it("reads SSM parameters only under its own path and the shared one, not another service's", () => {
      const { template, stack, readingList } = demo();
      const ssmStatements = statements(rolePolicy(template, readingList, stack)).filter(
        (statement) => actions(statement).some((action) => action.startsWith('ssm:')),
      );
      expect(ssmStatements).toHaveLength(1);
      const parameterArn = (name: string) => ({
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, `:ssm:eu-west-1:123456789012:parameter/${name}`],
        ],
      });
      expect(ssmStatements[0].Resource).toEqual([
        parameterArn('shop/dev/reading-list'),
        parameterArn('shop/dev/reading-list/*'),
        parameterArn('shop/dev/shared'),
        parameterArn('shop/dev/shared/*'),
      ]);
      expect(JSON.stringify(ssmStatements[0].Resource)).not.toContain('recommendations');
    });

    it("reads AppConfig only from the platform's application and environment", () => {
      const { template, stack, platform, readingList } = demo();
      const appconfig = statements(rolePolicy(template, readingList, stack)).filter((statement) =>
        actions(statement).some((action) => action.startsWith('appconfig:')),
      );
      const ref = (construct: IConstruct) => ({
        Ref: stack.getLogicalId(construct.node.defaultChild as CfnElement),
      });
      expect(appconfig).toEqual([
        {
          Action: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
          Effect: 'Allow',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':appconfig:eu-west-1:123456789012:application/',
                ref(platform.configuration.application),
                '/environment/',
                ref(platform.configuration.environment),
                '/configuration/*',
              ],
            ],
          },
        },
      ]);
    });

    it('grants servicediscovery:DiscoverInstances to the caller only, not to the target', () => {
      const { template, stack, readingList, recommendations } = demo();
      const discover = (svc: Microservice) =>
        statements(rolePolicy(template, svc, stack)).filter((statement) =>
          actions(statement).includes('servicediscovery:DiscoverInstances'),
        );
      expect(discover(readingList)).toEqual([
        { Action: 'servicediscovery:DiscoverInstances', Effect: 'Allow', Resource: '*' },
      ]);
      expect(discover(recommendations)).toEqual([]);
    });

    it('is one-directional: the target gets no invoke permission on the caller', () => {
      const { template, stack, recommendations } = demo();
      const invoke = statements(rolePolicy(template, recommendations, stack)).filter((statement) =>
        actions(statement).some((action) => action.startsWith('lambda:')),
      );
      expect(invoke).toEqual([]);
    });

    it("tells the caller the target's function name in SERVICE_<NAME>_FUNCTION_NAME", () => {
      const { template, readingList, recommendations, id } = demo();
      const caller = resource(template, id(readingList.function));
      const callee = resource(template, id(recommendations.function));
      expect(
        (caller.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
      ).toMatchObject({
        SERVICE_RECOMMENDATIONS_FUNCTION_NAME: { Ref: id(recommendations.function) },
      });
      expect(JSON.stringify(callee.Properties.Environment)).not.toContain('_FUNCTION_NAME');
    });

    it('turns hyphens of the target name into underscores', () => {
      const { stack, platform } = newPlatform();
      const caller = service(platform, 'Caller', { serviceName: 'orders' });
      const target = service(platform, 'Target', { serviceName: 'reading-list' });
      caller.addServiceDependency(target);
      const template = Template.fromStack(stack);
      const fn = resource(
        template,
        stack.getLogicalId(caller.function.node.defaultChild as CfnElement),
      );
      expect(
        Object.keys(
          (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
        ),
      ).toContain('SERVICE_READING_LIST_FUNCTION_NAME');
    });
  });

  describe('configuration and discovery', () => {
    it("tells every function its configuration paths, the platform's AppConfig and its namespace", () => {
      const { template, stack, platform, readingList, recommendations, id } = demo();
      const ref = (construct: IConstruct) => ({
        Ref: stack.getLogicalId(construct.node.defaultChild as CfnElement),
      });
      for (const svc of [readingList, recommendations]) {
        expect(
          (
            resource(template, id(svc.function)).Properties.Environment as {
              Variables: Record<string, unknown>;
            }
          ).Variables,
          svc.serviceName,
        ).toMatchObject({
          CONFIG_SERVICE_PATH: `/shop/dev/${svc.serviceName}`,
          CONFIG_SHARED_PATH: '/shop/dev/shared',
          APPCONFIG_APPLICATION: ref(platform.configuration.application),
          APPCONFIG_ENVIRONMENT: ref(platform.configuration.environment),
          SERVICE_DISCOVERY_NAMESPACE: 'shop-dev',
          CONFIG_MAX_AGE_SECONDS: '30',
        });
      }
    });

    it('creates its config values as String parameters under /{platform}/{stage}/{service}/', () => {
      const { stack, platform } = newPlatform();
      service(platform, 'Svc', {
        serviceName: 'orders',
        config: { 'page-size': '20', currency: 'EUR' },
      });
      const template = Template.fromStack(stack);
      const parameters = Object.values(template.findResources('AWS::SSM::Parameter'))
        .map((parameter) => parameter.Properties as { Name: string; Type: string; Value: string })
        .filter((parameter) => parameter.Name.startsWith('/shop/dev/orders/'));
      expect(parameters.sort((a, b) => a.Name.localeCompare(b.Name))).toEqual([
        { Name: '/shop/dev/orders/currency', Type: 'String', Value: 'EUR' },
        { Name: '/shop/dev/orders/page-size', Type: 'String', Value: '20' },
      ]);
    });

    it('creates no configuration parameter without config', () => {
      const names = Object.values(demo().template.findResources('AWS::SSM::Parameter')).map(
        (parameter) => String((parameter as Resource).Properties.Name),
      );
      expect(names.length).toBeGreaterThan(0); // the platform's published attributes
      expect(names.filter((name) => !name.startsWith('/shop/dev/_platform/'))).toEqual([]);
    });

    it('registers one Cloud Map instance with its weight (default 100)', () => {
      const { stack, platform } = newPlatform();
      service(platform, 'Canary', { serviceName: 'orders', version: '2', weight: 10 });
      service(platform, 'Other', { serviceName: 'billing' });
      const template = Template.fromStack(stack);
      const instances = Object.values(
        template.findResources('AWS::ServiceDiscovery::Instance'),
      ).map(
        (instance) =>
          instance.Properties as {
            InstanceId: string;
            InstanceAttributes: Record<string, unknown>;
          },
      );
      expect(
        Object.fromEntries(
          instances.map((instance) => [instance.InstanceId, instance.InstanceAttributes.weight]),
        ),
      ).toEqual({ 'orders-v2': '10', 'billing-v1': '100' });
    });
  });

  describe('service names', () => {
    it.each(['admin', 'oauth2', '.well-known', 'auth', 'shared'])(
      'rejects the reserved name %j',
      (serviceName) => {
        const { platform } = newPlatform();
        expect(() => service(platform, 'Svc', { serviceName })).toThrow(
          new RegExp(
            `^serviceName must be .*not one of oauth2, admin, .well-known, auth, shared; got '${serviceName.replace('.', '\\.')}'$`,
          ),
        );
      },
    );

    it.each([
      '',
      'Orders',
      '1orders',
      'orders_v2',
      'or ders',
      '-orders',
      'o'.repeat(41),
      'orders/v2',
    ])('rejects the invalid name %j', (serviceName) => {
      const { platform } = newPlatform();
      expect(() => service(platform, 'Svc', { serviceName })).toThrow(
        /^serviceName must be 1-40 lower-case letters/,
      );
    });

    it.each(['a', 'orders-v2', 'o'.repeat(40)])('accepts the valid name %j', (serviceName) => {
      const { platform } = newPlatform();
      expect(() => service(platform, 'Svc', { serviceName })).not.toThrow();
    });
  });
});
