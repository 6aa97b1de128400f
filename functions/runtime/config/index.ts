export { CONFIG_ENV, configReaderFromEnv } from './config-env';
export {
  ConfigReader,
  type ConfigLogger,
  type ConfigReaderCounts,
  type ConfigReaderOptions,
  type ParameterOptions,
} from './config-reader';
export { ConfigError } from './errors';
export { FEATURE_FLAGS_PROFILE_TYPE, FeatureFlagsSchema, type FeatureFlags } from './feature-flags';
export { decodeValue, impliedFormat, type Decoded, type ValueFormat } from './value-format';
