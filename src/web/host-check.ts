import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { AppError } from '../core/errors';

/**
 * Refuses requests whose Host is not one of the app's own names: the defence against DNS rebinding, where a
 * page on attacker.example re-points its name at this server and then talks to it from the victim's browser
 * as a same-origin page (the browser sends `Host: attacker.example`). Only the name is compared, not the port:
 * rebinding changes the name, and a proxy may or may not keep the port.
 *
 * Behind a trusted proxy (TRUST_PROXY) the name is read from X-Forwarded-Host, which that proxy sets, as Express does.
 */

const misdirected = () =>
  new AppError({
    status: 421,
    code: 'unknown-host',
    title: 'Unknown host',
    detail: 'This server does not answer for the host name in this request. Open the app at its own address.',
  });

/**
 * Middleware: 421 Misdirected Request (RFC 9110 §15.5.20) for a Host the app does not answer for. The host
 * name is read by requestHostname, as the API's route reads it, so both apply one rule.
 */
export function requireKnownHost(allowed: string[], trust: TrustProxy): RequestHandler {
  const names = new Set(allowed);
  return (req, _res, next) => next(hostRefusal(names, requestHostname(req, trust)));
}

/**
 * The 421 for a request whose host name (requestHostname: without the port, IPv6 brackets kept,
 * X-Forwarded-Host behind a trusted proxy) is not one of `names`; an absent or empty Host is refused too.
 */
export function hostRefusal(names: ReadonlySet<string>, hostname: string | undefined): AppError | undefined {
  const name = hostname?.toLowerCase();
  return name && names.has(name) ? undefined : misdirected();
}

/** Express' compiled "trust proxy" setting (`app.get('trust proxy fn')`): whether the hop at `address` is trusted. */
export type TrustProxy = (address: string | undefined, hop: number) => boolean;

/**
 * Express' `req.hostname`, for requests that are Express objects or not (the API's route runs on Node's own,
 * src/web/api-proxy-route.ts): X-Forwarded-Host (its first value) when the socket's peer is a trusted proxy,
 * else Host; without the port, IPv6 brackets kept. test/unit/host-check.test.ts holds it to Express' getter.
 */
export function requestHostname(req: IncomingMessage, trust: TrustProxy): string | undefined {
  // Node joins a repeated X-Forwarded-Host into one string (it is no header Node keeps as a list).
  let host = req.headers['x-forwarded-host'] as string | undefined;
  if (!host || !trust(req.socket.remoteAddress, 0)) {
    host = req.headers.host;
  } else {
    const comma = host.indexOf(',');
    if (comma !== -1) host = host.slice(0, comma).trimEnd();
  }
  if (!host) return undefined;
  const offset = host.charCodeAt(0) === 0x5b /* [ */ ? host.indexOf(']') + 1 : 0;
  const colon = host.indexOf(':', offset);
  return colon === -1 ? host : host.slice(0, colon);
}
