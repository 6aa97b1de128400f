import * as path from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ADMIN_SCOPE } from '../../../lib/platform/admin-api';
import { MicroservicePlatform } from '../../../lib/platform/microservice-platform';
import { Microservice } from '../../../lib/service/microservice';

const FUNCTIONS = path.join(__dirname, '..', '..', '..', 'functions');
const RECOMMENDATIONS_ENTRY = path.join(FUNCTIONS, 'services', 'recommendations', 'handler.ts');

type Resource = { Type: string; Properties: Record<string, unknown> };

const ADMIN_ROUTES = [
  ['GET', '/admin/circuits'],
  ['POST', '/admin/circuits/{name}/force-open'],
  ['POST', '/admin/circuits/{name}/force-closed'],
  ['POST', '/admin/circuits/{name}/reset'],
  ['GET', '/admin/faults'],
  ['PUT', '/admin/faults/{service}'],
  ['DELETE', '/admin/faults/{service}'],
  ['GET', '/admin/services'],
  ['GET', '/admin/dead-letters'],
  ['POST', '/admin/dead-letters/{queue}/redrive'],
  ['GET', '/admin/logs'],
  ['GET', '/admin/errors'],
  ['GET', '/admin/config'],
  ['PUT', '/admin/flags/{service}/{flag}'],
  // Mounted by the people's sign-in (PeopleSignIn) on the same function.
  ['POST', '/admin/users'],
] as const;

function synth(authorization?: false, centralLogs?: false) {
  // Bundling disabled: construct tests check the template, not the bundle.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'AdminStack', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const platform = new MicroservicePlatform(stack, 'Platform', {
    platformName: 'shop',
    authorization,
    circuitBreaker: { minimumCalls: 5 },
    ...(centralLogs === false ? { observability: { centralLogs } } : {}),
  });
  new Microservice(stack, 'Recommendations', {
    platform,
    serviceName: 'recommendations',
    entry: RECOMMENDATIONS_ENTRY,
    routes: [{ method: 'GET', scopes: ['recommendations/read'] }],
  });
  const template = Template.fromStack(stack);
  return {
    app,
    stack,
    platform,
    template,
    resources: template.toJSON().Resources as Record<string, Resource>,
  };
}

let shared: ReturnType<typeof synth> | undefined;
const withAuth = () => (shared ??= synth());

const logicalId = (stack: Stack, element: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(element.node.defaultChild as CfnElement);

/** `METHOD /full/path` → the method resource, walking the REST API's resource tree. */
function methodsByRoute(resources: Record<string, Resource>): Map<string, Resource> {
  const pathOf = (id: string): string => {
    const resource = resources[id].Properties as { PathPart: string; ParentId: { Ref?: string } };
    const parent = resource.ParentId.Ref ? pathOf(resource.ParentId.Ref) : '';
    return `${parent}/${resource.PathPart}`;
  };
  const routes = new Map<string, Resource>();
  for (const method of Object.values(resources)) {
    if (method.Type !== 'AWS::ApiGateway::Method') continue;
    const parent = (method.Properties.ResourceId as { Ref?: string }).Ref;
    if (!parent) continue;
    routes.set(`${method.Properties.HttpMethod as string} ${pathOf(parent)}`, method);
  }
  return routes;
}

function functionWithServiceName(resources: Record<string, Resource>, serviceName: string) {
  return Object.entries(resources).filter(
    ([, resource]) =>
      resource.Type === 'AWS::Lambda::Function' &&
      (resource.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables?.POWERTOOLS_SERVICE_NAME === serviceName,
  );
}

function tableActions(
  resources: Record<string, Resource>,
  roleLogicalId: string,
  tableLogicalId: string,
): string[] {
  const actions = new Set<string>();
  for (const policy of Object.values(resources)) {
    if (policy.Type !== 'AWS::IAM::Policy') continue;
    if (!(policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId))
      continue;
    const statements = (
      policy.Properties.PolicyDocument as {
        Statement: { Action: string | string[]; Resource: unknown; Effect: string }[];
      }
    ).Statement;
    for (const statement of statements) {
      const targets = [statement.Resource].flat();
      if (
        statement.Effect === 'Allow' &&
        targets.some(
          (target) =>
            JSON.stringify(target) === JSON.stringify({ 'Fn::GetAtt': [tableLogicalId, 'Arn'] }),
        )
      ) {
        for (const action of [statement.Action].flat()) actions.add(action);
      }
    }
  }
  return [...actions].sort();
}

describe('AdminApi', () => {
  it('needs the scope platform/admin', () => {
    expect(ADMIN_SCOPE).toBe('platform/admin');
  });

  it('adds one admin function pointed at the resilience table, without breaker settings', () => {
    const { stack, platform, resources } = withAuth();
    expect(platform.adminApi).toBeDefined();
    const admins = functionWithServiceName(resources, 'platform-admin');
    expect(admins).toHaveLength(1);
    const [id, admin] = admins[0];
    expect(id).toBe(logicalId(stack, platform.adminApi!.function.function));
    const variables = (admin.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables.RESILIENCE_TABLE_NAME).toEqual({
      Ref: logicalId(stack, platform.resilience.table),
    });
    // Breaker settings are for services that call other services; the admin calls none.
    expect(Object.keys(variables).filter((name) => name.startsWith('CIRCUIT_'))).toEqual([]);
  });

  it('grants the admin function Scan on the resilience table (services do not get it)', () => {
    const { stack, platform, resources } = withAuth();
    const table = logicalId(stack, platform.resilience.table);
    const role = (
      resources[logicalId(stack, platform.adminApi!.function.function)].Properties.Role as {
        'Fn::GetAtt': [string, string];
      }
    )['Fn::GetAtt'][0];
    const actions = tableActions(resources, role, table);
    expect(actions).toContain('dynamodb:Scan');
    expect(actions).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    ]);

    // It may delete fault items only (leading key fault#...), never a circuit's record.
    const deletes = Object.values(resources)
      .filter((policy) => policy.Type === 'AWS::IAM::Policy')
      .flatMap(
        (policy) =>
          (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
      )
      .filter(
        (statement) =>
          [statement.Action].flat().includes('dynamodb:DeleteItem') &&
          JSON.stringify(statement.Resource).includes(`"${table}"`),
      );
    expect(deletes).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['fault#*'] } },
      }),
    ]);

    const [[, service]] = functionWithServiceName(resources, 'recommendations');
    const serviceRole = (service.Properties.Role as { 'Fn::GetAtt': [string, string] })[
      'Fn::GetAtt'
    ][0];
    expect(tableActions(resources, serviceRole, table)).not.toContain('dynamodb:Scan');
  });

  it.each(ADMIN_ROUTES)(
    'mounts %s %s on the admin function, CUSTOM-authorized with an API key',
    (method, route) => {
      const { stack, platform, resources } = withAuth();
      const found = methodsByRoute(resources).get(`${method} ${route}`);
      expect(found, `${method} ${route} is mounted`).toBeDefined();
      expect(found!.Properties).toMatchObject({
        AuthorizationType: 'CUSTOM',
        ApiKeyRequired: true,
        AuthorizerId: { Ref: expect.any(String) },
      });
      const authorizer = resources[(found!.Properties.AuthorizerId as { Ref: string }).Ref];
      expect(authorizer.Type).toBe('AWS::ApiGateway::Authorizer');
      expect(authorizer.Properties.Type).toBe('REQUEST');
      const adminId = logicalId(stack, platform.adminApi!.function.function);
      expect(JSON.stringify(found!.Properties.Integration)).toContain(`"${adminId}"`);
    },
  );

  it('mounts no other method under /admin', () => {
    const { resources } = withAuth();
    const adminRoutes = [...methodsByRoute(resources).keys()]
      .filter((route) => route.split(' ')[1].startsWith('/admin'))
      .sort();
    expect(adminRoutes).toEqual(ADMIN_ROUTES.map(([m, r]) => `${m} ${r}`).sort());
  });

  it('writes every admin route where the authorizer reads its rules: views platform/read or platform/admin, actions platform/admin', () => {
    const { resources } = withAuth();
    const parameters = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::SSM::Parameter')
      .map((resource) => resource.Properties as { Name: string; Value: string })
      .filter((parameter) => parameter.Name.startsWith('/shop/prod/_platform/route-scopes/'));
    expect(parameters.length).toBeGreaterThan(0);
    const rules = parameters.flatMap(
      (parameter) =>
        JSON.parse(parameter.Value) as {
          method: string;
          resource: string;
          scopes: string[];
          match?: string;
        }[],
    );
    for (const [method, resource] of ADMIN_ROUTES) {
      expect(rules).toContainEqual(
        method === 'GET'
          ? { method, resource, scopes: ['platform/read', 'platform/admin'], match: 'any-of' }
          : { method, resource, scopes: ['platform/admin'] },
      );
    }
    // The service's own route is still there with its own scope.
    expect(rules).toContainEqual(
      expect.objectContaining({ method: 'GET', scopes: ['recommendations/read'] }),
    );
  });

  it('points the admin function at the Cloud Map namespace and lets it read, not change, the registry', () => {
    const { stack, platform, resources } = withAuth();
    const admin = resources[logicalId(stack, platform.adminApi!.function.function)];
    expect(
      (admin.Properties.Environment as { Variables: Record<string, unknown> }).Variables
        .SERVICE_DISCOVERY_NAMESPACE_ID,
    ).toEqual({ 'Fn::GetAtt': [logicalId(stack, platform.registry.namespace), 'Id'] });
    const role = (admin.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const discovery = Object.values(resources)
      .filter(
        (policy) =>
          policy.Type === 'AWS::IAM::Policy' &&
          (policy.Properties.Roles as { Ref: string }[]).some((entry) => entry.Ref === role),
      )
      .flatMap(
        (policy) =>
          (policy.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] })
            .Statement,
      )
      .flatMap((statement) => [statement.Action].flat())
      .filter((action) => action.startsWith('servicediscovery:'))
      .sort();
    expect(discovery).toEqual([
      'servicediscovery:GetInstancesHealthStatus',
      'servicediscovery:GetService',
      'servicediscovery:ListInstances',
      'servicediscovery:ListServices',
    ]);
  });

  it('points the admin function at the log domain and lets it search the platform’s log indices only', () => {
    const { stack, platform, resources } = withAuth();
    const centralLogs = platform.observability.centralLogs!;
    const domainId = logicalId(stack, centralLogs.domain as unknown as Stack);
    const adminId = logicalId(stack, platform.adminApi!.function.function);
    const admin = resources[adminId];
    const variables = (admin.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables.LOG_SEARCH_ENDPOINT).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [domainId, 'DomainEndpoint'] }]],
    });
    expect(variables.LOG_SEARCH_INDEX_PATTERN).toBe('logs-shop-*');
    const searchArn = {
      'Fn::Join': ['', [{ 'Fn::GetAtt': [domainId, 'Arn'] }, '/logs-shop-*/_search']],
    };
    const role = (admin.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = Object.values(resources)
      .filter(
        (policy) =>
          policy.Type === 'AWS::IAM::Policy' &&
          (policy.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === role),
      )
      .flatMap(
        (policy) =>
          (
            policy.Properties.PolicyDocument as {
              Statement: { Action: string | string[]; Resource: unknown }[];
            }
          ).Statement,
      );
    const onDomain = statements.filter((statement) =>
      JSON.stringify(statement.Resource).includes(`"${domainId}"`),
    );
    // Search only: no PUT, no DELETE, no other path of the domain.
    expect(onDomain).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['es:ESHttpGet', 'es:ESHttpPost'],
        Resource: searchArn,
      }),
    ]);
    // The domain's access policy lets the admin role in too (fine-grained access control next).
    const accessPolicies = JSON.stringify(
      Object.values(resources).filter(
        (resource) => resource.Type === 'Custom::OpenSearchAccessPolicy',
      ),
    );
    expect(accessPolicies).toContain(role);
  });

  it('points the admin function at the configuration and lets it list parameters and deploy flags of its own application', () => {
    const { stack, platform, resources } = withAuth();
    const config = platform.configuration;
    const admin = resources[logicalId(stack, platform.adminApi!.function.function)];
    const variables = (admin.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables.CONFIG_ROOT_PATH).toBe('/shop/prod');
    expect(variables.APPCONFIG_APPLICATION).toEqual({
      Ref: logicalId(stack, config.application as unknown as Stack),
    });
    expect(variables.APPCONFIG_DEPLOYMENT_STRATEGY_ID).toEqual({
      Ref: logicalId(stack, config.deploymentStrategy as unknown as Stack),
    });
    const role = (admin.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = Object.values(resources)
      .filter(
        (policy) =>
          policy.Type === 'AWS::IAM::Policy' &&
          (policy.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === role),
      )
      .flatMap(
        (policy) =>
          (
            policy.Properties.PolicyDocument as {
              Statement: { Action: string | string[]; Resource: unknown }[];
            }
          ).Statement,
      );
    const appConfigStatement = statements.find((statement) =>
      [statement.Action].flat().includes('appconfig:StartDeployment'),
    );
    expect([appConfigStatement!.Action].flat().sort()).toEqual([
      'appconfig:CreateHostedConfigurationVersion',
      'appconfig:GetHostedConfigurationVersion',
      'appconfig:ListConfigurationProfiles',
      'appconfig:ListHostedConfigurationVersions',
      'appconfig:StartDeployment',
    ]);
    // Its own application only.
    expect(JSON.stringify(appConfigStatement!.Resource)).toContain(
      logicalId(stack, config.application as unknown as Stack),
    );
    const ssmStatement = statements.find((statement) =>
      [statement.Action].flat().includes('ssm:GetParametersByPath'),
    );
    expect(JSON.stringify(ssmStatement!.Resource)).toContain(':parameter/shop/prod');
    // Reading values never decrypts: no kms:Decrypt, no ssm:GetParameter with decryption.
    expect(statements.flatMap((statement) => [statement.Action].flat())).not.toContain(
      'kms:Decrypt',
    );
  });

  it('is cdk-nag clean', () => {
    const { app } = withAuth();
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('advertises platform/admin among the token service scopes', () => {
    withAuth().template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'token-service',
          SCOPES_SUPPORTED: Match.stringLikeRegexp('(^| )platform/admin( |$)'),
        }),
      },
    });
  });
});

describe('MicroservicePlatform with authorization: false', () => {
  it('has no admin API: no admin function, no /admin resource', () => {
    const { platform, resources } = synth(false);
    expect(platform.adminApi).toBeUndefined();
    expect(platform.authorizationServer).toBeUndefined();
    expect(functionWithServiceName(resources, 'platform-admin')).toEqual([]);
    const adminResources = Object.values(resources).filter(
      (resource) =>
        resource.Type === 'AWS::ApiGateway::Resource' && resource.Properties.PathPart === 'admin',
    );
    expect(adminResources).toEqual([]);
    expect(
      [...methodsByRoute(resources).keys()].filter((route) => route.includes('/admin')),
    ).toEqual([]);
    // The resilience table is still there for the services' breakers.
    expect(
      Object.entries(resources).filter(
        ([id, resource]) => resource.Type === 'AWS::DynamoDB::Table' && id.includes('Resilience'),
      ),
    ).toHaveLength(1);
  });
});

describe('MicroservicePlatform without central logs', () => {
  it('leaves the log search unset (the log and error views answer 503) and grants nothing on a domain', () => {
    const { stack, platform, resources } = synth(undefined, false);
    const admin = resources[logicalId(stack, platform.adminApi!.function.function)];
    const variables = (admin.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables.LOG_SEARCH_ENDPOINT).toBeUndefined();
    expect(JSON.stringify(resources)).not.toContain('es:ESHttpPost');
  });
});
