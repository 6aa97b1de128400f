import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { StackArtifact } from './cloud-assembly';
import { resolveValue, type ResolutionContext } from './intrinsics';

export interface ProvisionedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId: string;
  /** True when it already existed (a persistent emulator such as LocalStack). */
  readonly existed: boolean;
}

export interface AwsClientSettings {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
}

type Provisioner = (
  logicalId: string,
  properties: Record<string, unknown>,
  context: ResolutionContext,
  clients: AwsClientSettings,
) => Promise<ProvisionedResource>;

/**
 * Creates in the emulator the stateful resources a template declares, driven by the template
 * (not by a hand-kept list). Each supported type has one provisioner; everything else is served
 * by the local platform itself (gateway, functions) or has no local meaning (IAM, log groups).
 */
const PROVISIONERS: Record<string, Provisioner> = {
  'AWS::DynamoDB::Table': provisionTable,
};

export function provisionedTypes(): string[] {
  return Object.keys(PROVISIONERS);
}

export async function provisionStack(
  stack: StackArtifact,
  context: ResolutionContext,
  clients: AwsClientSettings,
): Promise<ProvisionedResource[]> {
  const created: ProvisionedResource[] = [];
  for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
    const provisioner = PROVISIONERS[resource.Type];
    if (!provisioner) continue;
    const properties = (resolveValue(resource.Properties ?? {}, context) ?? {}) as Record<
      string,
      unknown
    >;
    created.push(await provisioner(logicalId, properties, context, clients));
  }
  return created;
}

async function provisionTable(
  logicalId: string,
  properties: Record<string, unknown>,
  context: ResolutionContext,
  clients: AwsClientSettings,
): Promise<ProvisionedResource> {
  const tableName = context.refs.get(logicalId)!;
  const client = new DynamoDBClient(clients);
  const input: CreateTableCommandInput = {
    TableName: tableName,
    KeySchema: properties.KeySchema as CreateTableCommandInput['KeySchema'],
    AttributeDefinitions:
      properties.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    BillingMode:
      (properties.BillingMode as CreateTableCommandInput['BillingMode']) ?? 'PROVISIONED',
    ProvisionedThroughput:
      properties.ProvisionedThroughput as CreateTableCommandInput['ProvisionedThroughput'],
    GlobalSecondaryIndexes:
      properties.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'],
    LocalSecondaryIndexes:
      properties.LocalSecondaryIndexes as CreateTableCommandInput['LocalSecondaryIndexes'],
  };
  let existed = false;
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
    existed = true;
  }
  const ttl = properties.TimeToLiveSpecification as
    { AttributeName?: string; Enabled?: boolean } | undefined;
  if (ttl?.Enabled && ttl.AttributeName && !existed) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
      }),
    );
  }
  client.destroy();
  return { logicalId, type: 'AWS::DynamoDB::Table', physicalId: tableName, existed };
}
