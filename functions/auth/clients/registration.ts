import { randomBytes } from 'node:crypto';
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { isScopeToken } from '../../runtime/auth/scopes';
import { hashClientSecret } from '../token/clients';

export interface RegistrationTargets {
  /** The authorization server's clients table. */
  readonly clientsTable: string;
  /** SSM SecureString mapping client IDs to usage-plan API keys (read by the authorizer). */
  readonly usageKeysParameter: string;
}

export interface ClientRegistration {
  readonly clientId: string;
  readonly scopes: string[];
  /** The usage plan that meters this client (the platform's default plan, or one of its own). */
  readonly usagePlanId: string;
}

export interface RegisteredClient {
  readonly clientId: string;
  /** Shown once; only its keyed hash is stored. */
  readonly clientSecret: string;
  readonly apiKeyId: string;
}

export interface RegistrationClients {
  readonly dynamodb: DynamoDBClient;
  readonly apigateway: APIGatewayClient;
  readonly ssm: SSMClient;
}

const CLIENT_ID = /^[A-Za-z0-9._-]{3,64}$/;

export class RegistrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistrationError';
  }
}

/**
 * Registers an OAuth2 client of a deployed platform: its hashed secret and allowed scopes in the
 * clients table, its own API key on a usage plan (per-client throttle and quota), and the key in
 * the map the authorizer reads to name each client's usage identifier. A client ID that exists
 * is refused and nothing is changed.
 */
export async function registerClient(
  clients: RegistrationClients,
  targets: RegistrationTargets,
  registration: ClientRegistration,
): Promise<RegisteredClient> {
  checkClientId(registration.clientId);
  const invalid = registration.scopes.filter((scope) => !isScopeToken(scope));
  if (invalid.length)
    throw new RegistrationError(`not RFC 6749 scope tokens: ${invalid.join(', ')}`);

  const documents = DynamoDBDocumentClient.from(clients.dynamodb);
  const clientSecret = randomBytes(32).toString('base64url');
  try {
    await documents.send(
      new PutCommand({
        TableName: targets.clientsTable,
        Item: {
          clientId: registration.clientId,
          secretHash: await hashClientSecret(clientSecret),
          scopes: [...new Set(registration.scopes)],
          grantTypes: ['client_credentials'],
        },
        ConditionExpression: 'attribute_not_exists(clientId)',
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
      throw new RegistrationError(`client '${registration.clientId}' is already registered`);
    }
    throw error;
  }

  let apiKeyId: string | undefined;
  try {
    const apiKeyValue = randomBytes(30).toString('base64url');
    const key = await clients.apigateway.send(
      new CreateApiKeyCommand({ name: registration.clientId, enabled: true, value: apiKeyValue }),
    );
    apiKeyId = key.id!;
    await clients.apigateway.send(
      new CreateUsagePlanKeyCommand({
        usagePlanId: registration.usagePlanId,
        keyId: apiKeyId,
        keyType: 'API_KEY',
      }),
    );
    await addToKeyMap(clients.ssm, targets.usageKeysParameter, registration.clientId, apiKeyValue);
  } catch (error) {
    // Undo, so a failed registration can simply be run again.
    await documents.send(
      new DeleteCommand({
        TableName: targets.clientsTable,
        Key: { clientId: registration.clientId },
      }),
    );
    if (apiKeyId)
      await clients.apigateway
        .send(new DeleteApiKeyCommand({ apiKey: apiKeyId }))
        .catch(() => undefined);
    throw error;
  }
  return { clientId: registration.clientId, clientSecret, apiKeyId };
}

function checkClientId(clientId: string): void {
  // `__proto__` would be a prototype, not a key, to whoever reads the map as a plain object.
  if (!CLIENT_ID.test(clientId) || clientId === '__proto__') {
    throw new RegistrationError(
      'client ID must be 3-64 letters, digits, dot, underscore or hyphen',
    );
  }
}

/**
 * Issues a new secret for a registered client and stores its keyed hash (the old secret stops
 * working at once). Also the migration for clients whose hash predates the keyed format.
 */
export async function rotateClientSecret(
  clients: Pick<RegistrationClients, 'dynamodb'>,
  targets: Pick<RegistrationTargets, 'clientsTable'>,
  clientId: string,
): Promise<{ clientId: string; clientSecret: string }> {
  checkClientId(clientId);
  const clientSecret = randomBytes(32).toString('base64url');
  try {
    await DynamoDBDocumentClient.from(clients.dynamodb).send(
      new UpdateCommand({
        TableName: targets.clientsTable,
        Key: { clientId },
        UpdateExpression: 'SET secretHash = :hash',
        ConditionExpression: 'attribute_exists(clientId)',
        ExpressionAttributeValues: { ':hash': await hashClientSecret(clientSecret) },
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
      throw new RegistrationError(`client '${clientId}' is not registered`);
    }
    throw error;
  }
  return { clientId, clientSecret };
}

type KeyMap = Map<string, string>;

/** Puts before giving up (each repeat is one more registration racing this one). */
const MAX_ROUNDS = 20;

/**
 * Adds one client's key to the usage-key map without losing a concurrent registration's.
 *
 * SSM has no conditional put, but each put gets the next version number (returned by the put) and
 * the history keeps every version. So: read the map at version b, put it with our key → version p.
 * Versions b+1 … p-1, if any, were written by others meanwhile; if one holds a key our put lacks,
 * our put dropped it: merge those maps (from the history) into ours and put again, then check that
 * put the same way against the versions written before it. Every put that drops a key is thus
 * followed by a put of the same writer that holds it, so once the registrations have returned the
 * latest version holds every key. Each repeat adds at least one key, so the rounds are bounded by
 * the number of registrations racing. Keys are only ever added (a client's key is removed by hand).
 */
async function addToKeyMap(
  ssm: SSMClient,
  name: string,
  clientId: string,
  apiKeyValue: string,
): Promise<void> {
  const read = await readKeyMap(ssm, name);
  const map = read.map;
  let base = read.version;
  map.set(clientId, apiKeyValue);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const written = await writeKeyMap(ssm, name, map);
    let dropped = false;
    if (written > base + 1) {
      for (const other of await keyMapVersions(ssm, name, base + 1, written - 1)) {
        for (const [id, key] of other) {
          if (!map.has(id)) {
            map.set(id, key);
            dropped = true;
          }
        }
      }
    }
    if (!dropped) return;
    base = written;
  }
  throw new Error(`the usage-key map ${name} kept changing; register the client again`);
}

function parseKeyMap(value: string | undefined): KeyMap {
  const parsed: unknown = JSON.parse(value ?? '{}');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('the usage-key map is not a JSON object');
  }
  const map: KeyMap = new Map();
  for (const [id, key] of Object.entries(parsed)) if (typeof key === 'string') map.set(id, key);
  return map;
}

async function readKeyMap(ssm: SSMClient, name: string): Promise<{ map: KeyMap; version: number }> {
  try {
    const { Parameter } = await ssm.send(
      new GetParameterCommand({ Name: name, WithDecryption: true }),
    );
    return { map: parseKeyMap(Parameter?.Value), version: Parameter?.Version ?? 0 };
  } catch (error) {
    if ((error as { name?: string }).name === 'ParameterNotFound')
      return { map: new Map(), version: 0 };
    throw error;
  }
}

/** The maps of versions `from` … `to` from the parameter's history, every one of them or an error. */
async function keyMapVersions(
  ssm: SSMClient,
  name: string,
  from: number,
  to: number,
): Promise<KeyMap[]> {
  const found = new Map<number, KeyMap>();
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(
      new GetParameterHistoryCommand({ Name: name, WithDecryption: true, NextToken }),
    );
    for (const entry of page.Parameters ?? []) {
      const version = entry.Version ?? 0;
      if (version >= from && version <= to) found.set(version, parseKeyMap(entry.Value));
    }
    NextToken = page.NextToken;
  } while (NextToken);
  if (found.size !== to - from + 1) {
    // SSM keeps the last 100 versions; one merged away cannot be read back.
    throw new Error(
      `versions ${from}-${to} of the usage-key map ${name} are not all in its history`,
    );
  }
  return [...found.values()];
}

/** Puts the map; answers the version the put created. */
async function writeKeyMap(ssm: SSMClient, name: string, map: KeyMap): Promise<number> {
  const value = JSON.stringify(Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : 1))));
  const { Version } = await ssm.send(
    new PutParameterCommand({
      Name: name,
      Value: value,
      Type: 'SecureString',
      Overwrite: true,
      // Standard parameters hold 4 KB; a large client list needs the advanced tier.
      Tier: Buffer.byteLength(value) > 4000 ? 'Advanced' : 'Standard',
    }),
  );
  if (Version === undefined) throw new Error(`SSM did not return the version of ${name}`);
  return Version;
}
