import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  auditIndexTemplate,
  auditStreamName,
  copyAuditRecords,
  toAuditDocument,
} from '../../../../functions/platform/log-shipper/audit-records';
import { toLogDocument } from '../../../../functions/platform/log-shipper/log-document';
import { createAuditTrail } from '../../../../functions/runtime/observability/audit';

const batch = { logGroup: '/aws/lambda/msa-admin', logStream: '2026/03/01/[$LATEST]abc' };
const at = Date.parse('2026-03-01T10:00:00.000Z');

function auditLine(): string {
  let line = '';
  createAuditTrail({ service: 'platform-admin', write: (text) => (line = text) }).record({
    action: 'admin.faults.put',
    result: 'success',
    target: 'recommendations',
    actor: { sub: 'ops', clientId: 'ops' },
    correlationId: 'corr-9',
    details: { errorRate: 0.5 },
  });
  return line;
}

describe('audit records in the shipper', () => {
  const logs = mockClient(CloudWatchLogsClient);
  afterEach(() => logs.reset());

  it('routes a line the runtime audit() wrote into the daily audit index with its fields', () => {
    const document = toAuditDocument(
      { id: 'e1', timestamp: at, message: auditLine() },
      batch,
      'audit-msa',
    );
    expect(document).toBeDefined();
    expect(document!.index).toBe('audit-msa-2026.03.01');
    expect(document!.id).toBe('e1');
    expect(document!.source).toMatchObject({
      action: 'admin.faults.put',
      result: 'success',
      target: 'recommendations',
      sub: 'ops',
      client_id: 'ops',
      correlation_id: 'corr-9',
      service: 'platform-admin',
      log_group: '/aws/lambda/msa-admin',
      details: { errorRate: 0.5 },
    });
  });

  it('leaves debug lines (even ones mentioning the marker in a message) to the log index', () => {
    const debug = JSON.stringify({ level: 'INFO', message: '"log_type":"audit"', service: 'x' });
    expect(
      toAuditDocument({ id: 'e2', timestamp: at, message: debug }, batch, 'audit-msa'),
    ).toBeUndefined();
    expect(
      toAuditDocument(
        { id: 'e3', timestamp: at, message: 'START RequestId: 1' },
        batch,
        'audit-msa',
      ),
    ).toBeUndefined();
    expect(
      toLogDocument({ id: 'e2', timestamp: at, message: debug }, batch, 'logs-msa').index,
    ).toBe('logs-msa-2026.03.01');
  });

  it('maps every contract field explicitly, with no dynamic mapping', () => {
    const template = auditIndexTemplate('audit-msa') as {
      index_patterns: string[];
      template: { mappings: { dynamic: boolean; properties: Record<string, { type: string }> } };
    };
    expect(template.index_patterns).toEqual(['audit-msa-*']);
    expect(template.template.mappings.dynamic).toBe(false);
    expect(template.template.mappings.properties.client_id.type).toBe('keyword');
    expect(template.template.mappings.properties.timestamp.type).toBe('date');
    expect(template.template.mappings.properties.details.type).toBe('flat_object');
  });

  it('copies records into the audit log group, one stream per day and source, created once', async () => {
    logs.on(CreateLogStreamCommand).resolves({});
    logs.on(PutLogEventsCommand).resolves({});
    const known = new Set<string>();
    const client = new CloudWatchLogsClient({ region: 'us-east-1' });
    const events = [
      { id: 'b', timestamp: at + 5, message: 'second' },
      { id: 'a', timestamp: at, message: 'first' },
    ];
    expect(await copyAuditRecords(client, 'audit-group', batch, events, known)).toBe(2);
    expect(await copyAuditRecords(client, 'audit-group', batch, events, known)).toBe(2);
    expect(logs.commandCalls(CreateLogStreamCommand)).toHaveLength(1);
    const put = logs.commandCalls(PutLogEventsCommand)[0].args[0].input;
    expect(put.logStreamName).toBe('2026/03/01/aws/lambda/msa-admin');
    expect(put.logEvents!.map((event) => event.message)).toEqual(['first', 'second']);
  });

  it('fails the batch when the audit log group rejects records (Lambda retries it)', async () => {
    logs
      .on(CreateLogStreamCommand)
      .rejects(Object.assign(new Error('exists'), { name: 'ResourceAlreadyExistsException' }));
    logs.on(PutLogEventsCommand).resolves({ rejectedLogEventsInfo: { tooOldLogEventEndIndex: 0 } });
    const client = new CloudWatchLogsClient({ region: 'us-east-1' });
    await expect(
      copyAuditRecords(client, 'audit-group', batch, [{ id: 'a', timestamp: at, message: 'x' }]),
    ).rejects.toThrow(/refused records/);
  });

  it('names streams without characters CloudWatch refuses', () => {
    expect(auditStreamName('/custom:group*', at)).toBe('2026/03/01/custom_group_');
  });
});
