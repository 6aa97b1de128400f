/**
 * Resolves CloudFormation intrinsic functions against the physical names the local platform
 * gave each resource — the values a deployed stack would have had.
 */
export interface ResolutionContext {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  /** `Ref` of each logical ID. */
  readonly refs: ReadonlyMap<string, string>;
  /** `Fn::GetAtt`, keyed `LogicalId.Attribute`. */
  readonly attributes: ReadonlyMap<string, string>;
  readonly parameters?: ReadonlyMap<string, string>;
  /** Values exported by stacks (`Fn::ImportValue`). */
  readonly exports?: ReadonlyMap<string, string>;
}

export class UnresolvableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnresolvableError';
  }
}

/** Marks `Ref: AWS::NoValue`: the property is dropped. */
const NO_VALUE = Symbol('AWS::NoValue');

export function resolveValue(value: unknown, context: ResolutionContext): unknown {
  const resolved = resolve(value, context);
  return resolved === NO_VALUE ? undefined : resolved;
}

/** Resolves to a string or fails with a message that names what could not be resolved. */
export function resolveString(value: unknown, context: ResolutionContext): string {
  const resolved = resolveValue(value, context);
  if (typeof resolved === 'string') return resolved;
  if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
  throw new UnresolvableError(`Expected a string, got ${JSON.stringify(resolved)}`);
}

function resolve(value: unknown, context: ResolutionContext): unknown {
  if (Array.isArray(value))
    return value.map((item) => resolve(item, context)).filter((item) => item !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, argument] = entries[0];
    switch (key) {
      case 'Ref':
        return ref(String(argument), context);
      case 'Fn::GetAtt':
        return getAtt(argument, context);
      case 'Fn::Join': {
        const [delimiter, parts] = argument as [string, unknown[]];
        const list = resolve(parts, context) as unknown[];
        return list.map((part) => stringOf(part)).join(delimiter);
      }
      case 'Fn::Sub':
        return sub(argument, context);
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        const items = resolve(list, context) as unknown[];
        const position = Number(resolve(index, context));
        if (!Array.isArray(items) || !(position in items))
          throw new UnresolvableError(`Fn::Select index ${position} out of range`);
        return items[position];
      }
      case 'Fn::Split': {
        const [delimiter, source] = argument as [string, unknown];
        return stringOf(resolve(source, context)).split(delimiter);
      }
      case 'Fn::ImportValue': {
        const name = stringOf(resolve(argument, context));
        const exported = context.exports?.get(name);
        if (exported === undefined) throw new UnresolvableError(`No stack exports '${name}'`);
        return exported;
      }
      case 'Fn::GetAZs':
        return [`${context.region}a`, `${context.region}b`, `${context.region}c`];
      default:
        if (key.startsWith('Fn::') || key === 'Condition') {
          throw new UnresolvableError(`${key} is not supported by the local platform`);
        }
    }
  }
  return Object.fromEntries(
    entries
      .map(([key, item]) => [key, resolve(item, context)])
      .filter(([, item]) => item !== NO_VALUE),
  );
}

function ref(name: string, context: ResolutionContext): unknown {
  switch (name) {
    case 'AWS::Region':
      return context.region;
    case 'AWS::AccountId':
      return context.accountId;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return context.stackName;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${context.region}:${context.accountId}:stack/${context.stackName}/local`;
    case 'AWS::NoValue':
      return NO_VALUE;
  }
  const value = context.refs.get(name) ?? context.parameters?.get(name);
  if (value === undefined) throw new UnresolvableError(`Ref ${name} has no local value`);
  return value;
}

function getAtt(argument: unknown, context: ResolutionContext): string {
  const [logicalId, attribute] = Array.isArray(argument)
    ? (argument as [string, string])
    : (String(argument).split(/\.(.*)/s) as [string, string]);
  const value = context.attributes.get(`${logicalId}.${attribute}`);
  if (value === undefined)
    throw new UnresolvableError(`Fn::GetAtt ${logicalId}.${attribute} has no local value`);
  return value;
}

function sub(argument: unknown, context: ResolutionContext): string {
  const [template, variables] = Array.isArray(argument)
    ? (argument as [string, Record<string, unknown>])
    : [String(argument), {} as Record<string, unknown>];
  return template.replace(/\$\{([^}]+)\}/g, (_whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (name in variables) return stringOf(resolve(variables[name], context));
    if (name.includes('.')) return getAtt(name, context);
    return stringOf(ref(name, context));
  });
}

function stringOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new UnresolvableError(`Expected a string, got ${JSON.stringify(value)}`);
}
