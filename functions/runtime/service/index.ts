export { callerFromGatewayEvent } from './caller';
export {
  defineService,
  type DefineServiceOptions,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceHandler,
} from './define-service';
export {
  MissingEnvironmentError,
  readServiceEnvironment,
  REQUIRED_SERVICE_VARIABLES,
  requireEnvironment,
  type Environment,
  type ServiceEnvironment,
} from './environment';
export {
  checkHealth,
  type ComponentHealth,
  type HealthCheck,
  type HealthOptions,
  type HealthReport,
  type HealthStatus,
} from './health';
export {
  CallerIdentitySchema,
  INTERNAL_REQUEST_TYPE,
  InternalRequestSchema,
  InternalResponseSchema,
  looksLikeInternalRequest,
  type CallerIdentity,
  type InternalRequest,
  type InternalResponse,
} from './internal-request';
export {
  ServiceCallError,
  ServiceClient,
  type CallOptions,
  type ServiceCallContext,
  type ServiceCallFailure,
  type ServiceClientOptions,
  type ServiceClientResilience,
  type ServiceDirectory,
  type ServiceResponse,
} from './service-client';
export { serviceFunctionEnvironmentName, serviceFunctionName } from './service-directory';
export {
  createServiceHandler,
  HEALTH_OPERATION,
  type OperationHandler,
  type RequestScope,
  type RouteHandler,
  type ServiceHandlerOptions,
  type ServiceLambdaHandler,
} from './service-handler';
export {
  createServiceRuntime,
  type ServiceRuntime,
  type ServiceRuntimeOptions,
} from './service-runtime';
export { tableHealthCheck } from './table-health';
