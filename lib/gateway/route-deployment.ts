import { createHash } from 'node:crypto';
import { Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { PlatformTarget, platformTargetOf } from '../platform/platform-target';

export interface RouteDeploymentProps {
  /** The shared REST API the methods belong to. */
  readonly restApiId: string;
  /** The stage that must serve them (it exists: the platform's stack owns it). */
  readonly stageName: string;
  /** Whose routes these are, for the deployments' descriptions. */
  readonly owner: string;
  /**
   * A value whose change must redeploy too, e.g. the integration's function ARN (a replaced
   * function changes the methods without changing their template).
   * @default - the methods' hash only
   */
  readonly revision?: string;
  /**
   * Where the API is deployed. On LocalStack (no `Custom::*` resources there) a plain
   * `AWS::ApiGateway::Deployment` of the stage takes the custom resources' place: a new one
   * (its logical ID carries the methods' hash) whenever the methods change, each one retained,
   * because LocalStack deletes the stage with a deployment it deletes. A deleted service's routes
   * then stay on the stage until the next deployment.
   * @default - the context's `serverless-msa:target`, else PlatformTarget.AWS
   */
  readonly target?: PlatformTarget;
}

/**
 * Brings a stage up to date with methods added from a stack that does not own the REST API.
 * A stage serves one deployment, a snapshot of the whole API taken when it is made, so:
 * - `Deploy` runs after every method of the stack exists (it depends on each) and creates a new
 *   deployment of the stage; it runs again whenever the stack's methods change (their hash is in
 *   its properties);
 * - `Retire` is something every method depends on, so CloudFormation deletes it after the
 *   methods: its delete creates a deployment without them. Its physical ID carries the methods'
 *   hash, so an update that removes a method replaces it, and the old one is deleted (redeploying)
 *   in the clean-up phase, after the removed method is gone.
 * Two stacks deploying at once both snapshot the API after their own methods exist, so the last
 * deployment made holds every method. A later deployment of the platform's own stack snapshots
 * the API as it then is, services' methods included.
 */
export class RouteDeployment extends Construct {
  private readonly deploy?: cr.AwsCustomResource;
  private readonly retire?: cr.AwsCustomResource;
  /** The plain deployment used instead on LocalStack. */
  private readonly plain?: apigw.Deployment;
  private readonly fingerprints: unknown[] = [];

  constructor(scope: Construct, id: string, props: RouteDeploymentProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (platformTargetOf(this, props.target) === PlatformTarget.LOCALSTACK) {
      this.plain = new apigw.Deployment(this, 'Deploy', {
        api: apigw.RestApi.fromRestApiId(this, 'RestApi', props.restApiId),
        stageName: props.stageName,
        description: `${props.owner} routes`,
        retainDeployments: true,
      });
      if (props.revision !== undefined) this.plain.addToLogicalId(props.revision);
      return;
    }
    const restApiArn = stack.formatArn({
      service: 'apigateway',
      account: '',
      resource: 'restapis',
      resourceName: props.restApiId,
    });
    const routesHash = Lazy.string({
      produce: () =>
        createHash('sha256')
          .update(JSON.stringify(stack.resolve(this.fingerprints)))
          .digest('hex')
          .slice(0, 16),
    });
    const createDeployment = (when: string): cr.AwsSdkCall => ({
      service: 'APIGateway',
      action: 'createDeployment',
      parameters: {
        restApiId: props.restApiId,
        stageName: props.stageName,
        // The hash and the revision make a changed route set a changed resource (an update).
        description: [`${props.owner} routes`, routesHash, `(${when})`, props.revision ?? '']
          .join(' ')
          .trim(),
      },
      physicalResourceId: cr.PhysicalResourceId.of(`${props.owner}-deployment`),
    });
    const policy = cr.AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({
        // CreateDeployment is POST /restapis/{id}/deployments in API Gateway's IAM model.
        actions: ['apigateway:POST'],
        resources: [`${restApiArn}/deployments`],
      }),
    ]);

    this.retire = new cr.AwsCustomResource(this, 'Retire', {
      resourceType: 'Custom::RouteRetirement',
      // Nothing to do on create and update: the physical ID (with the hash) is what matters.
      onUpdate: {
        service: 'APIGateway',
        action: 'getRestApi',
        parameters: { restApiId: props.restApiId },
        physicalResourceId: cr.PhysicalResourceId.of(
          Lazy.string({ produce: () => `${props.owner}-routes-${stack.resolve(routesHash)}` }),
        ),
        outputPaths: ['id'],
      },
      onDelete: createDeployment('routes removed'),
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        ...policy.statements,
        new iam.PolicyStatement({ actions: ['apigateway:GET'], resources: [restApiArn] }),
      ]),
      installLatestAwsSdk: false,
    });
    this.deploy = new cr.AwsCustomResource(this, 'Deploy', {
      resourceType: 'Custom::RouteDeployment',
      onUpdate: createDeployment('routes changed'),
      policy,
      installLatestAwsSdk: false,
    });
    this.acknowledgeProvider();
  }

  /** Deploys `method` with the stage: after it exists, and again once it is gone. */
  addMethod(method: apigw.Method, fingerprint: unknown): void {
    if (this.plain) {
      this.plain.node.addDependency(method);
      this.plain.addToLogicalId(fingerprint);
      return;
    }
    this.deploy!.node.addDependency(method);
    method.node.addDependency(this.retire!);
    this.fingerprints.push(fingerprint);
  }

  /** The CDK's one provider function per stack behind every `AwsCustomResource`. */
  private acknowledgeProvider(): void {
    const stack = Stack.of(this);
    const provider = stack.node.tryFindChild(
      `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    if (!provider) return;
    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "The CDK's AwsCustomResource provider (one per stack) uses the AWS-managed basic execution role.",
      },
      {
        id: 'AwsSolutions-L1',
        reason:
          "The CDK's AwsCustomResource provider runtime is chosen by aws-cdk-lib, not by this project.",
      },
    );
  }
}
