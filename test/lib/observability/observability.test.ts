import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDemoStacks, type DemoStacks } from '../../../examples/demo/demo-app';
import { Microservice, MicroservicePlatform } from '../../../lib';
import { SERVICE_ERRORS_METRIC } from '../../../functions/runtime/contract/audit';

const SERVICES_ROOT = path.join(__dirname, '..', '..', '..', 'functions', 'services');
const ENV = { account: '123456789012', region: 'eu-west-1' };

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

let app: App;
let stacks: DemoStacks;
let templates: Map<string, Template>;

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stacks = addDemoStacks(app, { servicesRoot: SERVICES_ROOT, env: ENV });
  templates = new Map(
    [stacks.platform, stacks.recommendations, stacks.readingList].map((stack) => [
      stack.stackName,
      Template.fromStack(stack),
    ]),
  );
}, 60_000);

function resources(template: Template, type?: string): [string, Resources[string]][] {
  const all = Object.entries(template.toJSON().Resources as Resources);
  return type ? all.filter(([, resource]) => resource.Type === type) : all;
}

function platformTemplate(): Template {
  return templates.get(stacks.platform.stackName)!;
}

/** The logical ID of the shipper's function in the platform stack. */
function shipperLogicalId(): string {
  const stack = stacks.platform;
  const shipper = stacks.platform.platform.observability.centralLogs!.shipper.function;
  return stack.getLogicalId(shipper.node.defaultChild as never);
}

describe('central logs on AWS', () => {
  it('owns an OpenSearch domain with fine-grained access control, encryption at rest and in transit, HTTPS only on TLS 1.2', () => {
    platformTemplate().hasResourceProperties('AWS::OpenSearchService::Domain', {
      EngineVersion: 'OpenSearch_2.19',
      AdvancedSecurityOptions: Match.objectLike({
        Enabled: true,
        InternalUserDatabaseEnabled: false,
      }),
      EncryptionAtRestOptions: { Enabled: true },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: {
        EnforceHTTPS: true,
        TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07',
      },
      ClusterConfig: Match.objectLike({ ZoneAwarenessEnabled: true, InstanceCount: 2 }),
    });
  });

  it('runs the pre-built shipper with bounded concurrency, a dead-letter queue and an on-failure queue', () => {
    const template = platformTemplate();
    const id = shipperLogicalId();
    const shipper = template.toJSON().Resources[id] as Resources[string];
    const props = shipper.Properties as {
      ReservedConcurrentExecutions: number;
      Handler: string;
      Environment: { Variables: Record<string, unknown> };
    };
    expect(props.ReservedConcurrentExecutions).toBe(4);
    expect(props.Handler).toBe('index.handler');
    const variables = props.Environment.Variables;
    expect(Object.keys(variables)).toEqual(
      expect.arrayContaining([
        'OPENSEARCH_ENDPOINT',
        'LOG_DEAD_LETTER_QUEUE_URL',
        'LOG_RETENTION_DAYS',
        'AUDIT_LOG_GROUP_NAME',
        'AUDIT_RETENTION_DAYS',
      ]),
    );
    expect(JSON.stringify(variables.OPENSEARCH_ENDPOINT)).toContain('DomainEndpoint');
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: id },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    // One permission for every log group of the account: service stacks need no new one.
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'logs.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [id, 'Arn'] },
      SourceAccount: ENV.account,
      SourceArn: {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, `:logs:${ENV.region}:${ENV.account}:log-group:*`],
        ],
      },
    });
  });

  it('subscribes every function log group of every stack to the shipper, except its own', () => {
    const shipperId = shipperLogicalId();
    let subscribed = 0;
    for (const [name, template] of templates) {
      const filters = resources(template, 'AWS::Logs::SubscriptionFilter');
      const subscribedGroups = new Set(
        filters.map(([, filter]) => JSON.stringify(filter.Properties!.LogGroupName)),
      );
      for (const [, filter] of filters) {
        const destination = JSON.stringify(filter.Properties!.DestinationArn);
        if (name === stacks.platform.stackName) {
          expect(destination).toBe(JSON.stringify({ 'Fn::GetAtt': [shipperId, 'Arn'] }));
        } else {
          // Another stack reads the shipper's ARN from what the platform published in SSM.
          expect(destination).toMatch(/^\{"Ref":"SsmParameterValue.*observability.*log.*shipper/i);
        }
        expect(filter.Properties!.FilterPattern).toBe('');
      }
      for (const [id, fn] of resources(template, 'AWS::Lambda::Function')) {
        const logGroup = (fn.Properties!.LoggingConfig as { LogGroup?: unknown } | undefined)
          ?.LogGroup;
        if (logGroup === undefined) {
          // Only the CDK's own provider functions (custom resources, triggers) log elsewhere.
          expect(fn.Properties!.Environment, `${name}/${id}`).toBeUndefined();
          continue;
        }
        if (id === shipperId) {
          expect(subscribedGroups.has(JSON.stringify(logGroup)), 'the shipper ships itself').toBe(
            false,
          );
          continue;
        }
        expect(subscribedGroups.has(JSON.stringify(logGroup)), `${name}/${id}`).toBe(true);
        subscribed++;
      }
    }
    // Token, rotation, authorizer, admin, control loop, console, and the two services at least.
    expect(subscribed).toBeGreaterThanOrEqual(8);
  });

  it('counts the ERROR lines of every function log group per service', () => {
    for (const [name, template] of templates) {
      const logGroups = resources(template, 'AWS::Lambda::Function')
        .map(
          ([, fn]) =>
            (fn.Properties!.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup,
        )
        .filter((group) => group !== undefined)
        .map((group) => JSON.stringify(group));
      const filters = resources(template, 'AWS::Logs::MetricFilter').filter(
        ([, filter]) =>
          (filter.Properties!.MetricTransformations as { MetricName: string }[])[0].MetricName ===
          SERVICE_ERRORS_METRIC,
      );
      const counted = new Set(
        filters.map(([, filter]) => JSON.stringify(filter.Properties!.LogGroupName)),
      );
      for (const group of logGroups) expect(counted.has(group), `${name} ${group}`).toBe(true);
      for (const [, filter] of filters) {
        expect(filter.Properties!.FilterPattern).toBe('{ $.level = "ERROR" }');
        expect(filter.Properties!.MetricTransformations).toEqual([
          expect.objectContaining({
            MetricNamespace: 'ServerlessMsa/msa-demo',
            MetricValue: '1',
            Dimensions: [{ Key: 'service', Value: '$.service' }],
          }),
        ]);
      }
    }
  });

  it('keeps audit records in their own log group, longer than any function log', () => {
    const template = platformTemplate();
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/msa-demo/dev/audit',
      RetentionInDays: 400,
    });
    const retentions = resources(template, 'AWS::Logs::LogGroup')
      .filter(([, group]) => group.Properties!.LogGroupName !== '/msa-demo/dev/audit')
      .map(([, group]) => group.Properties!.RetentionInDays as number);
    expect(Math.max(...retentions)).toBeLessThan(400);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: Match.stringLikeRegexp('AuditLogs') },
      MetricTransformations: [
        Match.objectLike({
          MetricName: 'AuditRecords',
          Dimensions: Match.arrayWith([{ Key: 'result', Value: '$.result' }]),
        }),
      ],
    });
  });
});

describe('alerts and dashboards', () => {
  it('has one encrypted, TLS-only alert topic, published for service stacks', () => {
    const template = platformTemplate();
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'msa-demo-dev-alerts',
      KmsMasterKeyId: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/msa-demo/dev/_platform/observability/alert-topic-arn',
    });
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/msa-demo/dev/_platform/observability/log-shipper-arn',
    });
  });

  it('sends every alarm of every stack to the alert topic', () => {
    let alarms = 0;
    for (const [name, template] of templates) {
      const topicRef =
        name === stacks.platform.stackName
          ? /^\{"Ref":".*Alerts.*"\}$/
          : /^\{"Ref":"SsmParameterValue.*observability.*alert.*topic/i;
      for (const [id, alarm] of resources(template, 'AWS::CloudWatch::Alarm')) {
        const actions = (alarm.Properties!.AlarmActions ?? []) as unknown[];
        expect(
          actions.some((action) => topicRef.test(JSON.stringify(action))),
          `${name}/${id}: ${JSON.stringify(actions)}`,
        ).toBe(true);
        alarms++;
      }
    }
    expect(alarms).toBeGreaterThan(20);
  });

  it('has one dashboard for the platform and one per service stack, each with its widgets', () => {
    const names: string[] = [];
    for (const [, template] of templates) {
      const dashboards = resources(template, 'AWS::CloudWatch::Dashboard');
      expect(dashboards).toHaveLength(1);
      names.push(dashboards[0][1].Properties!.DashboardName as string);
    }
    expect(names.sort()).toEqual(
      ['msa-demo-dev', 'msa-demo-dev-reading-list', 'msa-demo-dev-recommendations'].sort(),
    );
    const body = (template: Template) =>
      JSON.stringify(
        resources(template, 'AWS::CloudWatch::Dashboard')[0][1].Properties!.DashboardBody,
      );
    const platform = body(platformTemplate());
    for (const part of [
      'ApiGateway',
      'AWS/Lambda',
      'AWS/DynamoDB',
      'AWS/ES',
      'LogDocumentsDeadLettered',
      'AWS/SQS',
    ]) {
      expect(platform, part).toContain(part);
    }
    // reading-list calls recommendations: its dashboard charts that circuit.
    const readingList = body(templates.get(stacks.readingList.stackName)!);
    for (const metric of [
      'CircuitShortCircuits',
      'CircuitFallbacks',
      'CircuitTransitions',
      SERVICE_ERRORS_METRIC,
    ]) {
      expect(readingList, metric).toContain(metric);
    }
    expect(readingList).toContain('recommendations');
  });
});

describe('observability options', () => {
  function platformStack(
    observability: ConstructorParameters<typeof MicroservicePlatform>[2]['observability'],
  ) {
    const other = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(other, 'P', { env: ENV });
    const platform = new MicroservicePlatform(stack, 'Platform', {
      platformName: 'obs',
      observability,
    });
    new Microservice(stack, 'Svc', {
      platform,
      serviceName: 'svc',
      entry: path.join(SERVICES_ROOT, 'recommendations', 'handler.ts'),
    });
    return { app: other, stack, template: Template.fromStack(stack) };
  }

  it('ships to an existing domain given as IDomain, creating none', () => {
    const { template } = platformStack({
      centralLogs: {
        domain: opensearch.Domain.fromDomainEndpoint(
          new Stack(new App(), 'X'),
          'Shared',
          'https://search-shared-abc.eu-west-1.es.amazonaws.com',
        ),
      },
    });
    template.resourceCountIs('AWS::OpenSearchService::Domain', 0);
    expect(JSON.stringify(template.toJSON())).toContain(
      'search-shared-abc.eu-west-1.es.amazonaws.com',
    );
    expect(resources(template, 'AWS::Logs::SubscriptionFilter').length).toBeGreaterThan(0);
  });

  it('turns central logs off: no domain, no shipper, no subscription, alarms still alert', () => {
    const { app: other, template } = platformStack({
      centralLogs: false,
      alerts: { emails: ['ops@example.com'] },
    });
    template.resourceCountIs('AWS::OpenSearchService::Domain', 0);
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 0);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('log-shipper-arn');
    const report = new AwsSolutionsChecks().validateScope(other);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});
