import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { registerClient } from '../../../../functions/auth/clients/registration';

// The emulator accepts a usage-plan key for a plan that does not exist; AWS answers 404.
// That failure, and the undo it needs, can only be made with a mock.
const documents = mockClient(DynamoDBDocumentClient);
const apigateway = mockClient(APIGatewayClient);
const ssm = mockClient(SSMClient);

afterEach(() => {
  documents.reset();
  apigateway.reset();
  ssm.reset();
});

const clients = {
  dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
  apigateway: new APIGatewayClient({ region: 'us-east-1' }),
  ssm: new SSMClient({ region: 'us-east-1' }),
};
const targets = { clientsTable: 'clients', usageKeysParameter: '/p/dev/auth/usage-plan-keys' };

describe('registering a client when the usage plan refuses the key', () => {
  it('deletes the client record and the API key it created, and writes no key map', async () => {
    documents.on(PutCommand).resolves({});
    documents.on(DeleteCommand).resolves({});
    apigateway.on(CreateApiKeyCommand).resolves({ id: 'key-1' });
    apigateway
      .on(CreateUsagePlanKeyCommand)
      .rejects(
        Object.assign(new Error('Invalid Usage Plan ID specified'), { name: 'NotFoundException' }),
      );
    apigateway.on(DeleteApiKeyCommand).resolves({});

    await expect(
      registerClient(clients, targets, { clientId: 'orphan-app', scopes: [], usagePlanId: 'nope' }),
    ).rejects.toThrow(/Invalid Usage Plan ID/);
    expect(documents.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
      TableName: 'clients',
      Key: { clientId: 'orphan-app' },
    });
    expect(apigateway.commandCalls(DeleteApiKeyCommand)[0]?.args[0].input).toEqual({
      apiKey: 'key-1',
    });
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });
});

describe('registering a client when the usage-key map changed beyond its history', () => {
  it('fails rather than keep a map that may have dropped a key, and undoes the registration', async () => {
    documents.on(PutCommand).resolves({});
    documents.on(DeleteCommand).resolves({});
    apigateway.on(CreateApiKeyCommand).resolves({ id: 'key-2' });
    apigateway.on(CreateUsagePlanKeyCommand).resolves({});
    apigateway.on(DeleteApiKeyCommand).resolves({});
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{}', Version: 1 } });
    // Versions 2-4 were written by others meanwhile, but the history only still has 4.
    ssm.on(PutParameterCommand).resolves({ Version: 5 });
    ssm
      .on(GetParameterHistoryCommand)
      .resolves({ Parameters: [{ Version: 4, Value: '{"other-app":"x"}' }] });

    await expect(
      registerClient(clients, targets, { clientId: 'late-app', scopes: [], usagePlanId: 'plan' }),
    ).rejects.toThrow(/versions 2-4 of the usage-key map .* are not all in its history/);
    expect(documents.commandCalls(DeleteCommand)).toHaveLength(1);
    expect(apigateway.commandCalls(DeleteApiKeyCommand)[0]?.args[0].input).toEqual({
      apiKey: 'key-2',
    });
  });
});
