import { createHash } from 'node:crypto';
import type { StackArtifact } from './cloud-assembly';
import type { ResolutionContext } from './intrinsics';

/** Names the platform gave resources, which provisioners replace with the emulator's IDs. */
/** The host an OpenSearch domain's endpoint resolves to locally; see the local platform. */
export const LOCAL_OPENSEARCH_HOST = 'opensearch.local.invalid';

export interface MutableResolutionContext extends ResolutionContext {
  readonly refs: Map<string, string>;
  readonly attributes: Map<string, string>;
}

export interface Environment {
  readonly region: string;
  readonly accountId: string;
}

/**
 * Gives every resource of a stack the names CloudFormation would: the name set in the template
 * when there is one, otherwise `{stack}-{logicalId}-{suffix}` (stable across runs, so a second
 * `npm start` against a persistent emulator finds the same tables).
 */
export function nameResources(
  stack: StackArtifact,
  environment: Environment,
): MutableResolutionContext {
  const refs = new Map<string, string>();
  const attributes = new Map<string, string>();
  const { region, accountId } = environment;
  for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
    const properties = resource.Properties ?? {};
    const generated = generatedName(stack.stackName, logicalId);
    switch (resource.Type) {
      case 'AWS::Lambda::Function': {
        const name = literal(properties.FunctionName) ?? generated.slice(0, 64);
        refs.set(logicalId, name);
        attributes.set(
          `${logicalId}.Arn`,
          `arn:aws:lambda:${region}:${accountId}:function:${name}`,
        );
        break;
      }
      case 'AWS::DynamoDB::Table': {
        const name = literal(properties.TableName) ?? generated;
        refs.set(logicalId, name);
        attributes.set(`${logicalId}.Arn`, `arn:aws:dynamodb:${region}:${accountId}:table/${name}`);
        attributes.set(
          `${logicalId}.StreamArn`,
          `arn:aws:dynamodb:${region}:${accountId}:table/${name}/stream/local`,
        );
        break;
      }
      case 'AWS::IAM::Role': {
        const name = literal(properties.RoleName) ?? generated.slice(0, 64);
        refs.set(logicalId, name);
        attributes.set(`${logicalId}.Arn`, `arn:aws:iam::${accountId}:role/${name}`);
        attributes.set(`${logicalId}.RoleId`, `AROA${hash(name, 16).toUpperCase()}`);
        break;
      }
      case 'AWS::Logs::LogGroup': {
        const name = literal(properties.LogGroupName) ?? `/local/${generated}`;
        refs.set(logicalId, name);
        attributes.set(
          `${logicalId}.Arn`,
          `arn:aws:logs:${region}:${accountId}:log-group:${name}:*`,
        );
        break;
      }
      case 'AWS::OpenSearchService::Domain': {
        // No domain is created locally: its endpoint is a placeholder the local platform points
        // at its own OpenSearch node (or leaves unreachable when central logs are off).
        const name = literal(properties.DomainName) ?? generated.slice(0, 28).toLowerCase();
        refs.set(logicalId, name);
        attributes.set(`${logicalId}.DomainEndpoint`, LOCAL_OPENSEARCH_HOST);
        attributes.set(`${logicalId}.Arn`, `arn:aws:es:${region}:${accountId}:domain/${name}`);
        attributes.set(
          `${logicalId}.DomainArn`,
          `arn:aws:es:${region}:${accountId}:domain/${name}`,
        );
        break;
      }
      case 'AWS::ApiGateway::RestApi': {
        const id = hash(generated, 10);
        refs.set(logicalId, id);
        attributes.set(`${logicalId}.RootResourceId`, `${id}-root`);
        attributes.set(`${logicalId}.RestApiId`, id);
        break;
      }
      default: {
        refs.set(logicalId, generated);
        attributes.set(`${logicalId}.Arn`, `arn:aws:local:${region}:${accountId}:${generated}`);
        // Provisioners replace it with the emulator's ID; without one (a service the emulator
        // lacks) references still resolve.
        attributes.set(`${logicalId}.Id`, generated);
      }
    }
  }
  const parameters = new Map<string, string>();
  for (const [name, parameter] of Object.entries(stack.template.Parameters ?? {})) {
    if (parameter.Default !== undefined) parameters.set(name, String(parameter.Default));
  }
  return { region, accountId, stackName: stack.stackName, refs, attributes, parameters };
}

function generatedName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}-${hash(`${stackName}/${logicalId}`, 8).toUpperCase()}`;
}

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

function literal(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
