import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  CreateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AUTH_ENV } from '../contract/environment';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import * as z from 'zod';

/**
 * The signing-key document, kept as one JSON value in an SSM SecureString parameter or a
 * Secrets Manager secret (it holds private keys: it never leaves the token service and the
 * rotation function; the authorizer reads public keys from the JWKS endpoint instead).
 *
 * ```json
 * { "version": 1,
 *   "keys": [
 *     { "kid": "…", "alg": "ES256", "status": "current", "createdAt": "2025-01-01T00:00:00.000Z",
 *       "activatedAt": "2025-01-02T00:00:00.000Z", "privateJwk": { "kty": "EC", "crv": "P-256", … } },
 *     { "kid": "…", "alg": "ES256", "status": "next", "createdAt": "…", "privateJwk": { … } },
 *     { "kid": "…", "alg": "ES256", "status": "retired", "createdAt": "…", "activatedAt": "…",
 *       "retiredAt": "…", "publishUntil": "…", "privateJwk": { … } } ] }
 * ```
 *
 * - `next`: published in the JWKS, not yet signing (so every verifier can learn it first);
 * - `current`: the one key that signs (exactly one once bootstrapped);
 * - `retired`: no longer signs; published until `publishUntil` = retiredAt + the longest token
 *   lifetime + clock tolerance + the signer's key-cache time, after which no token it signed can
 *   still be valid, and rotation removes it.
 */
export const SIGNING_ALGORITHMS = ['ES256', 'RS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
export type KeyStatus = 'next' | 'current' | 'retired';

const IsoDate = z.iso.datetime();

export const StoredKeySchema = z.object({
  kid: z.string().min(1).max(128),
  alg: z.enum(SIGNING_ALGORITHMS),
  status: z.enum(['next', 'current', 'retired']),
  createdAt: IsoDate,
  activatedAt: IsoDate.optional(),
  retiredAt: IsoDate.optional(),
  publishUntil: IsoDate.optional(),
  privateJwk: z.record(z.string(), z.unknown()),
});
export type StoredKey = z.infer<typeof StoredKeySchema>;

export const KeyDocumentSchema = z.object({
  version: z.literal(1),
  keys: z.array(StoredKeySchema).max(20),
});
export type KeyDocument = z.infer<typeof KeyDocumentSchema>;

export function emptyKeyDocument(): KeyDocument {
  return { version: 1, keys: [] };
}

/** Where the key document lives. */
export interface KeyStore {
  /** The document, or undefined when none was written yet. */
  load(): Promise<KeyDocument | undefined>;
  save(document: KeyDocument): Promise<void>;
}

export function parseKeyDocument(text: string): KeyDocument {
  return KeyDocumentSchema.parse(JSON.parse(text));
}

/** SSM Parameter Store, SecureString. Intelligent-Tiering: three RSA keys outgrow the 4 KB standard tier. */
export class SsmKeyStore implements KeyStore {
  constructor(
    private readonly client: SSMClient,
    private readonly parameterName: string,
    private readonly kmsKeyId?: string,
  ) {}

  async load(): Promise<KeyDocument | undefined> {
    try {
      const out = await this.client.send(
        new GetParameterCommand({ Name: this.parameterName, WithDecryption: true }),
      );
      const value = out.Parameter?.Value;
      return value ? parseKeyDocument(value) : undefined;
    } catch (error) {
      if ((error as { name?: string }).name === 'ParameterNotFound') return undefined;
      throw error;
    }
  }

  async save(document: KeyDocument): Promise<void> {
    await this.client.send(
      new PutParameterCommand({
        Name: this.parameterName,
        Value: JSON.stringify(KeyDocumentSchema.parse(document)),
        Type: 'SecureString',
        Overwrite: true,
        Tier: 'Intelligent-Tiering',
        ...(this.kmsKeyId ? { KeyId: this.kmsKeyId } : {}),
      }),
    );
  }
}

/** AWS Secrets Manager; the secret is created on first save when it does not exist. */
export class SecretsManagerKeyStore implements KeyStore {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
  ) {}

  async load(): Promise<KeyDocument | undefined> {
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      return out.SecretString ? parseKeyDocument(out.SecretString) : undefined;
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  async save(document: KeyDocument): Promise<void> {
    const SecretString = JSON.stringify(KeyDocumentSchema.parse(document));
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: this.secretId, SecretString }));
    } catch (error) {
      if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
      await this.client.send(new CreateSecretCommand({ Name: this.secretId, SecretString }));
    }
  }
}

/** For tests and the local platform. */
export class InMemoryKeyStore implements KeyStore {
  loads = 0;
  saves = 0;
  constructor(private document?: KeyDocument) {}
  async load(): Promise<KeyDocument | undefined> {
    this.loads += 1;
    return this.document ? structuredClone(this.document) : undefined;
  }
  async save(document: KeyDocument): Promise<void> {
    this.saves += 1;
    this.document = structuredClone(KeyDocumentSchema.parse(document));
  }
}

/** SIGNING_KEYS_PARAMETER (SSM) wins over SIGNING_KEYS_SECRET_ID (Secrets Manager). */
export function keyStoreFromEnv(env: NodeJS.ProcessEnv = process.env): KeyStore {
  const parameter = env[AUTH_ENV.signingKeysParameter];
  const secretId = env[AUTH_ENV.signingKeysSecretId];
  if (parameter) {
    return new SsmKeyStore(new SSMClient({}), parameter, env[AUTH_ENV.signingKeysKmsKeyId]);
  }
  if (secretId) {
    return new SecretsManagerKeyStore(new SecretsManagerClient({}), secretId);
  }
  throw new Error(`Set ${AUTH_ENV.signingKeysParameter} or ${AUTH_ENV.signingKeysSecretId}`);
}

/**
 * Keeps the document for `ttlMs` in the warm environment. Concurrent callers share one load;
 * when a reload fails and a document is cached, the cached one is served (a key-store hiccup must
 * not stop token issuance) and the reload is retried on the next call.
 */
export class CachedKeyDocument {
  private cached?: { document: KeyDocument; loadedAt: number };
  private pending?: Promise<KeyDocument | undefined>;

  constructor(
    private readonly store: KeyStore,
    private readonly ttlMs: number = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<KeyDocument | undefined> {
    if (this.cached && this.now() - this.cached.loadedAt < this.ttlMs) return this.cached.document;
    this.pending ??= this.store
      .load()
      .then((document) => {
        if (document) this.cached = { document, loadedAt: this.now() };
        return document;
      })
      .catch((error: unknown) => {
        if (this.cached) return this.cached.document;
        throw error;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  invalidate(): void {
    this.cached = undefined;
  }
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The public half of a JWK, with `kid`, `alg` and `use: sig` (what a JWKS publishes). */
export function toPublicJwk(key: Pick<StoredKey, 'kid' | 'alg' | 'privateJwk'>): JWK {
  const jwk: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(key.privateJwk)) {
    if (!PRIVATE_MEMBERS.includes(name) && name !== 'key_ops' && name !== 'ext') jwk[name] = value;
  }
  return { ...(jwk as JWK), kid: key.kid, alg: key.alg, use: 'sig' };
}

/** The keys a verifier must know at `now`: next, current, and retired ones still within grace. */
export function publishedKeys(document: KeyDocument, now: Date): StoredKey[] {
  return document.keys.filter(
    (key) =>
      key.status !== 'retired' ||
      (key.publishUntil !== undefined && Date.parse(key.publishUntil) > now.getTime()),
  );
}

export function jwksOf(document: KeyDocument, now: Date): { keys: JWK[] } {
  return { keys: publishedKeys(document, now).map(toPublicJwk) };
}

export function currentKey(document: KeyDocument): StoredKey | undefined {
  return document.keys.find((key) => key.status === 'current');
}

/** A fresh key pair; `kid` is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKey(
  alg: SigningAlgorithm,
  now: Date,
  status: KeyStatus,
): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
  });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(privateJwk, 'sha256');
  return {
    kid,
    alg,
    status,
    createdAt: now.toISOString(),
    ...(status === 'current' ? { activatedAt: now.toISOString() } : {}),
    privateJwk: privateJwk as Record<string, unknown>,
  };
}
