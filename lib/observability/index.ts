export * from './alert-topic';
export * from './central-logs';
export * from './function-logs';
export * from './observability-dashboard';
export * from './platform-observability';
