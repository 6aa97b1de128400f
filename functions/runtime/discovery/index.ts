export { listServices, type AdminInstanceView, type AdminServiceView } from './admin-view';
export {
  DiscoveryClient,
  discoveryClientFromEnv,
  DiscoveryLookupError,
  NoHealthyInstanceError,
  type DiscoveryClientOptions,
  type DiscoveryLogger,
  type StaleAnswerEvent,
} from './discovery-client';
export {
  DEFAULT_WEIGHT,
  INSTANCE_ATTRIBUTES,
  MAX_WEIGHT,
  parseWeight,
  toInstanceHealth,
  toServiceInstance,
  type InstanceHealth,
  type ServiceInstance,
} from './instance';
export {
  instanceHealthStatuses,
  listNamespaceServices,
  listServiceInstances,
  resolveNamespaceId,
  type CatalogInstance,
  type CatalogService,
} from './namespace-catalog';
export { createServiceDiscoveryClient, serviceDiscoveryClientConfig } from './sdk-client';
export { weightedChoice } from './weighted-choice';
