/**
 * A configuration value could not be served: it is missing, unreadable or fails its schema, and
 * there is no earlier good value to fall back on. The message names the parameter or profile and
 * what is wrong with it, never the value (it may be a secret).
 */
export class ConfigError extends Error {
  constructor(
    /** The full SSM parameter name, or `appconfig:{profile}`. */
    readonly source: string,
    /** What went wrong, without the value. */
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`configuration ${source}: ${problem}`, options);
    this.name = 'ConfigError';
  }
}
