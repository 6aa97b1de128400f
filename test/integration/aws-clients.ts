import { inject } from 'vitest';

/**
 * Client settings for the emulator the integration run started (or was given). No `endpoint`:
 * each client resolves its own the way the SDK does, `AWS_ENDPOINT_URL_<SERVICE>` first, then
 * `AWS_ENDPOINT_URL` (set for every test file by endpoint-env.ts). That is how the LocalStack
 * lane sends SSM or SQS to LocalStack and DynamoDB or Cloud Map to the embedded emulator.
 */
export function emulatorClientConfig() {
  return {
    region: 'us-east-1',
    credentials: { accessKeyId: 'integration', secretAccessKey: 'integration' },
  };
}

/**
 * The endpoint a client of `serviceId` (the SDK's id, e.g. 'ServiceDiscovery', 'AppConfig')
 * reaches, for code that needs the URL itself (a function's environment, moto's own API).
 */
export function emulatorEndpoint(serviceId?: string): string {
  const specific = serviceId
    ? process.env[`AWS_ENDPOINT_URL_${serviceId.replace(/ /g, '_').toUpperCase()}`]
    : undefined;
  return specific || inject('awsEndpoint');
}
