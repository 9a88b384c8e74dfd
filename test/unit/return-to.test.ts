import { safeReturnPath } from '../../src/web/return-to';

describe('safeReturnPath', () => {
  it.each(['/dashboard', '/admin/audit?action=user.create&page=2', '/compare#points', '/a/%2F%2Fb'])('keeps the same-origin path %j', (path) => {
    expect(safeReturnPath(path)).toBe(path);
  });

  it.each([
    '//evil.com',
    '///evil.com',
    'https://evil.com',
    'http:/evil.com',
    'javascript:alert(1)',
    '/\\evil.com',
    '\\\\evil.com',
    '/\t/evil.com',
    '/\n/evil.com',
    'evil.com',
    '',
    '/login',
    '/login?returnTo=%2Fdashboard',
    '/logout',
    `/${'a'.repeat(600)}`,
  ])('refuses %j', (value) => {
    expect(safeReturnPath(value)).toBeUndefined();
  });

  it('refuses what is not a string (a repeated query parameter is an array)', () => {
    expect(safeReturnPath(['/dashboard', '//evil.com'])).toBeUndefined();
    expect(safeReturnPath(undefined)).toBeUndefined();
  });

  it('normalises dot segments, and what they leave is still a path here', () => {
    expect(safeReturnPath('/a/../dashboard')).toBe('/dashboard');
    expect(safeReturnPath('/./evil.com')).toBe('/evil.com');
  });
});
