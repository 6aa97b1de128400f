import {
  ServiceDiscoveryClient,
  type ServiceDiscoveryClientConfig,
} from '@aws-sdk/client-servicediscovery';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Settings for the Cloud Map client of a Lambda function.
 *
 * `DiscoverInstances` is served from `data-servicediscovery.{region}.amazonaws.com`: the SDK
 * prepends `data-` to the host. Against an endpoint override such as `http://127.0.0.1:4566`
 * that makes `data-127.0.0.1`, which does not resolve (ENOTFOUND), so the prefix is switched
 * off whenever an override is in force. AWS itself still needs the prefix.
 *
 * Timeouts are short because discovery sits on the path of every service call: a slow answer
 * is worse than a failed one, which the caller's cache can absorb.
 */
export function serviceDiscoveryClientConfig(
  env: NodeJS.ProcessEnv = process.env,
): ServiceDiscoveryClientConfig {
  // Read here rather than left to the SDK, so that the `env` given is the one that counts.
  const endpoint = env.AWS_ENDPOINT_URL_SERVICEDISCOVERY || env.AWS_ENDPOINT_URL;
  return {
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: 2000 }),
    ...(endpoint ? { endpoint, disableHostPrefix: true } : {}),
  };
}

/** A Cloud Map client for this environment (the SDK reads the endpoint variables itself). */
export function createServiceDiscoveryClient(
  env: NodeJS.ProcessEnv = process.env,
): ServiceDiscoveryClient {
  return new ServiceDiscoveryClient(serviceDiscoveryClientConfig(env));
}
