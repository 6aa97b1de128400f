import * as path from 'node:path';
import { App, type CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { MicroservicePlatform } from '../../../lib/platform/microservice-platform';
import { ResilienceStore } from '../../../lib/resilience/resilience-store';
import { Microservice } from '../../../lib/service/microservice';

const FUNCTIONS = path.join(__dirname, '..', '..', '..', 'functions');
const READING_LIST_ENTRY = path.join(FUNCTIONS, 'services', 'reading-list', 'handler.ts');
const RECOMMENDATIONS_ENTRY = path.join(FUNCTIONS, 'services', 'recommendations', 'handler.ts');

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

function newStack(): Stack {
  // Bundling disabled: construct tests check the template, not the bundle.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'ResilienceStack', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
}

/** Actions the role's policies allow on `tableLogicalId` (the table itself, not its indexes). */
function actionsOn(template: Template, roleLogicalId: string, tableLogicalId: string): string[] {
  const actions = new Set<string>();
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy')) as Resource[]) {
    const roles = policy.Properties.Roles as { Ref: string }[];
    if (!roles.some((role) => role.Ref === roleLogicalId)) continue;
    const document = policy.Properties.PolicyDocument as {
      Statement: { Action: string | string[]; Resource: unknown; Effect: string }[];
    };
    for (const statement of document.Statement) {
      const resources = Array.isArray(statement.Resource)
        ? statement.Resource
        : [statement.Resource];
      const onTable = resources.some(
        (resource) =>
          JSON.stringify(resource) === JSON.stringify({ 'Fn::GetAtt': [tableLogicalId, 'Arn'] }),
      );
      if (!onTable || statement.Effect !== 'Allow') continue;
      for (const action of [statement.Action].flat()) actions.add(action);
    }
  }
  return [...actions].sort();
}

const logicalId = (stack: Stack, element: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(element.node.defaultChild as CfnElement);

describe('ResilienceStore', () => {
  function standalone(removalPolicy?: RemovalPolicy) {
    const stack = newStack();
    const store = new ResilienceStore(stack, 'Resilience', { removalPolicy });
    const service = new iam.Role(stack, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const admin = new iam.Role(stack, 'AdminRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    store.grantBreakerAccess(service);
    store.grantAdministration(admin);
    return {
      stack,
      store,
      template: Template.fromStack(stack),
      serviceRole: logicalId(stack, service),
      adminRole: logicalId(stack, admin),
      table: logicalId(stack, store.table),
    };
  }

  it('creates one on-demand, encrypted table keyed pk/sk with TTL on expiresAt', () => {
    const { template } = standalone();
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('retains the table by default and honours a removal policy', () => {
    standalone().template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    standalone(RemovalPolicy.DESTROY).template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
    });
  });

  it('exposes the table name as a token for environment variables', () => {
    const { stack, store, table } = standalone();
    expect(stack.resolve(store.tableName)).toEqual({ Ref: table });
  });

  it('grants services GetItem, PutItem and UpdateItem only: no Scan, no DeleteItem', () => {
    const { template, serviceRole, table } = standalone();
    expect(actionsOn(template, serviceRole, table)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
  });

  it('grants the admin Scan as well, still without DeleteItem', () => {
    const { template, adminRole, table } = standalone();
    expect(actionsOn(template, adminRole, table)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    ]);
  });
});

describe('MicroservicePlatform circuitBreaker settings', () => {
  function platformWithServices(
    circuitBreaker?: ConstructorParameters<typeof MicroservicePlatform>[2]['circuitBreaker'],
  ) {
    const stack = newStack();
    const platform = new MicroservicePlatform(stack, 'Platform', {
      platformName: 'shop',
      authorization: false,
      circuitBreaker,
    });
    const readingList = new Microservice(stack, 'ReadingList', {
      platform,
      serviceName: 'reading-list',
      entry: READING_LIST_ENTRY,
      environment: { EXTRA: 'yes' },
    });
    const recommendations = new Microservice(stack, 'Recommendations', {
      platform,
      serviceName: 'recommendations',
      entry: RECOMMENDATIONS_ENTRY,
    });
    readingList.addServiceDependency(recommendations);
    const template = Template.fromStack(stack);
    const variablesOf = (service: Microservice) =>
      (
        template.toJSON().Resources[logicalId(stack, service.function)] as {
          Properties: { Environment: { Variables: Record<string, unknown> } };
        }
      ).Properties.Environment.Variables;
    return { stack, platform, template, readingList, recommendations, variablesOf };
  }

  let shared: ReturnType<typeof platformWithServices> | undefined;
  const full = () =>
    (shared ??= platformWithServices({
      failureRateThreshold: 0.4,
      minimumCalls: 8,
      window: Duration.seconds(30),
      consecutiveFailures: 4,
      openDuration: Duration.seconds(15),
      maxOpenDuration: Duration.minutes(2),
      halfOpenMaxProbes: 2,
      halfOpenSuccesses: 3,
      stateCache: Duration.millis(250),
    }));

  it('writes every setting as a CIRCUIT_* variable on every Microservice function', () => {
    const expected = {
      CIRCUIT_FAILURE_RATE_THRESHOLD: '0.4',
      CIRCUIT_MINIMUM_CALLS: '8',
      CIRCUIT_WINDOW_MS: '30000',
      CIRCUIT_CONSECUTIVE_FAILURES: '4',
      CIRCUIT_OPEN_DURATION_MS: '15000',
      CIRCUIT_MAX_OPEN_DURATION_MS: '120000',
      CIRCUIT_HALF_OPEN_MAX_PROBES: '2',
      CIRCUIT_HALF_OPEN_SUCCESSES: '3',
      CIRCUIT_STATE_CACHE_MS: '250',
    };
    // Exactly the CIRCUIT_* settings given, plus the config cache TTL every service always gets.
    expect(full().platform.serviceEnvironment).toEqual({
      ...expected,
      CONFIG_MAX_AGE_SECONDS: '30',
    });
    for (const service of [full().readingList, full().recommendations]) {
      expect(full().variablesOf(service)).toMatchObject(expected);
    }
    expect(full().variablesOf(full().readingList)).toMatchObject({ EXTRA: 'yes' });
  });

  it('points every Microservice function at the resilience table', () => {
    const table = logicalId(full().stack, full().platform.resilience.table);
    for (const service of [full().readingList, full().recommendations]) {
      expect(full().variablesOf(service).RESILIENCE_TABLE_NAME).toEqual({ Ref: table });
    }
  });

  it('grants each service breaker access on the resilience table but not Scan or DeleteItem', () => {
    const table = logicalId(full().stack, full().platform.resilience.table);
    for (const service of [full().readingList, full().recommendations]) {
      const role = logicalId(full().stack, service.function.role as iam.Role);
      expect(actionsOn(full().template, role, table)).toEqual([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
    }
  });

  it('writes no CIRCUIT_* variable without settings (the runtime defaults apply)', () => {
    const { platform, readingList, variablesOf } = platformWithServices();
    // Only the config cache TTL, which always has a value; no breaker setting.
    expect(platform.serviceEnvironment).toEqual({ CONFIG_MAX_AGE_SECONDS: '30' });
    expect(
      Object.keys(variablesOf(readingList)).filter((name) => name.startsWith('CIRCUIT_')),
    ).toEqual([]);
  });

  it('writes only the settings given', () => {
    const stack = newStack();
    const platform = new MicroservicePlatform(stack, 'Platform', {
      platformName: 'shop',
      authorization: false,
      circuitBreaker: { consecutiveFailures: 0 },
    });
    expect(platform.serviceEnvironment).toEqual({
      CIRCUIT_CONSECUTIVE_FAILURES: '0',
      CONFIG_MAX_AGE_SECONDS: '30',
    });
  });

  it.each([0, -0.5, 1.5, Number.NaN])(
    'throws when failureRateThreshold is %d (outside (0, 1])',
    (failureRateThreshold) => {
      const stack = newStack();
      expect(
        () =>
          new MicroservicePlatform(stack, 'Platform', {
            platformName: 'shop',
            authorization: false,
            circuitBreaker: { failureRateThreshold },
          }),
      ).toThrow(/failureRateThreshold must be in \(0, 1\]/);
    },
  );

  it('accepts a failureRateThreshold of exactly 1', () => {
    const stack = newStack();
    const platform = new MicroservicePlatform(stack, 'Platform', {
      platformName: 'shop',
      authorization: false,
      circuitBreaker: { failureRateThreshold: 1 },
    });
    expect(platform.serviceEnvironment.CIRCUIT_FAILURE_RATE_THRESHOLD).toBe('1');
  });
});
