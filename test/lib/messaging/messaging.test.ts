import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { EventPublication } from '../../../lib/messaging/event-publication';
import { EventSubscription } from '../../../lib/messaging/event-subscription';
import { PlatformEventBus } from '../../../lib/messaging/platform-event-bus';
import { MicroservicePlatform } from '../../../lib/platform/microservice-platform';
import { Microservice } from '../../../lib/service/microservice';

const SERVICES = path.join(__dirname, '..', '..', '..', 'functions', 'services');
const env = { account: '123456789012', region: 'eu-west-1' };

type Statement = {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

/** A platform stack with its bus, and each service in a stack of its own (found through SSM). */
function build() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const platformStack = new Stack(app, 'Platform', { env });
  const platform = new MicroservicePlatform(platformStack, 'Platform', {
    platformName: 'shop',
    stage: 'dev',
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const bus = platform.messaging;
  const serviceStack = (id: string, serviceName: string) => {
    const stack = new Stack(app, id, { env });
    const found = MicroservicePlatform.fromLookup(stack, 'Platform', {
      platformName: 'shop',
      stage: 'dev',
    });
    const service = new Microservice(stack, 'Service', {
      platform: found,
      serviceName,
      entry: path.join(SERVICES, serviceName, 'handler.ts'),
    });
    return { stack, service };
  };
  const publisher = serviceStack('ReadingList', 'reading-list');
  const publication = new EventPublication(publisher.service, 'Events', {
    service: publisher.service,
  });
  publication.add({
    eventType: 'BookAdded',
    schema: { type: 'object', required: ['userId'], properties: { userId: { type: 'string' } } },
  });
  const consumer = serviceStack('Recommendations', 'recommendations');
  const subscription = new EventSubscription(consumer.service, 'Subscription', {
    service: consumer.service,
    maxReceiveCount: 3,
    retentionPeriod: Duration.days(2),
    pauseOnOpenCircuits: ['recommendations-store'],
  });
  subscription.add({ from: 'reading-list', eventTypes: ['BookAdded'] });
  return {
    app,
    bus,
    platform: Template.fromStack(platformStack),
    publisher: Template.fromStack(publisher.stack),
    consumer: Template.fromStack(consumer.stack),
    consumerStack: consumer.stack,
  };
}

let built: ReturnType<typeof build> | undefined;
const demo = () => (built ??= build());

function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties
        .PolicyDocument.Statement,
  );
}

const hasAction = (statement: Statement, action: string) =>
  ([] as string[]).concat(statement.Action).includes(action);

describe('PlatformEventBus', () => {
  it('creates one bus named after the platform and stage, with an archive and a schema registry', () => {
    const { platform } = demo();
    platform.resourceCountIs('AWS::Events::EventBus', 1);
    platform.hasResourceProperties('AWS::Events::EventBus', { Name: 'shop-dev' });
    platform.resourceCountIs('AWS::Events::Archive', 1);
    platform.hasResourceProperties('AWS::EventSchemas::Registry', { RegistryName: 'shop-dev' });
  });

  it("publishes the bus's name and ARN under the platform's SSM path", () => {
    const { platform } = demo();
    platform.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/shop/dev/_platform/messaging/event-bus-name',
    });
    platform.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/shop/dev/_platform/messaging/event-bus-arn',
    });
  });

  it('is found again by of(platform): one bus per platform, not one per call', () => {
    const { bus } = demo();
    const platform = bus.node.scope as MicroservicePlatform;
    expect(PlatformEventBus.of(platform)).toBe(bus);
  });
});

describe('EventPublication', () => {
  it("allows PutEvents on the platform's bus only with the service's source and declared types", () => {
    const put = statements(demo().publisher).filter((s) => hasAction(s, 'events:PutEvents'));
    expect(put).toHaveLength(1);
    expect(put[0].Condition).toEqual({
      StringEquals: {
        'events:source': 'shop.reading-list',
        'events:detail-type': ['BookAdded'],
      },
    });
    // The bus ARN is read from the platform's SSM parameter, not a stack export.
    expect(JSON.stringify(put[0].Resource)).toContain('Ref');
  });

  it("registers each event type's schema with the platform's metadata around its data", () => {
    const schemas = demo().publisher.findResources('AWS::EventSchemas::Schema');
    const [schema] = Object.values(schemas) as {
      Properties: { SchemaName: string; Type: string; Content: string };
    }[];
    expect(schema.Properties.SchemaName).toBe('shop.reading-list@BookAdded');
    expect(schema.Properties.Type).toBe('JSONSchemaDraft4');
    const content = JSON.parse(schema.Properties.Content);
    expect(content.required).toEqual(['metadata', 'data']);
    expect(content.properties.data.required).toEqual(['userId']);
    expect(content.properties.metadata.required).toContain('correlationId');
  });

  it('refuses an event type that is not PascalCase, and the same type twice', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'S', { env });
    const platform = new MicroservicePlatform(stack, 'P', { platformName: 'shop', stage: 'dev' });
    const service = new Microservice(stack, 'Svc', {
      platform,
      serviceName: 'reading-list',
      entry: path.join(SERVICES, 'reading-list', 'handler.ts'),
    });
    const publication = new EventPublication(service, 'Events', { service });
    expect(() => publication.add({ eventType: 'book-added', schema: {} })).toThrow(/PascalCase/);
    publication.add({ eventType: 'BookAdded', schema: {} });
    expect(() => publication.add({ eventType: 'BookAdded', schema: {} })).toThrow(/already/);
  });
});

describe('EventSubscription', () => {
  it('gives the consumer its own encrypted queue with a dead-letter queue after max receives', () => {
    const { consumer } = demo();
    consumer.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'shop-dev-recommendations-events',
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 2 * 86_400,
      RedrivePolicy: { maxReceiveCount: 3, deadLetterTargetArn: Match.anyValue() },
    });
    consumer.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'shop-dev-recommendations-events-dlq',
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
  });

  it("routes only the publisher's declared types from the bus, and the queue admits only that rule", () => {
    const { consumer } = demo();
    const rules = consumer.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: Match.objectLike({ source: ['shop.reading-list'] }) },
    });
    expect(Object.keys(rules)).toHaveLength(1);
    const [ruleId, rule] = Object.entries(rules)[0] as [
      string,
      { Properties: { EventPattern: { 'detail-type': string[] }; EventBusName: unknown } },
    ];
    expect(rule.Properties.EventPattern['detail-type']).toEqual(['BookAdded']);
    consumer.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  it('maps the queue to the function with partial batch responses', () => {
    demo().consumer.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
  });

  it('lets the function update its own mapping only, and send only to its own queue', () => {
    const all = statements(demo().consumer);
    const update = all.filter((s) => hasAction(s, 'lambda:UpdateEventSourceMapping'));
    expect(update).toHaveLength(1);
    expect(JSON.stringify(update[0].Resource)).toContain('event-source-mapping');
    const send = all.filter((s) => hasAction(s, 'sqs:SendMessage'));
    expect(send).toHaveLength(1);
    expect(JSON.stringify(send[0].Resource)).toMatch(/SubscriptionQueue/);
  });

  it('schedules the resume check and registers the queues for the admin API', () => {
    const { consumer } = demo();
    consumer.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Input: '{"serverless-msa":"consumer-resume-check"}' })],
    });
    consumer.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/shop/dev/_platform/messaging/consumers/recommendations',
    });
    consumer.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
  });

  it('refuses a bad max receive count and a bad circuit name', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'S', { env });
    const platform = new MicroservicePlatform(stack, 'P', { platformName: 'shop', stage: 'dev' });
    const service = new Microservice(stack, 'Svc', {
      platform,
      serviceName: 'recommendations',
      entry: path.join(SERVICES, 'recommendations', 'handler.ts'),
    });
    expect(() => new EventSubscription(service, 'A', { service, maxReceiveCount: 0 })).toThrow(
      /maxReceiveCount/,
    );
    expect(
      () => new EventSubscription(service, 'B', { service, pauseOnOpenCircuits: ['a b'] }),
    ).toThrow(/circuit/);
  });

  it('leaves no AwsSolutions violation in the platform and service stacks', () => {
    const report = new AwsSolutionsChecks().validateScope(demo().app);
    const described = report.violations
      .filter((violation) =>
        violation.violatingResources.some((resource) =>
          /Messaging|Events|Subscription/.test(resource.constructPath ?? ''),
        ),
      )
      .map(
        (violation) =>
          `${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );
    expect(described).toEqual([]);
  });
});
