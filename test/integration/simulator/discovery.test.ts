import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { SIMULATOR_DEFAULT_CLIENT_ID, SIMULATOR_DEFAULT_CLIENT_SECRET } from '../../../src/simulator';
import { startHarness, type SimulatorHarness } from './simulator-harness';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');

/**
 * openid-client (a client no one here wrote, ESM-only, hence its own node process) discovers the
 * simulator's identity server from its issuer alone and gets a client-credentials token with HTTP Basic,
 * exactly as it would from Fortellis' Okta. Prints the metadata it found and the token response as JSON.
 */
const OPENID_CLIENT_SCRIPT = `
import * as client from 'openid-client';
const { ISSUER, CLIENT_ID, CLIENT_SECRET, ALGORITHM } = process.env;
const config = await client.discovery(new URL(ISSUER), CLIENT_ID, undefined, client.ClientSecretBasic(CLIENT_SECRET), {
  algorithm: ALGORITHM,
  execute: [client.allowInsecureRequests], // the simulator listens on plain http on loopback
});
const tokens = await client.clientCredentialsGrant(config, { scope: 'anonymous' });
process.stdout.write(JSON.stringify({ metadata: config.serverMetadata(), tokens }));
`;

async function openidClient(issuer: string, algorithm: 'oidc' | 'oauth2') {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', OPENID_CLIENT_SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, ISSUER: issuer, CLIENT_ID: SIMULATOR_DEFAULT_CLIENT_ID, CLIENT_SECRET: SIMULATOR_DEFAULT_CLIENT_SECRET, ALGORITHM: algorithm },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as { metadata: Record<string, unknown>; tokens: { access_token: string; token_type: string; expires_in: number; scope: string } };
}

describe('the simulated identity server’s metadata (issue 13.6)', () => {
  let h: SimulatorHarness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.running.close());

  it('serves the same metadata at {issuer}/.well-known/openid-configuration and oauth-authorization-server, as Okta does', async () => {
    const issuer = h.running.issuer;
    const oidc = await h.http().get('/oauth2/aus-simulator/.well-known/openid-configuration').expect(200);
    const oauth = await h.http().get('/oauth2/aus-simulator/.well-known/oauth-authorization-server').expect(200);
    const rfc8414 = await h.http().get('/.well-known/oauth-authorization-server/oauth2/aus-simulator').expect(200);
    expect(oidc.headers['content-type']).toMatch(/^application\/json/);
    expect(oidc.body).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/v1/authorize`,
      token_endpoint: `${issuer}/v1/token`,
      jwks_uri: `${issuer}/v1/keys`,
      response_types_supported: expect.arrayContaining(['token', 'id_token token']),
      grant_types_supported: expect.arrayContaining(['client_credentials', 'implicit']),
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: expect.arrayContaining(['client_secret_basic']),
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: expect.arrayContaining(['openid', 'anonymous']),
    });
    expect(oauth.body).toEqual(oidc.body);
    expect(rfc8414.body).toEqual(oidc.body);
  });

  it('names endpoints that work: the token endpoint issues a token that verifies against jwks_uri', async () => {
    const metadata = (await h.http().get('/oauth2/aus-simulator/.well-known/openid-configuration')).body as { jwks_uri: string; issuer: string };
    const token = await h.token();
    const { protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(metadata.jwks_uri)), {
      issuer: metadata.issuer,
      audience: 'api_providers',
      currentDate: new Date(h.clock.now()),
    });
    expect(protectedHeader.typ).toBe('JWT');
  });

  it.each([['oidc'], ['oauth2']] as const)('lets openid-client discover it (%s discovery) and get a client-credentials token with Basic', async (algorithm) => {
    const result = await openidClient(h.running.issuer, algorithm);
    expect(result.metadata).toMatchObject({ issuer: h.running.issuer, token_endpoint: `${h.running.issuer}/v1/token` });
    expect(result.tokens).toMatchObject({ token_type: 'bearer', expires_in: 3600, scope: 'anonymous' });
    expect(decodeProtectedHeader(result.tokens.access_token)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const { payload } = await jwtVerify(result.tokens.access_token, createRemoteJWKSet(new URL(`${h.running.issuer}/v1/keys`)), {
      issuer: h.running.issuer,
      audience: 'api_providers',
      currentDate: new Date(h.clock.now()),
    });
    expect(payload).toMatchObject({ cid: SIMULATOR_DEFAULT_CLIENT_ID, sub: SIMULATOR_DEFAULT_CLIENT_ID, scp: ['anonymous'] });
  });
});
