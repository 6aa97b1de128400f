import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { MicroservicePlatform } from '../../../lib/platform/microservice-platform';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

function build(
  authorization: ConstructorParameters<typeof MicroservicePlatform>[2]['authorization'] = {},
) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'PeopleStack', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const platform = new MicroservicePlatform(stack, 'Platform', {
    platformName: 'shop',
    stage: 'dev',
    authorization,
  });
  const template = Template.fromStack(stack);
  const json = template.toJSON() as { Resources: Record<string, Resource> };
  const id = (node: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(node.node.defaultChild as never);
  return { app, stack, platform, template, resources: json.Resources, id };
}

const defaults = build();

function environmentOf(resources: Record<string, Resource>, logicalId: string) {
  return (resources[logicalId].Properties.Environment as { Variables: Record<string, unknown> })
    .Variables;
}

function statementsOf(resources: Record<string, Resource>, roleLogicalId: string): Statement[] {
  return Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(r.Properties.Roles).includes(`"${roleLogicalId}"`),
    )
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

describe('PeopleSignIn', () => {
  const { platform, resources, template, id } = defaults;
  const server = platform.authorizationServer!;
  const usersId = id(server.people.usersTable);
  const grantsId = id(server.people.grantsTable);
  const tokenId = id(server.tokenFunction.function);

  it('keeps users by username and grants by pk with a TTL, both encrypted with PITR', () => {
    expect(resources[usersId].Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'username', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(resources[usersId].Properties.TimeToLiveSpecification).toBeUndefined();
    expect(resources[grantsId].Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('registers the console as a public client at <issuer>/console/callback, and both tables', () => {
    const env = environmentOf(resources, tokenId);
    expect(env.USERS_TABLE_NAME).toEqual({ Ref: usersId });
    expect(env.GRANTS_TABLE_NAME).toEqual({ Ref: grantsId });
    expect(env.REFRESH_TOKEN_TTL_SECONDS).toBe('28800');
    // The issuer URL holds the REST API's ID: the value is a join, read here with `{Ref}`s named.
    const joined = env.PUBLIC_CLIENTS as { 'Fn::Join': [string, unknown[]] };
    const text = joined['Fn::Join'][1]
      .map((part) =>
        typeof part === 'string' ? part : `<${JSON.stringify(part).replace(/"/g, "'")}>`,
      )
      .join('');
    const issuer = (Stack.of(platform).resolve(server.issuerUrl) as typeof joined)['Fn::Join'][1]
      .map((part) =>
        typeof part === 'string' ? part : `<${JSON.stringify(part).replace(/"/g, "'")}>`,
      )
      .join('');
    expect(JSON.parse(text)).toEqual([
      {
        clientId: 'console',
        name: 'Operator console',
        redirectUris: [`${issuer}/console/callback`],
        scopes: ['platform/read', 'platform/admin'],
      },
    ]);
    expect(String(env.SCOPES_SUPPORTED)).toContain('platform/read');
  });

  it('takes the redirect URIs and the session lifetime from the construct', () => {
    const built = build({
      consoleRedirectUris: ['https://ops.example.com/console/callback'],
      issuerUrl: 'https://auth.example.com',
    });
    const env = environmentOf(
      built.resources,
      built.id(built.platform.authorizationServer!.tokenFunction.function),
    );
    expect(JSON.parse(String(env.PUBLIC_CLIENTS))[0].redirectUris).toEqual([
      'https://ops.example.com/console/callback',
    ]);
    expect(() => build({ consoleRedirectUris: [] })).toThrow(/at least one URI/);
  });

  it('lets the token function read users (GetItem only) and keep grants, nothing more', () => {
    const statements = statementsOf(resources, id(server.tokenFunction.role as never)).filter((s) =>
      JSON.stringify(s.Resource).match(new RegExp(`${usersId}|${grantsId}`)),
    );
    const onUsers = statements.filter((s) => JSON.stringify(s.Resource).includes(usersId));
    expect(onUsers.flatMap((s) => [s.Action].flat())).toEqual(['dynamodb:GetItem']);
    const onGrants = statements.filter((s) => JSON.stringify(s.Resource).includes(grantsId));
    expect(onGrants.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
  });

  it('puts GET and POST /oauth2/authorize on the gateway as public routes of the token function', () => {
    const authorize = Object.entries(resources).find(
      ([, r]) => r.Type === 'AWS::ApiGateway::Resource' && r.Properties.PathPart === 'authorize',
    )![0];
    for (const method of ['GET', 'POST']) {
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: method,
        ResourceId: { Ref: authorize },
        AuthorizationType: 'NONE',
        Integration: Match.objectLike({
          Uri: Match.objectLike({
            'Fn::Join': Match.arrayWith([
              Match.arrayWith([Match.objectLike({ 'Fn::GetAtt': [tokenId, 'Arn'] })]),
            ]),
          }),
        }),
      });
    }
  });

  it('protects POST /admin/users with platform/admin and lets the admin function put users only', () => {
    const users = Object.entries(resources).find(
      ([, r]) => r.Type === 'AWS::ApiGateway::Resource' && r.Properties.PathPart === 'users',
    )![0];
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      ResourceId: { Ref: users },
      AuthorizationType: 'CUSTOM',
      ApiKeyRequired: true,
    });
    expect(server.protectedRoutes).toContainEqual({
      method: 'POST',
      resource: '/admin/users',
      scopes: ['platform/admin'],
    });
    const admin = platform.adminApi!.function;
    expect(environmentOf(resources, id(admin.function)).USERS_TABLE_NAME).toEqual({
      Ref: usersId,
    });
    const onUsers = statementsOf(resources, id(admin.role as never)).filter((s) =>
      JSON.stringify(s.Resource).includes(usersId),
    );
    expect(onUsers.flatMap((s) => [s.Action].flat())).toEqual(['dynamodb:PutItem']);
  });

  it('leaves no AwsSolutions violation', () => {
    const report = new AwsSolutionsChecks().validateScope(defaults.app);
    const described = report.violations.map(
      (violation) =>
        `${violation.ruleName}: ${violation.violatingResources
          .map((resource) => resource.constructPath ?? resource.resourceLogicalId)
          .join(', ')}`,
    );
    expect(described).toEqual([]);
  });
});
