import { inject } from 'vitest';

/** Client settings for the emulator the integration run started (or was given). */
export function emulatorClientConfig() {
  return {
    endpoint: inject('awsEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'integration', secretAccessKey: 'integration' },
  };
}
