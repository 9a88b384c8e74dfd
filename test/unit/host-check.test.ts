import type { IncomingMessage } from 'node:http';
import express from 'express';
import fc from 'fast-check';
import { requestHostname, type TrustProxy } from '../../src/web/host-check';

/** Express' own `req.hostname` for these headers and peer, under `trust proxy` = `trust`. */
function expressHostname(trust: boolean | number | string, headers: Record<string, string>, remoteAddress: string): string | undefined {
  const app = express();
  app.set('trust proxy', trust);
  const req = Object.create(app.request) as express.Request;
  Object.assign(req, { headers, socket: { remoteAddress } });
  return req.hostname;
}

function ours(trust: boolean | number | string, headers: Record<string, string>, remoteAddress: string): string | undefined {
  const app = express();
  app.set('trust proxy', trust);
  return requestHostname({ headers, socket: { remoteAddress } } as unknown as IncomingMessage, app.get('trust proxy fn') as TrustProxy);
}

describe('requestHostname (the API route has no Express request to ask)', () => {
  it.each([
    ['plain Host with a port', false, { host: 'app.example:3000' }, 'app.example'],
    ['IPv6 literal', false, { host: '[::1]:3000' }, '[::1]'],
    ['X-Forwarded-Host ignored without a trusted proxy', false, { host: 'app.example', 'x-forwarded-host': 'evil.example' }, 'app.example'],
    ['X-Forwarded-Host from a trusted proxy, first value', 'loopback', { host: 'internal:8080', 'x-forwarded-host': 'app.example:443 , other' }, 'app.example'],
    ['no Host at all', false, {}, undefined],
  ])('%s', (_name, trust, headers, expected) => {
    expect(ours(trust, headers, '127.0.0.1')).toBe(expected);
    expect(expressHostname(trust, headers, '127.0.0.1')).toBe(expected);
  });

  it("agrees with Express' req.hostname for any Host, X-Forwarded-Host, peer and TRUST_PROXY", () => {
    const headerValue = fc.oneof(
      fc.constantFrom('app.example', 'app.example:3000', '[::1]', '[::1]:8080', '[fe80::1', 'a:b:c', ':80', '', ' , x', 'a.example, b.example', 'a.example ,b'),
      fc.string({ unit: fc.constantFrom('a', '.', ':', '[', ']', ',', ' ', '1') }),
    );
    fc.assert(
      fc.property(
        fc.option(headerValue, { nil: undefined }),
        fc.option(headerValue, { nil: undefined }),
        fc.constantFrom<boolean | number | string>(false, true, 1, 2, 'loopback', '10.0.0.0/8'),
        fc.constantFrom('127.0.0.1', '10.1.2.3', '203.0.113.9', '::1'),
        (host, forwarded, trust, peer) => {
          const headers: Record<string, string> = {};
          if (host !== undefined) headers.host = host;
          if (forwarded !== undefined) headers['x-forwarded-host'] = forwarded;
          expect(ours(trust, headers, peer)).toBe(expressHostname(trust, headers, peer));
        },
      ),
      { numRuns: 500 },
    );
  });
});
