/**
 * Which upstream paths the proxy may call. The upstream URL is always FORTELLIS_API_BASE_URL followed by a
 * path this module has decoded, checked segment by segment and re-encoded, so nothing a browser sends can
 * point the proxy at another host or climb out of the base path (OWASP SSRF prevention cheat sheet).
 */

export type PathProblem =
  | 'malformed-encoding'
  | 'dot-segment'
  | 'empty-segment'
  | 'encoded-separator'
  | 'forbidden-character'
  | 'not-absolute'
  | 'bad-query';

export class PathRejectedError extends Error {
  constructor(readonly problem: PathProblem, message: string) {
    super(message);
    this.name = 'PathRejectedError';
  }
}

export interface NormalisedTarget {
  /** Canonical path, starts with `/`, each segment percent-encoded by us. */
  path: string;
  /** Query string including the leading `?`, or ''. */
  search: string;
}

// Control characters (CR and LF among them), DEL, backslash and `@` have no business in an API path.
const FORBIDDEN_IN_SEGMENT = /[\u0000-\u001f\u007f\\@]/;
// What Node's http client would otherwise refuse (or a header-splitting attempt): printable ASCII only.
const SAFE_QUERY = /^[\u0021-\u007e]*$/;

function reject(problem: PathProblem, message: string): never {
  throw new PathRejectedError(problem, message);
}

function decodeSegment(raw: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return reject('malformed-encoding', 'The path has a malformed percent-encoding.');
  }
  // A `%` left after one decoding is a double encoding (`%252e`): some layer would decode it again.
  if (decoded.includes('%')) reject('encoded-separator', 'The path is encoded twice.');
  if (decoded.includes('/')) reject('encoded-separator', 'The path contains an encoded slash.');
  if (FORBIDDEN_IN_SEGMENT.test(decoded)) {
    reject('forbidden-character', 'The path contains a character that is not allowed (control character, backslash or @).');
  }
  if (decoded === '.' || decoded === '..') reject('dot-segment', 'The path contains a "." or ".." segment.');
  return decoded;
}

/**
 * Turns the part of the browser's URL after `/api/fortellis` into a safe upstream path and query.
 * Throws PathRejectedError for anything that is not a plain, absolute, canonical path.
 */
export function normaliseProxyTarget(rawTarget: string): NormalisedTarget {
  const queryStart = rawTarget.indexOf('?');
  const rawPath = queryStart === -1 ? rawTarget : rawTarget.slice(0, queryStart);
  const search = queryStart === -1 ? '' : rawTarget.slice(queryStart);

  if (!rawPath.startsWith('/') || rawPath === '/') reject('not-absolute', 'Name an API path after /api/fortellis/.');
  if (!SAFE_QUERY.test(search) || search.includes('#')) reject('bad-query', 'The query string contains characters that are not allowed.');

  const rawSegments = rawPath.slice(1).split('/');
  const encoded: string[] = [];
  for (const [index, raw] of rawSegments.entries()) {
    const last = index === rawSegments.length - 1;
    // A trailing slash is meaningful to Fortellis (`/appointments/`); any other empty segment could turn
    // into `//host` somewhere down the line.
    if (raw === '') {
      if (last && index > 0) {
        encoded.push('');
        continue;
      }
      reject('empty-segment', 'The path contains an empty segment (//).');
    }
    encoded.push(encodeURIComponent(decodeSegment(raw)));
  }
  return { path: `/${encoded.join('/')}`, search: search === '?' ? '' : search };
}

export interface PathRule {
  /** Upper-case methods, or null for any method. */
  methods: ReadonlySet<string> | null;
  /** Canonical path prefix, matched on whole segments. */
  prefix: string;
}

const METHOD = /^[A-Z]+$/;

/**
 * Parses PROXY_ALLOWED_PATHS: comma-separated entries, each `[METHOD|METHOD ]/path/prefix`, e.g.
 * `GET /sales/inventory/v1/, GET|POST|DELETE /service/v3/appointments/`.
 */
export function parseAllowedPaths(value: string): PathRule[] {
  const rules: PathRule[] = [];
  for (const entry of value.split(',').map((e) => e.trim()).filter(Boolean)) {
    const parts = entry.split(/\s+/);
    if (parts.length > 2) throw new Error(`entry "${entry}" must be "[METHODS ]/prefix"`);
    const rawPrefix = parts[parts.length - 1]!;
    const methods = parts.length === 2 ? parts[0]!.toUpperCase().split('|') : null;
    if (methods && !methods.every((m) => METHOD.test(m))) throw new Error(`entry "${entry}" has a bad method list`);
    let prefix: string;
    try {
      prefix = normaliseProxyTarget(rawPrefix).path;
    } catch (error) {
      throw new Error(`entry "${entry}" has a bad path: ${(error as Error).message}`);
    }
    if (rawPrefix.includes('?')) throw new Error(`entry "${entry}" must not have a query string`);
    rules.push({ methods: methods ? new Set(methods) : null, prefix });
  }
  if (rules.length === 0) throw new Error('is set but has no entries');
  return rules;
}

function underPrefix(path: string, prefix: string): boolean {
  if (path === prefix) return true;
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return path.startsWith(base) || path === base.slice(0, -1);
}

/** True when no allowlist is configured, or some rule allows this method on this canonical path. */
export function isAllowed(rules: readonly PathRule[] | null, method: string, path: string): boolean {
  if (rules === null) return true;
  return rules.some((rule) => (rule.methods === null || rule.methods.has(method)) && underPrefix(path, rule.prefix));
}
