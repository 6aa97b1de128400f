import {
  randomBytes,
  scrypt as scryptCallback,
  timingSafeEqual,
  type ScryptOptions,
} from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { JWK } from 'jose';

/** A registered OAuth client, as stored in the clients table (partition key `clientId`). */
export interface ClientRecord {
  readonly clientId: string;
  /** `scrypt$N$r$p$salt$hash` (salt and hash base64url); absent for private_key_jwt-only clients. */
  readonly secretHash?: string;
  /** The scopes the client may be granted. */
  readonly scopes: string[];
  /** Public JWK for `private_key_jwt` client authentication (RFC 7523). */
  readonly publicJwk?: JWK;
  /** The API key value of the client's usage plan (per-client quotas), if any. */
  readonly usagePlanKey?: string;
  readonly rateLimitTier?: string;
  readonly disabled?: boolean;
  /** Grants the client may use. @default ['client_credentials'] */
  readonly grantTypes?: string[];
}

export interface ClientsRepository {
  find(clientId: string): Promise<ClientRecord | undefined>;
}

/** The clients table through the DynamoDB document client. */
export class DynamoDbClientsRepository implements ClientsRepository {
  private readonly doc: DynamoDBDocumentClient;
  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async find(clientId: string): Promise<ClientRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { clientId } }),
    );
    return out.Item ? toClientRecord(out.Item) : undefined;
  }

  async put(record: ClientRecord): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...record } }));
  }
}

/** Tolerates the shapes a hand-written item may take (string sets, lists). */
export function toClientRecord(item: Record<string, unknown>): ClientRecord | undefined {
  if (typeof item.clientId !== 'string' || !item.clientId) return undefined;
  const list = (value: unknown): string[] | undefined =>
    value instanceof Set
      ? [...value].filter((v): v is string => typeof v === 'string')
      : Array.isArray(value)
        ? value.filter((v): v is string => typeof v === 'string')
        : typeof value === 'string'
          ? value.split(' ').filter(Boolean)
          : undefined;
  return {
    clientId: item.clientId,
    secretHash: typeof item.secretHash === 'string' ? item.secretHash : undefined,
    scopes: list(item.scopes) ?? [],
    publicJwk:
      typeof item.publicJwk === 'object' && item.publicJwk !== null
        ? (item.publicJwk as JWK)
        : undefined,
    usagePlanKey: typeof item.usagePlanKey === 'string' ? item.usagePlanKey : undefined,
    rateLimitTier: typeof item.rateLimitTier === 'string' ? item.rateLimitTier : undefined,
    disabled: item.disabled === true,
    grantTypes: list(item.grantTypes),
  };
}

export class InMemoryClientsRepository implements ClientsRepository {
  private readonly clients = new Map<string, ClientRecord>();
  constructor(records: ClientRecord[] = []) {
    for (const record of records) this.clients.set(record.clientId, record);
  }
  async find(clientId: string): Promise<ClientRecord | undefined> {
    return this.clients.get(clientId);
  }
}

// ---- client secret hashing -------------------------------------------------------------------

export interface ScryptParameters {
  /** CPU/memory cost, a power of two. @default 16384 */
  readonly N?: number;
  /** @default 8 */
  readonly r?: number;
  /** @default 1 */
  readonly p?: number;
}

const DEFAULT_SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const HASH_BYTES = 32;
const SALT_BYTES = 16;

function scrypt(
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keylen, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

function scryptOptions(N: number, r: number, p: number): ScryptOptions {
  return { N, r, p, maxmem: 256 * N * r * p + 1024 * 1024 };
}

/** Hashes a client secret for the clients table: `scrypt$N$r$p$salt$hash`, per-client random salt. */
export async function hashClientSecret(
  secret: string,
  parameters: ScryptParameters = {},
): Promise<string> {
  const { N, r, p } = { ...DEFAULT_SCRYPT, ...parameters };
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(Buffer.from(secret, 'utf8'), salt, HASH_BYTES, scryptOptions(N, r, p));
  return ['scrypt', N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parseHash(encoded: string): ParsedHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const validN = Number.isInteger(N) && N >= 2 && N <= 1 << 20 && (N & (N - 1)) === 0;
  if (!validN || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16)
    return undefined;
  const salt = Buffer.from(parts[4], 'base64url');
  const hash = Buffer.from(parts[5], 'base64url');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { N, r, p, salt, hash };
}

let dummyHash: Promise<string> | undefined;

/**
 * Constant-time check of a presented secret. With no stored hash (unknown client, disabled
 * client, client without a secret) it still runs scrypt against a dummy hash of the default cost
 * and answers false, so that timing does not tell whether a client exists.
 */
export async function verifyClientSecret(
  presented: string,
  encoded: string | undefined,
): Promise<boolean> {
  const parsed = encoded ? parseHash(encoded) : undefined;
  if (!parsed) {
    dummyHash ??= hashClientSecret('dummy-secret-for-constant-work');
    const dummy = parseHash(await dummyHash)!;
    const computed = await scrypt(
      Buffer.from(presented, 'utf8'),
      dummy.salt,
      dummy.hash.length,
      scryptOptions(dummy.N, dummy.r, dummy.p),
    );
    timingSafeEqual(computed, dummy.hash);
    return false;
  }
  const computed = await scrypt(
    Buffer.from(presented, 'utf8'),
    parsed.salt,
    parsed.hash.length,
    scryptOptions(parsed.N, parsed.r, parsed.p),
  );
  return timingSafeEqual(computed, parsed.hash);
}
