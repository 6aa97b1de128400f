/**
 * Where the authorization server keeps its own parameters: `/_auth/{platform}/{stage}/…`.
 *
 * Every SSM path the platform grants anyone else starts with `/{platform}/{stage}/` (a service's
 * own and the shared configuration, `_platform/…` attributes, the admin API's whole
 * configuration tree), and a platform name must start with a letter. So no service name — `auth`,
 * `_auth` or `*` included — and no platform-wide `/{platform}/{stage}/*` grant reaches this tree.
 */
export const AUTH_PARAMETER_PREFIX = '/_auth';

/** `/_auth/{platform}/{stage}` */
export function authParameterRoot(platformName: string, stage: string): string {
  return `${AUTH_PARAMETER_PREFIX}/${platformName}/${stage}`;
}

/**
 * The signing keys' private halves: one SecureString per key, `…/signing-keys/{kid}`, written
 * once and deleted when the key retires (which deletes its history too).
 */
export function signingKeysPath(platformName: string, stage: string): string {
  return `${authParameterRoot(platformName, stage)}/signing-keys`;
}

/** The key set's state (kid, algorithm, status, dates; no key material), rewritten by rotation. */
export function signingKeySetParameterName(platformName: string, stage: string): string {
  return `${authParameterRoot(platformName, stage)}/signing-key-set`;
}

/** The map from client ID to its usage-plan API key, read by the authorizer. */
export function usagePlanKeysParameterName(platformName: string, stage: string): string {
  return `${authParameterRoot(platformName, stage)}/usage-plan-keys`;
}
