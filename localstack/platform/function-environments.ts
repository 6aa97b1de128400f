import { resourcesOfType, type StackArtifact } from './cloud-assembly';
import { resolveValue, type ResolutionContext } from './intrinsics';

/** A stack the local platform has deployed, with the names it gave its resources. */
export interface DeployedStack {
  readonly stack: StackArtifact;
  readonly context: ResolutionContext;
}

/**
 * The environment variables of every Lambda function in the deployed stacks, resolved as the
 * functions see them: how the platform finds the tables its demo data goes into.
 */
export function functionEnvironments(deployed: readonly DeployedStack[]): Record<string, string>[] {
  return deployed.flatMap(({ stack, context }) =>
    resourcesOfType(stack.template, 'AWS::Lambda::Function').map(
      ([, resource]) =>
        resolveValue(
          (resource.Properties?.Environment as { Variables?: unknown } | undefined)?.Variables ??
            {},
          context,
        ) as Record<string, string>,
    ),
  );
}
