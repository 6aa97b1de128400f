import * as path from 'node:path';
import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  MicroservicePlatform,
  type MicroservicePlatformProps,
} from '../../../lib/platform/microservice-platform';
import { Microservice } from '../../../lib/service/microservice';

const FUNCTIONS = path.join(__dirname, '..', '..', '..', 'functions');
const READING_LIST_ENTRY = path.join(FUNCTIONS, 'services', 'reading-list', 'handler.ts');
const RECOMMENDATIONS_ENTRY = path.join(FUNCTIONS, 'services', 'recommendations', 'handler.ts');

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

const CONTROL_LOOP_ACTIONS = [
  'servicediscovery:ListServices',
  'servicediscovery:GetService',
  'servicediscovery:ListInstances',
  'servicediscovery:GetInstancesHealthStatus',
  'servicediscovery:UpdateInstanceCustomHealthStatus',
];

/** A platform with reading-list (v2, weight 30, calls recommendations) and recommendations. */
function synth(
  props: Partial<MicroservicePlatformProps> = {},
  extend: (stack: Stack, platform: MicroservicePlatform) => void = () => {},
) {
  // Bundling disabled: construct tests check the template, not the bundle.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'RegistryStack', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const platform = new MicroservicePlatform(stack, 'Platform', {
    platformName: 'shop',
    stage: 'dev',
    ...props,
  });
  const recommendations = new Microservice(stack, 'Recommendations', {
    platform,
    serviceName: 'recommendations',
    entry: RECOMMENDATIONS_ENTRY,
  });
  const readingList = new Microservice(stack, 'ReadingList', {
    platform,
    serviceName: 'reading-list',
    entry: READING_LIST_ENTRY,
    version: '2',
    weight: 30,
  });
  readingList.addServiceDependency(recommendations);
  extend(stack, platform);
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const id = (construct: IConstruct) =>
    stack.getLogicalId(construct.node.defaultChild as CfnElement);
  /** Every statement of the policies attached to the role with logical ID `roleId`. */
  const statementsOf = (roleId: string): Statement[] =>
    Object.values(resources)
      .filter(
        (resource) =>
          resource.Type === 'AWS::IAM::Policy' &&
          (resource.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId),
      )
      .flatMap(
        (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
      );
  const ofType = (type: string) =>
    Object.entries(resources).filter(([, resource]) => resource.Type === type);
  return {
    app,
    stack,
    platform,
    readingList,
    recommendations,
    template,
    resources,
    id,
    statementsOf,
    ofType,
  };
}

let shared: ReturnType<typeof synth> | undefined;
const demo = () => (shared ??= synth());

const actionsOf = (statements: Statement[]) =>
  statements.flatMap((statement) => [statement.Action].flat());

describe('ServiceRegistry', () => {
  describe('namespace', () => {
    it('creates one Cloud Map HTTP namespace named {platform}-{stage}', () => {
      const { platform, ofType, id } = demo();
      const namespaces = ofType('AWS::ServiceDiscovery::HttpNamespace');
      expect(namespaces).toHaveLength(1);
      expect(namespaces[0][0]).toBe(id(platform.registry.namespace));
      expect(namespaces[0][1].Properties.Name).toBe('shop-dev');
      expect(platform.registry.namespace.namespaceName).toBe('shop-dev');
      // No private DNS namespace: Lambda instances have no IP to resolve.
      expect(ofType('AWS::ServiceDiscovery::PrivateDnsNamespace')).toEqual([]);
      expect(ofType('AWS::ServiceDiscovery::PublicDnsNamespace')).toEqual([]);
    });

    it('follows the platform name and stage', () => {
      const { template } = synth({ platformName: 'books', stage: 'qa' });
      template.hasResourceProperties('AWS::ServiceDiscovery::HttpNamespace', { Name: 'books-qa' });
    });

    it("tells every service function the namespace's name", () => {
      const { resources, id, readingList, recommendations } = demo();
      for (const svc of [readingList, recommendations]) {
        const variables = (
          resources[id(svc.function)].Properties.Environment as {
            Variables: Record<string, unknown>;
          }
        ).Variables;
        expect(variables.SERVICE_DISCOVERY_NAMESPACE, svc.serviceName).toBe('shop-dev');
      }
    });
  });

  describe('services and instances', () => {
    it('creates one Cloud Map service per Microservice, with a custom health check only', () => {
      const { platform, ofType, id } = demo();
      const services = ofType('AWS::ServiceDiscovery::Service');
      expect(services.map(([, service]) => service.Properties.Name).sort()).toEqual([
        'reading-list',
        'recommendations',
      ]);
      for (const [, service] of services) {
        expect(service.Properties).toEqual({
          Name: service.Properties.Name,
          Description: `${service.Properties.Name as string} service`,
          NamespaceId: { 'Fn::GetAtt': [id(platform.registry.namespace), 'Id'] },
          HealthCheckCustomConfig: { FailureThreshold: 1 },
        });
        // Neither a Route 53 health check nor DNS records: health is set by the control loop.
        expect(service.Properties.HealthCheckConfig).toBeUndefined();
        expect(service.Properties.DnsConfig).toBeUndefined();
      }
    });

    it('registers one instance per service with function name, base path, version, stage and weight', () => {
      const { ofType, id, readingList, recommendations } = demo();
      const serviceIds = Object.fromEntries(
        ofType('AWS::ServiceDiscovery::Service').map(([logicalId, service]) => [
          service.Properties.Name as string,
          logicalId,
        ]),
      );
      const instances = ofType('AWS::ServiceDiscovery::Instance').map(
        ([, instance]) => instance.Properties,
      );
      expect(instances).toHaveLength(2);
      expect(instances).toContainEqual({
        InstanceId: 'recommendations-v1',
        ServiceId: { 'Fn::GetAtt': [serviceIds.recommendations, 'Id'] },
        InstanceAttributes: {
          functionName: { Ref: id(recommendations.function) },
          basePath: '/recommendations',
          version: '1',
          stage: 'dev',
          weight: '100',
        },
      });
      expect(instances).toContainEqual({
        InstanceId: 'reading-list-v2',
        ServiceId: { 'Fn::GetAtt': [serviceIds['reading-list'], 'Id'] },
        InstanceAttributes: {
          functionName: { Ref: id(readingList.function) },
          basePath: '/reading-list',
          version: '2',
          stage: 'dev',
          weight: '30',
        },
      });
    });

    it("records the platform's stage on every instance", () => {
      const { template } = synth({ stage: 'canary' });
      const attributes = Object.values(
        template.findResources('AWS::ServiceDiscovery::Instance'),
      ).map(
        (instance) =>
          (instance.Properties as Record<string, Record<string, unknown>>).InstanceAttributes.stage,
      );
      expect(attributes).toEqual(['canary', 'canary']);
    });
  });

  describe('control loop', () => {
    function controlLoop(setup = demo()) {
      const { platform, resources, id } = setup;
      const fnId = id(platform.registry.controlLoop.function);
      const roleId = id(platform.registry.controlLoop.role);
      return { fnId, roleId, fn: resources[fnId] };
    }

    it('is one Node.js 22 function with reserved concurrency 1, pointed at the namespace', () => {
      const setup = demo();
      const { fn } = controlLoop(setup);
      expect(fn.Type).toBe('AWS::Lambda::Function');
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        ReservedConcurrentExecutions: 1,
        Timeout: 30,
      });
      expect(
        (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
      ).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'control-loop',
        SERVICE_DISCOVERY_NAMESPACE: 'shop-dev',
        SERVICE_DISCOVERY_NAMESPACE_ID: {
          'Fn::GetAtt': [setup.id(setup.platform.registry.namespace), 'Id'],
        },
      });
    });

    it('runs every minute by default, with a probe event', () => {
      const setup = demo();
      const { fnId } = controlLoop(setup);
      const rules = setup
        .ofType('AWS::Events::Rule')
        .map(([, rule]) => rule.Properties)
        .filter((rule) =>
          (rule.Targets as { Arn: unknown }[]).some(
            (target) =>
              JSON.stringify(target.Arn) === JSON.stringify({ 'Fn::GetAtt': [fnId, 'Arn'] }),
          ),
        );
      expect(rules).toHaveLength(1);
      expect(rules[0]).toMatchObject({
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [{ Input: JSON.stringify({ action: 'probe' }) }],
      });
      // EventBridge may invoke it.
      const permissions = setup
        .ofType('AWS::Lambda::Permission')
        .map(([, permission]) => permission.Properties)
        .filter(
          (permission) =>
            JSON.stringify(permission.FunctionName) ===
            JSON.stringify({ 'Fn::GetAtt': [fnId, 'Arn'] }),
        );
      expect(permissions).toEqual([
        expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          Principal: 'events.amazonaws.com',
        }),
      ]);
    });

    it('follows healthProbeInterval', () => {
      const { template } = synth({ healthProbeInterval: Duration.minutes(5) });
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        Targets: [{ Input: JSON.stringify({ action: 'probe' }) }],
      });
    });

    it('may read the registry and set custom health, and nothing else in Cloud Map', () => {
      const setup = demo();
      const { roleId } = controlLoop(setup);
      const statements = setup.statementsOf(roleId);
      const discovery = statements.filter((statement) =>
        [statement.Action].flat().some((action) => action.startsWith('servicediscovery:')),
      );
      expect(discovery).toEqual([{ Action: CONTROL_LOOP_ACTIONS, Effect: 'Allow', Resource: '*' }]);
      // Never registers, deregisters or deletes anything.
      expect(
        actionsOf(statements).filter((action) =>
          /^servicediscovery:(Register|Deregister|Delete|Create)/.test(action),
        ),
      ).toEqual([]);
    });

    it("may invoke every service through the service's own resource policy, and its role has nothing beyond logs, X-Ray and Cloud Map", () => {
      const setup = demo();
      const { roleId } = controlLoop(setup);
      const statements = setup.statementsOf(roleId);
      // Nothing per service in the platform's role: a new service never changes this stack.
      expect(
        actionsOf(statements).filter(
          (action) =>
            !/^(logs:(CreateLogStream|PutLogEvents)|xray:Put.*)$/.test(action) &&
            !CONTROL_LOOP_ACTIONS.includes(action),
        ),
      ).toEqual([]);
      for (const svc of [setup.recommendations, setup.readingList]) {
        const permissions = setup
          .ofType('AWS::Lambda::Permission')
          .map(([, permission]) => permission.Properties)
          .filter(
            (properties) =>
              JSON.stringify(properties.FunctionName) ===
                JSON.stringify({ 'Fn::GetAtt': [setup.id(svc.function), 'Arn'] }) &&
              JSON.stringify(properties.Principal) ===
                JSON.stringify({ 'Fn::GetAtt': [roleId, 'Arn'] }),
          );
        expect(permissions, svc.serviceName).toEqual([
          expect.objectContaining({ Action: 'lambda:InvokeFunction' }),
        ]);
      }
    });

    it('lets a service registered later be probed too, and gives it its alarm', () => {
      let extra: Microservice | undefined;
      const setup = synth({}, (stack, platform) => {
        extra = new Microservice(stack, 'Extra', {
          platform,
          serviceName: 'extra',
          entry: RECOMMENDATIONS_ENTRY,
        });
      });
      const roleArn = { 'Fn::GetAtt': [setup.id(setup.platform.registry.controlLoop.role), 'Arn'] };
      const probes = setup
        .ofType('AWS::Lambda::Permission')
        .map(([, permission]) => permission.Properties)
        .filter((properties) => JSON.stringify(properties.Principal) === JSON.stringify(roleArn));
      expect(probes).toHaveLength(3);
      expect(probes.map((properties) => properties.FunctionName)).toContainEqual({
        'Fn::GetAtt': [setup.id(extra!.function), 'Arn'],
      });
      const healthAlarms = setup
        .ofType('AWS::CloudWatch::Alarm')
        .filter(([, alarm]) => alarm.Properties.MetricName === 'HealthyInstances');
      expect(healthAlarms).toHaveLength(3);
    });
  });

  describe('cdk-nag', () => {
    it("leaves no AwsSolutions violation: the control loop's wildcards are acknowledged one by one", () => {
      const report = new AwsSolutionsChecks().validateScope(demo().app);
      const described = report.violations.map(
        (violation) =>
          `${violation.ruleName}: ${violation.violatingResources
            .map((resource) => resource.constructPath ?? resource.resourceLogicalId)
            .join(', ')}`,
      );
      expect(described).toEqual([]);
    });
  });

  describe('alarms', () => {
    it('creates one alarm per service on HealthyInstances < 1, with missing data breaching', () => {
      const { ofType } = demo();
      const alarms = ofType('AWS::CloudWatch::Alarm')
        .map(([, alarm]) => alarm.Properties)
        .filter((alarm) => alarm.MetricName === 'HealthyInstances');
      expect(alarms).toHaveLength(2);
      for (const serviceName of ['recommendations', 'reading-list']) {
        const forService = alarms.filter(
          (alarm) =>
            JSON.stringify(alarm.Dimensions) ===
            JSON.stringify([{ Name: 'service', Value: serviceName }]),
        );
        expect(forService, serviceName).toHaveLength(1);
        expect(forService[0]).toMatchObject({
          Namespace: 'ServerlessMsa/shop',
          MetricName: 'HealthyInstances',
          Statistic: 'Minimum',
          Period: 60,
          ComparisonOperator: 'LessThanThreshold',
          Threshold: 1,
          TreatMissingData: 'breaching',
        });
      }
      expect(demo().readingList.noHealthyInstanceAlarm).toBeDefined();
    });

    it('exposes the HealthyInstances metric of a service', () => {
      const { platform, stack } = demo();
      const metric = platform.registry.metricHealthyInstances('recommendations', {
        period: Duration.minutes(5),
      });
      expect(metric.namespace).toBe('ServerlessMsa/shop');
      expect(metric.metricName).toBe('HealthyInstances');
      expect(metric.dimensions).toEqual({ service: 'recommendations' });
      expect(metric.period.toSeconds()).toBe(300);
      expect(stack.resolve(metric.statistic)).toBe('Minimum');
    });
  });

  describe('grants', () => {
    const discoverStatements = (statements: Statement[]) =>
      statements.filter((statement) =>
        [statement.Action].flat().includes('servicediscovery:DiscoverInstances'),
      );

    it('addServiceDependency grants DiscoverInstances to the caller only', () => {
      const { readingList, recommendations, statementsOf, id } = demo();
      const roleOf = (svc: Microservice) => id(svc.function.role as iam.Role);
      expect(discoverStatements(statementsOf(roleOf(readingList)))).toEqual([
        { Action: 'servicediscovery:DiscoverInstances', Effect: 'Allow', Resource: '*' },
      ]);
      expect(discoverStatements(statementsOf(roleOf(recommendations)))).toEqual([]);
    });

    it('grants no service function any Cloud Map action beyond DiscoverInstances', () => {
      const { readingList, recommendations, statementsOf, id } = demo();
      for (const svc of [readingList, recommendations]) {
        expect(
          actionsOf(statementsOf(id(svc.function.role as iam.Role))).filter(
            (action) =>
              action.startsWith('servicediscovery:') &&
              action !== 'servicediscovery:DiscoverInstances',
          ),
          svc.serviceName,
        ).toEqual([]);
      }
    });

    it('grantDiscover and grantRead give exactly their actions', () => {
      const roles: Record<string, iam.Role> = {};
      const setup = synth({}, (stack, platform) => {
        for (const name of ['Discoverer', 'Reader']) {
          roles[name] = new iam.Role(stack, name, {
            assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
          });
        }
        platform.registry.grantDiscover(roles.Discoverer);
        platform.registry.grantRead(roles.Reader);
      });
      expect(setup.statementsOf(setup.id(roles.Discoverer))).toEqual([
        { Action: 'servicediscovery:DiscoverInstances', Effect: 'Allow', Resource: '*' },
      ]);
      expect(setup.statementsOf(setup.id(roles.Reader))).toEqual([
        {
          Action: [
            'servicediscovery:ListServices',
            'servicediscovery:GetService',
            'servicediscovery:ListInstances',
            'servicediscovery:GetInstancesHealthStatus',
          ],
          Effect: 'Allow',
          Resource: '*',
        },
      ]);
    });
  });
});
