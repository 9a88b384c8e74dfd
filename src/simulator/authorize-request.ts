/**
 * Validation of an implicit-flow authorization request (RFC 6749 §4.2.1; OpenID Connect Core §3.2.2.1 for
 * `response_type=id_token token` and `id_token`, and its `nonce`),
 * as a pure function. The order matters: only once `client_id` and `redirect_uri` are known good may an
 * error be sent back to `redirect_uri`; before that, redirecting would make the server an open redirector
 * (RFC 6749 §4.2.2.1, §10.15), so the user sees an error page instead.
 */

export interface AuthorizeSettings {
  clientId: string;
  redirectUris: readonly string[];
}

/**
 * The implicit response types: the seed tutorial's `token` (an access token only) and OpenID Connect's
 * `id_token token` (an ID token, which carries the nonce, beside it) and `id_token`. Okta serves all three.
 */
export type ImplicitResponseType = 'token' | 'id_token token' | 'id_token';

/** A request that passed every check; `state` is optional in RFC 6749 and echoed only when sent. */
export interface ValidAuthorizeRequest {
  clientId: string;
  /** Normalised: the space-separated values in this order, whatever order the client sent. */
  responseType: ImplicitResponseType;
  scope: string;
  redirectUri: string;
  nonce: string;
  state?: string;
}

export type AuthorizeCheck =
  | { kind: 'valid'; request: ValidAuthorizeRequest }
  | { kind: 'error-page'; description: string }
  | { kind: 'error-redirect'; redirectUri: string; error: string; description: string; state?: string };

/** The request parameters the sign-in form carries along in hidden fields. */
export const AUTHORIZE_PARAMETERS = ['client_id', 'response_type', 'scope', 'redirect_uri', 'state', 'nonce'] as const;

/** One parameter's value if it was sent exactly once; a repeated parameter is treated as absent. */
function single(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' ? value : undefined;
}

/** Checks an authorization request's parameters (from the query string or the sign-in form). */
export function checkAuthorizeRequest(params: Record<string, unknown>, settings: AuthorizeSettings): AuthorizeCheck {
  const clientId = single(params, 'client_id');
  if (!clientId) return { kind: 'error-page', description: 'The request has no client_id.' };
  if (clientId !== settings.clientId) {
    return { kind: 'error-page', description: 'The client_id is not registered with this identity server.' };
  }
  const redirectUri = single(params, 'redirect_uri');
  if (!redirectUri) return { kind: 'error-page', description: 'The request has no redirect_uri.' };
  if (!settings.redirectUris.includes(redirectUri)) {
    return {
      kind: 'error-page',
      description: "The redirect_uri is not one of the app's registered callback URLs (they must match exactly).",
    };
  }
  const state = single(params, 'state');
  const fail = (error: string, description: string): AuthorizeCheck => ({
    kind: 'error-redirect',
    redirectUri,
    error,
    description,
    ...(state !== undefined ? { state } : {}),
  });
  const rawResponseType = single(params, 'response_type');
  if (!rawResponseType) return fail('invalid_request', 'The request has no response_type.');
  const responseType = implicitResponseType(rawResponseType);
  if (!responseType) {
    return fail('unsupported_response_type', 'Only the implicit flow is supported here: response_type=token, "id_token token" or id_token.');
  }
  const scope = single(params, 'scope');
  if (!scope || !scope.split(' ').includes('openid')) {
    return fail('invalid_scope', 'The scope must include openid.');
  }
  const nonce = single(params, 'nonce');
  if (!nonce) return fail('invalid_request', `The request has no nonce; one is required for response_type=${responseType}.`);
  return {
    kind: 'valid',
    request: {
      clientId,
      responseType,
      scope,
      redirectUri,
      nonce,
      ...(state !== undefined ? { state } : {}),
    },
  };
}

/** The response type in its normal order (OIDC lets the values come in any order), or undefined. */
function implicitResponseType(value: string): ImplicitResponseType | undefined {
  const values = value.split(' ').filter((part) => part !== '').sort();
  const key = values.join(' ');
  if (key === 'token') return 'token';
  if (key === 'id_token') return 'id_token';
  if (key === 'id_token token') return 'id_token token';
  return undefined;
}

/**
 * `redirect_uri#k=v&...` with the values form-urlencoded by URLSearchParams, so that the client can read
 * the fragment back with `new URLSearchParams(location.hash.slice(1))`. Undefined values are left out.
 */
export function fragmentRedirect(redirectUri: string, values: Record<string, string | undefined>): string {
  const fragment = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== undefined) fragment.append(name, value);
  return `${redirectUri}#${fragment.toString()}`;
}
