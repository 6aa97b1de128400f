import { resourcesOfType, type Template } from './cloud-assembly';

/** One method of the REST API as the template declares it. */
export interface RouteDefinition {
  readonly method: string;
  /** Resource template, e.g. `/reading-list/{id}`. */
  readonly resourcePath: string;
  readonly resourceLogicalId: string;
  /** Logical ID of the function behind an AWS_PROXY integration. */
  readonly functionLogicalId?: string;
  readonly authorizationType: string;
  readonly authorizerLogicalId?: string;
}

export interface AuthorizerDefinition {
  readonly logicalId: string;
  readonly type: string;
  readonly functionLogicalId?: string;
  readonly identitySource?: string;
  readonly resultTtlSeconds: number;
}

export interface GatewayResponseDefinition {
  readonly responseType: string;
  readonly statusCode?: number;
  readonly headers: Record<string, string>;
  readonly template?: string;
}

export interface RestApiModel {
  readonly logicalId: string;
  readonly stageName: string;
  readonly routes: RouteDefinition[];
  readonly authorizers: Map<string, AuthorizerDefinition>;
  readonly gatewayResponses: Map<string, GatewayResponseDefinition>;
}

/** Walks Resource (PathPart, ParentId) and Method records to rebuild every REST API's routes. */
export function readRestApis(template: Template): RestApiModel[] {
  return resourcesOfType(template, 'AWS::ApiGateway::RestApi').map(([apiId]) => {
    const belongsToApi = (properties: Record<string, unknown> | undefined) =>
      refersTo(properties?.RestApiId, apiId);
    const paths = new Map<string, string>();
    const resources = resourcesOfType(template, 'AWS::ApiGateway::Resource').filter(([, r]) =>
      belongsToApi(r.Properties),
    );
    const pathOf = (resourceId: unknown, seen: Set<string> = new Set()): string => {
      if (isGetAtt(resourceId, apiId, 'RootResourceId')) return '/';
      const logicalId = refTarget(resourceId);
      if (!logicalId)
        throw new Error(`Cannot follow resource reference ${JSON.stringify(resourceId)}`);
      const known = paths.get(logicalId);
      if (known) return known;
      if (seen.has(logicalId)) throw new Error(`Resource cycle at ${logicalId}`);
      const record = resources.find(([id]) => id === logicalId);
      if (!record) throw new Error(`Unknown API resource ${logicalId}`);
      const parent = pathOf(record[1].Properties?.ParentId, new Set([...seen, logicalId]));
      const full = `${parent === '/' ? '' : parent}/${String(record[1].Properties?.PathPart)}`;
      paths.set(logicalId, full);
      return full;
    };

    const routes: RouteDefinition[] = resourcesOfType(template, 'AWS::ApiGateway::Method')
      .filter(([, method]) => belongsToApi(method.Properties))
      .map(([, method]) => {
        const properties = method.Properties ?? {};
        const integration = properties.Integration as { Type?: string; Uri?: unknown } | undefined;
        return {
          method: String(properties.HttpMethod),
          resourcePath: pathOf(properties.ResourceId),
          resourceLogicalId: refTarget(properties.ResourceId) ?? '',
          functionLogicalId:
            integration?.Type === 'AWS_PROXY'
              ? findFunctionArnTarget(integration.Uri, template)
              : undefined,
          authorizationType: String(properties.AuthorizationType ?? 'NONE'),
          authorizerLogicalId: refTarget(properties.AuthorizerId),
        };
      });

    const authorizers = new Map<string, AuthorizerDefinition>();
    for (const [logicalId, authorizer] of resourcesOfType(
      template,
      'AWS::ApiGateway::Authorizer',
    )) {
      if (!belongsToApi(authorizer.Properties)) continue;
      const properties = authorizer.Properties ?? {};
      authorizers.set(logicalId, {
        logicalId,
        type: String(properties.Type),
        functionLogicalId: findFunctionArnTarget(properties.AuthorizerUri, template),
        identitySource:
          typeof properties.IdentitySource === 'string' ? properties.IdentitySource : undefined,
        resultTtlSeconds: Number(properties.AuthorizerResultTtlInSeconds ?? 300),
      });
    }

    const gatewayResponses = new Map<string, GatewayResponseDefinition>();
    for (const [, response] of resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse')) {
      if (!belongsToApi(response.Properties)) continue;
      const properties = response.Properties ?? {};
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(
        (properties.ResponseParameters ?? {}) as Record<string, string>,
      )) {
        const match = /^gatewayresponse\.header\.(.+)$/.exec(key);
        // Static values are quoted ('value'); mapped ones are not supported locally.
        if (match && /^'.*'$/s.test(value)) headers[match[1]] = value.slice(1, -1);
      }
      const templates = (properties.ResponseTemplates ?? {}) as Record<string, string>;
      gatewayResponses.set(String(properties.ResponseType), {
        responseType: String(properties.ResponseType),
        statusCode: properties.StatusCode === undefined ? undefined : Number(properties.StatusCode),
        headers,
        template: templates['application/json'] ?? Object.values(templates)[0],
      });
    }

    const stage = resourcesOfType(template, 'AWS::ApiGateway::Stage').find(([, s]) =>
      belongsToApi(s.Properties),
    );
    return {
      logicalId: apiId,
      stageName: String(stage?.[1].Properties?.StageName ?? 'prod'),
      routes,
      authorizers,
      gatewayResponses,
    };
  });
}

function refTarget(value: unknown): string | undefined {
  return value && typeof value === 'object' && 'Ref' in value
    ? String((value as { Ref: unknown }).Ref)
    : undefined;
}

function refersTo(value: unknown, logicalId: string): boolean {
  return refTarget(value) === logicalId;
}

function isGetAtt(value: unknown, logicalId: string, attribute: string): boolean {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[0] === logicalId && getAtt[1] === attribute;
}

/** Finds the Lambda function whose ARN an integration URI embeds (`Fn::GetAtt [fn, Arn]`). */
function findFunctionArnTarget(uri: unknown, template: Template): string | undefined {
  if (Array.isArray(uri)) {
    for (const item of uri) {
      const found = findFunctionArnTarget(item, template);
      if (found) return found;
    }
    return undefined;
  }
  if (!uri || typeof uri !== 'object') return undefined;
  const getAtt = (uri as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (
    Array.isArray(getAtt) &&
    getAtt[1] === 'Arn' &&
    template.Resources[getAtt[0]]?.Type === 'AWS::Lambda::Function'
  ) {
    return getAtt[0] as string;
  }
  return findFunctionArnTarget(Object.values(uri), template);
}
