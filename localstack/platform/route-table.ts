import type { RouteDefinition } from './rest-api-model';
import { parseRequestTarget } from './request-path';

export interface RouteMatch {
  readonly route: RouteDefinition;
  readonly pathParameters: Record<string, string> | null;
}

interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly segments: string[];
  /** Literal segments rank before `{param}`, which rank before `{proxy+}`, as API Gateway picks. */
  readonly rank: number[];
}

/** Matches request paths to resource templates the way API Gateway does. */
export class RouteTable {
  private readonly compiled: CompiledRoute[];

  constructor(routes: readonly RouteDefinition[]) {
    this.compiled = routes.map((route) => {
      const segments = route.resourcePath.split('/').filter(Boolean);
      return {
        route,
        segments,
        rank: segments.map((s) => (s.endsWith('+}') ? 2 : s.startsWith('{') ? 1 : 0)),
      };
    });
  }

  /** Matches a request path as sent (percent-encoded); see `parseRequestTarget`. */
  match(method: string, path: string): RouteMatch | undefined {
    const target = parseRequestTarget(path);
    return target.ok ? this.matchSegments(method, target.segments) : undefined;
  }

  /** Matches decoded path segments; an empty segment matches no template segment. */
  matchSegments(method: string, parts: readonly string[]): RouteMatch | undefined {
    if (parts.some((part) => part === '')) return undefined;
    const candidates = this.compiled
      .map((compiled) => ({
        compiled,
        parameters: matchSegments(compiled.segments, parts),
      }))
      .filter((candidate) => candidate.parameters !== undefined)
      .filter(({ compiled }) => compiled.route.method === method || compiled.route.method === 'ANY')
      .sort(
        (a, b) =>
          compareRank(a.compiled.rank, b.compiled.rank) ||
          methodRank(a.compiled, method) - methodRank(b.compiled, method),
      );
    const best = candidates[0];
    if (!best) return undefined;
    const parameters = best.parameters!;
    return {
      route: best.compiled.route,
      pathParameters: Object.keys(parameters).length ? parameters : null,
    };
  }
}

function matchSegments(
  segments: readonly string[],
  parts: readonly string[],
): Record<string, string> | undefined {
  // The request's values under the template's names; no prototype, whatever the names.
  const parameters: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index];
    if (segment.endsWith('+}')) {
      if (index >= parts.length) return undefined;
      parameters[segment.slice(1, -2)] = parts.slice(index).join('/');
      return parameters;
    }
    if (index >= parts.length) return undefined;
    if (segment.startsWith('{')) parameters[segment.slice(1, -1)] = parts[index];
    else if (segment !== parts[index]) return undefined;
  }
  return segments.length === parts.length ? parameters : undefined;
}

function compareRank(a: number[], b: number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 3) - (b[index] ?? 3);
    if (difference !== 0) return difference;
  }
  return 0;
}

function methodRank(compiled: CompiledRoute, method: string): number {
  return compiled.route.method === method ? 0 : 1;
}
