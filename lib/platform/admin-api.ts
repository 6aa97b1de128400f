import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import { Construct } from 'constructs';
import type { AuthorizationServer } from '../auth/authorization-server';
import type { PlatformGateway } from '../gateway/platform-gateway';
import type { ServiceRegistry } from '../discovery/service-registry';
import type { ResilienceStore } from '../resilience/resilience-store';
import { acknowledgeWildcardResource } from '../service/nag-findings';
import { PlatformFunction } from '../service/platform-function';
import type { MicroservicePlatform } from './microservice-platform';
import { MESSAGING_ENV } from '../../functions/runtime/contract/messaging';
import {
  ADMIN_ENV,
  ADMIN_ROUTES,
  ADMIN_SCOPE,
  CONFIG_ENV,
  CONSOLE_READ_SCOPE,
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
  /**
   * The Cloud Map registry the services view lists.
   * @default - none (a LocalStack target): the services view has nothing to list
   */
  readonly registry?: ServiceRegistry;
}

/**
 * The operators' API under `/admin`: every circuit with its state and window counts, forced
 * states, fault injection per service, the registered services with their instances, attributes
 * and health, dead letters, and the central logs (lines and top errors). Views (GET) need
 * `platform/read` or `platform/admin`; actions need `platform/admin`.
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
        ...(props.registry
          ? { [DISCOVERY_ENV.namespaceId]: props.registry.namespace.namespaceId }
          : {}),
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
    props.registry?.grantRead(this.function.function);
    // The dead-letter routes: every consumer's queues, found by their registrations.
    props.platform.messaging.grantDeadLetterAdministration(this.function.function);
    this.function.function.addEnvironment(
      MESSAGING_ENV.consumerRegistryPath,
      props.platform.messaging.consumerRegistryPath,
    );
    // POST /admin/users: operators create people who sign in to the console.
    props.authorizationServer.people.enableUserAdministration(this.function.function);
    this.searchCentralLogs(props.platform);
    this.administerConfiguration(props.platform);
    for (const { method, resource } of Object.values(ADMIN_ROUTES)) {
      props.gateway.addRoute(method, resource, this.function.function, {
        // Operators look before they act: a view accepts the read scope or the admin scope.
        authorizer:
          method === 'GET'
            ? props.authorizationServer.protectRoute(
                method,
                resource,
                [CONSOLE_READ_SCOPE, ADMIN_SCOPE],
                'any-of',
              )
            : props.authorizationServer.protectRoute(method, resource, [ADMIN_SCOPE]),
        apiKeyRequired: true,
      });
    }
  }

  /**
   * The configuration view lists the platform's parameters (values of SecureStrings never
   * decrypted) and feature flags; a flag switch creates a hosted version and deploys it with the
   * platform's strategy.
   */
  private administerConfiguration(platform: MicroservicePlatform): void {
    const config = platform.configuration;
    const stack = Stack.of(this);
    const fn = this.function.function;
    fn.addEnvironment(ADMIN_ENV.configRootPath, config.rootPath);
    const parameters = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: config.rootPath.slice(1),
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParametersByPath'],
        resources: [parameters, `${parameters}/*`],
      }),
    );
    acknowledgeWildcardResource(
      this.function.role,
      `${parameters}/*`,
      "Lists the platform's configuration hierarchy, which operators extend at run time.",
    );
    // Without AppConfig (a LocalStack target) the view lists parameters only.
    const appConfig = config.appConfig;
    if (!appConfig) return;
    fn.addEnvironment(CONFIG_ENV.application, appConfig.application.applicationId);
    fn.addEnvironment(CONFIG_ENV.environment, appConfig.environment.environmentId);
    fn.addEnvironment(
      ADMIN_ENV.deploymentStrategyId,
      appConfig.deploymentStrategy.deploymentStrategyId,
    );
    const application = stack.formatArn({
      service: 'appconfig',
      resource: 'application',
      resourceName: appConfig.application.applicationId,
    });
    const strategy = stack.formatArn({
      service: 'appconfig',
      resource: 'deploymentstrategy',
      resourceName: appConfig.deploymentStrategy.deploymentStrategyId,
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'appconfig:ListConfigurationProfiles',
          'appconfig:ListHostedConfigurationVersions',
          'appconfig:GetHostedConfigurationVersion',
          'appconfig:CreateHostedConfigurationVersion',
          'appconfig:StartDeployment',
        ],
        resources: [application, `${application}/*`, strategy],
      }),
    );
    acknowledgeWildcardResource(
      this.function.role,
      `${application}/*`,
      "The platform's own AppConfig application: its profiles, hosted versions and environment.",
    );
  }

  /**
   * The log and error views search the platform's log indices: the domain's endpoint, and
   * `_search` on those indices only (no write, no other index). Without central logs they answer
   * 503.
   */
  private searchCentralLogs(platform: MicroservicePlatform): void {
    const centralLogs = platform.observability.centralLogs;
    if (!centralLogs) return;
    const indexPattern = `${centralLogs.logIndexPrefix}-*`;
    this.function.function.addEnvironment(
      ADMIN_ENV.logSearchEndpoint,
      `https://${centralLogs.domain.domainEndpoint}`,
    );
    this.function.function.addEnvironment(ADMIN_ENV.logSearchIndexPattern, indexPattern);
    const searchArn = `${centralLogs.domain.domainArn}/${indexPattern}/_search`;
    this.function.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['es:ESHttpGet', 'es:ESHttpPost'],
        resources: [searchArn],
      }),
    );
    // The domain's access policy names who may send a request at all (a domain it was given
    // keeps the policy its owner set).
    if (centralLogs.domain instanceof opensearch.Domain) {
      centralLogs.domain.addAccessPolicies(
        new iam.PolicyStatement({
          principals: [new iam.ArnPrincipal(this.function.role.roleArn)],
          actions: ['es:ESHttpGet', 'es:ESHttpPost'],
          resources: [searchArn],
        }),
      );
    }
    acknowledgeWildcardResource(
      this.function.role,
      searchArn,
      "Searches over the platform's daily log indices, named by day at run time; read only.",
    );
  }
}
