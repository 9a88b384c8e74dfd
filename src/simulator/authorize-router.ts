import express, { Router, type Request, type Response } from 'express';
import { renderAuthorizeErrorPage, renderSignInPage } from './authorize-pages';
import {
  AUTHORIZE_PARAMETERS,
  checkAuthorizeRequest,
  fragmentRedirect,
  type AuthorizeSettings,
  type ValidAuthorizeRequest,
} from './authorize-request';
import { secretsEqual } from './client-auth';
import { SIMULATOR_DEMO_ACCOUNT, SIMULATOR_IDENTITY_PATH } from '../core/simulator-contract';
import type { StatsRecorder } from './stats';
import type { TokenService } from './token-service';

export interface AuthorizeRouterDependencies {
  settings: AuthorizeSettings;
  tokens: TokenService;
  stats: StatsRecorder;
}

/**
 * `GET|POST {issuer}/v1/authorize`: the implicit flow of the seed tutorial, with a simulated Fortellis
 * account signing in. Mounted at the identity path; kept only for the implicit-flow demo page.
 */
export function createAuthorizeRouter(deps: AuthorizeRouterDependencies): Router {
  const router = Router();
  const action = `${SIMULATOR_IDENTITY_PATH}/authorize`;

  router.get('/authorize', (req, res) => {
    deps.stats.countAuthorizeRequest();
    const check = checkAuthorizeRequest(req.query as Record<string, unknown>, deps.settings);
    if (check.kind === 'error-page') return sendPage(res, 400, renderAuthorizeErrorPage(check.description));
    if (check.kind === 'error-redirect') return redirectWithError(res, check);
    sendPage(res, 200, renderSignInPage({ action, hiddenFields: hiddenFieldsOf(check.request) }), check.request);
  });

  const form = express.urlencoded({ extended: false, limit: '8kb' });
  router.post('/authorize', form, async (req: Request, res: Response) => {
    deps.stats.countAuthorizeRequest();
    const fields = (req.body ?? {}) as Record<string, unknown>;
    // The hidden fields came back from the browser: check them exactly as on the first request.
    const check = checkAuthorizeRequest(fields, deps.settings);
    if (check.kind === 'error-page') return sendPage(res, 400, renderAuthorizeErrorPage(check.description));
    if (check.kind === 'error-redirect') return redirectWithError(res, check);
    const username = typeof fields.username === 'string' ? fields.username.trim() : '';
    const password = typeof fields.password === 'string' ? fields.password : '';
    if (!accountMatches(username, password)) {
      const page = renderSignInPage({
        action,
        hiddenFields: hiddenFieldsOf(check.request),
        username,
        error: 'The e-mail address or password is not correct.',
      });
      return sendPage(res, 401, page, check.request);
    }
    noStore(res);
    res.redirect(302, fragmentRedirect(check.request.redirectUri, await implicitResponse(deps.tokens, check.request)));
    deps.stats.countTokenIssued();
  });

  return router;
}

/**
 * The fragment's values for a signed-in user: the access token for `token`, the ID token for `id_token`,
 * both for `id_token token` (the ID token then carries the access token's hash). The nonce is in the ID
 * token only, as in Okta: Fortellis' implicit-flow access tokens carry none.
 */
async function implicitResponse(tokens: TokenService, request: ValidAuthorizeRequest): Promise<Record<string, string | undefined>> {
  const user = { clientId: request.clientId, email: SIMULATOR_DEMO_ACCOUNT.email };
  const wantsAccessToken = request.responseType !== 'id_token';
  const wantsIdToken = request.responseType !== 'token';
  const access = wantsAccessToken ? await tokens.issueImplicitToken(user) : undefined;
  const idToken = wantsIdToken ? await tokens.issueIdToken({ ...user, nonce: request.nonce, accessToken: access?.accessToken }) : undefined;
  return {
    access_token: access?.accessToken,
    token_type: access ? 'Bearer' : undefined,
    expires_in: access ? String(access.expiresIn) : undefined,
    scope: 'openid',
    id_token: idToken,
    state: request.state,
  };
}

/** E-mail addresses are case-insensitive at sign-in, as Okta treats them; the password is not. */
function accountMatches(username: string, password: string): boolean {
  const emailMatches = secretsEqual(username.toLowerCase(), SIMULATOR_DEMO_ACCOUNT.email);
  const passwordMatches = secretsEqual(password, SIMULATOR_DEMO_ACCOUNT.password);
  return emailMatches && passwordMatches;
}

function hiddenFieldsOf(request: ValidAuthorizeRequest): Record<string, string> {
  const values: Record<(typeof AUTHORIZE_PARAMETERS)[number], string | undefined> = {
    client_id: request.clientId,
    response_type: request.responseType,
    scope: request.scope,
    redirect_uri: request.redirectUri,
    state: request.state,
    nonce: request.nonce,
  };
  const fields: Record<string, string> = {};
  for (const name of AUTHORIZE_PARAMETERS) {
    const value = values[name];
    if (value !== undefined) fields[name] = value;
  }
  return fields;
}

function redirectWithError(
  res: Response,
  check: { redirectUri: string; error: string; description: string; state?: string },
): void {
  noStore(res);
  res.redirect(
    302,
    fragmentRedirect(check.redirectUri, {
      error: check.error,
      error_description: check.description,
      state: check.state,
    }),
  );
}

function noStore(res: Response): void {
  res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache');
}

/**
 * Sends a page under a strict CSP. `form-action` must also name the redirect URI's origin: Chromium
 * applies `form-action` to the redirects that follow a form submission, so 'self' alone would block the
 * final hop back to the app.
 */
function sendPage(res: Response, status: number, body: string, request?: ValidAuthorizeRequest): void {
  const formTargets = ["'self'"];
  const redirectOrigin = request ? originOf(request.redirectUri) : undefined;
  if (redirectOrigin) formTargets.push(redirectOrigin);
  const csp = [
    "default-src 'none'",
    "style-src 'self'",
    `form-action ${request ? formTargets.join(' ') : "'none'"}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  noStore(res);
  res
    .status(status)
    .set('Content-Security-Policy', csp)
    .set('X-Content-Type-Options', 'nosniff')
    .set('Referrer-Policy', 'no-referrer')
    .type('html')
    .send(body);
}

/** The origin of an http(s) URL, or undefined (a custom scheme has no origin a CSP can name). */
function originOf(uri: string): string | undefined {
  try {
    const origin = new URL(uri).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}
