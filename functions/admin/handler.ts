import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import { requireScopes } from '../runtime/auth/scopes';
import { jsonResponse } from '../runtime/http/json';
import { notFound } from '../runtime/http/problem';
import { parseInput, parseJsonBody } from '../runtime/http/validation';
import { createPowertools } from '../runtime/observability/powertools';
import { CircuitAdmin } from '../runtime/resilience/circuit-admin';
import { DynamoDbStateStore } from '../runtime/resilience/dynamodb-state-store';
import { FaultSettingsSchema, FaultStore } from '../runtime/resilience/fault-injection';
import { listServices } from '../runtime/discovery/admin-view';
import { createServiceDiscoveryClient } from '../runtime/discovery/sdk-client';
import { createServiceHandler, type RequestScope } from '../runtime/service/service-handler';
import { AdminTargets } from './admin-targets';
import { removeFaultSettings } from './fault-records';

const ADMIN_SCOPE = 'platform/admin';
const powertools = createPowertools('platform-admin');
const { logger, tracer } = powertools;
const tableName = process.env.RESILIENCE_TABLE_NAME ?? '';
const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient({}));
const circuits = new CircuitAdmin({
  store: new DynamoDbStateStore({ tableName, client: dynamodb }),
  logger,
  metrics: powertools.metrics,
});
const serviceDiscovery = tracer.captureAWSv3Client(createServiceDiscoveryClient(process.env));
const namespaceId = process.env.SERVICE_DISCOVERY_NAMESPACE_ID ?? '';
const documents = DynamoDBDocumentClient.from(dynamodb);
const faults = new FaultStore(documents, tableName);
const targets = new AdminTargets(serviceDiscovery, namespaceId, async () =>
  (await circuits.list()).map((circuit) => circuit.name),
);

const CircuitName = z.object({
  name: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'a circuit name'),
});
const ServiceName = z.object({
  service: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'a service name'),
});

/** Audit: who did what to which circuit or service, kept in its own log line. */
function audit(
  scope: RequestScope,
  action: string,
  target: string,
  outcome: Record<string, unknown>,
): void {
  logger.info('Admin action', {
    audit: true,
    action,
    target,
    sub: scope.caller?.sub,
    client_id: scope.caller?.clientId,
    ...outcome,
  });
}

function circuitAction(action: 'forceOpen' | 'forceClosed' | 'reset') {
  return async (event: APIGatewayProxyEvent, scope: RequestScope) => {
    requireScopes(scope.caller, [ADMIN_SCOPE]);
    const { name } = parseInput(CircuitName, event.pathParameters ?? {}, 'path');
    await targets.requireCircuit(name);
    const summary = await circuits[action](name);
    audit(scope, `circuit.${action}`, name, { state: summary.state });
    return jsonResponse(200, summary);
  };
}

export const handler = createServiceHandler({
  serviceName: 'admin',
  powertools,
  routes: {
    'GET /admin/circuits': async (_event, scope) => {
      requireScopes(scope.caller, [ADMIN_SCOPE]);
      return jsonResponse(200, { circuits: await circuits.list() });
    },
    'POST /admin/circuits/{name}/force-open': circuitAction('forceOpen'),
    'POST /admin/circuits/{name}/force-closed': circuitAction('forceClosed'),
    'POST /admin/circuits/{name}/reset': circuitAction('reset'),
    'GET /admin/services': async (_event, scope) => {
      requireScopes(scope.caller, [ADMIN_SCOPE]);
      return jsonResponse(200, { services: await listServices(serviceDiscovery, namespaceId) });
    },
    'GET /admin/faults': async (_event, scope) => {
      requireScopes(scope.caller, [ADMIN_SCOPE]);
      return jsonResponse(200, { faults: await faults.list() });
    },
    'PUT /admin/faults/{service}': async (event, scope) => {
      requireScopes(scope.caller, [ADMIN_SCOPE]);
      const { service } = parseInput(ServiceName, event.pathParameters ?? {}, 'path');
      const settings = parseJsonBody(event, FaultSettingsSchema.strict());
      await targets.requireService(service);
      const updatedAt = new Date().toISOString();
      await faults.put(service, settings, updatedAt);
      audit(scope, 'faults.put', service, settings);
      return jsonResponse(200, { service, ...settings, updatedAt });
    },
    // Any well-formed name, registered or not: this is how a stale record is cleared.
    'DELETE /admin/faults/{service}': async (event, scope) => {
      requireScopes(scope.caller, [ADMIN_SCOPE]);
      const { service } = parseInput(ServiceName, event.pathParameters ?? {}, 'path');
      if (!(await removeFaultSettings(documents, tableName, service))) {
        throw notFound(`No fault settings for ${service}.`);
      }
      audit(scope, 'faults.delete', service, {});
      return { statusCode: 204, headers: {}, body: '' };
    },
  },
});
