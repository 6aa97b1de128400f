#!/usr/bin/env node
/**
 * Registers an OAuth2 client of a deployed platform (npm run client:register -- ...).
 *
 *   --client-id my-app --scopes "reading-list/read recommendations/read"
 *   --clients-table <ClientsTableName output> --usage-keys-parameter <UsageKeysParameterName output>
 *   --usage-plan <DefaultUsagePlanId output, or another plan's ID>
 *
 * Prints the client ID and its secret once, as JSON on stdout; only the secret's keyed hash is
 * stored.
 *
 * --rotate-secret --client-id my-app --clients-table <ClientsTableName output>
 *   issues a new secret for a registered client (the old one stops working at once); also the way
 *   to move a client whose secret hash predates the keyed format (scrypt) onto it.
 */
import { parseArgs } from 'node:util';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  registerClient,
  RegistrationError,
  rotateClientSecret,
} from '../functions/auth/clients/registration';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'client-id': { type: 'string' },
      scopes: { type: 'string', default: '' },
      'clients-table': { type: 'string' },
      'usage-keys-parameter': { type: 'string' },
      'usage-plan': { type: 'string' },
      'rotate-secret': { type: 'boolean', default: false },
    },
  });
  const required = values['rotate-secret']
    ? ['client-id', 'clients-table']
    : ['client-id', 'clients-table', 'usage-keys-parameter', 'usage-plan'];
  const missing = required.filter((name) => !values[name as keyof typeof values]);
  if (missing.length) throw new RegistrationError(`missing --${missing.join(', --')}`);
  const registered = values['rotate-secret']
    ? await rotateClientSecret(
        { dynamodb: new DynamoDBClient({}) },
        { clientsTable: values['clients-table']! },
        values['client-id']!,
      )
    : await registerClient(
        {
          dynamodb: new DynamoDBClient({}),
          apigateway: new APIGatewayClient({}),
          ssm: new SSMClient({}),
        },
        {
          clientsTable: values['clients-table']!,
          usageKeysParameter: values['usage-keys-parameter']!,
        },
        {
          clientId: values['client-id']!,
          scopes: values.scopes!.split(/\s+/).filter(Boolean),
          usagePlanId: values['usage-plan']!,
        },
      );
  process.stdout.write(
    `${JSON.stringify({ clientId: registered.clientId, clientSecret: registered.clientSecret }, null, 2)}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `register-client: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
