import { Router } from 'express';
import { CLIENT_CREDENTIALS_SCOPE } from '../core/simulator-contract';
import { SIGNING_ALGORITHM } from './token-service';

/**
 * The identity server's metadata, as Okta serves it for every custom authorization server (Fortellis'
 * among them) at `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4) and
 * `{issuer}/.well-known/oauth-authorization-server` (RFC 8414, at Okta's path): discovery-based clients
 * (openid-client, @okta/jwt-verifier, simple-oauth2 set up from metadata) find the endpoints and keys
 * without being told. It names only what the simulator really does.
 * https://openid.net/specs/openid-connect-discovery-1_0.html, https://www.rfc-editor.org/rfc/rfc8414
 */
export function authorizationServerMetadata(issuer: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/v1/authorize`,
    token_endpoint: `${issuer}/v1/token`,
    jwks_uri: `${issuer}/v1/keys`,
    response_types_supported: ['token', 'id_token', 'id_token token'],
    response_modes_supported: ['fragment'],
    grant_types_supported: ['client_credentials', 'implicit'],
    subject_types_supported: ['public'],
    scopes_supported: ['openid', CLIENT_CREDENTIALS_SCOPE],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    id_token_signing_alg_values_supported: [SIGNING_ALGORITHM],
    claims_supported: ['iss', 'sub', 'aud', 'iat', 'exp', 'jti', 'ver', 'amr', 'idp', 'nonce', 'auth_time', 'at_hash'],
    request_parameter_supported: false,
  };
}

/** The documents' two suffixes below `{issuer}/.well-known/`. */
export const METADATA_DOCUMENTS = ['openid-configuration', 'oauth-authorization-server'] as const;

/**
 * Serves the metadata at `{issuer}/.well-known/<document>` (mount at the issuer path). `issuer` is read per
 * request: it is known only once the simulator listens.
 */
export function createDiscoveryRouter(issuer: () => string): Router {
  const router = Router();
  for (const document of METADATA_DOCUMENTS) {
    router.get(`/.well-known/${document}`, (_req, res) => {
      res.set('Cache-Control', 'public, max-age=300').json(authorizationServerMetadata(issuer()));
    });
  }
  return router;
}

/**
 * RFC 8414 §3.1 puts an issuer's metadata at `/.well-known/oauth-authorization-server` *followed by* the
 * issuer's path; clients that follow the RFC literally (openid-client's `oauth2` discovery) ask there.
 * Mount at the root.
 */
export function createRootMetadataRouter(issuerPath: string, issuer: () => string): Router {
  const router = Router();
  router.get(`/.well-known/oauth-authorization-server${issuerPath}`, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(authorizationServerMetadata(issuer()));
  });
  return router;
}
