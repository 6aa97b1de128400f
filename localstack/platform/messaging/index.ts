import type { StackArtifact } from '../cloud-assembly';
import type { ResolutionContext } from '../intrinsics';
import type { LocalLambdaApi } from '../lambda-api';
import type { LocalFunction } from '../lambda-runtime';
import type { AwsClientSettings } from '../provision';
import { LocalEventSourceMappings } from './event-source-mappings';
import { eventSourceMappingRoutes } from './mapping-api';

export { nameMessagingResources, provisionMessaging } from './resources';
export { LocalEventSourceMappings, LocalSqsMapping } from './event-source-mappings';

export interface LocalMessaging {
  readonly mappings: LocalEventSourceMappings;
  stop(): Promise<void>;
}

/**
 * Starts every SQS event source mapping of the app against the functions the platform runs, and
 * serves their list/get/update through the local Lambda API (a consumer pauses its own mapping
 * there while a circuit is open).
 */
export function startLocalMessaging(options: {
  readonly deployed: readonly { stack: StackArtifact; context: ResolutionContext }[];
  readonly functionsByStack: readonly ReadonlyMap<string, LocalFunction>[];
  readonly functions: Iterable<LocalFunction>;
  readonly lambdaApi: LocalLambdaApi;
  readonly operatorAccessKeyId: string;
  readonly clients: AwsClientSettings;
}): LocalMessaging {
  const mappings = LocalEventSourceMappings.fromStacks(
    options.deployed,
    (index, logicalId) => {
      const fn = options.functionsByStack[index]?.get(logicalId);
      return fn ? { arn: fn.definition.arn, invoke: (event) => fn.invoke(event) } : undefined;
    },
    options.clients,
  );
  const byAccessKey = new Map<string, string>();
  for (const fn of options.functions) {
    byAccessKey.set(fn.definition.environment.AWS_ACCESS_KEY_ID, fn.definition.arn);
  }
  options.lambdaApi.extend(
    eventSourceMappingRoutes(mappings, (accessKeyId) =>
      accessKeyId === options.operatorAccessKeyId
        ? 'operator'
        : accessKeyId
          ? byAccessKey.get(accessKeyId)
          : undefined,
    ),
  );
  mappings.start();
  return { mappings, stop: () => mappings.stop() };
}
