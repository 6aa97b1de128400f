import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbClientsRepository, hashClientSecret } from '../../functions/auth/token/clients';
import { resourcesOfType, type StackArtifact } from './cloud-assembly';
import { resolveValue, type ResolutionContext } from './intrinsics';
import type { PlatformClient } from './local-platform';
import type { AwsClientSettings } from './provision';

/** The scope that opens the admin routes. */
export const ADMIN_SCOPE = 'platform/admin';

/**
 * Registers the demo clients in the token service's clients table: one with every scope the
 * platform's routes use, one with none, and an admin. Secrets are generated for this run only
 * (written to platform.json, never committed) and stored hashed, as on AWS.
 */
export async function createDemoClients(
  stack: StackArtifact,
  context: ResolutionContext,
  settings: AwsClientSettings,
): Promise<PlatformClient[]> {
  const tokenService = resourcesOfType(stack.template, 'AWS::Lambda::Function')
    .map(
      ([, resource]) =>
        resolveValue(
          (resource.Properties?.Environment as { Variables?: unknown } | undefined)?.Variables ??
            {},
          context,
        ) as Record<string, string>,
    )
    .find((variables) => variables.CLIENTS_TABLE_NAME);
  if (!tokenService) return [];
  // Every scope the services' routes use; the admin scope goes to the admin client only.
  const scopes = (tokenService.SCOPES_SUPPORTED ?? '')
    .split(/\s+/)
    .filter((scope) => scope && scope !== ADMIN_SCOPE);
  const clients: PlatformClient[] = [
    { clientId: 'demo-full', clientSecret: newSecret(), scopes },
    { clientId: 'demo-none', clientSecret: newSecret(), scopes: [] },
    {
      clientId: 'demo-admin',
      clientSecret: newSecret(),
      scopes: [...new Set([...scopes, ADMIN_SCOPE])],
    },
  ];
  const dynamodb = new DynamoDBClient(settings);
  const repository = new DynamoDbClientsRepository(tokenService.CLIENTS_TABLE_NAME, dynamodb);
  try {
    for (const client of clients) {
      await repository.put({
        clientId: client.clientId,
        secretHash: await hashClientSecret(client.clientSecret),
        scopes: client.scopes,
      });
    }
  } finally {
    dynamodb.destroy();
  }
  return clients;
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}
