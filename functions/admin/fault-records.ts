import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Removes a service's fault settings (`DELETE /admin/faults/{service}`), so an operator can
 * clear a record for good instead of setting it to zero, including one left for a name that is
 * no service. The key is FaultStore's (`pk = fault#{service}`, `sk = config`); the admin
 * handler's tests check that a delete hits the item a put wrote. Answers whether there was one.
 */
export async function removeFaultSettings(
  documents: DynamoDBDocumentClient,
  tableName: string,
  service: string,
): Promise<boolean> {
  const { Attributes } = await documents.send(
    new DeleteCommand({
      TableName: tableName,
      Key: { pk: `fault#${service}`, sk: 'config' },
      ReturnValues: 'ALL_OLD',
    }),
  );
  return Attributes !== undefined;
}
