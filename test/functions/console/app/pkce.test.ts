import { describe, expect, it } from 'vitest';
import {
  base64url,
  randomState,
  randomVerifier,
  s256Challenge,
} from '../../../../functions/console/app/pkce';

describe('console PKCE', () => {
  it('computes the S256 challenge of RFC 7636 Appendix B', async () => {
    expect(await s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes 43-character verifiers of the unreserved alphabet, different every time', () => {
    const verifiers = new Set(Array.from({ length: 100 }, () => randomVerifier()));
    expect(verifiers.size).toBe(100);
    for (const verifier of verifiers) expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomState()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('encodes base64url without padding', () => {
    expect(base64url(new Uint8Array([0xfb, 0xff, 0xfe]))).toBe('-__-');
    expect(base64url(new Uint8Array([1]))).toBe('AQ');
  });
});
