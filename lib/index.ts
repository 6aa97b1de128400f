export * from './platform/microservice-platform';
export * from './auth/authorization-server';
export * from './service/platform-function';
export * from './gateway/platform-gateway';
export * from './gateway/problem-responses';
export * from './service/microservice';
export * from './demo/demo-platform-stack';
