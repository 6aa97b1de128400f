import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType } from '../../../localstack/platform/cloud-assembly';
import {
  InvokePermissions,
  ResourcePolicies,
} from '../../../localstack/platform/invoke-permissions';
import { linkedDemo, type LinkedStack } from '../../support/linked-demo';

let demo: LinkedStack[];

beforeAll(async () => {
  demo = await linkedDemo();
}, 60_000);

/** The function whose logical ID starts with `prefix`, in any stack: its role and ARN. */
function fn(prefix: string) {
  for (const { stack, context } of demo) {
    const found = resourcesOfType(stack.template, 'AWS::Lambda::Function').find(([id]) =>
      id.startsWith(prefix),
    );
    if (!found) continue;
    const [logicalId, resource] = found;
    const role = (resource.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return {
      stack,
      context,
      role,
      roleArn: context.attributes.get(`${role}.Arn`)!,
      arn: context.attributes.get(`${logicalId}.Arn`)!,
      permissions: new InvokePermissions(stack, context),
    };
  }
  throw new Error(`no function ${prefix}`);
}

describe('invoke permissions read from the templates of every stack', () => {
  it('lets reading-list invoke recommendations (and its qualifiers), found across stacks, and nothing else', () => {
    const readingList = fn('ReadingList');
    const recommendations = fn('Recommendations');
    expect(readingList.stack).not.toBe(recommendations.stack);
    const { permissions } = readingList;
    expect(permissions.mayInvoke(readingList.role, recommendations.arn)).toBe(true);
    expect(permissions.mayInvoke(readingList.role, `${recommendations.arn}:live`)).toBe(true);
    expect(permissions.mayInvoke(readingList.role, readingList.arn)).toBe(false);
    expect(recommendations.permissions.mayInvoke(recommendations.role, readingList.arn)).toBe(
      false,
    );
    expect(permissions.mayInvoke(undefined, recommendations.arn)).toBe(false);
  });

  it("lets the platform's health loop probe each service through the service's own resource policy", () => {
    const policies = new ResourcePolicies();
    for (const { stack, context } of demo) policies.add(stack, context);
    const loop = fn('PlatformRegistryControlLoop');
    const readingList = fn('ReadingList');
    const recommendations = fn('Recommendations');
    expect(policies.allows(loop.roleArn, readingList.arn)).toBe(true);
    expect(policies.allows(loop.roleArn, recommendations.arn)).toBe(true);
    // Nothing else gets in that way: not another service, not the loop on a platform function.
    expect(policies.allows(readingList.roleArn, recommendations.arn)).toBe(false);
    expect(policies.allows(loop.roleArn, fn('PlatformAdmin').arn)).toBe(false);
    expect(policies.allows(undefined, readingList.arn)).toBe(false);
  });
});
