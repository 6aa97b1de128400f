import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag's IAM5 finding for one wildcard resource, and only that one. The finding
 * names the resource as cdk-nag prints it (`<LogicalId.Attr>` for references), so it is derived
 * from the same token the policy uses, not typed by hand.
 */
export function acknowledgeWildcardResource(
  scope: IConstruct,
  resource: string,
  reason: string,
): void {
  Validations.of(scope).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagResourceName(scope, resource)}]`,
    reason,
  });
}

function nagResourceName(scope: IConstruct, resource: string): string {
  const resolved = Stack.of(scope).resolve(resource) as unknown;
  return render(resolved);
}

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Ref' in object) return `<${String(object.Ref)}>`;
    if ('Fn::GetAtt' in object) return `<${(object['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in object) {
      const [delimiter, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(delimiter);
    }
  }
  return JSON.stringify(value);
}
