import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { clientMatches, readClientCredentials } from './client-auth';
import { CLIENT_CREDENTIALS_SCOPE } from '../core/simulator-contract';
import { sendTokenError } from './oauth-errors';
import type { StatsRecorder } from './stats';
import type { TokenService } from './token-service';

export interface IdentityRouterDependencies {
  client: { clientId: string; clientSecret: string };
  tokens: TokenService;
  stats: StatsRecorder;
  /** Runs before the token endpoint handles a request (the simulator's token faults). */
  tokenFaults: express.RequestHandler;
}

/**
 * `POST {issuer}/v1/token` (client credentials) and `GET {issuer}/v1/keys` (JWKS), as Fortellis' Okta
 * serves them. Mounted at the identity path.
 */
export function createIdentityRouter(deps: IdentityRouterDependencies): Router {
  const router = Router();

  router.post(
    '/token',
    (_req, _res, next) => {
      // Counted before anything can fail, so tests see every attempt the app made.
      deps.stats.countTokenRequest();
      next();
    },
    deps.tokenFaults,
    express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 20 }),
    async (req: Request, res: Response) => {
      const params = tokenRequestParameters(req);
      const client = readClientCredentials(req.get('authorization'), params);
      if (!client.ok) {
        const status = client.error === 'invalid_client' ? 401 : 400;
        return sendTokenError(res, status, client.error, client.description);
      }
      if (!clientMatches(client.credentials, deps.client)) {
        return sendTokenError(res, 401, 'invalid_client', 'Client authentication failed.');
      }
      const grantType = params.grant_type;
      if (typeof grantType !== 'string' || grantType === '') {
        return sendTokenError(res, 400, 'invalid_request', 'The request has no grant_type.');
      }
      if (grantType !== 'client_credentials') {
        const description = `The grant type "${grantType}" is not supported here; use client_credentials.`;
        return sendTokenError(res, 400, 'unsupported_grant_type', description);
      }
      const scope = params.scope;
      if (typeof scope !== 'string' || scope.trim() === '') {
        const description = `The request has no scope; the client-credentials flow needs scope=${CLIENT_CREDENTIALS_SCOPE}.`;
        return sendTokenError(res, 400, 'invalid_scope', description);
      }
      if (scope !== CLIENT_CREDENTIALS_SCOPE) {
        const description = `The requested scope is invalid; only "${CLIENT_CREDENTIALS_SCOPE}" is allowed.`;
        return sendTokenError(res, 400, 'invalid_scope', description);
      }
      const issued = await deps.tokens.issueClientCredentialsToken(deps.client.clientId);
      deps.stats.countTokenIssued();
      res
        .status(200)
        .set('Cache-Control', 'no-store')
        .set('Pragma', 'no-cache')
        .json({
          token_type: 'Bearer',
          expires_in: issued.expiresIn,
          access_token: issued.accessToken,
          scope: CLIENT_CREDENTIALS_SCOPE,
        });
    },
  );

  router.get('/keys', (_req, res) => {
    deps.stats.countKeysRequest();
    res.set('Cache-Control', 'public, max-age=300').json(deps.tokens.jwks());
  });

  // Body-parser failures (oversized or undecodable form) answer in the token endpoint's error shape.
  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status !== 'number' || status < 400 || status >= 500) return next(error);
    sendTokenError(res, status, 'invalid_request', 'The request body could not be read as a form.');
  });

  return router;
}

/**
 * The token request's parameters: the form body, or the query string when the body is empty (some
 * Fortellis sample apps send everything as query parameters with an empty POST body).
 */
function tokenRequestParameters(req: Request): Record<string, unknown> {
  const body = req.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object' && Object.keys(body).length > 0) return body;
  return req.query as Record<string, unknown>;
}
