import type { Response } from 'express';

/** OAuth 2.0 error codes the simulated Okta token and authorize endpoints use (RFC 6749 §4.2.2.1, §5.2). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable';

/**
 * Sends an RFC 6749 §5.2 error from the token endpoint. Token responses must never be cached
 * (§5.1), errors included; a 401 names the Basic scheme the client should authenticate with (§5.2).
 */
export function sendTokenError(res: Response, status: number, error: string, description: string): void {
  res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache');
  if (status === 401) res.set('WWW-Authenticate', 'Basic realm="Fortellis simulator"');
  res.status(status).json({ error, error_description: description });
}
