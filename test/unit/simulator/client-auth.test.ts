import {
  basicAuthorizationHeader,
  clientMatches,
  decodeBasicCredentials,
  formUrlDecode,
  formUrlEncode,
  readClientCredentials,
} from '../../../src/simulator/client-auth';

describe('client authentication at the token endpoint (RFC 6749 §2.3.1)', () => {
  it('form-urlencodes before base64, so a secret with ":", "%", "+", space and non-ASCII survives', () => {
    const secret = 's3:cr%t+ é';
    expect(formUrlEncode(secret)).toBe('s3%3Acr%25t%2B+%C3%A9');
    expect(decodeBasicCredentials(basicAuthorizationHeader('api-key', secret))).toEqual({ clientId: 'api-key', clientSecret: secret });
  });

  it('splits at the first colon: the encoded id has none, the raw secret may', () => {
    const header = `Basic ${Buffer.from('id:a:b').toString('base64')}`;
    expect(decodeBasicCredentials(header)).toEqual({ clientId: 'id', clientSecret: 'a:b' });
  });

  it('reads "+" as a space and refuses a malformed percent sequence', () => {
    expect(formUrlDecode('a+b%20c')).toBe('a b c');
    expect(formUrlDecode('100%')).toBeUndefined();
  });

  it('refuses headers that are not Basic, not base64, or have no colon', () => {
    expect(decodeBasicCredentials('Bearer abc')).toBeUndefined();
    expect(decodeBasicCredentials('Basic !!!')).toBeUndefined();
    expect(decodeBasicCredentials(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBeUndefined();
  });

  it('accepts client_id and client_secret as parameters when there is no Authorization header', () => {
    expect(readClientCredentials(undefined, { client_id: 'k', client_secret: 's' })).toEqual({
      ok: true,
      credentials: { clientId: 'k', clientSecret: 's', method: 'client_secret_post' },
    });
  });

  it('refuses two authentication methods at once with invalid_request', () => {
    const result = readClientCredentials(basicAuthorizationHeader('k', 's'), { client_secret: 's' });
    expect(result).toMatchObject({ ok: false, error: 'invalid_request' });
  });

  it('refuses a request with no credentials at all with invalid_client', () => {
    expect(readClientCredentials(undefined, {})).toMatchObject({ ok: false, error: 'invalid_client' });
  });

  it('matches only when both the id and the secret are right', () => {
    const expected = { clientId: 'k', clientSecret: 's' };
    expect(clientMatches({ clientId: 'k', clientSecret: 's' }, expected)).toBe(true);
    expect(clientMatches({ clientId: 'k', clientSecret: 'S' }, expected)).toBe(false);
    expect(clientMatches({ clientId: 'K', clientSecret: 's' }, expected)).toBe(false);
    expect(clientMatches({ clientId: 'k', clientSecret: 's ' }, expected)).toBe(false);
  });
});
