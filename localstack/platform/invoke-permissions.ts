import { resourcesOfType, type StackArtifact } from './cloud-assembly';
import { resolveValue, type ResolutionContext } from './intrinsics';
import { wildcardMatch } from './request-authorizer';

interface Statement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
}

/**
 * What each function's execution role may invoke, read from the template's IAM policies, so that
 * the local Lambda API refuses a call the deployed platform would refuse (a service calling one
 * it was never granted).
 */
export class InvokePermissions {
  private readonly statementsByRole = new Map<string, Statement[]>();

  constructor(stack: StackArtifact, context: ResolutionContext) {
    for (const [, policy] of resourcesOfType(stack.template, 'AWS::IAM::Policy')) {
      const properties = policy.Properties ?? {};
      const document = resolveValue(properties.PolicyDocument, context) as
        { Statement?: Statement[] } | undefined;
      for (const role of (properties.Roles ?? []) as unknown[]) {
        const roleId = (role as { Ref?: string }).Ref;
        if (!roleId) continue;
        this.statementsByRole.set(roleId, [
          ...(this.statementsByRole.get(roleId) ?? []),
          ...(document?.Statement ?? []),
        ]);
      }
    }
  }

  /** True when the role may call lambda:InvokeFunction on the function ARN. */
  mayInvoke(roleLogicalId: string | undefined, functionArn: string): boolean {
    if (!roleLogicalId) return false;
    const matching = (this.statementsByRole.get(roleLogicalId) ?? []).filter(
      (statement) =>
        list(statement.Action).some((action) =>
          wildcardMatch(action.toLowerCase(), 'lambda:invokefunction'),
        ) && list(statement.Resource).some((resource) => wildcardMatch(resource, functionArn)),
    );
    if (matching.some((statement) => statement.Effect === 'Deny')) return false;
    return matching.some((statement) => statement.Effect === 'Allow');
  }
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * Who each function's resource policy lets invoke it (`AWS::Lambda::Permission` with an IAM
 * principal), across every stack of the app: a service lets the platform's health control loop
 * probe it this way, from its own stack.
 */
export class ResourcePolicies {
  private readonly principalsByFunction = new Map<string, Set<string>>();

  add(stack: StackArtifact, context: ResolutionContext): void {
    for (const [, permission] of resourcesOfType(stack.template, 'AWS::Lambda::Permission')) {
      const properties = permission.Properties ?? {};
      let resolved: { action?: unknown; functionName?: unknown; principal?: unknown };
      try {
        resolved = {
          action: resolveValue(properties.Action, context),
          functionName: resolveValue(properties.FunctionName, context),
          principal: resolveValue(properties.Principal, context),
        };
      } catch {
        continue; // a permission the local platform cannot resolve grants nothing locally
      }
      const { action, functionName, principal } = resolved;
      if (typeof principal !== 'string' || !principal.startsWith('arn:')) continue;
      if (
        typeof action !== 'string' ||
        !wildcardMatch(action.toLowerCase(), 'lambda:invokefunction')
      )
        continue;
      if (typeof functionName !== 'string') continue;
      const principals = this.principalsByFunction.get(functionName) ?? new Set<string>();
      principals.add(principal);
      this.principalsByFunction.set(functionName, principals);
    }
  }

  /** True when the function's resource policy names the role (by ARN). */
  allows(roleArn: string | undefined, functionArn: string): boolean {
    if (!roleArn) return false;
    return this.principalsByFunction.get(functionArn)?.has(roleArn) ?? false;
  }
}
