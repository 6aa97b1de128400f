import { createHash } from 'node:crypto';
import {
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';

export interface EmulatorSettings {
  readonly endpoint: string;
  readonly region: string;
}

/**
 * Everything the platform stores in the emulator, as `where → digest`: every item of every
 * table (keyed by its primary key), every SSM parameter and every secret. Values are digested,
 * so a difference names what changed without printing a secret.
 */
export async function snapshotState(settings: EmulatorSettings): Promise<Map<string, string>> {
  const config = {
    ...settings,
    credentials: { accessKeyId: 'fuzz', secretAccessKey: 'fuzz' },
  };
  const snapshot = new Map<string, string>();
  const dynamodb = new DynamoDBClient(config);
  const ssm = new SSMClient(config);
  const secrets = new SecretsManagerClient(config);
  try {
    for (const table of await pages(async (token?: string) => {
      const page = await dynamodb.send(new ListTablesCommand({ ExclusiveStartTableName: token }));
      return { items: page.TableNames ?? [], next: page.LastEvaluatedTableName };
    })) {
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
      const keyNames = (Table?.KeySchema ?? []).map((key) => key.AttributeName!);
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await dynamodb.send(
          new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
        );
        for (const item of page.Items ?? []) {
          const key = keyNames.map((name) => JSON.stringify(item[name])).join('|');
          snapshot.set(`dynamodb ${table} ${key}`, digest(item));
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
    const names = await pages(async (token?: string) => {
      const page = await ssm.send(new DescribeParametersCommand({ NextToken: token }));
      return { items: (page.Parameters ?? []).map((p) => p.Name!), next: page.NextToken };
    });
    for (let index = 0; index < names.length; index += 10) {
      const { Parameters } = await ssm.send(
        new GetParametersCommand({ Names: names.slice(index, index + 10), WithDecryption: true }),
      );
      for (const parameter of Parameters ?? []) {
        snapshot.set(`ssm ${parameter.Name}`, digest([parameter.Value, parameter.Version]));
      }
    }
    for (const secret of await pages(async (token?: string) => {
      const page = await secrets.send(new ListSecretsCommand({ NextToken: token }));
      return { items: (page.SecretList ?? []).map((s) => s.ARN!), next: page.NextToken };
    })) {
      const value = await secrets.send(new GetSecretValueCommand({ SecretId: secret }));
      snapshot.set(`secret ${value.Name}`, digest([value.SecretString, value.VersionId]));
    }
  } finally {
    dynamodb.destroy();
    ssm.destroy();
    secrets.destroy();
  }
  return snapshot;
}

/** What differs between two snapshots, by name only. */
export function snapshotDifferences(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): string[] {
  const differences: string[] = [];
  for (const [name, value] of before) {
    if (!after.has(name)) differences.push(`removed: ${name}`);
    else if (after.get(name) !== value) differences.push(`changed: ${name}`);
  }
  for (const name of after.keys()) if (!before.has(name)) differences.push(`added: ${name}`);
  return differences;
}

async function pages<T>(
  fetchPage: (token?: string) => Promise<{ items: T[]; next?: string }>,
): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    all.push(...page.items);
    token = page.next;
  } while (token);
  return all;
}

function digest(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex');
}

/** JSON with object keys sorted, so equal items digest equally whatever the key order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}
