import { checkAuthorizeRequest, fragmentRedirect } from '../../../src/simulator/authorize-request';

const settings = { clientId: 'api-key', redirectUris: ['http://localhost:3000/implicit/'] };
const valid = {
  client_id: 'api-key',
  response_type: 'token',
  scope: 'openid',
  redirect_uri: 'http://localhost:3000/implicit/',
  state: 's-1',
  nonce: 'n-1',
};

describe('checking an implicit-flow authorization request', () => {
  it('accepts a complete request', () => {
    expect(checkAuthorizeRequest(valid, settings)).toEqual({
      kind: 'valid',
      request: { clientId: 'api-key', responseType: 'token', scope: 'openid', redirectUri: valid.redirect_uri, nonce: 'n-1', state: 's-1' },
    });
  });

  it('never redirects for a bad client or redirect URI, even when other parameters are bad too', () => {
    expect(checkAuthorizeRequest({ ...valid, client_id: 'other', response_type: 'code' }, settings).kind).toBe('error-page');
    expect(checkAuthorizeRequest({ ...valid, redirect_uri: 'http://localhost:3000/implicit', nonce: undefined }, settings).kind).toBe('error-page');
    expect(checkAuthorizeRequest({ ...valid, redirect_uri: undefined }, settings).kind).toBe('error-page');
  });

  it('treats a repeated parameter as missing rather than picking one', () => {
    expect(checkAuthorizeRequest({ ...valid, redirect_uri: [valid.redirect_uri, 'https://evil.example.com/'] }, settings).kind).toBe('error-page');
  });

  it('redirects the remaining errors back with the state', () => {
    expect(checkAuthorizeRequest({ ...valid, response_type: undefined }, settings)).toMatchObject({ kind: 'error-redirect', error: 'invalid_request', state: 's-1' });
    expect(checkAuthorizeRequest({ ...valid, scope: 'openid profile' }, settings).kind).toBe('valid');
    expect(checkAuthorizeRequest({ ...valid, scope: 'openidx' }, settings)).toMatchObject({ error: 'invalid_scope' });
  });

  it('builds a fragment that URLSearchParams reads back exactly, leaving out absent values', () => {
    const location = fragmentRedirect('http://localhost:3000/implicit/', { access_token: 'a.b.c', state: 'x&y= z#', nonce: undefined });
    const fragment = new URLSearchParams(new URL(location).hash.slice(1));
    expect(Object.fromEntries(fragment)).toEqual({ access_token: 'a.b.c', state: 'x&y= z#' });
  });
});
