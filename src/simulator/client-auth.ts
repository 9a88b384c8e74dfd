import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Client authentication at the token endpoint (RFC 6749 §2.3.1): HTTP Basic with the id and secret
 * form-urlencoded *before* base64, or `client_id` / `client_secret` as request parameters. Pure functions
 * over strings, so every encoding corner (`:`, `%`, `+`, non-ASCII) is unit-testable.
 */

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  /** How the client sent them; Basic is what Fortellis documents and the app uses. */
  method: 'client_secret_basic' | 'client_secret_post';
}

export type ClientCredentialsResult =
  | { ok: true; credentials: ClientCredentials }
  | { ok: false; error: 'invalid_client' | 'invalid_request'; description: string };

/** `application/x-www-form-urlencoded` encoding of one value (space becomes `+`). */
export function formUrlEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/**
 * Decodes one `application/x-www-form-urlencoded` value: `+` is a space, `%XX` are UTF-8 bytes.
 * Returns undefined for a malformed percent sequence instead of guessing.
 */
export function formUrlDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The `Authorization` header value a correct client sends: `Basic base64(enc(id) ":" enc(secret))`. */
export function basicAuthorizationHeader(clientId: string, clientSecret: string): string {
  const pair = `${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Decodes a Basic `Authorization` header per RFC 6749 §2.3.1: base64, split at the *first* colon (the
 * id cannot contain one once encoded; the secret may), then form-url-decode each half.
 */
export function decodeBasicCredentials(
  authorization: string,
): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (!match || !BASE64.test(match[1])) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const clientId = formUrlDecode(decoded.slice(0, colon));
  const clientSecret = formUrlDecode(decoded.slice(colon + 1));
  if (clientId === undefined || clientSecret === undefined || clientId === '') return undefined;
  return { clientId, clientSecret };
}

/**
 * Finds the client's credentials in the `Authorization` header or the request parameters. Using both
 * ways at once is refused, as RFC 6749 §2.3 requires ("MUST NOT use more than one authentication method").
 */
export function readClientCredentials(
  authorization: string | undefined,
  params: { client_id?: unknown; client_secret?: unknown },
): ClientCredentialsResult {
  if (authorization !== undefined && authorization !== '') {
    if (params.client_secret !== undefined) {
      return {
        ok: false,
        error: 'invalid_request',
        description: 'Use either HTTP Basic authentication or client_secret in the request, not both.',
      };
    }
    const basic = decodeBasicCredentials(authorization);
    if (!basic) {
      return {
        ok: false,
        error: 'invalid_client',
        description:
          'The Authorization header must be "Basic base64(urlencode(client_id):urlencode(client_secret))".',
      };
    }
    return { ok: true, credentials: { ...basic, method: 'client_secret_basic' } };
  }
  const { client_id: clientId, client_secret: clientSecret } = params;
  if (typeof clientId === 'string' && clientId !== '' && typeof clientSecret === 'string') {
    return { ok: true, credentials: { clientId, clientSecret, method: 'client_secret_post' } };
  }
  return {
    ok: false,
    error: 'invalid_client',
    description: 'Client authentication is required: send the API key and secret with HTTP Basic.',
  };
}

/**
 * Compares two secrets in time independent of where they differ. Hashing first gives both sides the
 * same length, which `timingSafeEqual` needs, without revealing the expected length.
 */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** True when both the id and the secret match; both are always compared. */
export function clientMatches(
  credentials: Pick<ClientCredentials, 'clientId' | 'clientSecret'>,
  expected: { clientId: string; clientSecret: string },
): boolean {
  const idMatches = secretsEqual(credentials.clientId, expected.clientId);
  const secretMatches = secretsEqual(credentials.clientSecret, expected.clientSecret);
  return idMatches && secretMatches;
}
