import { beforeAll, describe, expect, it } from 'vitest';
import {
  readCloudAssembly,
  resourcesOfType,
  type StackArtifact,
} from '../../../localstack/platform/cloud-assembly';
import { InvokePermissions } from '../../../localstack/platform/invoke-permissions';
import { nameResources } from '../../../localstack/platform/physical-names';
import { synthDemoAssembly } from '../../support/demo-assembly';

let stack: StackArtifact;

beforeAll(() => {
  [stack] = readCloudAssembly(synthDemoAssembly());
});

describe('invoke permissions read from the template', () => {
  it('lets reading-list invoke recommendations (and its qualifiers) and nothing else', () => {
    const context = nameResources(stack, { region: 'us-east-1', accountId: '123456789012' });
    const permissions = new InvokePermissions(stack, context);
    const functions = resourcesOfType(stack.template, 'AWS::Lambda::Function');
    const roleOf = (match: string) => {
      const [, fn] = functions.find(([id]) => id.startsWith(match))!;
      return (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    };
    const arnOf = (match: string) =>
      context.attributes.get(`${functions.find(([id]) => id.startsWith(match))![0]}.Arn`)!;

    expect(permissions.mayInvoke(roleOf('ReadingList'), arnOf('Recommendations'))).toBe(true);
    expect(permissions.mayInvoke(roleOf('ReadingList'), `${arnOf('Recommendations')}:live`)).toBe(
      true,
    );
    expect(permissions.mayInvoke(roleOf('ReadingList'), arnOf('ReadingList'))).toBe(false);
    expect(permissions.mayInvoke(roleOf('Recommendations'), arnOf('ReadingList'))).toBe(false);
    expect(permissions.mayInvoke(undefined, arnOf('Recommendations'))).toBe(false);
  });
});
