import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
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
import { audit as recordAudit } from '../runtime/observability/audit';
import { AdminTargets } from './admin-targets';
import { DynamoDbUsersRepository } from '../auth/users/users';
import { AUTH_ENV } from '../runtime/contract/environment';
import { createUserRoute } from './users';
import { removeFaultSettings } from './fault-records';
import { DeadLetterAdmin } from './dead-letters';
import { MESSAGING_ENV } from '../runtime/contract/messaging';
import { ViewCache, viewCacheMaxAge } from './view-cache';
import { errorGroups, logLines, logStoreFromEnv } from './logs';
import { ConfigurationAdmin } from './configuration';
import { ADMIN_ENV, CONFIG_ENV } from '../runtime/contract';

const ADMIN_SCOPE = 'platform/admin';
/** Views (every GET) accept the read scope too: the console's operators look before they act. */
const READ_SCOPE = 'platform/read';
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
const deadLetters = new DeadLetterAdmin(
  tracer.captureAWSv3Client(new SSMClient({})),
  tracer.captureAWSv3Client(new SQSClient({})),
  process.env[MESSAGING_ENV.consumerRegistryPath] ?? '',
);
const targets = new AdminTargets(serviceDiscovery, namespaceId, async () => [
  ...(await circuits.list()).map((circuit) => circuit.name),
  // The circuits a consumer pauses on: an operator may force them before their first call.
  ...(process.env[MESSAGING_ENV.consumerRegistryPath]
    ? (await deadLetters.consumers()).flatMap((consumer) => consumer.circuits)
    : []),
]);

// What every open console polls, read once per cache period however many poll it.
const maxAge = () => viewCacheMaxAge(process.env);
const circuitView = new ViewCache(() => circuits.list(), maxAge);
const serviceView = new ViewCache(() => listServices(serviceDiscovery, namespaceId), maxAge);
// The central logs the log and error views search; none configured → those views answer 503.
const logStore = logStoreFromEnv(process.env);
const configuration = new ConfigurationAdmin({
  ssm: tracer.captureAWSv3Client(new SSMClient({})),
  appConfig: tracer.captureAWSv3Client(new AppConfigClient({})),
  rootPath: process.env[ADMIN_ENV.configRootPath] ?? '',
  application: process.env[CONFIG_ENV.application],
  environment: process.env[CONFIG_ENV.environment],
  deploymentStrategy: process.env[ADMIN_ENV.deploymentStrategyId],
});

const FlagPath = z.object({
  service: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a feature-flag profile name'),
  flag: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'a flag name'),
});
const FlagState = z.strictObject({ enabled: z.boolean() });

/** A view needs the read scope or the admin scope (which includes looking). */
function requireViewScope(scope: RequestScope): void {
  if (scope.caller?.scopes.includes(READ_SCOPE)) return;
  requireScopes(scope.caller, [ADMIN_SCOPE]);
}

const CircuitName = z.object({
  name: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'a circuit name'),
});
const QueueName = z.object({
  queue: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, "a consuming service's name"),
});
const ServiceName = z.object({
  service: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'a service name'),
});

/** Audit: who did what to which circuit, service or queue, as an audit record (not a debug line). */
function audit(
  scope: RequestScope,
  action: string,
  target: string,
  outcome: Record<string, unknown>,
): void {
  recordAudit({
    action: `admin.${action}`,
    result: 'success',
    target,
    actor: { sub: scope.caller?.sub, clientId: scope.caller?.clientId },
    requestId: scope.lambdaContext?.awsRequestId,
    correlationId: scope.correlationId,
    details: outcome,
  });
}

function circuitAction(action: 'forceOpen' | 'forceClosed' | 'reset') {
  return async (event: APIGatewayProxyEvent, scope: RequestScope) => {
    requireScopes(scope.caller, [ADMIN_SCOPE]);
    const { name } = parseInput(CircuitName, event.pathParameters ?? {}, 'path');
    await targets.requireCircuit(name);
    const summary = await circuits[action](name);
    circuitView.invalidate();
    audit(scope, `circuit.${action}`, name, { state: summary.state });
    return jsonResponse(200, summary);
  };
}

const usersTable = process.env[AUTH_ENV.usersTableName];
const users = usersTable ? new DynamoDbUsersRepository(usersTable, dynamodb) : undefined;

export const handler = createServiceHandler({
  serviceName: 'admin',
  powertools,
  routes: {
    'GET /admin/circuits': async (_event, scope) => {
      requireViewScope(scope);
      return jsonResponse(200, { circuits: await circuitView.get() });
    },
    'POST /admin/circuits/{name}/force-open': circuitAction('forceOpen'),
    'POST /admin/circuits/{name}/force-closed': circuitAction('forceClosed'),
    'POST /admin/circuits/{name}/reset': circuitAction('reset'),
    'POST /admin/users': createUserRoute(users),
    'GET /admin/services': async (_event, scope) => {
      requireViewScope(scope);
      return jsonResponse(200, { services: await serviceView.get() });
    },
    'GET /admin/faults': async (_event, scope) => {
      requireViewScope(scope);
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
    'GET /admin/logs': async (event, scope) => {
      requireViewScope(scope);
      return logLines(logStore, event);
    },
    'GET /admin/errors': async (event, scope) => {
      requireViewScope(scope);
      return errorGroups(logStore, event);
    },
    'GET /admin/config': async (_event, scope) => {
      requireViewScope(scope);
      const [values, flags] = await Promise.all([configuration.values(), configuration.flags()]);
      return jsonResponse(200, { values, flags });
    },
    'PUT /admin/flags/{service}/{flag}': async (event, scope) => {
      requireScopes(scope.caller, [ADMIN_SCOPE]);
      const { service, flag } = parseInput(FlagPath, event.pathParameters ?? {}, 'path');
      const { enabled } = parseJsonBody(event, FlagState);
      const result = await configuration.setFlag(service, flag, enabled);
      audit(scope, 'flags.put', `${service}/${flag}`, { enabled, version: result.version });
      return jsonResponse(200, { service, name: flag, enabled, ...result });
    },
    'GET /admin/dead-letters': async (_event, scope) => {
      requireViewScope(scope);
      const queues = await deadLetters.list();
      return jsonResponse(200, {
        deadLetters: queues.map((queue) => ({
          ...queue,
          service: queue.queue,
          messages: queue.count,
        })),
      });
    },
    'POST /admin/dead-letters/{queue}/redrive': async (event, scope) => {
      requireScopes(scope.caller, [ADMIN_SCOPE]);
      const { queue } = parseInput(QueueName, event.pathParameters ?? {}, 'path');
      const consumer = await deadLetters.consumer(queue);
      if (!consumer) throw notFound(`No consumer queue named ${queue}.`);
      const result = await deadLetters.redrive(consumer);
      audit(scope, 'dead-letters.redrive', queue, {
        moved: result.moved,
        remaining: result.remaining,
      });
      return jsonResponse(200, result);
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
