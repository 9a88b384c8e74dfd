import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Client authentication at the token endpoint: HTTP Basic, or `client_id` / `client_secret` as request
 * parameters. Basic is read both ways found in the wild, since Okta (Fortellis' identity server) takes both:
 * - RFC 6749 §2.3.1: id and secret each form-urlencoded, then joined with `:` and base64-encoded;
 * - Fortellis' docs ("Base64 encode `{apiKey}:{apiSecret}`"), the pair as it is, with no urlencoding
 *   (https://docs.fortellis.io/docs/general/making-calls/authorizing-requests/).
 * For credentials of letters, digits, `-`, `_`, `.` and `*` (every key and secret Fortellis issues) the two
 * are the same bytes; they differ only for `:`, `%`, `+`, spaces and non-ASCII, where the simulator tries
 * both readings. Pure functions over strings, so every encoding corner is unit-testable.
 */

/** One reading of the id and secret a client sent. */
export interface CredentialPair {
  clientId: string;
  clientSecret: string;
}

export interface ClientCredentials {
  /** Every reading of what the client sent (Basic: the RFC 6749 one first, then the raw one). */
  readings: CredentialPair[];
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

/** The `Authorization` header value of RFC 6749 §2.3.1: `Basic base64(enc(id) ":" enc(secret))`. */
export function basicAuthorizationHeader(clientId: string, clientSecret: string): string {
  const pair = `${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Decodes a Basic `Authorization` header: base64, split at the *first* colon (an API key has none, raw or
 * encoded; the secret may), then both readings of the halves: form-url-decoded (RFC 6749 §2.3.1; absent
 * when a half is not valid form-urlencoding, e.g. a raw `100%`) and as sent (Fortellis' docs). Identical
 * readings are given once.
 */
export function decodeBasicCredentials(authorization: string): CredentialPair[] | undefined {
  const match = /^Basic[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (!match || !BASE64.test(match[1])) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  const raw = { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
  const clientId = formUrlDecode(raw.clientId);
  const clientSecret = formUrlDecode(raw.clientSecret);
  const readings: CredentialPair[] = [];
  if (clientId !== undefined && clientId !== '' && clientSecret !== undefined) readings.push({ clientId, clientSecret });
  if (!readings.some((reading) => reading.clientId === raw.clientId && reading.clientSecret === raw.clientSecret)) readings.push(raw);
  return readings;
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
    const readings = decodeBasicCredentials(authorization);
    if (!readings) {
      return {
        ok: false,
        error: 'invalid_client',
        description: 'The Authorization header must be "Basic base64(client_id:client_secret)".',
      };
    }
    return { ok: true, credentials: { readings, method: 'client_secret_basic' } };
  }
  const { client_id: clientId, client_secret: clientSecret } = params;
  if (typeof clientId === 'string' && clientId !== '' && typeof clientSecret === 'string') {
    return { ok: true, credentials: { readings: [{ clientId, clientSecret }], method: 'client_secret_post' } };
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

/**
 * True when some reading has both the id and the secret right. Every reading is compared, and both halves
 * of each, so the time taken says nothing about which part was wrong.
 */
export function clientMatches(credentials: Pick<ClientCredentials, 'readings'>, expected: CredentialPair): boolean {
  let matched = false;
  for (const reading of credentials.readings) {
    const idMatches = secretsEqual(reading.clientId, expected.clientId);
    const secretMatches = secretsEqual(reading.clientSecret, expected.clientSecret);
    matched = (idMatches && secretMatches) || matched;
  }
  return matched;
}
