import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { SIMULATOR_DEFAULT_CLIENT_ID } from '../../../src/simulator';
import { startHarness, TEST_REDIRECT_URI, type SimulatorHarness } from './simulator-harness';

const AUTHORIZE = '/oauth2/aus-simulator/v1/authorize';

const validRequest = {
  client_id: SIMULATOR_DEFAULT_CLIENT_ID,
  response_type: 'token',
  scope: 'openid',
  redirect_uri: TEST_REDIRECT_URI,
  state: 'state-7f3a',
  nonce: 'nonce-91c2',
};

/** The fragment of a redirect's Location, parsed the way a correct client parses it. */
function fragmentOf(location: string): URLSearchParams {
  const url = new URL(location);
  return new URLSearchParams(url.hash.slice(1));
}

describe('the simulated authorize endpoint (implicit-flow demo)', () => {
  let h: SimulatorHarness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.running.close());

  /** Posts the sign-in form as the demo Fortellis account, for the valid request with `change` applied. */
  const signIn = (change: Record<string, string> = {}) =>
    h.http().post(AUTHORIZE).type('form').send({ ...validRequest, username: 'dealer@example.com', password: 'fortellis', ...change });

  it('shows a Fortellis sign-in form with the demo account, carrying the request in hidden fields', async () => {
    const response = await h.http().get(AUTHORIZE).query(validRequest);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toContain('<form method="post" action="/oauth2/aus-simulator/v1/authorize">');
    expect(response.text).toContain('dealer@example.com');
    expect(response.text).toContain('fortellis');
    for (const [name, value] of Object.entries(validRequest)) {
      expect(response.text).toContain(`<input type="hidden" name="${name}" value="${value}">`);
    }
  });

  it('sends the page under a CSP without inline script or style, allowing the form back to the app', async () => {
    const response = await h.http().get(AUTHORIZE).query(validRequest);
    const csp = response.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("form-action 'self' http://localhost:3000");
    expect(response.text).not.toMatch(/<script|<style|style=/);
    expect(response.text).toContain('href="/__simulator/assets/sim.css"');
    const css = await h.http().get('/__simulator/assets/sim.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('escapes a hostile state in the page', async () => {
    const state = '"><script>alert(1)</script>';
    const response = await h.http().get(AUTHORIZE).query({ ...validRequest, state });
    expect(response.text).not.toContain('<script>');
    expect(response.text).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  it('shows an error page, never a redirect, for a redirect_uri that is not registered', async () => {
    const response = await h.http().get(AUTHORIZE).query({ ...validRequest, redirect_uri: 'https://evil.example.com/' });
    expect(response.status).toBe(400);
    expect(response.headers.location).toBeUndefined();
    expect(response.text).toContain('redirect_uri');
    expect(response.text).not.toContain('evil.example.com');
  });

  it('shows an error page, never a redirect, for an unknown client_id', async () => {
    const response = await h.http().get(AUTHORIZE).query({ ...validRequest, client_id: 'someone-else' });
    expect(response.status).toBe(400);
    expect(response.headers.location).toBeUndefined();
  });

  it.each([
    ['response_type=code', { response_type: 'code' }, 'unsupported_response_type'],
    ['response_type=code id_token (hybrid)', { response_type: 'code id_token' }, 'unsupported_response_type'],
    ['a scope without openid', { scope: 'profile' }, 'invalid_scope'],
    ['no nonce', { nonce: undefined }, 'invalid_request'],
  ])('redirects back with the error and the state in the fragment for %s', async (_name, change, error) => {
    const response = await h.http().get(AUTHORIZE).query({ ...validRequest, ...change });
    expect(response.status).toBe(302);
    expect(response.headers.location.startsWith(`${TEST_REDIRECT_URI}#`)).toBe(true);
    const fragment = fragmentOf(response.headers.location);
    expect(fragment.get('error')).toBe(error);
    expect(fragment.get('error_description')).toEqual(expect.any(String));
    expect(fragment.get('state')).toBe(validRequest.state);
  });

  it('re-renders the form with 401 and an error for a wrong password, keeping the escaped e-mail', async () => {
    const response = await h
      .http()
      .post(AUTHORIZE)
      .type('form')
      .send({ ...validRequest, username: 'dealer@example.com"<b>', password: 'wrong' });
    expect(response.status).toBe(401);
    expect(response.text).toContain('role="alert"');
    expect(response.text).toContain('value="dealer@example.com&quot;&lt;b&gt;"');
    expect(response.headers.location).toBeUndefined();
  });

  it('refuses a form whose hidden redirect_uri was changed, without redirecting', async () => {
    const response = await h
      .http()
      .post(AUTHORIZE)
      .type('form')
      .send({ ...validRequest, redirect_uri: 'https://evil.example.com/', username: 'dealer@example.com', password: 'fortellis' });
    expect(response.status).toBe(400);
    expect(response.headers.location).toBeUndefined();
  });

  it('redirects with the access token in a fragment that parses, and a token with sub and uid but no nonce, as the docs’ example', async () => {
    const response = await signIn({ state: 'a b&c=d', username: 'Dealer@Example.com' });
    expect(response.status).toBe(302);
    const fragment = fragmentOf(response.headers.location);
    expect(Object.fromEntries(fragment)).toEqual({
      access_token: expect.stringMatching(/^ey/),
      token_type: 'Bearer',
      expires_in: '3600',
      scope: 'openid',
      state: 'a b&c=d',
    });
    const { payload, protectedHeader } = await jwtVerify(fragment.get('access_token')!, createRemoteJWKSet(new URL(`${h.running.issuer}/v1/keys`)), {
      issuer: h.running.issuer,
      audience: 'api_providers',
      currentDate: new Date(h.clock.now()),
    });
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: expect.any(String) });
    expect(Object.keys(payload).sort()).toEqual(['aud', 'cid', 'exp', 'iat', 'iss', 'jti', 'scp', 'sub', 'uid', 'ver']);
    expect(payload).toMatchObject({ ver: 1, scp: ['openid'], sub: 'dealer@example.com', uid: expect.stringMatching(/^00u\w{17}$/), cid: SIMULATOR_DEFAULT_CLIENT_ID });
  });

  it.each([['id_token token'], ['token id_token']])(
    'answers response_type=%s with an access token and an ID token that carries the nonce and the access token’s hash',
    async (responseType) => {
      const response = await signIn({ response_type: responseType });
      expect(response.status).toBe(302);
      const fragment = fragmentOf(response.headers.location);
      expect([...fragment.keys()].sort()).toEqual(['access_token', 'expires_in', 'id_token', 'scope', 'state', 'token_type']);
      const keys = createRemoteJWKSet(new URL(`${h.running.issuer}/v1/keys`));
      const { payload } = await jwtVerify(fragment.get('id_token')!, keys, {
        issuer: h.running.issuer,
        audience: SIMULATOR_DEFAULT_CLIENT_ID,
        currentDate: new Date(h.clock.now()),
      });
      const hash = createHash('sha256').update(fragment.get('access_token')!).digest().subarray(0, 16).toString('base64url');
      expect(payload).toMatchObject({ nonce: validRequest.nonce, at_hash: hash, sub: expect.stringMatching(/^00u/), amr: ['pwd'] });
      // The nonce is the ID token's business, not the access token's.
      expect(decodeJwt(fragment.get('access_token')!).nonce).toBeUndefined();
    },
  );

  it('answers response_type=id_token with an ID token alone', async () => {
    const response = await signIn({ response_type: 'id_token' });
    const fragment = fragmentOf(response.headers.location);
    expect(fragment.get('access_token')).toBeNull();
    expect(decodeJwt(fragment.get('id_token')!)).toMatchObject({ nonce: validRequest.nonce, aud: SIMULATOR_DEFAULT_CLIENT_ID });
    expect(decodeJwt(fragment.get('id_token')!).at_hash).toBeUndefined();
  });

  it('accepts the implicit-flow token at the APIs too', async () => {
    const response = await signIn();
    const token = fragmentOf(response.headers.location).get('access_token')!;
    const api = await h.api().get('/crm/cdk-crm/v1/leads/ping').set(h.apiHeaders(token));
    expect(api.status).toBe(200);
  });
});
