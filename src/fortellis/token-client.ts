import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import { AppError } from '../core/errors';

/**
 * The client-credentials token request (RFC 6749 §4.4) exactly as Fortellis' Okta-based identity server
 * expects it (see shared/FORTELLIS.md), split into a request half and a parse half.
 */

export interface TokenRequestSettings {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  timeoutMs: number;
}

export interface AccessToken {
  value: string;
  /** When the token endpoint says it stops working (ms since epoch, by the app's clock). */
  expiresAt: number;
  obtainedAt: number;
  scope: string;
}

/**
 * The token endpoint could not give us a token. `transient` errors (timeouts, 5xx, 429) may pass on their
 * own; the others need an operator (a wrong key or secret, a wrong scope).
 */
export class TokenEndpointError extends AppError {
  constructor(
    readonly transient: boolean,
    options: { oauthError?: string; logDetail: string; detail: string; cause?: unknown; retryAfterSeconds?: number },
  ) {
    super({
      status: transient ? 503 : 502,
      code: transient ? 'token-endpoint-unavailable' : 'token-request-rejected',
      title: transient ? 'Fortellis sign-in service unavailable' : 'Fortellis refused the app’s credentials',
      detail: options.detail,
      logDetail: options.logDetail,
      retryAfterSeconds: options.retryAfterSeconds,
      cause: options.cause,
    });
    this.oauthError = options.oauthError;
  }

  readonly oauthError: string | undefined;

  /** The same failure, telling clients when to come back (transient failures only). */
  withRetryAfter(seconds: number): TokenEndpointError {
    if (!this.transient) return this;
    return new TokenEndpointError(true, {
      oauthError: this.oauthError,
      logDetail: this.logDetail ?? this.title,
      detail: this.detail ?? this.title,
      cause: this.cause,
      retryAfterSeconds: Math.max(1, seconds),
    });
  }
}

/** `application/x-www-form-urlencoded` serialisation of one value (spaces become `+`). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/**
 * The HTTP Basic credentials for a client, per RFC 6749 §2.3.1: client id and secret are each
 * form-urlencoded before they are joined with `:` and base64-encoded.
 *
 * Why this form and not the docs' literal "Base64 encode `{apiKey}:{apiSecret}`"
 * (https://docs.fortellis.io/docs/general/making-calls/authorizing-requests/): for every key and secret
 * Fortellis issues (letters, digits, `-`, `_`) the two are the same bytes, so this *is* the docs' header.
 * They differ only for a secret holding `:`, `%`, `+`, a space or non-ASCII, and there the RFC form is the
 * one Fortellis' Okta identity server reads back exactly (it takes both forms; a raw `%41` or `+` would be
 * read as `A` or a space by the standard reading), and it keeps the header ASCII, where RFC 7617 leaves
 * the charset of a raw Basic pair undefined. https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`, 'utf8').toString('base64')}`;
}

export interface RawTokenResponse {
  status: number;
  data: unknown;
  headers?: Record<string, unknown>;
}

/** Sends the token request. Every HTTP status comes back as a response; only transport failures throw. */
export async function requestClientCredentialsToken(http: AxiosInstance, settings: TokenRequestSettings): Promise<RawTokenResponse> {
  const response = await http.post(settings.tokenUrl, new URLSearchParams({ grant_type: 'client_credentials', scope: settings.scope }).toString(), {
    headers: {
      Authorization: basicAuthorization(settings.clientId, settings.clientSecret),
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      'Cache-Control': 'no-cache',
    },
    timeout: settings.timeoutMs,
    maxRedirects: 0,
    validateStatus: () => true,
    responseType: 'json',
  });
  return { status: response.status, data: response.data, headers: response.headers as Record<string, unknown> };
}

const tokenSuccessSchema = z.object({
  token_type: z.string().refine((type) => type.toLowerCase() === 'bearer', 'token_type must be Bearer'),
  access_token: z.string().min(1),
  expires_in: z.coerce.number().int().positive(),
  scope: z.string().optional(),
});

// RFC 6749 §5.2 shape, and Okta's own `errorCode` / `errorSummary` shape.
const oauthErrorSchema = z.union([
  z.object({ error: z.string(), error_description: z.string().optional() }),
  z.object({ errorCode: z.string(), errorSummary: z.string().optional() }).transform((e) => ({ error: e.errorCode, error_description: e.errorSummary })),
]);

const REJECTION_ADVICE: Record<string, string> = {
  invalid_client: 'The Fortellis API key or secret is wrong. An administrator must check FORTELLIS_API_KEY and FORTELLIS_API_SECRET.',
  unauthorized_client: 'This Fortellis app may not use the client-credentials flow. An administrator must check the app in the Fortellis developer portal.',
  invalid_scope: 'The token endpoint refused the scope. FORTELLIS_SCOPE must be "anonymous" for the client-credentials flow.',
  unsupported_grant_type: 'The token endpoint does not accept the client-credentials grant. Check FORTELLIS_ISSUER.',
  invalid_grant: 'The token endpoint refused the grant. Check FORTELLIS_ISSUER and the app’s settings.',
};

function retryAfter(headers: Record<string, unknown> | undefined): number | undefined {
  const value = Number(headers?.['retry-after']);
  return Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined;
}

/** Turns the token endpoint's answer into a token, or a TokenEndpointError that says who must act. */
export function parseTokenResponse(response: RawTokenResponse, receivedAt: number, requestedScope: string): AccessToken {
  if (response.status === 200) {
    const parsed = tokenSuccessSchema.safeParse(response.data);
    if (parsed.success) {
      return {
        value: parsed.data.access_token,
        expiresAt: receivedAt + parsed.data.expires_in * 1000,
        obtainedAt: receivedAt,
        scope: parsed.data.scope ?? requestedScope,
      };
    }
    throw new TokenEndpointError(true, {
      detail: 'The Fortellis token endpoint answered with something that is not a token. Try again later.',
      logDetail: `token response did not parse: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    });
  }

  const oauthError = oauthErrorSchema.safeParse(response.data);
  const code = oauthError.success ? oauthError.data.error : undefined;
  const description = oauthError.success ? oauthError.data.error_description : undefined;
  const logDetail = `token endpoint answered ${response.status}${code ? ` ${code}` : ''}${description ? `: ${description}` : ''}`;

  const transient = response.status >= 500 || response.status === 429 || code === 'temporarily_unavailable' || code === 'server_error';
  if (transient) {
    throw transientTokenError(logDetail, retryAfter(response.headers));
  }
  throw new TokenEndpointError(false, {
    oauthError: code,
    logDetail,
    detail: (code && REJECTION_ADVICE[code]) ?? `The Fortellis token endpoint refused the token request (HTTP ${response.status}). An administrator must check the app's Fortellis settings.`,
  });
}

function transientTokenError(logDetail: string, retryAfterSeconds?: number, cause?: unknown): TokenEndpointError {
  return new TokenEndpointError(true, {
    logDetail,
    retryAfterSeconds,
    cause,
    detail: 'The Fortellis token endpoint is not answering right now. Try again in a moment.',
  });
}

/** Wraps transport failures (timeout, refused connection, DNS) as transient token errors. */
export function tokenTransportError(error: unknown): TokenEndpointError {
  const code = (error as { code?: string }).code;
  const what = code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? 'timed out' : `failed (${code ?? 'network error'})`;
  // Not the axios error itself as the cause: it holds the request's Authorization header (the API secret).
  return transientTokenError(`token request ${what}`, undefined, new Error(`token request ${what}`));
}

/** Request + parse: one client-credentials token, or a TokenEndpointError. */
export async function fetchClientCredentialsToken(http: AxiosInstance, settings: TokenRequestSettings, now: () => number): Promise<AccessToken> {
  let response: RawTokenResponse;
  try {
    response = await requestClientCredentialsToken(http, settings);
  } catch (error) {
    throw tokenTransportError(error);
  }
  return parseTokenResponse(response, now(), settings.scope);
}
