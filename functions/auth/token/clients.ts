import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { JWK } from 'jose';

/** A registered OAuth client, as stored in the clients table (partition key `clientId`). */
export interface ClientRecord {
  readonly clientId: string;
  /**
   * `hmac-sha256$salt$mac` (./client-secret), or `scrypt$N$r$p$salt$hash` written before it;
   * absent for private_key_jwt-only clients.
   */
  readonly secretHash?: string;
  /** The scopes the client may be granted. */
  readonly scopes: string[];
  /** Public JWK for `private_key_jwt` client authentication (RFC 7523). */
  readonly publicJwk?: JWK;
  /** The API key value of the client's usage plan (per-client quotas), if any. */
  readonly usagePlanKey?: string;
  readonly rateLimitTier?: string;
  /** The kill switch. Read from an item, anything but absent or boolean `false` counts as true. */
  readonly disabled?: boolean;
  /**
   * When the client stops being accepted (epoch seconds; also the table's TTL attribute, whose sweep
   * may lag by days, so it is checked on every read).
   */
  readonly expiresAt?: number;
  /** Grants the client may use. @default ['client_credentials'] */
  readonly grantTypes?: string[];
}

export interface ClientsRepository {
  find(clientId: string): Promise<ClientRecord | undefined>;
}

/** Whether the client may authenticate at `now`: not disabled (fail closed) and not expired. */
export function isClientUsable(client: ClientRecord, now: Date): boolean {
  const enabled = client.disabled === undefined || client.disabled === false;
  const live = client.expiresAt === undefined || client.expiresAt * 1000 > now.getTime();
  return enabled && live;
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

/**
 * Tolerates the shapes a hand-written item may take (string sets, lists), and fails closed where
 * it matters: `disabled` set to anything but `false` (`"true"`, `1`, `"no"`, null) disables the
 * client, and an `expiresAt` that is not a number of seconds counts as already expired.
 */
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
    disabled: item.disabled !== undefined && item.disabled !== false,
    expiresAt: expiresAtOf(item.expiresAt),
    grantTypes: list(item.grantTypes),
  };
}

function expiresAtOf(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d{1,12}$/.test(value)) return Number(value);
  return 0;
}

/** Items kept in memory and read as the table's are (through `toClientRecord`). */
export class InMemoryClientsRepository implements ClientsRepository {
  private readonly items = new Map<string, Record<string, unknown>>();
  constructor(records: ReadonlyArray<ClientRecord | Record<string, unknown>> = []) {
    for (const record of records) this.items.set(String(record.clientId), { ...record });
  }
  async find(clientId: string): Promise<ClientRecord | undefined> {
    const item = this.items.get(clientId);
    return item ? toClientRecord(item) : undefined;
  }
}

// ---- client secret hashing (keyed hash: ./client-secret; people's passwords keep scrypt) ------

export {
  CLIENT_SECRET_MIN_LENGTH,
  hashClientSecret,
  isLegacyClientSecretHash,
  verifyClientSecret,
} from './client-secret';
