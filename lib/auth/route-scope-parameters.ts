import { Lazy } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import {
  ROUTE_SCOPES_CHUNK_CHARACTERS,
  type RouteScopeRuleInput,
} from '../../functions/runtime/contract';

export interface RouteScopeParametersProps {
  /**
   * The path the rules are written below, one parameter per chunk: `{path}/0`, `{path}/1`, ...
   * (the authorizer reads everything below the platform's route-scopes path).
   */
  readonly path: string;
  /** Who the routes belong to, for the parameters' descriptions. */
  readonly owner: string;
}

/** A standard SSM parameter holds 4 KB; a chunk stays below with room for the JSON brackets. */
const CHUNK_CHARACTERS = ROUTE_SCOPES_CHUNK_CHARACTERS;

/**
 * The route-scope rules of one owner (a service, or the platform's own routes), as SSM
 * parameters the authorizer reads at run time. Kept out of the authorizer's environment (4 KB for
 * all variables) and in the stack of whoever owns the routes, so hundreds of routes from many
 * stacks fit and a service's deploy never touches the platform's stack.
 */
export class RouteScopeParameters extends Construct {
  private readonly chunks: RouteScopeRuleInput[][] = [];
  private readonly sizes: number[] = [];
  private readonly props: RouteScopeParametersProps;

  constructor(scope: Construct, id: string, props: RouteScopeParametersProps) {
    super(scope, id);
    this.props = props;
  }

  /** Adds one rule; a new parameter is started when the current one is full. */
  add(rule: RouteScopeRuleInput): void {
    const size = JSON.stringify(rule).length + 1;
    if (size > CHUNK_CHARACTERS) {
      throw new Error(`The route-scope rule of ${rule.method} ${rule.resource} is too long`);
    }
    const last = this.chunks.length - 1;
    if (last >= 0 && this.sizes[last] + size <= CHUNK_CHARACTERS) {
      this.chunks[last].push(rule);
      this.sizes[last] += size;
      return;
    }
    const chunk: RouteScopeRuleInput[] = [rule];
    const index = this.chunks.length;
    this.chunks.push(chunk);
    this.sizes.push(size + 2);
    new ssm.StringParameter(this, `Chunk${index}`, {
      parameterName: `${this.props.path}/${index}`,
      description: `Route scopes of ${this.props.owner} (part ${index + 1})`,
      stringValue: Lazy.string({ produce: () => JSON.stringify(chunk) }),
    });
  }

  /** Every rule added so far. */
  get rules(): readonly RouteScopeRuleInput[] {
    return this.chunks.flat();
  }
}
