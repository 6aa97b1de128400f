import { resourcesOfType, type Template } from './cloud-assembly';
import { type Clock, type RateDecision, SourceRateLimiter } from './gateway-rate-limit';

/** What a rule sees of a request: WAF inspects the path as sent (still percent-encoded). */
export interface FirewallRequest {
  readonly method: string;
  readonly rawPath: string;
  /** The socket's peer address; X-Forwarded-For is the caller's to write, so never trusted. */
  readonly sourceAddress: string;
}

/** A rate-based rule of the template's web ACL, as the local gateway enforces it. */
export interface LocalRateRule {
  readonly name: string;
  readonly priority: number;
  readonly limit: number;
  readonly windowSeconds: number;
  readonly matches: (request: FirewallRequest) => boolean;
}

export type FirewallDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly rule: string; readonly retryAfterSeconds: number };

/**
 * The local stand-in for the stage's WAF web ACL (`lib/gateway/token-endpoint-firewall.ts`):
 * its rate-based rules, read from the template, each holding every source address to its own
 * allowance. Rules are tried by priority and every matching one counts the request, as in WAF.
 */
export class LocalFirewall {
  private readonly limiters: { rule: LocalRateRule; limiter: SourceRateLimiter }[];

  constructor(rules: readonly LocalRateRule[], clock?: Clock) {
    this.limiters = [...rules]
      .sort((a, b) => a.priority - b.priority)
      .map((rule) => ({ rule, limiter: new SourceRateLimiter(rule, clock) }));
  }

  get rules(): readonly LocalRateRule[] {
    return this.limiters.map(({ rule }) => rule);
  }

  check(request: FirewallRequest): FirewallDecision {
    for (const { rule, limiter } of this.limiters) {
      if (!rule.matches(request)) continue;
      const decision: RateDecision = limiter.take(request.sourceAddress);
      if (!decision.allowed)
        return { allowed: false, rule: rule.name, retryAfterSeconds: decision.retryAfterSeconds };
    }
    return { allowed: true };
  }
}

/**
 * The rate-based rules of every web ACL the template associates with a resource, limited per
 * source IP. A rule the local gateway cannot evaluate is left out and named in `skipped`.
 */
export function readFirewallRules(template: Template): {
  rules: LocalRateRule[];
  skipped: string[];
} {
  const associated = new Set(
    resourcesOfType(template, 'AWS::WAFv2::WebACLAssociation').flatMap(([, association]) => {
      const getAtt = (association.Properties?.WebACLArn as { 'Fn::GetAtt'?: unknown[] })?.[
        'Fn::GetAtt'
      ];
      return Array.isArray(getAtt) ? [String(getAtt[0])] : [];
    }),
  );
  const rules: LocalRateRule[] = [];
  const skipped: string[] = [];
  for (const [logicalId, acl] of resourcesOfType(template, 'AWS::WAFv2::WebACL')) {
    if (!associated.has(logicalId)) continue;
    for (const rule of (acl.Properties?.Rules ?? []) as WafRule[]) {
      const name = `${logicalId}/${rule.Name}`;
      const rate = rule.Statement?.RateBasedStatement;
      if (!rate || !rule.Action?.Block) {
        skipped.push(`${name}: only rate-based rules that block are enforced locally`);
        continue;
      }
      if ((rate.AggregateKeyType ?? 'IP') !== 'IP' || rate.CustomKeys) {
        skipped.push(`${name}: only rules keyed by source IP are enforced locally`);
        continue;
      }
      try {
        const matches = rate.ScopeDownStatement ? matcherOf(rate.ScopeDownStatement) : () => true;
        rules.push({
          name,
          priority: Number(rule.Priority ?? 0),
          limit: Number(rate.Limit),
          windowSeconds: Number(rate.EvaluationWindowSec ?? 300),
          matches,
        });
      } catch (error) {
        skipped.push(`${name}: ${(error as Error).message}`);
      }
    }
  }
  return { rules, skipped };
}

interface WafRule {
  readonly Name?: string;
  readonly Priority?: number;
  readonly Action?: { Block?: unknown };
  readonly Statement?: {
    RateBasedStatement?: {
      Limit?: number;
      EvaluationWindowSec?: number;
      AggregateKeyType?: string;
      CustomKeys?: unknown;
      ScopeDownStatement?: WafStatement;
    };
  };
}

interface WafStatement {
  readonly ByteMatchStatement?: {
    FieldToMatch?: { UriPath?: unknown; Method?: unknown };
    PositionalConstraint?: string;
    SearchString?: string;
    TextTransformations?: { Priority?: number; Type?: string }[];
  };
  readonly AndStatement?: { Statements?: WafStatement[] };
  readonly OrStatement?: { Statements?: WafStatement[] };
  readonly NotStatement?: { Statement?: WafStatement };
}

type Matcher = (request: FirewallRequest) => boolean;

/** The subset of WAF statements the platform's rules use; anything else throws. */
function matcherOf(statement: WafStatement): Matcher {
  if (statement.AndStatement) {
    const all = (statement.AndStatement.Statements ?? []).map(matcherOf);
    return (request) => all.every((matches) => matches(request));
  }
  if (statement.OrStatement) {
    const any = (statement.OrStatement.Statements ?? []).map(matcherOf);
    return (request) => any.some((matches) => matches(request));
  }
  if (statement.NotStatement?.Statement) {
    const inner = matcherOf(statement.NotStatement.Statement);
    return (request) => !inner(request);
  }
  const byteMatch = statement.ByteMatchStatement;
  if (!byteMatch) throw new Error(`statement ${Object.keys(statement).join()} is not supported`);
  const field = byteMatch.FieldToMatch ?? {};
  const read: (request: FirewallRequest) => string =
    'UriPath' in field
      ? (request) => request.rawPath
      : 'Method' in field
        ? (request) => request.method
        : unsupported(`field ${Object.keys(field).join()}`);
  const transforms = [...(byteMatch.TextTransformations ?? [])]
    .sort((a, b) => Number(a.Priority) - Number(b.Priority))
    .map((transformation) => transformOf(String(transformation.Type)));
  const search = String(byteMatch.SearchString ?? '');
  const compare = comparisonOf(String(byteMatch.PositionalConstraint), search);
  return (request) => compare(transforms.reduce((value, apply) => apply(value), read(request)));
}

function transformOf(type: string): (value: string) => string {
  switch (type) {
    case 'NONE':
      return (value) => value;
    case 'LOWERCASE':
      return (value) => value.toLowerCase();
    case 'URL_DECODE':
      // WAF decodes what it can and keeps the rest: a malformed escape stays as sent.
      return (value) => value.replace(/%[0-9a-f]{2}/gi, (escape) => percentDecoded(escape));
    case 'NORMALIZE_PATH':
      return normalizePath;
    default:
      return unsupported(`text transformation ${type}`);
  }
}

function comparisonOf(constraint: string, search: string): (value: string) => boolean {
  switch (constraint) {
    case 'EXACTLY':
      return (value) => value === search;
    case 'STARTS_WITH':
      return (value) => value.startsWith(search);
    case 'ENDS_WITH':
      return (value) => value.endsWith(search);
    case 'CONTAINS':
      return (value) => value.includes(search);
    default:
      return unsupported(`positional constraint ${constraint}`);
  }
}

function percentDecoded(escape: string): string {
  return String.fromCharCode(parseInt(escape.slice(1), 16));
}

/** Collapses `//`, drops `.` segments and resolves `..` ones, as WAF's NORMALIZE_PATH does. */
function normalizePath(value: string): string {
  const segments: string[] = [];
  const parts = value.split('/');
  for (const [index, part] of parts.entries()) {
    const last = index === parts.length - 1;
    if (part === '.' || (part === '' && index > 0 && !last)) continue;
    if (part === '..') {
      if (segments.length > 1) segments.pop();
      continue;
    }
    segments.push(part);
  }
  return segments.join('/');
}

function unsupported(what: string): never {
  throw new Error(`${what} is not supported locally`);
}
