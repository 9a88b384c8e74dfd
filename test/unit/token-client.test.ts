import axios from 'axios';
import { basicAuthorization, fetchClientCredentialsToken, parseTokenResponse, TokenEndpointError } from '../../src/fortellis/token-client';

const NOW = Date.UTC(2026, 0, 5);

/** Decodes Basic credentials the way RFC 6749 §2.3.1 says a server must. */
function decodeBasic(header: string): [string, string] {
  const decoded = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return [formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))];
}

describe('basicAuthorization', () => {
  it.each([
    ['plain', 'abc123'],
    ['a colon', 'sec:ret'],
    ['a percent sign', '100%sure'],
    ['a plus sign', 'a+b'],
    ['a space', 'two words'],
    ['non-ASCII characters', 'sécret-ключ-秘密'],
    ['all of them', 's3:cr%t+ é'],
  ])('encodes a secret with %s so the server gets it back intact', (_label, secret) => {
    expect(decodeBasic(basicAuthorization('my-api-key', secret))).toEqual(['my-api-key', secret]);
  });

  it('form-encodes before base64, as RFC 6749 §2.3.1 requires', () => {
    const header = basicAuthorization('id', 'a:b+c');
    expect(Buffer.from(header.slice(6), 'base64').toString()).toBe('id:a%3Ab%2Bc');
  });
});

describe('parseTokenResponse', () => {
  it('reads a Fortellis token answer and computes its expiry from expires_in', () => {
    const token = parseTokenResponse({ status: 200, data: { token_type: 'Bearer', expires_in: 3600, access_token: 'eyJ.x.y', scope: 'anonymous' } }, NOW, 'anonymous');
    expect(token).toEqual({ value: 'eyJ.x.y', obtainedAt: NOW, expiresAt: NOW + 3600_000, scope: 'anonymous' });
  });

  it('treats a 200 without a usable token as a transient failure', () => {
    expect(() => parseTokenResponse({ status: 200, data: '<html>maintenance</html>' }, NOW, 'anonymous')).toThrow(
      expect.objectContaining({ status: 503, transient: true }),
    );
  });

  it('explains invalid_client as a wrong key or secret', () => {
    const error = captured(() => parseTokenResponse({ status: 401, data: { error: 'invalid_client', error_description: 'Invalid value for client_id parameter.' } }, NOW, 'anonymous'));
    expect(error).toMatchObject({ status: 502, transient: false, oauthError: 'invalid_client' });
    expect(error.detail).toMatch(/API key or secret is wrong/);
  });

  it("understands Okta's errorCode shape as well", () => {
    const error = captured(() => parseTokenResponse({ status: 400, data: { errorCode: 'invalid_scope', errorSummary: 'The requested scope is invalid' } }, NOW, 'anonymous'));
    expect(error).toMatchObject({ oauthError: 'invalid_scope', transient: false });
    expect(error.detail).toMatch(/FORTELLIS_SCOPE/);
  });

  it('treats 5xx and 429 as transient and keeps the Retry-After of a 429', () => {
    expect(captured(() => parseTokenResponse({ status: 503, data: {} }, NOW, 'anonymous'))).toMatchObject({ status: 503, transient: true });
    expect(captured(() => parseTokenResponse({ status: 429, data: {}, headers: { 'retry-after': '30' } }, NOW, 'anonymous'))).toMatchObject({
      transient: true,
      retryAfterSeconds: 30,
    });
  });
});

describe('fetchClientCredentialsToken', () => {
  it('turns a refused connection into a transient token error', async () => {
    const error = await fetchClientCredentialsToken(
      axios.create(),
      { tokenUrl: 'http://127.0.0.1:9/v1/token', clientId: 'id', clientSecret: 'secret', scope: 'anonymous', timeoutMs: 1000 },
      () => NOW,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error).toMatchObject({ status: 503, transient: true });
    expect((error as TokenEndpointError).logDetail).toMatch(/ECONNREFUSED/);
  });
});

function captured(fn: () => unknown): TokenEndpointError {
  try {
    fn();
  } catch (error) {
    return error as TokenEndpointError;
  }
  throw new Error('expected an error');
}
