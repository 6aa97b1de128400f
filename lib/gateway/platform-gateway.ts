import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
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
      // Execution logs need the account-level CloudWatch role; the CDK creates and wires it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false, // request bodies may carry secrets
        throttlingRateLimit: props.throttlingRateLimit ?? 100,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 200,
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
        'A WAF web ACL is a per-account choice (cost, rules); attach one with wafv2.CfnWebACLAssociation on the stage.',
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
}
