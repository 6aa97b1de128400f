import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { AUTH_ENV } from '../contract/environment';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import * as z from 'zod';

/**
 * The signing-key document, as the token service and rotation see it (it holds private keys: it
 * never leaves those two; the authorizer reads public keys from the JWKS endpoint instead).
 * `SsmKeyStore` keeps it in two parts: each key's private half in its own parameter, and the
 * state of the set (below, without `privateJwk`) in another.
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

/** What a key's own parameter holds: its private half, written once. */
const PrivateHalfSchema = StoredKeySchema.pick({ kid: true, alg: true, privateJwk: true });

/** What the key set's state parameter holds: everything but key material. */
const KeySetStateSchema = z.object({
  version: z.literal(1),
  keys: z.array(StoredKeySchema.omit({ privateJwk: true })).max(20),
});

/** A kid becomes a parameter name: RFC 7638 thumbprints are base64url, which SSM names accept. */
const KID_AS_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export interface SsmKeyStoreLocation {
  /** The path under which each key's private half is the SecureString `{keysPath}/{kid}`. */
  readonly keysPath: string;
  /** The String parameter holding the set's state (statuses and dates, no key material). */
  readonly keySetParameter: string;
  /**
   * The KMS key the private halves are encrypted with.
   * @default - the account's `aws/ssm` key
   */
  readonly kmsKeyId?: string;
}

/**
 * SSM Parameter Store, one SecureString per key. A parameter's history keeps every value it ever
 * had, so a single rewritten document would keep every retired private key readable through
 * GetParameterHistory. Here a key's parameter is written once (never overwritten: its history is
 * that one version) and deleted when the key leaves the set, and DeleteParameter removes the
 * history with it. What changes on every rotation — statuses and dates — lives in a separate
 * state parameter that holds no secret. (Secrets Manager would keep the previous version under
 * AWSPREVIOUS, and old versions linger until it cleans them up.)
 *
 * Saves write new private halves first, then the state, then delete the halves the state no
 * longer names; a load reads the state and joins the halves found, so a reader racing a save sees
 * the old set or the new one, never a key without its private half.
 */
export class SsmKeyStore implements KeyStore {
  constructor(
    private readonly client: SSMClient,
    private readonly location: SsmKeyStoreLocation,
  ) {}

  async load(): Promise<KeyDocument | undefined> {
    const state = await this.loadState();
    if (!state) return undefined;
    const halves = new Map<string, z.infer<typeof PrivateHalfSchema>>();
    for (const parameter of await this.listHalves(true)) {
      const half = PrivateHalfSchema.parse(JSON.parse(parameter.value));
      if (parameter.name === this.nameOf(half.kid)) halves.set(half.kid, half);
    }
    const keys: StoredKey[] = [];
    for (const entry of state.keys) {
      const half = halves.get(entry.kid);
      if (half && half.alg === entry.alg) keys.push({ ...entry, privateJwk: half.privateJwk });
    }
    return { version: 1, keys };
  }

  async save(document: KeyDocument): Promise<void> {
    const valid = KeyDocumentSchema.parse(document);
    for (const key of valid.keys) {
      if (!KID_AS_NAME.test(key.kid)) throw new Error(`kid not usable as a parameter name`);
    }
    const existing = new Set((await this.listHalves(false)).map((parameter) => parameter.name));
    for (const key of valid.keys) {
      if (!existing.has(this.nameOf(key.kid))) await this.putHalf(key);
    }
    await this.client.send(
      new PutParameterCommand({
        Name: this.location.keySetParameter,
        Value: JSON.stringify({
          version: 1,
          keys: valid.keys.map(({ privateJwk: _secret, ...state }) => state),
        }),
        Type: 'String',
        Overwrite: true,
        Tier: 'Standard',
      }),
    );
    const kept = new Set(valid.keys.map((key) => this.nameOf(key.kid)));
    for (const name of existing) {
      if (kept.has(name)) continue;
      try {
        await this.client.send(new DeleteParameterCommand({ Name: name }));
      } catch (error) {
        if ((error as { name?: string }).name !== 'ParameterNotFound') throw error;
      }
    }
  }

  private nameOf(kid: string): string {
    return `${this.location.keysPath}/${kid}`;
  }

  private async putHalf(key: StoredKey): Promise<void> {
    try {
      await this.client.send(
        new PutParameterCommand({
          Name: this.nameOf(key.kid),
          Value: JSON.stringify({ kid: key.kid, alg: key.alg, privateJwk: key.privateJwk }),
          Type: 'SecureString',
          // Written once: an overwrite would add a version to the history.
          Overwrite: false,
          // A P-256 or RSA-2048 private JWK fits the standard tier's 4 KB.
          Tier: 'Standard',
          ...(this.location.kmsKeyId ? { KeyId: this.location.kmsKeyId } : {}),
        }),
      );
    } catch (error) {
      // The kid is the public key's thumbprint: the same kid is the same key pair.
      if ((error as { name?: string }).name !== 'ParameterAlreadyExists') throw error;
    }
  }

  private async loadState(): Promise<z.infer<typeof KeySetStateSchema> | undefined> {
    try {
      const out = await this.client.send(
        new GetParameterCommand({ Name: this.location.keySetParameter }),
      );
      const value = out.Parameter?.Value;
      return value ? KeySetStateSchema.parse(JSON.parse(value)) : undefined;
    } catch (error) {
      if ((error as { name?: string }).name === 'ParameterNotFound') return undefined;
      throw error;
    }
  }

  /** The parameters directly under the keys path; values only when decrypted. */
  private async listHalves(decrypt: boolean): Promise<{ name: string; value: string }[]> {
    const found: { name: string; value: string }[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        new GetParametersByPathCommand({
          Path: this.location.keysPath,
          Recursive: false,
          WithDecryption: decrypt,
          NextToken: nextToken,
        }),
      );
      for (const parameter of out.Parameters ?? []) {
        if (parameter.Name) found.push({ name: parameter.Name, value: parameter.Value ?? '' });
      }
      nextToken = out.NextToken;
    } while (nextToken);
    return found;
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

/** The SSM store the construct configures (SIGNING_KEYS_PATH, SIGNING_KEY_SET_PARAMETER). */
export function keyStoreFromEnv(env: NodeJS.ProcessEnv = process.env): KeyStore {
  const keysPath = env[AUTH_ENV.signingKeysPath];
  const keySetParameter = env[AUTH_ENV.signingKeySetParameter];
  if (!keysPath || !keySetParameter) {
    throw new Error(`Set ${AUTH_ENV.signingKeysPath} and ${AUTH_ENV.signingKeySetParameter}`);
  }
  return new SsmKeyStore(new SSMClient({}), {
    keysPath,
    keySetParameter,
    kmsKeyId: env[AUTH_ENV.signingKeysKmsKeyId] || undefined,
  });
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
