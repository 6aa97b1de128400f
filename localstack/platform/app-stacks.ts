import { GetParameterCommand, SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';
import { resourcesOfType, type StackArtifact, type Template } from './cloud-assembly';
import { LocalPlatformError } from './emulator';
import { resolveValue, UnresolvableError, type ResolutionContext } from './intrinsics';
import type { MutableResolutionContext } from './physical-names';
import {
  readRestApis,
  type AuthorizerDefinition,
  type RestApiModel,
  type RouteDefinition,
} from './rest-api-model';

/** CloudFormation parameters CloudFormation fills from SSM at deploy time. */
const SSM_PARAMETER_TYPE = /^AWS::SSM::Parameter::Value<(String|List<String>|CommaDelimitedList)>$/;

/** What one stack reads of others: SSM parameter names (its look-ups) and export names. */
function lookups(stack: StackArtifact): string[] {
  return Object.values(stack.template.Parameters ?? {})
    .filter((parameter) => SSM_PARAMETER_TYPE.test(parameter.Type ?? ''))
    .map((parameter) => String(parameter.Default));
}

function imports(template: Template): string[] {
  const names: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (!value || typeof value !== 'object') return;
    const imported = (value as Record<string, unknown>)['Fn::ImportValue'];
    if (typeof imported === 'string') names.push(imported);
    Object.values(value).forEach(walk);
  };
  walk(template.Resources);
  walk(template.Outputs);
  return names;
}

/** SSM parameter names a stack creates (literal names only). */
function parameterNames(template: Template): string[] {
  return resourcesOfType(template, 'AWS::SSM::Parameter')
    .map(([, resource]) => resource.Properties?.Name)
    .filter((name): name is string => typeof name === 'string');
}

function exportNames(template: Template): string[] {
  return Object.values(template.Outputs ?? {})
    .map((output) => output.Export?.Name)
    .filter((name): name is string => typeof name === 'string');
}

/**
 * The app's stacks in an order CloudFormation could deploy them: after the stacks the app says
 * they depend on, after the stacks whose exports they import, and after the stacks that create
 * the SSM parameters they look up. Otherwise the app's own order is kept.
 */
export function orderStacks(stacks: readonly StackArtifact[]): StackArtifact[] {
  const byName = new Map(stacks.map((stack) => [stack.stackName, stack]));
  const producers = new Map<string, string>();
  for (const stack of stacks) {
    for (const name of parameterNames(stack.template))
      producers.set(`ssm:${name}`, stack.stackName);
    for (const name of exportNames(stack.template))
      producers.set(`export:${name}`, stack.stackName);
  }
  const needs = new Map<string, Set<string>>();
  for (const stack of stacks) {
    const before = new Set(stack.dependencies ?? []);
    for (const name of lookups(stack)) before.add(producers.get(`ssm:${name}`) ?? '');
    for (const name of imports(stack.template)) before.add(producers.get(`export:${name}`) ?? '');
    before.delete('');
    before.delete(stack.stackName);
    needs.set(stack.stackName, before);
  }
  const ordered: StackArtifact[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done' || !byName.has(name)) return;
    if (state.get(name) === 'visiting') {
      throw new LocalPlatformError(
        `The app's stacks depend on each other in a cycle: ${[...path, name].join(' → ')}`,
      );
    }
    state.set(name, 'visiting');
    for (const dependency of needs.get(name) ?? []) visit(dependency, [...path, name]);
    state.set(name, 'done');
    ordered.push(byName.get(name)!);
  };
  for (const stack of stacks) visit(stack.stackName, []);
  return ordered;
}

/**
 * What the stacks provisioned so far publish to the ones after them: SSM parameters (name →
 * value, resolved as the stack that created them resolved them) and exports.
 */
export class AppLinks {
  readonly parameters = new Map<string, string>();
  readonly exports = new Map<string, string>();

  /**
   * Gives a stack's look-ups their values before it is provisioned: each SSM-typed parameter
   * (whose default is the parameter's name) gets the value a stack of the app published, else the
   * one already in the emulator (`fallback`), and `Fn::ImportValue` the app's exports.
   */
  async link(
    stack: StackArtifact,
    context: MutableResolutionContext,
    fallback: (name: string) => Promise<string | undefined>,
  ): Promise<ResolutionContext> {
    const parameters = context.parameters as Map<string, string> | undefined;
    for (const [logicalId, parameter] of Object.entries(stack.template.Parameters ?? {})) {
      if (!SSM_PARAMETER_TYPE.test(parameter.Type ?? '')) continue;
      const name = String(parameter.Default);
      // The CDK's bootstrap version check has no meaning locally.
      if (name.startsWith('/cdk-bootstrap/')) continue;
      const value = this.parameters.get(name) ?? (await fallback(name));
      if (value === undefined) {
        throw new LocalPlatformError(
          `Stack ${stack.stackName} looks up the SSM parameter ${name}, which no stack of the app creates and the emulator does not hold`,
        );
      }
      parameters?.set(logicalId, value);
    }
    Object.assign(context, { exports: this.exports });
    return context;
  }

  /** Records what a provisioned stack publishes (its IDs are now the emulator's). */
  record(stack: StackArtifact, context: ResolutionContext): void {
    for (const [logicalId, resource] of resourcesOfType(stack.template, 'AWS::SSM::Parameter')) {
      try {
        const name = resolveValue(resource.Properties?.Name, context);
        const value = resolveValue(resource.Properties?.Value, context);
        if (typeof name === 'string' && value !== undefined)
          this.parameters.set(name, String(value));
      } catch (error) {
        if (!(error instanceof UnresolvableError)) throw error;
        process.stderr.write(
          `serverless-msa: ${stack.stackName}/${logicalId} has no local value (${error.message})\n`,
        );
      }
    }
    for (const output of Object.values(stack.template.Outputs ?? {})) {
      if (!output.Export) continue;
      this.exports.set(
        String(resolveValue(output.Export.Name, context)),
        String(resolveValue(output.Value, context)),
      );
    }
  }
}

export interface DeployedStack {
  readonly stack: StackArtifact;
  readonly context: ResolutionContext;
}

/** A key unique across the app for a resource of one stack. */
export function appKey(stack: StackArtifact, logicalId: string): string {
  return `${stack.stackName}/${logicalId}`;
}

export interface AppRestApi {
  /** Routes and authorizers keyed by `appKey` (function and authorizer of any stack). */
  readonly api: RestApiModel;
  /** Which stack owns the REST API. */
  readonly stackIndex: number;
  /** Its physical ID. */
  readonly apiId: string;
}

/**
 * The app's one REST API with the routes every stack mounts on it: the stack that owns the API
 * declares its stage, gateway responses and its own routes; other stacks add resources and
 * methods on it by ID (a `Microservice` in its own stack). Resources are matched by their
 * resolved (physical) IDs, functions by their ARNs, authorizers by their IDs, so references
 * through SSM look-ups or exports work alike.
 */
export function readAppRestApi(deployed: readonly DeployedStack[]): AppRestApi | undefined {
  const index = deployed.findIndex(({ stack }) => readRestApis(stack.template).length > 0);
  if (index < 0) return undefined;
  const owner = deployed[index];
  const [own, ...others] = readRestApis(owner.stack.template);
  if (others.length) {
    process.stderr.write(
      `serverless-msa: serving only the first REST API of ${owner.stack.stackName}\n`,
    );
  }
  const apiId = owner.context.refs.get(own.logicalId)!;
  const rootId = owner.context.attributes.get(`${own.logicalId}.RootResourceId`)!;

  const tryResolve = (value: unknown, context: ResolutionContext): string | undefined => {
    try {
      const resolved = resolveValue(value, context);
      return typeof resolved === 'string' ? resolved : undefined;
    } catch (error) {
      if (error instanceof UnresolvableError) return undefined;
      throw error;
    }
  };

  // Every resource of the API, in any stack: physical ID → parent and path part.
  const resources = new Map<string, { parent: string; pathPart: string }>();
  const functionsByArn = new Map<string, string>();
  const authorizersById = new Map<string, string>();
  const authorizers = new Map<string, AuthorizerDefinition>();
  for (const { stack, context } of deployed) {
    for (const [logicalId, resource] of resourcesOfType(
      stack.template,
      'AWS::ApiGateway::Resource',
    )) {
      if (tryResolve(resource.Properties?.RestApiId, context) !== apiId) continue;
      const parent = tryResolve(resource.Properties?.ParentId, context);
      if (parent === undefined) continue;
      resources.set(context.refs.get(logicalId)!, {
        parent,
        pathPart: String(resource.Properties?.PathPart),
      });
    }
    for (const [logicalId] of resourcesOfType(stack.template, 'AWS::Lambda::Function')) {
      const arn = context.attributes.get(`${logicalId}.Arn`);
      if (arn) functionsByArn.set(arn, appKey(stack, logicalId));
    }
    for (const model of readRestApis(stack.template)) {
      for (const [logicalId, definition] of model.authorizers) {
        authorizersById.set(context.refs.get(logicalId)!, appKey(stack, logicalId));
        authorizers.set(appKey(stack, logicalId), {
          ...definition,
          functionLogicalId: definition.functionLogicalId
            ? appKey(stack, definition.functionLogicalId)
            : undefined,
        });
      }
    }
  }
  const pathOf = (id: string, seen: ReadonlySet<string> = new Set()): string | undefined => {
    if (id === rootId) return '/';
    const resource = resources.get(id);
    if (!resource || seen.has(id)) return undefined;
    const parent = pathOf(resource.parent, new Set([...seen, id]));
    if (parent === undefined) return undefined;
    return `${parent === '/' ? '' : parent}/${resource.pathPart}`;
  };

  const routes: RouteDefinition[] = [];
  for (const { stack, context } of deployed) {
    for (const [, method] of resourcesOfType(stack.template, 'AWS::ApiGateway::Method')) {
      const properties = method.Properties ?? {};
      if (tryResolve(properties.RestApiId, context) !== apiId) continue;
      const resourceId = tryResolve(properties.ResourceId, context);
      const resourcePath = resourceId === undefined ? undefined : pathOf(resourceId);
      if (resourcePath === undefined) continue;
      const integration = properties.Integration as { Type?: string; Uri?: unknown } | undefined;
      const uri =
        integration?.Type === 'AWS_PROXY' ? tryResolve(integration.Uri, context) : undefined;
      const functionArn = uri ? /\/functions\/(arn:[^/]+)\/invocations$/.exec(uri)?.[1] : undefined;
      const authorizerId =
        properties.AuthorizerId === undefined
          ? undefined
          : tryResolve(properties.AuthorizerId, context);
      routes.push({
        method: String(properties.HttpMethod),
        resourcePath,
        resourceLogicalId: resourceId ?? '',
        functionLogicalId: functionArn ? functionsByArn.get(functionArn) : undefined,
        authorizationType: String(properties.AuthorizationType ?? 'NONE'),
        authorizerLogicalId: authorizerId ? authorizersById.get(authorizerId) : undefined,
      });
    }
  }
  return {
    api: { ...own, routes, authorizers },
    stackIndex: index,
    apiId,
  };
}

/** Reads one SSM parameter from the emulator (a look-up no stack of the app publishes). */
export async function emulatorParameter(
  name: string,
  settings: SSMClientConfig,
): Promise<string | undefined> {
  const client = new SSMClient(settings);
  try {
    const found = await client.send(new GetParameterCommand({ Name: name }));
    return found.Parameter?.Value;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return undefined;
    throw error;
  } finally {
    client.destroy();
  }
}
