import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import { SIMULATOR_SUBSCRIPTIONS } from '../../../src/simulator';
import { startHarness, type SimulatorHarness } from './simulator-harness';

const APPOINTMENTS = '/service/v3/appointments/';

/** A Fortellis gateway error body for `code`. */
const gatewayError = (status: number, code: string) => ({ code: status, message: expect.stringMatching(new RegExp(`^${code}: \\S`)) });

describe('the simulated API gateway: access tokens', () => {
  let h: SimulatorHarness;
  let token: string;
  beforeAll(async () => {
    h = await startHarness();
    token = await h.token();
  });
  afterAll(() => h.running.close());

  it('answers 401 MISSING-AUTHORIZATION as JSON when there is no Authorization header', async () => {
    const response = await h.api().get(APPOINTMENTS).set('Subscription-Id', 'test');
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual(gatewayError(401, 'MISSING-AUTHORIZATION'));
  });

  it('answers 401 MISSING-AUTHORIZATION for credentials that are not a Bearer token', async () => {
    const response = await h.api().get(APPOINTMENTS).set('Authorization', 'Basic dXNlcjpwYXNz').set('Subscription-Id', 'test');
    expect(response.body).toEqual(gatewayError(401, 'MISSING-AUTHORIZATION'));
  });

  it('answers 401 INVALID-TOKEN for a malformed token', async () => {
    const response = await h.api().get(APPOINTMENTS).set(h.apiHeaders('not-a-jwt'));
    expect(response.status).toBe(401);
    expect(response.body).toEqual(gatewayError(401, 'INVALID-TOKEN'));
  });

  it('answers 401 INVALID-TOKEN for a token whose payload was changed after signing', async () => {
    const [header, , signature] = token.split('.');
    const claims = { ...decodeJwt(token), sub: 'someone-else' };
    const tampered = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    const response = await h.api().get(APPOINTMENTS).set(h.apiHeaders(tampered));
    expect(response.body).toEqual(gatewayError(401, 'INVALID-TOKEN'));
  });

  it('answers 401 TOKEN-ISSUER-MISMATCH for a token from another identity server', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const iat = Math.floor(h.clock.now() / 1000);
    const foreign = await new SignJWT({ ver: 1, jti: 'AT.foreign', cid: 'x', scp: ['anonymous'], sub: 'x' })
      .setProtectedHeader({ alg: 'RS256', kid: 'other' })
      .setIssuer('https://identity.fortellis.io/oauth2/aus1p1ixy7YL8cMq02p7')
      .setAudience('api_providers')
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(privateKey);
    const response = await h.api().get(APPOINTMENTS).set(h.apiHeaders(foreign));
    expect(response.body).toEqual(gatewayError(401, 'TOKEN-ISSUER-MISMATCH'));
  });

  it('answers 401 INVALID-TOKEN for a token claiming this issuer but signed with another key', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const claims = decodeJwt(token);
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'forged' }).sign(privateKey);
    const response = await h.api().get(APPOINTMENTS).set(h.apiHeaders(forged));
    expect(response.body).toEqual(gatewayError(401, 'INVALID-TOKEN'));
  });

  it('echoes the Request-Id on success and on errors alike', async () => {
    const ok = await h.api().get(APPOINTMENTS).set(h.apiHeaders(token)).set('Request-Id', 'req-123');
    const refused = await h.api().get(APPOINTMENTS).set('Request-Id', 'req-456');
    expect(ok.status).toBe(200);
    expect(ok.headers['request-id']).toBe('req-123');
    expect(refused.status).toBe(401);
    expect(refused.headers['request-id']).toBe('req-456');
  });

  it('generates a UUID Request-Id when the request had none', async () => {
    const response = await h.api().get(APPOINTMENTS).set(h.apiHeaders(token));
    expect(response.headers['request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('answers 404 API-DOES-NOT-EXIST for a path no API serves', async () => {
    const response = await h.api().get('/service/v9/nothing-here').set(h.apiHeaders(token));
    expect(response.status).toBe(404);
    expect(response.body).toEqual(gatewayError(404, 'API-DOES-NOT-EXIST'));
  });
});

describe('the simulated API gateway: token expiry by the clock', () => {
  let h: SimulatorHarness;
  beforeAll(async () => {
    h = await startHarness({ tokenLifetimeSeconds: 600 });
  });
  afterAll(() => h.running.close());

  it('accepts a token until its lifetime has passed, then answers 401 TOKEN-EXPIRED', async () => {
    const token = await h.token();
    h.clock.advanceSeconds(599);
    expect((await h.api().get(APPOINTMENTS).set(h.apiHeaders(token))).status).toBe(200);
    h.clock.advanceSeconds(1);
    const response = await h.api().get(APPOINTMENTS).set(h.apiHeaders(token));
    expect(response.status).toBe(401);
    expect(response.body).toEqual(gatewayError(401, 'TOKEN-EXPIRED'));
  });
});

describe('the simulated API gateway: Subscription-Id', () => {
  let h: SimulatorHarness;
  let token: string;
  beforeAll(async () => {
    h = await startHarness();
    token = await h.token();
  });
  afterAll(() => h.running.close());

  it('answers 400 MISSING-SUBSCRIPTION-ID when the header is absent', async () => {
    const response = await h.api().get(APPOINTMENTS).set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(400);
    expect(response.body).toEqual(gatewayError(400, 'MISSING-SUBSCRIPTION-ID'));
  });

  it('answers 403 SUBSCRIPTION-MISMATCH for a subscription the app does not have', async () => {
    const response = await h.api().get(APPOINTMENTS).set(h.apiHeaders(token, '00000000-0000-4000-8000-000000000000'));
    expect(response.status).toBe(403);
    expect(response.body).toEqual(gatewayError(403, 'SUBSCRIPTION-MISMATCH'));
  });

  it('answers 403 API-SUBSCRIPTION-INACTIVE for every API of an inactive subscription', async () => {
    for (const path of [APPOINTMENTS, '/sales/inventory/v1/merchandisable-vehicles/', '/crm/cdk-crm/v1/leads/ping']) {
      const response = await h.api().get(path).set(h.apiHeaders(token, SIMULATOR_SUBSCRIPTIONS.lakeside));
      expect(response.status).toBe(403);
      expect(response.body).toEqual(gatewayError(403, 'API-SUBSCRIPTION-INACTIVE'));
    }
  });

  it('answers 403 UNAUTHORIZED-API-ACCESS for an API the subscription does not include', async () => {
    const vehicles = await h.api().get('/sales/inventory/v1/merchandisable-vehicles/').set(h.apiHeaders(token, SIMULATOR_SUBSCRIPTIONS.harbor));
    const appointments = await h.api().get(APPOINTMENTS).set(h.apiHeaders(token, SIMULATOR_SUBSCRIPTIONS.harbor));
    expect(vehicles.status).toBe(403);
    expect(vehicles.body).toEqual(gatewayError(403, 'UNAUTHORIZED-API-ACCESS'));
    expect(appointments.status).toBe(200);
  });

  it('checks the token before the subscription', async () => {
    const response = await h.api().get(APPOINTMENTS).set('Authorization', 'Bearer nonsense');
    expect(response.body).toEqual(gatewayError(401, 'INVALID-TOKEN'));
  });
});
