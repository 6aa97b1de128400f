import type { Construct } from 'constructs';

/** Where a platform and its services are deployed: what the constructs may create there. */
export enum PlatformTarget {
  /** AWS itself: everything (Cloud Map, AppConfig, X-Ray, OpenSearch, deploy-time triggers). */
  AWS = 'aws',
  /**
   * LocalStack's community tier (4.14), with `cdklocal deploy`: no Cloud Map, AppConfig, X-Ray
   * or OpenSearch domain, and no `Custom::*` resources. Services call each other by the function
   * names their stacks were given (published in SSM), read configuration from SSM only, and find
   * feature flags off unless the caller gives a default.
   */
  LOCALSTACK = 'localstack',
}

/** The context key that chooses the target: `cdklocal deploy -c serverless-msa:target=localstack`. */
export const PLATFORM_TARGET_CONTEXT = 'serverless-msa:target';

/**
 * The target given, else the one the app's context names, else AWS. An unknown context value is
 * an error (a typo must not deploy AWS-only resources into LocalStack).
 */
export function platformTargetOf(scope: Construct, target?: PlatformTarget): PlatformTarget {
  if (target !== undefined) return target;
  const value: unknown = scope.node.tryGetContext(PLATFORM_TARGET_CONTEXT);
  if (value === undefined) return PlatformTarget.AWS;
  const known = Object.values(PlatformTarget) as unknown[];
  if (!known.includes(value)) {
    throw new Error(
      `Context ${PLATFORM_TARGET_CONTEXT} must be one of ${known.join(', ')}; got '${String(value)}'`,
    );
  }
  return value as PlatformTarget;
}
