import { createLocalJWKSet, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import {
  currentKey,
  jwksOf,
  type CachedKeyDocument,
  type StoredKey,
} from '../../runtime/auth/key-store';

/** The authorization request a login form carries back, as the server checked it. */
export interface LoginRequest {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state?: string;
  readonly codeChallenge: string;
  readonly scope: string;
  /** SHA-256 of the CSRF token that the form and the browser's cookie both hold. */
  readonly csrfHash: string;
}

export interface FormTokens {
  readonly ttlSeconds: number;
  sign(request: LoginRequest, issuer: string, now: Date): Promise<string>;
  /** The request, or undefined when the token is forged, altered, expired or for elsewhere. */
  verify(token: string, issuer: string, now: Date): Promise<LoginRequest | undefined>;
}

/** Its own media type: no verifier of access tokens (`at+jwt`) accepts it, and vice versa. */
const TYPE = 'oauth-login-request+jwt';

/**
 * The login form's hidden request, signed with the authorization server's current key: the login
 * page keeps no state on the server (showing it writes nothing), and what comes back with the
 * credentials is exactly what was checked. It has no `sub` and its own `aud` and `typ`, so it is
 * never taken for an access token.
 */
export function signedFormTokens(
  keys: CachedKeyDocument,
  signingKeyOf: (key: StoredKey) => Promise<CryptoKey | Uint8Array>,
  ttlSeconds = 600,
): FormTokens {
  const audience = (issuer: string) => `${issuer}/oauth2/authorize`;
  return {
    ttlSeconds,
    async sign(request, issuer, now) {
      const document = await keys.get();
      const key = document ? currentKey(document) : undefined;
      if (!key) throw new Error('No current signing key');
      const iat = Math.floor(now.getTime() / 1000);
      return new SignJWT({
        cid: request.clientId,
        ru: request.redirectUri,
        ...(request.state !== undefined ? { st: request.state } : {}),
        cc: request.codeChallenge,
        sc: request.scope,
        csh: request.csrfHash,
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: TYPE })
        .setIssuer(issuer)
        .setAudience(audience(issuer))
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .sign(await signingKeyOf(key));
    },
    async verify(token, issuer, now) {
      if (token.length > 8192) return undefined;
      const document = await keys.get();
      if (!document) return undefined;
      try {
        const { payload } = await jwtVerify(token, createLocalJWKSet(jwksOf(document, now)), {
          algorithms: ['ES256', 'RS256'],
          issuer,
          audience: audience(issuer),
          typ: TYPE,
          currentDate: now,
          requiredClaims: ['exp', 'iat'],
        });
        const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
        const clientId = text(payload.cid);
        const redirectUri = text(payload.ru);
        const codeChallenge = text(payload.cc);
        const scope = text(payload.sc);
        const csrfHash = text(payload.csh);
        if (!clientId || !redirectUri || !codeChallenge || !scope || !csrfHash) return undefined;
        return { clientId, redirectUri, state: text(payload.st), codeChallenge, scope, csrfHash };
      } catch {
        return undefined;
      }
    },
  };
}
