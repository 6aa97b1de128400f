import { Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { PlatformTarget } from '../platform/platform-target';
import { RouteDeployment } from './route-deployment';

export interface ServiceApiProps {
  /** The shared REST API (owned by the platform's stack). */
  readonly restApiId: string;
  readonly restApiRootResourceId: string;
  /** The stage the routes must reach. */
  readonly stageName: string;
  /** The function behind every route. */
  readonly handler: lambda.IFunction;
  /** Whose routes these are (the service's name). */
  readonly owner: string;
  /**
   * Where the API is deployed (how the routes reach the stage: see RouteDeployment).
   * @default - the context's `serverless-msa:target`, else PlatformTarget.AWS
   */
  readonly target?: PlatformTarget;
}

export interface ServiceRouteOptions {
  /**
   * The REQUEST authorizer's ID.
   * @default - none: the route is public
   */
  readonly authorizerId?: string;
  /**
   * Require a usage-plan API key (supplied by the authorizer).
   * @default false
   */
  readonly apiKeyRequired?: boolean;
  /**
   * Why the route is public, recorded with the cdk-nag acknowledgement.
   * @default 'Public by design.'
   */
  readonly publicReason?: string;
}

/**
 * One service's part of the shared REST API, built in the service's own stack: its resources and
 * methods on the API imported by ID, one Lambda integration (so one API-scoped invoke permission),
 * and the deployment that puts them on the stage. The platform's stack is never touched.
 */
export class ServiceApi extends Construct {
  private readonly api: apigw.IRestApi;
  private readonly integration: apigw.LambdaIntegration;
  private readonly deployment: RouteDeployment;

  constructor(scope: Construct, id: string, props: ServiceApiProps) {
    super(scope, id);
    this.api = apigw.RestApi.fromRestApiAttributes(this, 'RestApi', {
      restApiId: props.restApiId,
      rootResourceId: props.restApiRootResourceId,
    });
    this.integration = new apigw.LambdaIntegration(props.handler, {
      scopePermissionToMethod: false,
    });
    this.deployment = new RouteDeployment(this, 'Deployment', {
      restApiId: props.restApiId,
      stageName: props.stageName,
      owner: props.owner,
      revision: props.handler.functionArn,
      target: props.target,
    });
  }

  /** Mounts `method path` (e.g. `GET /orders/{id}`) on the service's function. */
  addRoute(method: string, path: string, options: ServiceRouteOptions = {}): apigw.Method {
    const segments = path.split('/').filter(Boolean);
    const resource =
      segments.length === 0 ? this.api.root : this.api.root.resourceForPath(segments.join('/'));
    const authorizer: apigw.IAuthorizer | undefined = options.authorizerId
      ? { authorizerId: options.authorizerId, authorizationType: apigw.AuthorizationType.CUSTOM }
      : undefined;
    const added = resource.addMethod(method.toUpperCase(), this.integration, {
      authorizer,
      authorizationType: authorizer ? apigw.AuthorizationType.CUSTOM : apigw.AuthorizationType.NONE,
      apiKeyRequired: options.apiKeyRequired,
    });
    this.deployment.addMethod(added, {
      method: method.toUpperCase(),
      path,
      authorizerId: options.authorizerId ?? null,
      apiKeyRequired: options.apiKeyRequired ?? false,
      resource: Stack.of(this).resolve(resource.resourceId),
    });
    if (!authorizer) {
      Validations.of(added).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: options.publicReason ?? 'Public by design.',
      });
    }
    Validations.of(added).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'The platform runs its own OAuth2 server and JWT authorizer, not a Cognito authorizer.',
    });
    return added;
  }
}
