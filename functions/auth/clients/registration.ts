import { randomBytes } from 'node:crypto';
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
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
  /** Shown once; only its scrypt hash is stored. */
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
  if (!CLIENT_ID.test(registration.clientId)) {
    throw new RegistrationError(
      'client ID must be 3-64 letters, digits, dot, underscore or hyphen',
    );
  }
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
    const map = await readKeyMap(clients.ssm, targets.usageKeysParameter);
    map[registration.clientId] = apiKeyValue;
    await writeKeyMap(clients.ssm, targets.usageKeysParameter, map);
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

async function readKeyMap(ssm: SSMClient, name: string): Promise<Record<string, string>> {
  try {
    const { Parameter } = await ssm.send(
      new GetParameterCommand({ Name: name, WithDecryption: true }),
    );
    return JSON.parse(Parameter?.Value ?? '{}') as Record<string, string>;
  } catch (error) {
    if ((error as { name?: string }).name === 'ParameterNotFound') return {};
    throw error;
  }
}

async function writeKeyMap(
  ssm: SSMClient,
  name: string,
  map: Record<string, string>,
): Promise<void> {
  const value = JSON.stringify(map);
  await ssm.send(
    new PutParameterCommand({
      Name: name,
      Value: value,
      Type: 'SecureString',
      Overwrite: true,
      // Standard parameters hold 4 KB; a large client list needs the advanced tier.
      Tier: Buffer.byteLength(value) > 4000 ? 'Advanced' : 'Standard',
    }),
  );
}
