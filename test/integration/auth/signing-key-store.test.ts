import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRotationHandler } from '../../../functions/auth/rotation/handler';
import {
  jwksOf,
  SsmKeyStore,
  type KeyDocument,
  type SsmKeyStoreLocation,
} from '../../../functions/runtime/auth/key-store';
import {
  signingKeySetParameterName,
  signingKeysPath,
} from '../../../functions/runtime/contract/auth-parameters';
import { POLICY, powertools, T0 } from '../../functions/auth/fixtures';
import { emulatorClientConfig } from '../aws-clients';

const suffix = Date.now().toString(36);
const platformName = `keys-${suffix}`;
/**
 * The customer-managed key the construct passes. The emulator records it on each SecureString
 * (who may use it is the key policy's business, checked on the synthesized template).
 */
const kmsKeyId = 'arn:aws:kms:us-east-1:000000000000:key/6f0a3c1e-7d4b-4b8e-9c55-0f2d3a1b9e77';
let ssm: SSMClient;

beforeAll(() => {
  ssm = new SSMClient(emulatorClientConfig());
});

afterAll(() => {
  ssm?.destroy();
});

/** A store of its own stage, so tests do not see each other's keys. */
function storeFor(stage: string) {
  const location: SsmKeyStoreLocation = {
    keysPath: signingKeysPath(platformName, stage),
    keySetParameter: signingKeySetParameterName(platformName, stage),
    kmsKeyId,
  };
  return { location, store: new SsmKeyStore(ssm, location) };
}

const errorName = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { name?: string }) => error.name,
  );

async function parametersUnder(path: string) {
  const out = await ssm.send(new GetParametersByPathCommand({ Path: path, Recursive: true }));
  return out.Parameters ?? [];
}

const kids = (document: KeyDocument | undefined, status?: string) =>
  (document?.keys ?? []).filter((key) => !status || key.status === status).map((key) => key.kid);

describe('signing keys in SSM, one parameter per key (against the emulator)', () => {
  it('rotation stores each private key once, encrypted with the given KMS key, and a key set without key material', async () => {
    const { location, store } = storeFor('stored');
    expect(await store.load()).toBeUndefined();
    const rotate = createRotationHandler({
      store,
      policy: POLICY,
      powertools: powertools(),
      clock: () => T0,
    });
    expect((await rotate({})).action).toBe('bootstrapped');

    const loaded = await store.load();
    expect(kids(loaded, 'current')).toHaveLength(1);
    expect(kids(loaded, 'next')).toHaveLength(1);
    const keyParameters = await parametersUnder(location.keysPath);
    expect(keyParameters.map((parameter) => parameter.Name).sort()).toEqual(
      kids(loaded)
        .map((kid) => `${location.keysPath}/${kid}`)
        .sort(),
    );
    for (const parameter of keyParameters) {
      expect(parameter.Type).toBe('SecureString');
      const history = await ssm.send(
        new GetParameterHistoryCommand({ Name: parameter.Name!, WithDecryption: false }),
      );
      expect(history.Parameters).toHaveLength(1);
      expect(history.Parameters![0].KeyId).toBe(kmsKeyId);
    }
    const keySet = await ssm.send(new GetParameterCommand({ Name: location.keySetParameter }));
    expect(keySet.Parameter!.Type).toBe('String');
    const state = JSON.parse(keySet.Parameter!.Value!) as { keys: Record<string, unknown>[] };
    expect(state.keys.map((key) => key.kid).sort()).toEqual(kids(loaded).sort());
    expect(state.keys.every((key) => !('privateJwk' in key))).toBe(true);
    expect(keySet.Parameter!.Value).not.toMatch(/"d"/);
  });

  it('a promoted key keeps its one-version parameter; a retired key past its grace is deleted with its history, and leaves the JWKS', async () => {
    const { location, store } = storeFor('retired');
    let now = T0;
    const rotate = createRotationHandler({
      store,
      policy: POLICY,
      powertools: powertools(),
      clock: () => now,
    });
    await rotate({});
    const [first] = kids(await store.load(), 'current');
    now = new Date(T0.getTime() + (POLICY.minNextAgeSeconds + 1) * 1000);
    expect((await rotate({})).action).toBe('rotated');

    const rotated = await store.load();
    expect(kids(rotated, 'retired')).toEqual([first]);
    for (const kid of kids(rotated)) {
      const history = await ssm.send(
        new GetParameterHistoryCommand({ Name: `${location.keysPath}/${kid}` }),
      );
      expect(history.Parameters, kid).toHaveLength(1);
    }
    // Within its grace the retired key is still published, so tokens it signed still verify.
    expect(jwksOf(rotated!, now).keys.map((key) => key.kid)).toContain(first);

    now = new Date(now.getTime() + (POLICY.retiredGraceSeconds + 1) * 1000);
    const removal = await rotate({});
    expect(removal.removedKids).toEqual([first]);
    const name = `${location.keysPath}/${first}`;
    expect(await errorName(ssm.send(new GetParameterCommand({ Name: name })))).toBe(
      'ParameterNotFound',
    );
    expect(
      await errorName(
        ssm.send(new GetParameterHistoryCommand({ Name: name, WithDecryption: true })),
      ),
    ).toBe('ParameterNotFound');
    const after = await store.load();
    expect(kids(after)).not.toContain(first);
    expect(jwksOf(after!, now).keys.map((key) => key.kid)).not.toContain(first);
    expect(kids(after, 'current')).toHaveLength(1);
  });

  it('a private key the key set does not name is ignored by readers and deleted by the next save', async () => {
    const { location, store } = storeFor('orphan');
    const rotate = createRotationHandler({
      store,
      policy: POLICY,
      powertools: powertools(),
      clock: () => T0,
    });
    await rotate({});
    // What a rotation that stopped between writing a new key and writing the key set leaves.
    const orphan = `${location.keysPath}/orphan-kid`;
    await ssm.send(
      new PutParameterCommand({
        Name: orphan,
        Type: 'SecureString',
        KeyId: kmsKeyId,
        Value: JSON.stringify({ kid: 'orphan-kid', alg: 'ES256', privateJwk: { kty: 'EC' } }),
      }),
    );
    const loaded = await store.load();
    expect(kids(loaded)).not.toContain('orphan-kid');
    await store.save(loaded!);
    expect(await errorName(ssm.send(new GetParameterHistoryCommand({ Name: orphan })))).toBe(
      'ParameterNotFound',
    );
    expect(kids(await store.load()).sort()).toEqual(kids(loaded).sort());
  });
});
