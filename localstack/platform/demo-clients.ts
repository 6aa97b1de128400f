import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbClientsRepository, hashClientSecret } from '../../functions/auth/token/clients';
import { resourcesOfType, type StackArtifact } from './cloud-assembly';
import { functionEnvironments, type DeployedStack } from './function-environments';
import { resolveValue, type ResolutionContext } from './intrinsics';
import type { PlatformClient } from './local-platform';
import type { AwsClientSettings } from './provision';

/** The scope that opens the admin routes. */
export const ADMIN_SCOPE = 'platform/admin';
/** The platform's own scopes (its operators'), as opposed to the services'. */
const PLATFORM_SCOPE_PREFIX = 'platform/';

/**
 * Registers the demo clients in the token service's clients table: one with every scope the
 * app's routes use (in any stack), one with none, and an admin. Secrets are generated for this
 * run only (written to platform.json, never committed) and stored hashed, as on AWS.
 */
export async function createDemoClients(
  deployed: readonly DeployedStack[],
  settings: AwsClientSettings,
): Promise<PlatformClient[]> {
  const tokenService = functionEnvironments(deployed).find(
    (variables) => variables.CLIENTS_TABLE_NAME,
  );
  if (!tokenService) return [];
  // Every scope the routes use. The platform's own scopes (platform/read, platform/admin: the
  // operators' views and actions) go to the admin client only; demo-full is a service client.
  const routeScopeNames = [
    ...new Set([
      ...(tokenService.SCOPES_SUPPORTED ?? '').split(/\s+/),
      ...deployed.flatMap(({ stack, context }) => routeScopes(stack, context)),
    ]),
  ].filter(Boolean);
  const scopes = routeScopeNames.filter((scope) => !scope.startsWith(PLATFORM_SCOPE_PREFIX)).sort();
  const clients: PlatformClient[] = [
    { clientId: 'demo-full', clientSecret: newSecret(), scopes },
    { clientId: 'demo-none', clientSecret: newSecret(), scopes: [] },
    {
      clientId: 'demo-admin',
      clientSecret: newSecret(),
      scopes: [...new Set([...routeScopeNames, ADMIN_SCOPE])].sort(),
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

/** The scopes of every route-scope rule a stack writes (services write theirs in SSM). */
function routeScopes(stack: StackArtifact, context: ResolutionContext): string[] {
  return resourcesOfType(stack.template, 'AWS::SSM::Parameter').flatMap(([, resource]) => {
    const name = resource.Properties?.Name;
    if (typeof name !== 'string' || !/\/_platform\/route-scopes\//.test(name)) return [];
    try {
      const rules = JSON.parse(String(resolveValue(resource.Properties?.Value, context))) as {
        scopes?: unknown;
      }[];
      return rules.flatMap((rule) => (Array.isArray(rule.scopes) ? rule.scopes.map(String) : []));
    } catch {
      return [];
    }
  });
}
