import fc from 'fast-check';
import { createLinkRewriter } from '../../src/fortellis/link-rewrite';

const BASE = 'https://api.fortellis.io';
const links = createLinkRewriter(BASE, '/api/fortellis');
const rewrite = (text: string) => links.rewrite(Buffer.from(text)).toString('utf8');

/** Feeds `text` to a streaming rewriter cut at the given offsets. */
function streamed(text: string, cuts: number[]): string {
  const bytes = Buffer.from(text);
  const stream = links.stream();
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length)].sort((a, b) => a - b)) {
    out.push(stream.push(bytes.subarray(at, cut)));
    at = cut;
  }
  out.push(stream.push(bytes.subarray(at)), stream.end());
  return Buffer.concat(out).toString('utf8');
}

describe('the link rewriter', () => {
  it('rewrites JSON string values that start with the API base URL', () => {
    const body = JSON.stringify({ links: { self: { href: `${BASE}/service/v3/appointments/a1` } }, vehicleHref: `${BASE}/sales/v1/x?y=1`, root: BASE, frag: `${BASE}#top` });
    expect(JSON.parse(rewrite(body))).toEqual({
      links: { self: { href: '/api/fortellis/service/v3/appointments/a1' } },
      vehicleHref: '/api/fortellis/sales/v1/x?y=1',
      root: '/api/fortellis',
      frag: '/api/fortellis#top',
    });
  });

  it.each([
    `${BASE}.evil.com/x`,
    `${BASE}@evil.com/x`,
    `${BASE}:8443/x`,
    `${BASE}evil/x`,
    `${BASE}\\u002eevil.com/x`,
    `http://api.fortellis.io/x`,
    `see ${BASE}/x`,
  ])('leaves %s alone: only an exact prefix is rewritten', (value) => {
    const body = JSON.stringify({ href: value }).replace('\\\\u002e', '\\u002e');
    expect(rewrite(body)).toBe(body);
  });

  it('recognises escaped slashes, and keeps a body without links as the very same buffer', () => {
    expect(JSON.parse(rewrite(`{"href":"https:\\/\\/api.fortellis.io\\/a\\/b"}`))).toEqual({ href: '/api/fortellis/a/b' });
    expect(rewrite(`{"href":"https:\\/\\/api.fortellis.io\\u002eevil.com"}`)).toBe(`{"href":"https:\\/\\/api.fortellis.io\\u002eevil.com"}`);
    const plain = Buffer.from('{"items":[1,2,3]}');
    expect(links.rewrite(plain)).toBe(plain);
  });

  it('gives the same result streamed, however the body is cut', () => {
    const value = fc.constantFrom(`${BASE}/a/b`, `${BASE}`, `${BASE}.evil.com/`, `${BASE}?q=1`, 'plain "quoted" text', `x${BASE}/`, '');
    const body = fc.array(fc.record({ href: value, n: fc.integer() }), { maxLength: 8 }).map((items) => JSON.stringify({ items }));
    const escaped = body.map((text) => text.replaceAll('/', '\\/'));
    fc.assert(
      fc.property(fc.oneof(body, escaped), fc.array(fc.nat({ max: 600 }), { maxLength: 30 }), (text, cuts) => {
        expect(streamed(text, cuts)).toBe(rewrite(text));
      }),
      { numRuns: 300 },
    );
  });

  it('hands bytes on at once when they cannot start a link, holding back only a possible beginning', () => {
    const stream = links.stream();
    expect(stream.push(Buffer.from('{"items":[')).toString()).toBe('{"items":[');
    expect(stream.push(Buffer.from('{"href":"https://api.fort')).toString()).toBe('{"href":');
    expect(stream.push(Buffer.from('ellis.io/x"}]}')).toString()).toBe('"/api/fortellis/x"}]}');
    expect(stream.end().length).toBe(0);
  });
});
