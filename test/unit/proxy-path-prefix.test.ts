import fc from 'fast-check';
import { pathPrefix } from '../../src/fortellis/proxy';
import { normaliseProxyTarget } from '../../src/fortellis/path-policy';

describe('the metrics label of a proxied path', () => {
  it('is the first two segments of the API path', () => {
    expect(pathPrefix('/service/v3/appointments/')).toBe('/service/v3');
    expect(pathPrefix('/sales/inventory/v1/merchandisable-vehicles/abc')).toBe('/sales/inventory');
    expect(pathPrefix('/crm/')).toBe('/crm/');
    expect(pathPrefix('/crm')).toBe('/crm');
    expect(pathPrefix('/crm/x')).toBe('/crm/x');
  });

  it('is what split("/").slice(0, 3).join("/") gave before, for every canonical path', () => {
    const segment = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/), fc.string({ maxLength: 6 }));
    const rawPath = fc.tuple(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.boolean()).map(([segments, slash]) => `/${segments.join('/')}${slash ? '/' : ''}`);
    // Only what the path policy lets through ever reaches the metrics.
    const canonicalPath = fc.oneof(rawPath, fc.webPath()).map(canonical).filter((path): path is string => path !== null);
    fc.assert(
      fc.property(canonicalPath, (path) => {
        expect(pathPrefix(path)).toBe(path.split('/').slice(0, 3).join('/'));
      }),
    );
  });
});

function canonical(raw: string): string | null {
  try {
    return normaliseProxyTarget(raw).path;
  } catch {
    return null;
  }
}
