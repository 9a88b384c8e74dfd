import fc from 'fast-check';
import { normaliseProxyTarget, PathRejectedError } from '../../src/fortellis/path-policy';

const BASE = 'https://api.fortellis.io/base';

// Pieces an attacker would combine: separators, dots, their encodings (once and twice), backslashes,
// authority markers, control characters, and harmless text.
const piece = fc.constantFrom(
  '/', '//', '.', '..', '%2e', '%2E', '%2e%2e', '%252e', '%2f', '%2F', '%252f', '%5c', '%5C', '\\', '@', '%40', ':', '?', '#',
  '%00', '%0d%0a', '\r\n', '\t', ' ', '%20', '%', '%zz', 'http:', 'evil.example', 'service', 'v3', 'appointments', 'é', '%C3%A9', '%E0%A4',
);
const rawTarget = fc.array(piece, { minLength: 1, maxLength: 12 }).map((pieces) => pieces.join(''));

describe('normaliseProxyTarget, as a property over generated paths', () => {
  it('never yields an upstream URL outside the base URL, whatever it is given', () => {
    fc.assert(
      fc.property(fc.oneof(rawTarget, fc.string({ maxLength: 60 }), fc.webPath()), (raw) => {
        let target;
        try {
          target = normaliseProxyTarget(raw);
        } catch (error) {
          expect(error).toBeInstanceOf(PathRejectedError);
          return;
        }
        const url = new URL(`${BASE}${target.path}${target.search}`);
        expect(url.origin).toBe('https://api.fortellis.io');
        expect(url.pathname.startsWith('/base/')).toBe(true);
        // What we send is what URL parsing keeps: no dot segment was resolved away, nothing was re-decoded.
        expect(url.pathname).toBe(`/base${target.path}`);
        const segments = target.path.split('/').slice(1).map(decodeURIComponent);
        expect(segments.some((s) => s === '.' || s === '..' || s.includes('/') || s.includes('\\'))).toBe(false);
        expect(target.path.includes('//')).toBe(false);
      }),
      { numRuns: 20_000 },
    );
  });

  it('keeps every plain API path unchanged', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.boolean(), (segments, trailingSlash) => {
        const path = `/${segments.join('/')}${trailingSlash ? '/' : ''}`;
        expect(normaliseProxyTarget(path)).toEqual({ path, search: '' });
      }),
      { numRuns: 2_000 },
    );
  });
});
