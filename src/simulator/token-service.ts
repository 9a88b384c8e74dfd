import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  SignJWT,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type KeyLike,
} from 'jose';
import type { Clock } from '../lib/clock';
import { CLIENT_CREDENTIALS_SCOPE, FORTELLIS_AUDIENCE } from '../core/simulator-contract';
import type { GatewayErrorCode } from './gateway-errors';

/**
 * The simulated identity server's signing side: one RS256 key pair made at start-up, access tokens with
 * the header and claims of the docs' decoded examples, ID tokens as Okta issues them in the implicit flow,
 * the access tokens' verification as the API gateway does it, and early expiry for tests.
 *
 * The docs' tokens: a client-credentials token (2022) has the header `{alg, typ: "JWT", kid}` and the
 * claims cid, jti, scp ["anonymous"], sub (the API key), iat, exp, aud "api_providers", iss
 * (https://docs.fortellis.io/docs/tutorials/app-toolbox/using-the-subscriptions-endpoint/); an implicit-flow
 * access token adds ver 1, uid and the user's e-mail as sub with scp ["openid"], and has *no* nonce: a nonce
 * belongs in an ID token (https://docs.fortellis.io/docs/tutorials/solution-integration/implicit-flow/).
 */

export const SIGNING_ALGORITHM = 'RS256';

/** Claims of a simulator access token. */
export interface AccessTokenClaims extends JWTPayload {
  /** Only in implicit-flow tokens, as in the docs' decoded examples. */
  ver?: 1;
  jti: string;
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  cid: string;
  scp: string[];
  sub: string;
  uid?: string;
}

/** Claims of an OpenID Connect ID token, as Okta issues them for `scope=openid` (OIDC Core §2, §3.2.2.10). */
export interface IdTokenClaims extends JWTPayload {
  sub: string;
  ver: 1;
  iss: string;
  /** The client the token is for: the app's API key. */
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  amr: string[];
  idp: string;
  nonce: string;
  auth_time: number;
  /** Binds the ID token to the access token issued with it (base64url of the left half of its SHA-256). */
  at_hash?: string;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  claims: AccessTokenClaims;
}

/** Why the gateway refuses a token: one of the Fortellis codes, and a detail for the message. */
export type TokenRejection = {
  ok: false;
  code: Extract<
    GatewayErrorCode,
    'INVALID-TOKEN' | 'TOKEN-EXPIRED' | 'TOKEN-ISSUER-MISMATCH' | 'TOKEN-AUDIENCE-MISMATCH'
  >;
  detail: string;
};
export type TokenCheck = { ok: true; claims: AccessTokenClaims } | TokenRejection;

export interface TokenServiceOptions {
  clock: Clock;
  lifetimeSeconds: number;
  /** Read on every use: the issuer changes once the listening address is known. */
  issuer: () => string;
  /** A key pair to sign with instead of a freshly generated one (tests sign their own odd tokens). */
  signingKeys?: { privateKey: KeyLike; publicKey: KeyLike };
}

export interface TokenService {
  readonly kid: string;
  /** The public key as a JWKS, as `{issuer}/v1/keys` serves it. */
  jwks(): { keys: JWK[] };
  issueClientCredentialsToken(clientId: string): Promise<IssuedToken>;
  issueImplicitToken(request: { clientId: string; email: string }): Promise<IssuedToken>;
  /** An ID token for the signed-in user, bound to `accessToken` by `at_hash` when one is issued with it. */
  issueIdToken(request: { clientId: string; email: string; nonce: string; accessToken?: string }): Promise<string>;
  verify(token: string): Promise<TokenCheck>;
  /** Makes every token issued so far answer TOKEN-EXPIRED from now on. */
  expireIssuedTokens(): { expiredBefore: string; tokensExpired: number };
  /** When `expireIssuedTokens` last ran (ISO time by the clock), or null. */
  expiredBefore(): string | null;
}

/** A stable Okta-style user id (`00u` + 17 characters) derived from the e-mail address. */
export function oktaUserIdFor(email: string): string {
  return `00u${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 17)}`;
}

/** Creates the token service with a freshly generated RS256 key pair (unless given) and a random `kid`. */
export async function createTokenService(options: TokenServiceOptions): Promise<TokenService> {
  const { privateKey, publicKey } = options.signingKeys ?? (await generateKeyPair(SIGNING_ALGORITHM));
  const kid = randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: SIGNING_ALGORITHM };
  return new JoseTokenService(options, kid, privateKey, publicKey, publicJwk);
}

/** How many expired-token ids to keep before pruning (they are checked only until they expire anyway). */
const PRUNE_THRESHOLD = 10_000;

class JoseTokenService implements TokenService {
  /** jti → expiry (ms) of every token issued and not yet expired early. */
  private readonly live = new Map<string, number>();
  /** jti → expiry (ms) of the tokens `expireIssuedTokens` expired early. */
  private readonly expiredEarly = new Map<string, number>();
  private lastExpiry: number | null = null;

  constructor(
    private readonly options: TokenServiceOptions,
    readonly kid: string,
    private readonly privateKey: KeyLike,
    private readonly publicKey: KeyLike,
    private readonly publicJwk: JWK,
  ) {}

  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk }] };
  }

  issueClientCredentialsToken(clientId: string): Promise<IssuedToken> {
    return this.issue({ cid: clientId, scp: [CLIENT_CREDENTIALS_SCOPE], sub: clientId });
  }

  issueImplicitToken(request: { clientId: string; email: string }): Promise<IssuedToken> {
    return this.issue({ ver: 1, cid: request.clientId, uid: oktaUserIdFor(request.email), scp: ['openid'], sub: request.email });
  }

  async issueIdToken(request: { clientId: string; email: string; nonce: string; accessToken?: string }): Promise<string> {
    const iat = Math.floor(this.options.clock.now() / 1000);
    const claims: IdTokenClaims = {
      sub: oktaUserIdFor(request.email),
      ver: 1,
      iss: this.options.issuer(),
      aud: request.clientId,
      iat,
      exp: iat + this.options.lifetimeSeconds,
      jti: `ID.${randomBytes(24).toString('base64url')}`,
      amr: ['pwd'],
      idp: SIMULATOR_IDP_ID,
      nonce: request.nonce,
      auth_time: iat,
      ...(request.accessToken !== undefined ? { at_hash: accessTokenHash(request.accessToken) } : {}),
    };
    return new SignJWT(claims).setProtectedHeader(this.header()).sign(this.privateKey);
  }

  async verify(token: string): Promise<TokenCheck> {
    let unverified: JWTPayload;
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
      unverified = decodeJwt(token);
    } catch {
      return reject('INVALID-TOKEN', 'The access token is not a well-formed JWT.');
    }
    // The issuer is looked at before the signature because the issuer chooses the keys: a token from
    // another identity server cannot be verified here at all, and the gateway names that precisely.
    if (unverified.iss !== this.options.issuer()) {
      return reject('TOKEN-ISSUER-MISMATCH', `Tokens must be issued by ${this.options.issuer()}.`);
    }
    if (kid !== this.kid) {
      return reject('INVALID-TOKEN', 'The access token was signed with an unknown key.');
    }
    let claims: AccessTokenClaims;
    try {
      const verified = await jwtVerify(token, this.publicKey, {
        algorithms: [SIGNING_ALGORITHM],
        issuer: this.options.issuer(),
        audience: FORTELLIS_AUDIENCE,
        requiredClaims: ['exp', 'iat', 'jti'],
        currentDate: new Date(this.options.clock.now()),
      });
      claims = verified.payload as AccessTokenClaims;
    } catch (error) {
      return classifyJoseError(error);
    }
    if (this.expiredEarly.has(claims.jti)) {
      return reject('TOKEN-EXPIRED', 'The access token was expired early by the simulator.');
    }
    return { ok: true, claims };
  }

  expireIssuedTokens(): { expiredBefore: string; tokensExpired: number } {
    const now = this.options.clock.now();
    let tokensExpired = 0;
    for (const [jti, exp] of this.live) {
      if (exp > now) {
        this.expiredEarly.set(jti, exp);
        tokensExpired += 1;
      }
    }
    this.live.clear();
    this.lastExpiry = now;
    this.prune(this.expiredEarly, now);
    return { expiredBefore: new Date(now).toISOString(), tokensExpired };
  }

  expiredBefore(): string | null {
    return this.lastExpiry === null ? null : new Date(this.lastExpiry).toISOString();
  }

  /** The header of the docs' current tokens. */
  private header() {
    return { alg: SIGNING_ALGORITHM, typ: 'JWT', kid: this.kid };
  }

  private async issue(claims: Pick<AccessTokenClaims, 'ver' | 'cid' | 'scp' | 'sub' | 'uid'>): Promise<IssuedToken> {
    const now = this.options.clock.now();
    const iat = Math.floor(now / 1000);
    const lifetime = this.options.lifetimeSeconds;
    const full: AccessTokenClaims = {
      jti: `AT.${randomBytes(24).toString('base64url')}`,
      iss: this.options.issuer(),
      aud: FORTELLIS_AUDIENCE,
      iat,
      exp: iat + lifetime,
      ...claims,
    };
    const accessToken = await new SignJWT(full).setProtectedHeader(this.header()).sign(this.privateKey);
    if (this.live.size >= PRUNE_THRESHOLD) this.prune(this.live, now);
    this.live.set(full.jti, full.exp * 1000);
    return { accessToken, expiresIn: lifetime, claims: full };
  }

  /** Drops ids of tokens that have expired on their own: `exp` rejects them now. */
  private prune(ids: Map<string, number>, now: number): void {
    for (const [jti, exp] of ids) if (exp <= now) ids.delete(jti);
  }
}

/** The Okta identity-provider id in ID tokens' `idp` (Okta's own directory), in the place of Fortellis'. */
const SIMULATOR_IDP_ID = '00o-simulator-idp';

/** OIDC Core §3.2.2.9 `at_hash`: base64url of the left-most half of the access token's SHA-256 (RS256). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

function reject(code: TokenRejection['code'], detail: string): TokenRejection {
  return { ok: false, code, detail };
}

/** Maps a jose error to the gateway's code by its `code` (and `claim`), never by message text. */
export function classifyJoseError(error: unknown): TokenRejection {
  const { code, claim } = (error ?? {}) as { code?: unknown; claim?: unknown };
  if (code === 'ERR_JWT_EXPIRED') return reject('TOKEN-EXPIRED', 'The access token has expired.');
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'iss') {
    return reject('TOKEN-ISSUER-MISMATCH', 'The access token was issued by another identity server.');
  }
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'aud') {
    return reject('TOKEN-AUDIENCE-MISMATCH', `The access token's audience must be "${FORTELLIS_AUDIENCE}".`);
  }
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') {
    return reject('INVALID-TOKEN', "The access token's signature does not verify.");
  }
  return reject('INVALID-TOKEN', 'The access token is not valid.');
}
