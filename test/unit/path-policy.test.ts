import { isAllowed, normaliseProxyTarget, parseAllowedPaths, PathRejectedError } from '../../src/fortellis/path-policy';

function problemOf(raw: string): string {
  try {
    normaliseProxyTarget(raw);
  } catch (error) {
    if (error instanceof PathRejectedError) return error.problem;
    throw error;
  }
  return 'accepted';
}

describe('normaliseProxyTarget', () => {
  it.each([
    ['/service/v3/appointments/', '/service/v3/appointments/', ''],
    ['/service/v3/appointments/?page=2&pageSize=5', '/service/v3/appointments/', '?page=2&pageSize=5'],
    ['/service/v3/appointments/a%20b', '/service/v3/appointments/a%20b', ''],
    ['/sales/inventory/v1/merchandisable-vehicles', '/sales/inventory/v1/merchandisable-vehicles', ''],
    ['/x/caf%C3%A9', '/x/caf%C3%A9', ''],
    ['/x?', '/x', ''],
  ])('accepts %s as %s', (raw, path, search) => {
    expect(normaliseProxyTarget(raw)).toEqual({ path, search });
  });

  it.each([
    ['/service/../admin', 'dot-segment'],
    ['/service/./x', 'dot-segment'],
    ['/service/%2e%2e/admin', 'dot-segment'],
    ['/service/%2E./admin', 'dot-segment'],
    ['/service/.%2e/admin', 'dot-segment'],
    ['/service/%252e%252e/admin', 'encoded-separator'],
    ['/service/%2f/admin', 'encoded-separator'],
    ['/service%2F..%2Fadmin', 'encoded-separator'],
    ['/service/%5c../admin', 'forbidden-character'],
    ['/service\\..\\admin', 'forbidden-character'],
    ['//evil.example/x', 'empty-segment'],
    ['/service//x', 'empty-segment'],
    ['http://evil.example/x', 'not-absolute'],
    ['evil.example', 'not-absolute'],
    ['/', 'not-absolute'],
    ['', 'not-absolute'],
    ['/user@evil.example/x', 'forbidden-character'],
    ['/x%40evil', 'forbidden-character'],
    ['/x%0d%0aHost:%20evil', 'forbidden-character'],
    ['/x%00', 'forbidden-character'],
    ['/x%zz', 'malformed-encoding'],
    ['/x/%E0%A4%A', 'malformed-encoding'],
    ['/x?a=b\r\nHost: evil', 'bad-query'],
    ['/x?a=b c', 'bad-query'],
  ])('refuses %s (%s)', (raw, problem) => {
    expect(problemOf(raw)).toBe(problem);
  });
});

describe('PROXY_ALLOWED_PATHS', () => {
  const rules = parseAllowedPaths('GET /sales/inventory/v1/, GET|POST|DELETE /service/v3/appointments, /crm/cdk-crm/v1/leads/ping');

  it('allows listed methods under a listed prefix', () => {
    expect(isAllowed(rules, 'GET', '/sales/inventory/v1/merchandisable-vehicles/')).toBe(true);
    expect(isAllowed(rules, 'POST', '/service/v3/appointments/')).toBe(true);
    expect(isAllowed(rules, 'DELETE', '/service/v3/appointments/42')).toBe(true);
    expect(isAllowed(rules, 'PATCH', '/crm/cdk-crm/v1/leads/ping')).toBe(true);
  });

  it('denies other methods, other paths and look-alike prefixes', () => {
    expect(isAllowed(rules, 'POST', '/sales/inventory/v1/merchandisable-vehicles/')).toBe(false);
    expect(isAllowed(rules, 'GET', '/service/v3/appointmentsX')).toBe(false);
    expect(isAllowed(rules, 'GET', '/service/v4/appointments/')).toBe(false);
  });

  it('allows everything when no allowlist is configured', () => {
    expect(isAllowed(null, 'PUT', '/anything')).toBe(true);
  });

  it('refuses malformed entries', () => {
    expect(() => parseAllowedPaths('GET /a/ extra')).toThrow(/must be/);
    expect(() => parseAllowedPaths('G3T /a/')).toThrow(/bad method/);
    expect(() => parseAllowedPaths(' , ')).toThrow(/no entries/);
    expect(() => parseAllowedPaths('/a/?x=1')).toThrow(/query string/);
  });
});
