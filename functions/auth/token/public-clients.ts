/**
 * Public clients (RFC 6749 §2.1): apps that hold no secret, such as the operator console in a
 * browser. They use the authorization code grant with PKCE only, and are registered with exact
 * redirect URIs by the platform's construct (PUBLIC_CLIENTS, a JSON list), not in the clients
 * table.
 */
export interface PublicClient {
  readonly clientId: string;
  /** Compared as exact strings (RFC 9700 §4.1.3): no prefixes, no patterns. */
  readonly redirectUris: readonly string[];
  /** The most this client may ask for; a person gets the intersection with their own. */
  readonly scopes: readonly string[];
  /** Shown on the login page. @default the client ID */
  readonly name?: string;
}

/** Reads PUBLIC_CLIENTS; anything malformed is left out (and named in `rejected`). */
export function parsePublicClients(json: string | undefined): {
  clients: PublicClient[];
  rejected: number;
} {
  if (!json) return { clients: [], rejected: 0 };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { clients: [], rejected: 1 };
  }
  if (!Array.isArray(value)) return { clients: [], rejected: 1 };
  const clients: PublicClient[] = [];
  let rejected = 0;
  for (const entry of value as Record<string, unknown>[]) {
    const strings = (v: unknown) =>
      Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;
    const redirectUris = strings(entry?.redirectUris)?.filter(isRegistrableRedirectUri);
    const scopes = strings(entry?.scopes);
    if (
      typeof entry?.clientId !== 'string' ||
      !/^[A-Za-z0-9._-]{1,64}$/.test(entry.clientId) ||
      !redirectUris?.length ||
      !scopes
    ) {
      rejected++;
      continue;
    }
    clients.push({
      clientId: entry.clientId,
      redirectUris,
      scopes,
      name: typeof entry.name === 'string' ? entry.name : undefined,
    });
  }
  return { clients, rejected };
}

/**
 * An absolute https URL without fragment, or http on a loopback host (RFC 8252 §7.3, the local
 * platform).
 */
export function isRegistrableRedirectUri(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.hash || url.username || url.password) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && /^(127\.0\.0\.1|localhost|\[::1\])$/.test(url.hostname);
}
