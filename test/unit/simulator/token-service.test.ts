import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, type KeyLike } from 'jose';
import { accessTokenHash, classifyJoseError, createTokenService, oktaUserIdFor, type TokenService } from '../../../src/simulator/token-service';
import { FakeClock } from '../../support/fake-clock';

const ISSUER = 'http://127.0.0.1:3001/oauth2/aus-simulator';

describe('the simulator token service', () => {
  let clock: FakeClock;
  let keys: { privateKey: KeyLike; publicKey: KeyLike };
  let tokens: TokenService;

  beforeAll(async () => {
    keys = await generateKeyPair('RS256');
  });
  beforeEach(async () => {
    clock = new FakeClock();
    tokens = await createTokenService({ clock, lifetimeSeconds: 3600, issuer: () => ISSUER, signingKeys: keys });
  });

  /** Signs arbitrary claims with the service's own key and kid, to test checks past the signature. */
  const signOwn = async (claims: Record<string, unknown>) => {
    const iat = Math.floor(clock.now() / 1000);
    return new SignJWT({ ver: 1, jti: 'AT.x', iss: ISSUER, aud: 'api_providers', iat, exp: iat + 60, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: tokens.kid })
      .sign(keys.privateKey);
  };

  it('issues client-credentials tokens with the header and claims of the docs’ current example, timed by the clock', async () => {
    const issued = await tokens.issueClientCredentialsToken('api-key');
    const iat = Math.floor(clock.now() / 1000);
    expect(decodeProtectedHeader(issued.accessToken)).toEqual({ alg: 'RS256', typ: 'JWT', kid: tokens.kid });
    expect(decodeJwt(issued.accessToken)).toEqual({
      jti: expect.stringMatching(/^AT\.[\w-]+$/),
      iss: ISSUER,
      aud: 'api_providers',
      iat,
      exp: iat + 3600,
      cid: 'api-key',
      scp: ['anonymous'],
      sub: 'api-key',
    });
    expect(issued.expiresIn).toBe(3600);
  });

  it('gives every token its own jti', async () => {
    const a = await tokens.issueClientCredentialsToken('k');
    const b = await tokens.issueClientCredentialsToken('k');
    expect(a.claims.jti).not.toBe(b.claims.jti);
  });

  it('issues implicit-flow access tokens with the docs’ claims: openid scope, uid, the e-mail as sub, and no nonce', async () => {
    const issued = await tokens.issueImplicitToken({ clientId: 'api-key', email: 'dealer@example.com' });
    const iat = Math.floor(clock.now() / 1000);
    expect(decodeJwt(issued.accessToken)).toEqual({
      ver: 1,
      jti: expect.stringMatching(/^AT\.[\w-]+$/),
      iss: ISSUER,
      aud: 'api_providers',
      iat,
      exp: iat + 3600,
      cid: 'api-key',
      uid: oktaUserIdFor('dealer@example.com'),
      scp: ['openid'],
      sub: 'dealer@example.com',
    });
    expect(oktaUserIdFor('Dealer@Example.com')).toBe(oktaUserIdFor('dealer@example.com'));
  });

  it('issues ID tokens for the app (aud = API key) with the nonce, bound to the access token by at_hash', async () => {
    const access = await tokens.issueImplicitToken({ clientId: 'api-key', email: 'dealer@example.com' });
    const idToken = await tokens.issueIdToken({ clientId: 'api-key', email: 'dealer@example.com', nonce: 'n-1', accessToken: access.accessToken });
    const iat = Math.floor(clock.now() / 1000);
    expect(decodeProtectedHeader(idToken)).toEqual({ alg: 'RS256', typ: 'JWT', kid: tokens.kid });
    expect(decodeJwt(idToken)).toEqual({
      sub: oktaUserIdFor('dealer@example.com'),
      ver: 1,
      iss: ISSUER,
      aud: 'api-key',
      iat,
      exp: iat + 3600,
      jti: expect.stringMatching(/^ID\.[\w-]+$/),
      amr: ['pwd'],
      idp: expect.any(String),
      nonce: 'n-1',
      auth_time: iat,
      at_hash: accessTokenHash(access.accessToken),
    });
    // OIDC Core §3.2.2.9, a known answer: the left half of SHA-256("abc"), base64url.
    expect(accessTokenHash('abc')).toBe('ungWv48Bz-pBQUDeXa4iIw');
    // An ID token is not an access token: the API gateway refuses it.
    expect(await tokens.verify(idToken)).toMatchObject({ ok: false, code: 'TOKEN-AUDIENCE-MISMATCH' });
  });

  it('verifies its own tokens until they expire by the clock', async () => {
    const issued = await tokens.issueClientCredentialsToken('k');
    expect(await tokens.verify(issued.accessToken)).toMatchObject({ ok: true, claims: { cid: 'k' } });
    clock.advanceSeconds(3600);
    expect(await tokens.verify(issued.accessToken)).toMatchObject({ ok: false, code: 'TOKEN-EXPIRED' });
  });

  it('names a wrong audience TOKEN-AUDIENCE-MISMATCH', async () => {
    expect(await tokens.verify(await signOwn({ aud: 'someone-else' }))).toMatchObject({ ok: false, code: 'TOKEN-AUDIENCE-MISMATCH' });
  });

  it('names a foreign issuer TOKEN-ISSUER-MISMATCH before looking at the signature', async () => {
    expect(await tokens.verify(await signOwn({ iss: 'https://identity.fortellis.io/oauth2/aus1p1ixy7YL8cMq02p7' }))).toMatchObject({
      ok: false,
      code: 'TOKEN-ISSUER-MISMATCH',
    });
  });

  it('calls a token without exp, or with an unknown kid, INVALID-TOKEN', async () => {
    const withoutExp = await new SignJWT({ ver: 1, jti: 'AT.y', iss: ISSUER, aud: 'api_providers', iat: 1 })
      .setProtectedHeader({ alg: 'RS256', kid: tokens.kid })
      .sign(keys.privateKey);
    expect(await tokens.verify(withoutExp)).toMatchObject({ ok: false, code: 'INVALID-TOKEN' });
    const unknownKid = await new SignJWT({ iss: ISSUER }).setProtectedHeader({ alg: 'RS256', kid: 'rotated-away' }).sign(keys.privateKey);
    expect(await tokens.verify(unknownKid)).toMatchObject({ ok: false, code: 'INVALID-TOKEN' });
  });

  it('refuses an unsigned ("alg": "none") token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', kid: tokens.kid })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ iss: ISSUER, aud: 'api_providers', exp: 9999999999 })).toString('base64url');
    expect(await tokens.verify(`${header}.${payload}.`)).toMatchObject({ ok: false, code: 'INVALID-TOKEN' });
  });

  it('expires every token issued so far, and only those', async () => {
    const old = await tokens.issueClientCredentialsToken('k');
    expect(tokens.expireIssuedTokens()).toEqual({ expiredBefore: new Date(clock.now()).toISOString(), tokensExpired: 1 });
    const fresh = await tokens.issueClientCredentialsToken('k');
    expect(await tokens.verify(old.accessToken)).toMatchObject({ ok: false, code: 'TOKEN-EXPIRED' });
    expect(await tokens.verify(fresh.accessToken)).toMatchObject({ ok: true });
    expect(tokens.expiredBefore()).toBe(new Date(clock.now()).toISOString());
  });

  it('publishes only the public key in its JWKS', () => {
    const [key] = tokens.jwks().keys;
    expect(key).toMatchObject({ kty: 'RSA', kid: tokens.kid, use: 'sig', alg: 'RS256' });
    expect(key).not.toHaveProperty('d');
  });

  it('classifies jose errors by code and claim, not by message', () => {
    expect(classifyJoseError({ code: 'ERR_JWT_EXPIRED', message: 'anything' }).code).toBe('TOKEN-EXPIRED');
    expect(classifyJoseError({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' }).code).toBe('TOKEN-AUDIENCE-MISMATCH');
    expect(classifyJoseError({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'iss' }).code).toBe('TOKEN-ISSUER-MISMATCH');
    expect(classifyJoseError({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'nbf' }).code).toBe('INVALID-TOKEN');
    expect(classifyJoseError(new Error('"exp" claim timestamp check failed')).code).toBe('INVALID-TOKEN');
  });
});
