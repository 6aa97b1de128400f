import { RouteScopesSchema, type RouteScopeRule } from '../../runtime/auth/route-scopes';

/**
 * Where the authorizer finds the route-scope rules. Each service writes its own rules (JSON
 * lists) in SSM parameters below one platform-owned path, from its own stack; the authorizer
 * reads the whole path — hundreds of routes from many stacks, no 4 KB environment limit.
 */
export interface RouteScopeSource {
  /** The rules, from the cache while it is fresh. */
  rules(): Promise<readonly RouteScopeRule[]>;
  /**
   * The rules read again when a route has none (a service deployed since the last read), at
   * most once per cool-down, so requests for unknown routes cannot flood SSM.
   */
  rulesAfterMiss(): Promise<readonly RouteScopeRule[]>;
}

/** What the source needs from Powertools' SSMProvider (`getMultiple`). */
export interface ParametersByPath {
  getMultiple(
    path: string,
    options: { recursive: boolean; maxAge: number; forceFetch?: boolean },
  ): Promise<Record<string, string> | undefined>;
}

export interface SsmRouteScopeSourceOptions {
  readonly provider: ParametersByPath;
  /** The platform's route-scopes path. */
  readonly path: string;
  /** How long a read is kept, in seconds. */
  readonly maxAgeSeconds: number;
  /** The least time between two reads caused by unknown routes, in milliseconds. */
  readonly missCooldownMs: number;
  /** Rules given in the environment too (ROUTE_SCOPES), checked first. */
  readonly staticRules?: readonly RouteScopeRule[];
  /** Told about a parameter whose rules are invalid (they are left out: fail closed). */
  readonly onInvalid?: (name: string) => void;
  readonly now?: () => number;
}

/** At most this many rules in all: a policy document has to stay within API Gateway's limits. */
const MAX_RULES = 5000;

export class SsmRouteScopeSource implements RouteScopeSource {
  private lastMissRead = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly options: SsmRouteScopeSourceOptions) {
    this.now = options.now ?? Date.now;
  }

  rules(): Promise<readonly RouteScopeRule[]> {
    return this.read(false);
  }

  rulesAfterMiss(): Promise<readonly RouteScopeRule[]> {
    const now = this.now();
    if (now - this.lastMissRead < this.options.missCooldownMs) return this.read(false);
    this.lastMissRead = now;
    return this.read(true);
  }

  private async read(forceFetch: boolean): Promise<readonly RouteScopeRule[]> {
    const values =
      (await this.options.provider.getMultiple(this.options.path, {
        recursive: true,
        maxAge: this.options.maxAgeSeconds,
        forceFetch,
      })) ?? {};
    const rules: RouteScopeRule[] = [...(this.options.staticRules ?? [])];
    // Sorted, so the same parameters always give the same order (first rule wins on a tie).
    for (const name of Object.keys(values).sort()) {
      const parsed = parseRules(values[name]);
      if (!parsed) {
        // One service's broken parameter must not lock every other service out.
        this.options.onInvalid?.(name);
        continue;
      }
      rules.push(...parsed);
      if (rules.length > MAX_RULES) throw new Error(`More than ${MAX_RULES} route-scope rules`);
    }
    return rules;
  }
}

function parseRules(value: string): RouteScopeRule[] | undefined {
  try {
    const result = RouteScopesSchema.safeParse(JSON.parse(value));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** Rules fixed at cold start (ROUTE_SCOPES only). */
export class StaticRouteScopeSource implements RouteScopeSource {
  constructor(private readonly fixed: readonly RouteScopeRule[]) {}

  async rules(): Promise<readonly RouteScopeRule[]> {
    return this.fixed;
  }

  async rulesAfterMiss(): Promise<readonly RouteScopeRule[]> {
    return this.fixed;
  }
}
