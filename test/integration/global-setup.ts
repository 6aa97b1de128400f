import type { TestProject } from 'vitest/node';
import { startEmulator, type Emulator } from '../../localstack/platform/emulator';

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoint: string;
  }
}

let emulator: Emulator | undefined;

/**
 * Integration tests talk to a real AWS API emulator over HTTP: the one at AWS_ENDPOINT_URL
 * (e.g. LocalStack) when set, otherwise an embedded moto server started here and stopped after.
 */
export async function setup(project: TestProject): Promise<void> {
  emulator = await startEmulator();
  project.provide('awsEndpoint', emulator.endpoint);
}

export async function teardown(): Promise<void> {
  await emulator?.stop();
}
