import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { defaultGatewayProblems, problemTemplate } from './problem-responses';

export interface PlatformGatewayProps {
  /** Name of the REST API. */
  readonly restApiName: string;
  /**
   * Stage name; it becomes the first path segment of the default execute-api URL.
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Steady-state requests per second across the stage.
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst capacity of the stage.
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Retention of the JSON access log.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * What happens to the access log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Stricter throttling for single methods, keyed `/resource/path/METHOD`.
   * @default - the stage's limits everywhere
   */
  readonly methodThrottling?: Record<
    string,
    { readonly rateLimit: number; readonly burstLimit: number }
  >;
  /**
   * Where API Gateway takes the usage-plan API key from.
   * @default apigw.ApiKeySourceType.HEADER
   */
  readonly apiKeySourceType?: apigw.ApiKeySourceType;
  /**
   * X-Ray tracing of the stage (off for LocalStack, whose community tier has no X-Ray).
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * The realm named in `WWW-Authenticate` challenges.
   * @default - the REST API name
   */
  readonly realm?: string;
}

/**
 * The platform's one edge: a REST API (X-Ray exists only for REST stages) with active tracing,
 * JSON access logs, stage throttling and problem+json gateway responses.
 */
export class PlatformGateway extends Construct {
  /** The REST API services mount their routes on. */
  readonly restApi: apigw.RestApi;
  readonly accessLogGroup: logs.LogGroup;
  private readonly integrations = new Map<lambda.IFunction, apigw.LambdaIntegration>();

  constructor(scope: Construct, id: string, props: PlatformGatewayProps) {
    super(scope, id);
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.restApi = new apigw.RestApi(this, 'Resource', {
      restApiName: props.restApiName,
      description: `Edge gateway of ${props.restApiName}`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      apiKeySourceType: props.apiKeySourceType,
      // Execution logs need the account-level CloudWatch role; the CDK creates and wires it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        tracingEnabled: props.tracing ?? true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false, // request bodies may carry secrets
        throttlingRateLimit: props.throttlingRateLimit ?? 100,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 200,
        methodOptions: Object.fromEntries(
          Object.entries(props.methodThrottling ?? {}).map(([key, limits]) => [
            key,
            { throttlingRateLimit: limits.rateLimit, throttlingBurstLimit: limits.burstLimit },
          ]),
        ),
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
      },
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Each service validates its input with Powertools Parser (zod) and answers problem+json; a gateway validator would answer in another format.',
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The account-level API Gateway logging role uses the AWS-managed policy made for exactly that purpose.',
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'The platform associates a per-source rate-limiting web ACL with the stage (TokenEndpointFirewall) unless turned off or on a LocalStack target; further rules are a per-account choice (cost).',
    });
    for (const problem of defaultGatewayProblems(props.realm ?? props.restApiName)) {
      this.restApi.addGatewayResponse(`Problem${problem.type.responseType}`, {
        type: problem.type,
        statusCode: String(problem.status),
        responseHeaders: {
          'Content-Type': "'application/problem+json'",
          ...Object.fromEntries(
            Object.entries(problem.headers ?? {}).map(([name, value]) => [name, `'${value}'`]),
          ),
        },
        templates: { 'application/json': problemTemplate(problem) },
      });
    }
  }

  /** The resource at `path` (e.g. `/reading-list/{id}`), created along the way when missing. */
  resourceAt(path: string): apigw.IResource {
    const segments = path.split('/').filter(Boolean);
    return segments.length === 0
      ? this.restApi.root
      : this.restApi.root.resourceForPath(segments.join('/'));
  }

  /**
   * Mounts `method path` on a function through a Lambda proxy integration. Every route of one
   * function shares one integration and one API-scoped invoke permission.
   */
  addRoute(
    method: string,
    path: string,
    handler: lambda.IFunction,
    options: RouteMountOptions,
  ): apigw.Method {
    let integration = this.integrations.get(handler);
    if (!integration) {
      integration = new apigw.LambdaIntegration(handler, { scopePermissionToMethod: false });
      this.integrations.set(handler, integration);
    }
    const added = this.resourceAt(path).addMethod(method.toUpperCase(), integration, {
      authorizer: options.authorizer,
      authorizationType: options.authorizer
        ? apigw.AuthorizationType.CUSTOM
        : apigw.AuthorizationType.NONE,
      apiKeyRequired: options.apiKeyRequired,
    });
    if (!options.authorizer) {
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

  /** A route anyone may call (health, token endpoint, discovery metadata). */
  addPublicRoute(
    method: string,
    path: string,
    handler: lambda.IFunction,
    reason?: string,
  ): apigw.Method {
    return this.addRoute(method, path, handler, {
      publicReason: reason ?? 'Public by design: OAuth2 token endpoint and discovery metadata.',
    });
  }
}

export interface RouteMountOptions {
  /**
   * The authorizer that checks callers.
   * @default - none: the route is public
   */
  readonly authorizer?: apigw.IAuthorizer;
  /**
   * Require a usage-plan API key (supplied by the authorizer as the usage identifier).
   * @default false
   */
  readonly apiKeyRequired?: boolean;
  /**
   * Why the route is public, recorded with the cdk-nag acknowledgement.
   * @default 'Public by design.'
   */
  readonly publicReason?: string;
}
