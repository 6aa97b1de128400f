/**
 * The operators' API: the routes the platform puts on the gateway and the admin function
 * serves, and the scope every one of them needs.
 */
export const ADMIN_SCOPE = 'platform/admin';

export interface AdminRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly resource: string;
}

/**
 * Keyed by what the route does; `{name}` is a circuit, `{service}` a registered service,
 * `{queue}` a consuming service's queue.
 */
export const ADMIN_ROUTES = {
  listCircuits: { method: 'GET', resource: '/admin/circuits' },
  forceOpen: { method: 'POST', resource: '/admin/circuits/{name}/force-open' },
  forceClosed: { method: 'POST', resource: '/admin/circuits/{name}/force-closed' },
  resetCircuit: { method: 'POST', resource: '/admin/circuits/{name}/reset' },
  listFaults: { method: 'GET', resource: '/admin/faults' },
  putFault: { method: 'PUT', resource: '/admin/faults/{service}' },
  deleteFaults: { method: 'DELETE', resource: '/admin/faults/{service}' },
  listServices: { method: 'GET', resource: '/admin/services' },
  listDeadLetters: { method: 'GET', resource: '/admin/dead-letters' },
  redriveDeadLetters: { method: 'POST', resource: '/admin/dead-letters/{queue}/redrive' },
  searchLogs: { method: 'GET', resource: '/admin/logs' },
  topErrors: { method: 'GET', resource: '/admin/errors' },
  listConfiguration: { method: 'GET', resource: '/admin/config' },
  putFlag: { method: 'PUT', resource: '/admin/flags/{service}/{flag}' },
} as const satisfies Record<string, AdminRoute>;

/** A route's key as the service handler's route table names it: `METHOD /resource`. */
export function routeKey(route: AdminRoute): string {
  return `${route.method} ${route.resource}`;
}

/** What the admin function reads besides the platform's usual settings. */
export const ADMIN_ENV = {
  /**
   * The central log store the log and error views search: `https://…` (a domain, SigV4-signed)
   * or `http://…` (the local node). Unset: those views answer 503.
   */
  logSearchEndpoint: 'LOG_SEARCH_ENDPOINT',
  /** The indices searched, e.g. `logs-<platform>-*`. */
  logSearchIndexPattern: 'LOG_SEARCH_INDEX_PATTERN',
  /** `/{platform}/{stage}`: the parameter hierarchy the configuration view lists. */
  configRootPath: 'CONFIG_ROOT_PATH',
  /** The AppConfig deployment strategy a flag change is deployed with. */
  deploymentStrategyId: 'APPCONFIG_DEPLOYMENT_STRATEGY_ID',
} as const;
