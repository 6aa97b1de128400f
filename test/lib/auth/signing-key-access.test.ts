import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDemoStacks } from '../../../examples/demo/demo-app';
import {
  signingKeySetParameterName,
  signingKeysPath,
  usagePlanKeysParameterName,
} from '../../../functions/runtime/contract/auth-parameters';
import { MicroservicePlatform } from '../../../lib/platform/microservice-platform';
import { Microservice } from '../../../lib/service/microservice';
import { FUNCTIONS_ROOT } from '../../support/demo-assembly';

/**
 * The attack of issue 16: a service — whatever its name, wherever its stack — reads or decrypts
 * the platform's signing keys (and can then mint any token). Checked over the synthesized
 * policies of every role of an app: the demo (platform stack, one stack per service), plus a
 * platform whose services take names close to the key store's, one in a stack of its own, and
 * roles handed configuration grants for such names.
 */

type Statement = {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
};
type Resource = { Type: string; Properties?: Record<string, unknown> };
type StackTemplate = { stack: string; resources: Record<string, Resource> };
type Role = { stack: string; logicalId: string; statements: Statement[] };

const ENV = { account: '123456789012', region: 'eu-west-1' };
const ENTRY = path.join(FUNCTIONS_ROOT, 'services', 'reading-list', 'handler.ts');
/** The names a service may not take, and those close to the key store's path segments. */
const REFUSED_NAMES = ['auth', '_auth', 'shared', '*'];
const CLOSE_NAMES = ['signing-keys', 'signing-key-set', 'usage-plan-keys', 'auth-service', 'a'];
const CONFIG_GRANT_NAMES = ['auth', '_auth', '*', 'dev', ''];

/** A resolved value as text: pseudo parameters as the stack's account and region. */
function render(value: unknown, stack: string): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) {
    const ref = String(object.Ref);
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::Region') return ENV.region;
    if (ref === 'AWS::AccountId') return ENV.account;
    if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
    return `<${stack}/${ref}>`;
  }
  if ('Fn::GetAtt' in object) {
    const [id, attribute] = object['Fn::GetAtt'] as [string, string];
    return `<${stack}/${id}.${attribute}>`;
  }
  if ('Fn::Join' in object) {
    const [delimiter, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => render(part, stack)).join(delimiter);
  }
  if (typeof object['Fn::Sub'] === 'string') {
    return object['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_, name: string) =>
      render(name.includes('.') ? { 'Fn::GetAtt': name.split('.') } : { Ref: name }, stack),
    );
  }
  // Anything else (an imported value, a parameter) is a name no pattern below can predict.
  return `<${JSON.stringify(value)}>`;
}

/** IAM's wildcard matching (`*`, `?`); actions are case-insensitive. */
function matches(pattern: string, value: string, ignoreCase = false): boolean {
  const regex = pattern
    .split('')
    .map((char) =>
      char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\/]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${regex}$`, ignoreCase ? 'i' : '').test(value);
}

const list = (value: unknown): unknown[] => (value === undefined ? [] : [value].flat());

function coversAction(statement: Statement, action: string): boolean {
  if (statement.NotAction !== undefined) {
    return !list(statement.NotAction).some((pattern) => matches(String(pattern), action, true));
  }
  return list(statement.Action).some((pattern) => matches(String(pattern), action, true));
}

function coversResource(statement: Statement, arn: string, stack: string): boolean {
  if (statement.NotResource !== undefined) {
    return !list(statement.NotResource).some((pattern) => matches(render(pattern, stack), arn));
  }
  return list(statement.Resource).some((pattern) => matches(render(pattern, stack), arn));
}

/** Whether identity statements allow `action` on `arn` (an explicit Deny wins). */
function identityAllows(role: Role, action: string, arn: string): boolean {
  const applicable = role.statements.filter(
    (statement) => coversAction(statement, action) && coversResource(statement, arn, role.stack),
  );
  return (
    applicable.some((statement) => statement.Effect === 'Allow') &&
    !applicable.some((statement) => statement.Effect === 'Deny')
  );
}

/** Every role of the templates with every statement attached to it. */
function rolesOf(templates: StackTemplate[]): Role[] {
  const roles: Role[] = [];
  for (const { stack, resources } of templates) {
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::IAM::Role') continue;
      const inline = list(resource.Properties?.Policies).flatMap(
        (policy) =>
          (policy as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
      );
      const attached = Object.values(resources)
        .filter(
          (candidate) =>
            (candidate.Type === 'AWS::IAM::Policy' ||
              candidate.Type === 'AWS::IAM::ManagedPolicy') &&
            list(candidate.Properties?.Roles).some(
              (entry) => (entry as { Ref?: string }).Ref === logicalId,
            ),
        )
        .flatMap(
          (policy) => (policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement,
        );
      // AWS-managed policies the platform attaches (Lambda basic execution, API Gateway logs)
      // grant no SSM or KMS action; any other managed policy is unknown, and fails the check.
      for (const arn of list(resource.Properties?.ManagedPolicyArns)) {
        const text = render(arn, stack);
        expect(text, `${stack}/${logicalId}`).toMatch(
          /:iam::aws:policy\/service-role\/(AWSLambdaBasicExecutionRole|AmazonAPIGatewayPushToCloudWatchLogs)$/,
        );
      }
      roles.push({ stack, logicalId, statements: [...inline, ...attached] });
    }
  }
  return roles;
}

/** The signing keys' KMS keys, with their key policies. */
function signingKeys(templates: StackTemplate[]) {
  return templates.flatMap(({ stack, resources }) =>
    Object.entries(resources)
      .filter(
        ([id, resource]) => resource.Type === 'AWS::KMS::Key' && id.includes('SigningKeysKey'),
      )
      .map(([logicalId, resource]) => ({
        stack,
        arn: `<${stack}/${logicalId}.Arn>`,
        statements: (resource.Properties!.KeyPolicy as { Statement: Statement[] }).Statement,
      })),
  );
}

/**
 * Whether `role` may perform `action` with the key: the key policy names the role, or it lets
 * the account delegate that action to IAM and the role's identity policy allows it.
 */
function keyAllows(
  key: ReturnType<typeof signingKeys>[number],
  role: Role,
  action: string,
): boolean {
  const roleArn = `<${role.stack}/${role.logicalId}.Arn>`;
  const root = `arn:aws:iam::${ENV.account}:root`;
  const principals = (statement: Statement) =>
    list((statement.Principal as { AWS?: unknown } | undefined)?.AWS).map((principal) =>
      render(principal, key.stack),
    );
  const applicable = key.statements.filter((statement) => coversAction(statement, action));
  if (
    applicable.some(
      (statement) =>
        statement.Effect === 'Deny' &&
        principals(statement).some((principal) => principal === '*' || principal === roleArn),
    )
  ) {
    return false;
  }
  const allows = applicable.filter((statement) => statement.Effect === 'Allow');
  if (
    role.stack === key.stack &&
    allows.some((statement) => principals(statement).includes(roleArn))
  )
    return true;
  const delegated = allows.some((statement) =>
    principals(statement).some((principal) => principal === root || principal === ENV.account),
  );
  return delegated && identityAllows(role, action, key.arn);
}

const SSM_KEY_ACTIONS = [
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:GetParametersByPath',
  'ssm:GetParameterHistory',
  'ssm:PutParameter',
  'ssm:DeleteParameter',
  'ssm:DeleteParameters',
  'ssm:LabelParameterVersion',
];
/** Using the key, or giving oneself the right to (a grant, a new key policy). */
const KMS_KEY_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:ReEncryptFrom',
  'kms:GenerateDataKey',
  'kms:CreateGrant',
  'kms:PutKeyPolicy',
];

const parameterArn = (name: string) => `arn:aws:ssm:${ENV.region}:${ENV.account}:parameter${name}`;

/** What an attacker would name: a key (any kid), the path, the key set; both platforms. */
function keyStoreArns(platformName: string, stage: string): string[] {
  const keys = signingKeysPath(platformName, stage);
  return [
    parameterArn(keys),
    parameterArn(`${keys}/NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs`),
    parameterArn(signingKeySetParameterName(platformName, stage)),
  ];
}

let templates: StackTemplate[];
let roles: Role[];
/** Roles that may use the key store: the token service and rotation of each platform. */
let keyHolders: Set<string>;
let broadRole: string;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const demo = addDemoStacks(app, {
    env: ENV,
    servicesRoot: path.join(FUNCTIONS_ROOT, 'services'),
  });

  const shopStack = new Stack(app, 'Shop', { env: ENV });
  const platform = new MicroservicePlatform(shopStack, 'Platform', {
    platformName: 'shop',
    stage: 'dev',
  });
  for (const serviceName of CLOSE_NAMES) {
    new Microservice(shopStack, `Service-${serviceName}`, {
      platform,
      serviceName,
      entry: ENTRY,
      routes: [{ method: 'GET', scopes: [`${serviceName}/read`] }],
    });
  }
  for (const serviceName of CONFIG_GRANT_NAMES) {
    const role = new iam.Role(shopStack, `ConfigReader-${serviceName || 'empty'}`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    platform.configuration.grantServiceRead(role, serviceName);
  }
  // A role someone gave a broad identity policy: it may administer KMS keys, never use this one.
  const broad = new iam.Role(shopStack, 'BroadKmsRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  broad.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:CreateGrant'],
      resources: ['*'],
    }),
  );

  // A service of the same platform in a stack (and possibly an app) of its own.
  const billingStack = new Stack(app, 'ShopBilling', { env: ENV });
  new Microservice(billingStack, 'Billing', {
    platform: MicroservicePlatform.fromLookup(billingStack, 'Platform', {
      platformName: 'shop',
      stage: 'dev',
    }),
    serviceName: 'billing',
    entry: ENTRY,
    routes: [{ method: 'GET', scopes: ['billing/read'] }],
  });

  templates = [demo.platform, demo.recommendations, demo.readingList, shopStack, billingStack].map(
    (stack) => ({
      stack: stack.stackName,
      resources: Template.fromStack(stack).toJSON().Resources as Record<string, Resource>,
    }),
  );
  roles = rolesOf(templates);
  const idOf = (stack: Stack, construct: iam.IRole) =>
    `${stack.stackName}/${stack.getLogicalId(construct.node.defaultChild as iam.CfnRole)}`;
  keyHolders = new Set(
    [
      [demo.platform, demo.platform.platform],
      [shopStack, platform],
    ].flatMap(([stack, owner]) => {
      const auth = (owner as MicroservicePlatform).authorizationServer!;
      return [auth.tokenFunction.role, auth.rotationFunction.role].map((role) =>
        idOf(stack as Stack, role),
      );
    }),
  );
  broadRole = idOf(shopStack, broad);
}, 120_000);

const id = (role: Role) => `${role.stack}/${role.logicalId}`;

describe('who can reach the signing keys', () => {
  it('refuses service names the platform keeps, and names that are no valid path segment', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Names', { env: ENV });
    const platform = new MicroservicePlatform(stack, 'Platform', {
      platformName: 'shop',
      stage: 'dev',
    });
    for (const serviceName of REFUSED_NAMES) {
      expect(
        () => new Microservice(stack, `S${serviceName}`, { platform, serviceName, entry: ENTRY }),
        serviceName,
      ).toThrow(/serviceName/);
    }
  });

  it('finds every role of the app, the services of every name and stack among them', () => {
    // The demo's two services, five close names, five configuration readers, the broad role,
    // billing in its own stack, and both platforms' own functions.
    expect(roles.length).toBeGreaterThan(30);
    expect(roles.some((role) => role.stack === 'ShopBilling')).toBe(true);
    expect(keyHolders.size).toBe(4);
    expect(roles.filter((role) => keyHolders.has(id(role)))).toHaveLength(4);
  });

  it('no role but the token service and rotation may read, list or write the signing-key parameters', () => {
    const offenders: string[] = [];
    for (const [platformName, stage] of [
      ['msa-demo', 'dev'],
      ['shop', 'dev'],
    ]) {
      for (const arn of keyStoreArns(platformName, stage)) {
        for (const role of roles) {
          if (keyHolders.has(id(role))) continue;
          for (const action of SSM_KEY_ACTIONS) {
            if (identityAllows(role, action, arn)) offenders.push(`${id(role)} ${action} ${arn}`);
          }
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('no role but the authorizer may read or write the usage-key map', () => {
    const offenders = roles
      .filter((role) => !/Authorizer/.test(role.logicalId))
      .flatMap((role) =>
        ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:GetParameterHistory']
          .filter((action) =>
            identityAllows(role, action, parameterArn(usagePlanKeysParameterName('shop', 'dev'))),
          )
          .map((action) => `${id(role)} ${action}`),
      );
    expect(offenders).toEqual([]);
  });

  it('the check itself sees the grants it must: the token service reads the keys, rotation writes them', () => {
    const [keysPath, key, keySet] = keyStoreArns('shop', 'dev');
    const holders = roles.filter((role) => role.stack === 'Shop' && keyHolders.has(id(role)));
    const rotation = holders.find((role) => identityAllows(role, 'ssm:DeleteParameter', key));
    const token = holders.find((role) => role !== rotation);
    expect(rotation).toBeDefined();
    expect(identityAllows(token!, 'ssm:GetParametersByPath', keysPath)).toBe(true);
    expect(identityAllows(token!, 'ssm:GetParameter', keySet)).toBe(true);
    expect(identityAllows(token!, 'ssm:PutParameter', key)).toBe(false);
    expect(identityAllows(rotation!, 'ssm:PutParameter', key)).toBe(true);
  });

  it('the KMS key policy lets the token service decrypt and rotation encrypt and decrypt, and no other role use the key', () => {
    const keys = signingKeys(templates);
    expect(keys.map((key) => key.stack).sort()).toEqual(['ServerlessMsaDemo', 'Shop']);
    for (const key of keys) {
      const local = roles.filter((role) => role.stack === key.stack && keyHolders.has(id(role)));
      const decrypters = local.filter((role) => keyAllows(key, role, 'kms:Decrypt'));
      const encrypters = local.filter((role) => keyAllows(key, role, 'kms:Encrypt'));
      expect(decrypters, key.stack).toHaveLength(2);
      expect(encrypters, key.stack).toHaveLength(1);
      const offenders = roles
        .filter((role) => !keyHolders.has(id(role)))
        .flatMap((role) =>
          KMS_KEY_ACTIONS.filter((action) => keyAllows(key, role, action)).map(
            (action) => `${id(role)} ${action} on ${key.stack}`,
          ),
        );
      expect(offenders).toEqual([]);
    }
  });

  it('a broad identity policy (kms:Decrypt, CreateGrant on *) does not open the key', () => {
    const key = signingKeys(templates).find((candidate) => candidate.stack === 'Shop')!;
    const broad = roles.find((role) => id(role) === broadRole)!;
    expect(identityAllows(broad, 'kms:Decrypt', key.arn)).toBe(true);
    expect(keyAllows(key, broad, 'kms:Decrypt')).toBe(false);
    expect(keyAllows(key, broad, 'kms:CreateGrant')).toBe(false);
    // What the account may still do through IAM is administer the key.
    const root = key.statements.filter((statement) =>
      JSON.stringify(statement.Principal).includes(':root'),
    );
    expect(root).toHaveLength(1);
    const delegated = list(root[0].Action).map(String);
    for (const action of ['kms:Decrypt', 'kms:Encrypt', 'kms:CreateGrant', 'kms:ReEncryptFrom']) {
      expect(
        delegated.some((pattern) => matches(pattern, action, true)),
        action,
      ).toBe(false);
    }
  });

  it('the key rotates yearly and is used only through SSM for parameters under the keys path', () => {
    const template = templates.find((candidate) => candidate.stack === 'Shop')!;
    const [, resource] = Object.entries(template.resources).find(
      ([logicalId, candidate]) =>
        candidate.Type === 'AWS::KMS::Key' && logicalId.includes('SigningKeysKey'),
    )!;
    expect(resource.Properties!.EnableKeyRotation).toBe(true);
    const key = signingKeys([template])[0];
    const uses = key.statements.filter((statement) =>
      list(statement.Action).some((action) => /Decrypt|Encrypt/.test(String(action))),
    );
    expect(uses).toHaveLength(2);
    for (const statement of uses) {
      const conditions = statement.Condition as Record<string, Record<string, unknown>>;
      expect(render(conditions.StringEquals['kms:ViaService'], 'Shop')).toBe(
        'ssm.eu-west-1.amazonaws.com',
      );
      expect(render(conditions.StringLike['kms:EncryptionContext:PARAMETER_ARN'], 'Shop')).toBe(
        `${parameterArn(signingKeysPath('shop', 'dev'))}/*`,
      );
    }
  });
});
