import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { basicAuthorizationHeader, SIMULATOR_DEFAULT_CLIENT_ID, SIMULATOR_DEFAULT_CLIENT_SECRET } from '../../../src/simulator';
import axios from 'axios';
import { fetchClientCredentialsToken } from '../../../src/fortellis/token-client';
import { startHarness, type SimulatorHarness } from './simulator-harness';

const TOKEN_PATH = '/oauth2/aus-simulator/v1/token';
const FORM = { grant_type: 'client_credentials', scope: 'anonymous' };

describe('the simulated token endpoint (client credentials)', () => {
  let h: SimulatorHarness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.running.close());
  beforeEach(() => h.running.simulator.resetStats());

  const basic = basicAuthorizationHeader(SIMULATOR_DEFAULT_CLIENT_ID, SIMULATOR_DEFAULT_CLIENT_SECRET);

  it('issues a Bearer token for HTTP Basic credentials, marked not cacheable', async () => {
    const response = await h.http().post(TOKEN_PATH).set('Authorization', basic).type('form').send(FORM);
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({
      token_type: 'Bearer',
      expires_in: 3600,
      access_token: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/),
      scope: 'anonymous',
    });
  });

  it('issues a JWT that verifies against its JWKS and carries exactly the Fortellis claims', async () => {
    const accessToken = await h.token();
    const jwks = createRemoteJWKSet(new URL(`${h.running.issuer}/v1/keys`));
    const { payload, protectedHeader } = await jwtVerify(accessToken, jwks, {
      issuer: h.running.issuer,
      audience: 'api_providers',
      currentDate: new Date(h.clock.now()),
    });
    const iat = Math.floor(h.clock.now() / 1000);
    // As the docs' current decoded example: header {alg, typ, kid}; no "ver" claim.
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: expect.any(String) });
    expect(payload).toEqual({
      jti: expect.stringMatching(/^AT\./),
      iss: `${h.running.url}/oauth2/aus-simulator`,
      aud: 'api_providers',
      iat,
      exp: iat + 3600,
      cid: SIMULATOR_DEFAULT_CLIENT_ID,
      scp: ['anonymous'],
      sub: SIMULATOR_DEFAULT_CLIENT_ID,
    });
  });

  it('publishes its signing key as a JWKS with kid, use and alg', async () => {
    const accessToken = await h.token();
    const response = await h.http().get('/oauth2/aus-simulator/v1/keys');
    expect(response.status).toBe(200);
    expect(response.body.keys).toHaveLength(1);
    expect(response.body.keys[0]).toMatchObject({
      kty: 'RSA',
      kid: decodeProtectedHeader(accessToken).kid,
      use: 'sig',
      alg: 'RS256',
      n: expect.any(String),
      e: 'AQAB',
    });
    expect(response.body.keys[0].d).toBeUndefined();
  });

  it('accepts a secret with ":", "%", "+", a space and non-ASCII both RFC 6749-encoded and raw as Fortellis’ docs write it', async () => {
    const secret = 's3:cr%t+ é';
    const special = await startHarness({ clientId: 'key with space', clientSecret: secret });
    try {
      const response = await special
        .http()
        .post(TOKEN_PATH)
        .set('Authorization', basicAuthorizationHeader('key with space', secret))
        .type('form')
        .send(FORM);
      expect(response.status).toBe(200);
      // The docs' "Base64 encode {apiKey}:{apiSecret}", without the form-urlencoding step, works too.
      const raw = `Basic ${Buffer.from(`key with space:${secret}`).toString('base64')}`;
      const rawResponse = await special.http().post(TOKEN_PATH).set('Authorization', raw).type('form').send(FORM);
      expect(rawResponse.status).toBe(200);
      expect(decodeJwt(rawResponse.body.access_token)).toMatchObject({ cid: 'key with space', sub: 'key with space' });
      // A wrong secret stays wrong in either reading.
      const wrong = `Basic ${Buffer.from(`key with space:${secret}!`).toString('base64')}`;
      const refused = await special.http().post(TOKEN_PATH).set('Authorization', wrong).type('form').send(FORM);
      expect(refused.status).toBe(401);
      expect(refused.body.error).toBe('invalid_client');
    } finally {
      await special.running.close();
    }
  });

  it.each([
    ['a colon', 'a:b:c'],
    ['a percent sign', '100%sure'],
    ['a percent sequence', 'x%41y'],
    ['a plus sign', 'a+b'],
    ['non-ASCII', 'sécrèt-日本'],
  ])('gives the app’s own token client a token for a secret with %s', async (_label, secret) => {
    const special = await startHarness({ clientId: 'special-key', clientSecret: secret });
    try {
      const settings = { tokenUrl: `${special.running.issuer}/v1/token`, clientId: 'special-key', clientSecret: secret, scope: 'anonymous', timeoutMs: 5000 };
      const token = await fetchClientCredentialsToken(axios.create(), settings, () => special.clock.now());
      expect(decodeJwt(token.value)).toMatchObject({ cid: 'special-key', scp: ['anonymous'] });
    } finally {
      await special.running.close();
    }
  });

  it('accepts client_id and client_secret in the form body', async () => {
    const response = await h
      .http()
      .post(TOKEN_PATH)
      .type('form')
      .send({ ...FORM, client_id: SIMULATOR_DEFAULT_CLIENT_ID, client_secret: SIMULATOR_DEFAULT_CLIENT_SECRET });
    expect(response.status).toBe(200);
  });

  it('accepts every parameter in the query string with an empty body, as some sample apps send them', async () => {
    const response = await h
      .http()
      .post(TOKEN_PATH)
      .query({ ...FORM, client_id: SIMULATOR_DEFAULT_CLIENT_ID, client_secret: SIMULATOR_DEFAULT_CLIENT_SECRET });
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('Bearer');
  });

  it('refuses a wrong secret with 401 invalid_client and a Basic challenge', async () => {
    const response = await h
      .http()
      .post(TOKEN_PATH)
      .set('Authorization', basicAuthorizationHeader(SIMULATOR_DEFAULT_CLIENT_ID, 'wrong'))
      .type('form')
      .send(FORM);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Basic/);
    expect(response.body).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
  });

  it('refuses a request without any client credentials with 401 invalid_client', async () => {
    const response = await h.http().post(TOKEN_PATH).type('form').send(FORM);
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
  });

  it('refuses a grant type other than client_credentials with 400 unsupported_grant_type', async () => {
    const response = await h.http().post(TOKEN_PATH).set('Authorization', basic).type('form').send({ grant_type: 'password', scope: 'anonymous' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('unsupported_grant_type');
  });

  it('refuses a request without scope with 400 invalid_scope, as Fortellis does', async () => {
    const response = await h.http().post(TOKEN_PATH).set('Authorization', basic).type('form').send({ grant_type: 'client_credentials' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_scope', error_description: expect.stringContaining('anonymous') });
  });

  it('refuses any scope but "anonymous" with 400 invalid_scope', async () => {
    const response = await h.http().post(TOKEN_PATH).set('Authorization', basic).type('form').send({ grant_type: 'client_credentials', scope: 'openid' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_scope');
  });

  it('counts every token request, failed ones included', async () => {
    await h.http().post(TOKEN_PATH).type('form').send(FORM);
    await h.token();
    expect(h.running.simulator.stats()).toMatchObject({ tokenRequests: 2, tokensIssued: 1 });
  });
});
