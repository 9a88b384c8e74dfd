import { ConfigError, loadConfig } from '../../src/config/load';
import { connectionNominated, forwardedRequestHeaders, parseForwardHeaders } from '../../src/fortellis/header-policy';

describe('PROXY_FORWARD_HEADERS', () => {
  it('is empty by default: only the fixed few headers are forwarded', () => {
    expect(loadConfig({}).proxy.forwardHeaders).toEqual([]);
    expect(forwardedRequestHeaders([])).toEqual(['accept', 'accept-language', 'content-type', 'if-match', 'if-none-match', 'prefer']);
  });

  it('takes a comma list of header names in any case, without duplicates', () => {
    expect(loadConfig({ PROXY_FORWARD_HEADERS: 'Department-Id, X-Dealer-Code ,department-id' }).proxy.forwardHeaders).toEqual(['department-id', 'x-dealer-code']);
  });

  it.each(['Authorization', 'Cookie', 'Subscription-Id', 'Request-Id', 'Host', 'Connection', 'Transfer-Encoding', 'Upgrade', 'TE', 'Keep-Alive', 'Proxy-Authorization', 'X-CSRF-Token', 'Content-Length', 'Expect'])(
    'refuses %s with a clear configuration error',
    (name) => {
      const load = () => loadConfig({ PROXY_FORWARD_HEADERS: `Department-Id,${name}` });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(new RegExp(`- PROXY_FORWARD_HEADERS "${name.toLowerCase()}" may not be forwarded`));
    },
  );

  it('refuses what is not a header name, naming every bad entry at once', () => {
    expect(() => parseForwardHeaders('Good-One, bad name, x:y')).toThrow('"bad name" is not a header name; "x:y" is not a header name');
  });
});

describe('connectionNominated', () => {
  it('finds nothing in what browsers send', () => {
    expect(connectionNominated(undefined)).toBeUndefined();
    expect(connectionNominated('keep-alive')).toBeUndefined();
    expect(connectionNominated('close')).toBeUndefined();
    expect(connectionNominated('Keep-Alive, close')).toBeUndefined();
  });

  it('names the headers listed beside them, in lower case', () => {
    expect([...connectionNominated('keep-alive, Department-Id ,PREFER')!]).toEqual(['department-id', 'prefer']);
  });
});

describe('the slow-client timeouts', () => {
  it('default to 10 s for headers and 30 s for the whole request', () => {
    expect(loadConfig({}).http).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
    expect(loadConfig({}).proxy).toMatchObject({ bodyTimeoutMs: 10_000, freeSocketTimeoutMs: 4000 });
  });

  it('refuse a headers timeout longer than the whole-request timeout (Node would throw at start-up)', () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS must not be longer than HTTP_REQUEST_TIMEOUT_MS/,
    );
  });
});
