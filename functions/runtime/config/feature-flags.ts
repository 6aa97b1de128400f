import * as z from 'zod';

/** The AppConfig configuration profile type whose documents are feature flags. */
export const FEATURE_FLAGS_PROFILE_TYPE = 'AWS.AppConfig.FeatureFlags';

/**
 * A feature-flag profile as the AppConfig data plane hands it out: the stored document
 * (`{ version: "1", flags, values }`) already simplified to one entry per flag, its `enabled`
 * state and its attribute values, e.g. `{ "new-ranking": { "enabled": true, "weight": 5 } }`.
 */
export const FeatureFlagsSchema = z.record(z.string(), z.looseObject({ enabled: z.boolean() }));
export type FeatureFlags = z.infer<typeof FeatureFlagsSchema>;
