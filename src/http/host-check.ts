import type { RequestHandler } from 'express';
import { AppError } from './errors';

/**
 * Refuses requests whose Host is not one of the app's own names: the defence against DNS rebinding, where a
 * page on attacker.example re-points its name at this server and then talks to it from the victim's browser
 * as a same-origin page (the browser sends `Host: attacker.example`). Only the name is compared, not the port:
 * rebinding changes the name, and a proxy may or may not keep the port.
 *
 * Behind a trusted proxy (TRUST_PROXY) Express reads the name from X-Forwarded-Host, which that proxy sets.
 */

const LOCAL_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

/** The names a request may use: PUBLIC_URL's, the extra ones configured, and loopback names when asked. */
export function allowedHostNames(options: { publicUrl: string; extra: string[]; allowLocal: boolean }): string[] {
  const names = new Set([new URL(options.publicUrl).hostname.toLowerCase(), ...options.extra.map((name) => name.toLowerCase())]);
  if (options.allowLocal) for (const name of LOCAL_NAMES) names.add(name);
  return [...names];
}

/** Parses ALLOWED_HOSTS: a comma list of host names (no scheme, no port, no path). */
export function parseAllowedHosts(value: string): string[] {
  const names = value.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  const bad = names.filter((name) => !/^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(name));
  if (bad.length > 0) throw new Error(`must be a comma list of host names without scheme or port (not ${bad.map((name) => JSON.stringify(name)).join(', ')})`);
  return names;
}

const misdirected = () =>
  new AppError({
    status: 421,
    code: 'unknown-host',
    title: 'Unknown host',
    detail: 'This server does not answer for the host name in this request. Open the app at its own address.',
  });

/** Middleware: 421 Misdirected Request (RFC 9110 §15.5.20) for a Host the app does not answer for. */
export function requireKnownHost(allowed: string[]): RequestHandler {
  const names = new Set(allowed);
  return (req, _res, next) => next(hostRefusal(names, req.hostname));
}

/**
 * The 421 for a request whose host name (Express' `req.hostname`: without the port, IPv6 brackets kept,
 * X-Forwarded-Host behind a trusted proxy) is not one of `names`; an absent or empty Host is refused too.
 */
export function hostRefusal(names: ReadonlySet<string>, hostname: string | undefined): AppError | undefined {
  const name = hostname?.toLowerCase();
  return name && names.has(name) ? undefined : misdirected();
}
