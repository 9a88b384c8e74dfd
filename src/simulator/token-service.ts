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
import { CLIENT_CREDENTIALS_SCOPE, FORTELLIS_AUDIENCE } from './constants';
import type { GatewayErrorCode } from './gateway-errors';

/**
 * The simulated identity server's signing side: one RS256 key pair made at start-up, access tokens with
 * the claims Fortellis' Okta puts in them (FORTELLIS.md, "Token claims"), their verification as the API
 * gateway does it, and early expiry for tests.
 */

export const SIGNING_ALGORITHM = 'RS256';

/** Claims of a simulator access token. */
export interface AccessTokenClaims extends JWTPayload {
  ver: 1;
  jti: string;
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  cid: string;
  scp: string[];
  sub: string;
  uid?: string;
  nonce?: string;
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
  issueImplicitToken(request: { clientId: string; email: string; nonce: string }): Promise<IssuedToken>;
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

  issueImplicitToken(request: { clientId: string; email: string; nonce: string }): Promise<IssuedToken> {
    return this.issue({
      cid: request.clientId,
      uid: oktaUserIdFor(request.email),
      scp: ['openid'],
      sub: request.email,
      nonce: request.nonce,
    });
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

  private async issue(claims: Pick<AccessTokenClaims, 'cid' | 'scp' | 'sub' | 'uid' | 'nonce'>): Promise<IssuedToken> {
    const now = this.options.clock.now();
    const iat = Math.floor(now / 1000);
    const lifetime = this.options.lifetimeSeconds;
    const full: AccessTokenClaims = {
      ver: 1,
      jti: `AT.${randomBytes(24).toString('base64url')}`,
      iss: this.options.issuer(),
      aud: FORTELLIS_AUDIENCE,
      iat,
      exp: iat + lifetime,
      ...claims,
    };
    const accessToken = await new SignJWT(full)
      .setProtectedHeader({ kid: this.kid, alg: SIGNING_ALGORITHM })
      .sign(this.privateKey);
    if (this.live.size >= PRUNE_THRESHOLD) this.prune(this.live, now);
    this.live.set(full.jti, full.exp * 1000);
    return { accessToken, expiresIn: lifetime, claims: full };
  }

  /** Drops ids of tokens that have expired on their own: `exp` rejects them now. */
  private prune(ids: Map<string, number>, now: number): void {
    for (const [jti, exp] of ids) if (exp <= now) ids.delete(jti);
  }
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
