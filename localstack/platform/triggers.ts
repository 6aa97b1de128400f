import { resourcesOfType, type StackArtifact, type TemplateResource } from './cloud-assembly';
import { LocalPlatformError } from './emulator';
import type { LocalFunction } from './lambda-runtime';

/**
 * Runs the stack's deploy-time triggers (`aws-cdk-lib/triggers`) as a deployment would: once,
 * after the functions exist, with the empty event the trigger provider sends. A failing
 * trigger fails the start, as it fails a deployment.
 */
export async function runTriggers(
  stack: StackArtifact,
  functions: ReadonlyMap<string, LocalFunction>,
): Promise<string[]> {
  const ran: string[] = [];
  for (const [logicalId, trigger] of resourcesOfType(stack.template, 'Custom::Trigger')) {
    const functionLogicalId = handlerFunction(trigger, stack.template.Resources);
    const fn = functionLogicalId ? functions.get(functionLogicalId) : undefined;
    if (!fn)
      throw new LocalPlatformError(
        `Trigger ${logicalId} names a function the local platform does not run`,
      );
    const result = await fn.invoke({});
    if (result.functionError) {
      const error = result.payload as { errorType?: string; errorMessage?: string } | null;
      throw new LocalPlatformError(
        `Trigger ${logicalId} failed: ${error?.errorType ?? 'Error'}: ${error?.errorMessage ?? ''}`,
      );
    }
    ran.push(logicalId);
  }
  return ran;
}

/** The function behind `HandlerArn`: a `Ref` to a version of it, or its `Arn`. */
function handlerFunction(
  trigger: TemplateResource,
  resources: Record<string, TemplateResource>,
): string | undefined {
  const handler = trigger.Properties?.HandlerArn as
    { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  if (handler?.['Fn::GetAtt']) return handler['Fn::GetAtt'][0];
  const target = handler?.Ref ? resources[handler.Ref] : undefined;
  if (!target) return undefined;
  if (target.Type === 'AWS::Lambda::Function') return handler!.Ref;
  if (target.Type === 'AWS::Lambda::Version')
    return (target.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref;
  return undefined;
}
