import {
  basicAuthorizationHeader,
  clientMatches,
  decodeBasicCredentials,
  formUrlDecode,
  formUrlEncode,
  readClientCredentials,
} from '../../../src/simulator/client-auth';

/** `Basic base64(id:secret)` exactly as Fortellis' docs say to build it: no urlencoding. */
const rawBasic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`, 'utf8').toString('base64')}`;

describe('client authentication at the token endpoint (RFC 6749 §2.3.1 and Fortellis’ docs)', () => {
  it('form-urlencodes before base64, so a secret with ":", "%", "+", space and non-ASCII survives', () => {
    const secret = 's3:cr%t+ é';
    expect(formUrlEncode(secret)).toBe('s3%3Acr%25t%2B+%C3%A9');
    expect(decodeBasicCredentials(basicAuthorizationHeader('api-key', secret))).toContainEqual({ clientId: 'api-key', clientSecret: secret });
  });

  it('splits at the first colon: the encoded id has none, the raw secret may', () => {
    const header = `Basic ${Buffer.from('id:a:b').toString('base64')}`;
    expect(decodeBasicCredentials(header)).toEqual([{ clientId: 'id', clientSecret: 'a:b' }]);
  });

  it.each([
    ['a colon', 'a:b'],
    ['a percent sign (not valid form-urlencoding)', '100%sure'],
    ['a percent sequence', 'x%41y'],
    ['a plus sign', 'a+b'],
    ['non-ASCII', 'sécrèt-日本'],
    ['all of them', 's3:cr%t+ é'],
  ])('accepts a secret with %s sent raw, as the docs’ "{apiKey}:{apiSecret}" says, and sent RFC 6749-encoded', (_label, secret) => {
    const expected = { clientId: 'api-key', clientSecret: secret };
    for (const header of [rawBasic('api-key', secret), basicAuthorizationHeader('api-key', secret)]) {
      const result = readClientCredentials(header, {});
      expect(result.ok && clientMatches(result.credentials, expected)).toBe(true);
    }
    // Neither reading turns a wrong secret into a right one.
    const wrong = readClientCredentials(rawBasic('api-key', `${secret}x`), {});
    expect(wrong.ok && clientMatches(wrong.credentials, expected)).toBe(false);
  });

  it('gives a credential that reads the same both ways once', () => {
    expect(decodeBasicCredentials(rawBasic('simulator-api-key', 'simulator-api-secret'))).toEqual([
      { clientId: 'simulator-api-key', clientSecret: 'simulator-api-secret' },
    ]);
  });

  it('reads "+" as a space and refuses a malformed percent sequence', () => {
    expect(formUrlDecode('a+b%20c')).toBe('a b c');
    expect(formUrlDecode('100%')).toBeUndefined();
  });

  it('refuses headers that are not Basic, not base64, or have no colon', () => {
    expect(decodeBasicCredentials('Bearer abc')).toBeUndefined();
    expect(decodeBasicCredentials('Basic !!!')).toBeUndefined();
    expect(decodeBasicCredentials(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBeUndefined();
    expect(decodeBasicCredentials(`Basic ${Buffer.from(':secret-without-id').toString('base64')}`)).toBeUndefined();
  });

  it('accepts client_id and client_secret as parameters when there is no Authorization header', () => {
    expect(readClientCredentials(undefined, { client_id: 'k', client_secret: 's' })).toEqual({
      ok: true,
      credentials: { readings: [{ clientId: 'k', clientSecret: 's' }], method: 'client_secret_post' },
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
    const reading = (clientId: string, clientSecret: string) => ({ readings: [{ clientId, clientSecret }] });
    expect(clientMatches(reading('k', 's'), expected)).toBe(true);
    expect(clientMatches(reading('k', 'S'), expected)).toBe(false);
    expect(clientMatches(reading('K', 's'), expected)).toBe(false);
    expect(clientMatches(reading('k', 's '), expected)).toBe(false);
    expect(clientMatches({ readings: [{ clientId: 'k', clientSecret: 'x' }, { clientId: 'k', clientSecret: 's' }] }, expected)).toBe(true);
  });
});
