import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { AuthorizationServer } from '../auth/authorization-server';
import type { PlatformGateway } from '../gateway/platform-gateway';
import type { ServiceRegistry } from '../discovery/service-registry';
import type { ResilienceStore } from '../resilience/resilience-store';
import { PlatformFunction } from '../service/platform-function';
import type { MicroservicePlatform } from './microservice-platform';
import { MESSAGING_ENV } from '../../functions/runtime/contract/messaging';
import {
  ADMIN_ROUTES,
  ADMIN_SCOPE,
  DISCOVERY_ENV,
  SERVICE_ENV,
} from '../../functions/runtime/contract';

/** The scope every admin route needs (defined by the contract, which the admin function reads). */
export { ADMIN_SCOPE };

export interface AdminApiProps {
  readonly platform: MicroservicePlatform;
  readonly gateway: PlatformGateway;
  readonly authorizationServer: AuthorizationServer;
  readonly resilience: ResilienceStore;
  readonly registry: ServiceRegistry;
}

/**
 * The operators' API under `/admin` (scope `platform/admin`): every circuit with its state and
 * window counts, forced states, fault injection per service, and the registered services with
 * their instances, attributes and health.
 */
export class AdminApi extends Construct {
  readonly function: PlatformFunction;

  constructor(scope: Construct, id: string, props: AdminApiProps) {
    super(scope, id);
    this.function = new PlatformFunction(this, 'Resource', {
      platform: props.platform,
      bundle: 'admin',
      serviceName: 'platform-admin',
      description: `Admin API of ${props.platform.platformName}`,
      environment: {
        [SERVICE_ENV.resilienceTableName]: props.resilience.tableName,
        [DISCOVERY_ENV.namespaceId]: props.registry.namespace.namespaceId,
      },
    });
    props.resilience.grantAdministration(this.function.function);
    // DELETE /admin/faults/{service} removes fault items, and only those: never a circuit.
    this.function.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DeleteItem'],
        resources: [props.resilience.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['fault#*'] } },
      }),
    );
    props.registry.grantRead(this.function.function);
    // The dead-letter routes: every consumer's queues, found by their registrations.
    props.platform.messaging.grantDeadLetterAdministration(this.function.function);
    this.function.function.addEnvironment(
      MESSAGING_ENV.consumerRegistryPath,
      props.platform.messaging.consumerRegistryPath,
    );
    // POST /admin/users: operators create people who sign in to the console.
    props.authorizationServer.people.enableUserAdministration(this.function.function);
    for (const { method, resource } of Object.values(ADMIN_ROUTES)) {
      props.gateway.addRoute(method, resource, this.function.function, {
        authorizer: props.authorizationServer.protectRoute(method, resource, [ADMIN_SCOPE]),
        apiKeyRequired: true,
      });
    }
  }
}
