export * from './operator-console';
