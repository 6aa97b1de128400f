import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { JWK } from 'jose';
import { hashSecret, verifySecret } from './secret-hash';

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

// ---- client secret hashing (scrypt, shared with user passwords: ./secret-hash) -------------

export type { ScryptParameters } from './secret-hash';

/** Hashes a client secret for the clients table: `scrypt$N$r$p$salt$hash`, per-client random salt. */
export const hashClientSecret = hashSecret;

/**
 * Constant-time check of a presented secret; with no stored hash (unknown or disabled client, or
 * one without a secret) it still does the same scrypt work and answers false.
 */
export const verifyClientSecret = verifySecret;
