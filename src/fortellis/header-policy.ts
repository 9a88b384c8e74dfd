/**
 * Which request headers a browser may pass through the proxy. A short fixed list, plus the ones an operator
 * names in PROXY_FORWARD_HEADERS (some Fortellis APIs want their own, e.g. CDK's `Department-Id`); never
 * the ones the proxy sets itself, the browser's credentials, or hop-by-hop headers (RFC 9110 §7.6.1).
 */

/** Forwarded whatever the configuration says: what a JSON API client legitimately sends. */
export const DEFAULT_FORWARDED_HEADERS = ['accept', 'accept-language', 'content-type', 'if-match', 'if-none-match', 'prefer'] as const;

/** Hop-by-hop headers (RFC 9110 §7.6.1, plus the legacy ones RFC 9112 and proxies know): they describe one connection. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate'];

/**
 * Names that must never come from the browser: the proxy sets Authorization, Subscription-Id, Request-Id,
 * Host and Content-Length itself; Cookie and X-CSRF-Token are the browser's credentials for this app; the
 * proxy reads the browser's whole body before it sends anything, so `Expect: 100-continue` means nothing
 * upstream (and undici refuses it).
 */
const RESERVED = ['authorization', 'cookie', 'subscription-id', 'request-id', 'host', 'content-length', 'x-csrf-token', 'expect', ...HOP_BY_HOP];

// RFC 9110 §5.6.2 token characters.
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * Parses PROXY_FORWARD_HEADERS (comma-separated header names, any case) into lower-case names. Throws an
 * Error naming every refused entry, for the configuration message.
 */
export function parseForwardHeaders(value: string): string[] {
  const names = value
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const problems: string[] = [];
  for (const name of names) {
    if (!TOKEN.test(name)) problems.push(`"${name}" is not a header name`);
    else if (RESERVED.includes(name)) problems.push(`"${name}" may not be forwarded (the proxy sets it, it is a credential, or it is hop-by-hop)`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return [...new Set(names)];
}

/** The full list the proxy copies from the browser's request: the defaults and the configured extras. */
export function forwardedRequestHeaders(extra: readonly string[]): readonly string[] {
  return [...new Set([...DEFAULT_FORWARDED_HEADERS, ...extra])];
}

/**
 * Header names the browser's `Connection` header nominates as hop-by-hop (RFC 9110 §7.6.1: a proxy must
 * not forward them), or undefined when it nominates none. `keep-alive` and `close`, what browsers send,
 * cost nothing to look at.
 */
export function connectionNominated(connection: string | undefined): ReadonlySet<string> | undefined {
  if (connection === undefined || connection === 'keep-alive' || connection === 'close') return undefined;
  const names = new Set<string>();
  for (const part of connection.split(',')) {
    const name = part.trim().toLowerCase();
    if (name !== '' && name !== 'keep-alive' && name !== 'close') names.add(name);
  }
  return names.size > 0 ? names : undefined;
}
