import { randomUUID } from 'node:crypto';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ConfigError, ConfigReader } from '../../../functions/runtime/config';
import { ManualClock } from '../../../functions/runtime/resilience/clock';
import { checkHealth } from '../../../functions/runtime/service/health';
import { emulatorClientConfig } from '../aws-clients';

/** A platform name of its own, so that runs and other test files never share parameters. */
const PLATFORM = `cfg${randomUUID().slice(0, 8)}`;
const SERVICE_PATH = `/${PLATFORM}/dev/reading-list`;
const SHARED_PATH = `/${PLATFORM}/dev/shared`;

let ssm: SSMClient;

async function put(name: string, value: string, type: 'String' | 'SecureString' = 'String') {
  await ssm.send(
    new PutParameterCommand({ Name: name, Value: value, Type: type, Overwrite: true }),
  );
}

function reader(clock: ManualClock, logger = { warn: vi.fn() }) {
  return new ConfigReader({
    servicePath: SERVICE_PATH,
    sharedPath: SHARED_PATH,
    maxAgeSeconds: 30,
    ssmProvider: new SSMProvider({ awsSdkV3Client: ssm }),
    clock,
    logger,
  });
}

beforeAll(() => {
  ssm = new SSMClient(emulatorClientConfig());
});

afterAll(() => {
  ssm.destroy();
});

describe('ConfigReader against SSM in the emulator', () => {
  it('follows a changed parameter after the cache age, not before', async () => {
    await put(`${SERVICE_PATH}/page-size`, '10');
    const clock = new ManualClock();
    const config = reader(clock);

    await expect(config.parameter('page-size', z.number().int())).resolves.toBe(10);
    await put(`${SERVICE_PATH}/page-size`, '20');
    clock.advance(10_000);
    await expect(config.parameter('page-size', z.number().int())).resolves.toBe(10);
    clock.advance(20_000);
    await expect(config.parameter('page-size', z.number().int())).resolves.toBe(20);
    expect(config.counts).toEqual({ storeReads: 2, rejected: 0 });
  });

  it('keeps the last good value when the new one fails its schema or disappears', async () => {
    const name = `${SERVICE_PATH}/limits`;
    const schema = z.object({ pageSize: z.number().int().min(1).max(100) });
    await put(name, '{"pageSize":25}');
    const clock = new ManualClock();
    const logger = { warn: vi.fn() };
    const config = reader(clock, logger);
    await expect(config.parameter('limits', schema)).resolves.toEqual({ pageSize: 25 });

    await put(name, '{"pageSize":1000}');
    clock.advance(30_000);
    await expect(config.parameter('limits', schema)).resolves.toEqual({ pageSize: 25 });

    await ssm.send(new DeleteParameterCommand({ Name: name }));
    clock.advance(30_000);
    await expect(config.parameter('limits', schema)).resolves.toEqual({ pageSize: 25 });

    expect(logger.warn.mock.calls.map(([, attributes]) => attributes)).toEqual([
      { source: name, problem: expect.stringContaining('pageSize') },
      { source: name, problem: 'does not exist' },
    ]);
    expect(config.counts).toEqual({ storeReads: 3, rejected: 2 });
  });

  it('throws a ConfigError naming a parameter that does not exist', async () => {
    const config = reader(new ManualClock());

    const read = config.parameter('nothing-here', z.string(), { shared: true });

    await expect(read).rejects.toThrow(ConfigError);
    await expect(read).rejects.toThrow(`configuration ${SHARED_PATH}/nothing-here: does not exist`);
  });

  it('decrypts a SecureString and keeps its value out of errors', async () => {
    const secret = 'Sup3r-secret-value';
    await put(`${SERVICE_PATH}/api-key`, secret, 'SecureString');
    const config = reader(new ManualClock());

    await expect(config.parameter('api-key', z.string(), { decrypt: true })).resolves.toBe(secret);
    const first = reader(new ManualClock()).parameter('api-key', z.string().min(64), {
      decrypt: true,
    });
    await expect(first).rejects.toThrow(ConfigError);
    await expect(first).rejects.toThrow(
      `configuration ${SERVICE_PATH}/api-key: does not match its schema ((value): too_small)`,
    );
    await expect(first).rejects.not.toThrow(secret);
  });

  it('reports config UP in the health check while SSM answers for the service path', async () => {
    await put(`${SERVICE_PATH}/page-size`, '10');
    const report = await checkHealth(
      { config: reader(new ManualClock()).healthCheck() },
      { service: 'reading-list', version: 'test' },
    );
    expect(report.components.config).toEqual({
      status: 'UP',
      details: { path: SERVICE_PATH, servingLastGood: [] },
    });
  });
});
