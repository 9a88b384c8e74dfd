import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';
import type { StoredPasskey } from './factors';

/**
 * Passkeys (WebAuthn Level 3) as a second factor, on @simplewebauthn/server: it checks the challenge, the
 * origin, the relying-party id hash, the signature over authenticator data and client data, and the signature
 * counter (a cloned authenticator). The relying party is this app's PUBLIC_URL: its host name is the RP id
 * and its origin the only origin accepted, so a passkey made here cannot be phished by another site.
 */
export interface RelyingParty {
  name: string;
  /** The host name of PUBLIC_URL (WebAuthn refuses IP addresses as RP ids: use a name, even `localhost`). */
  id: string;
  /** The origin of PUBLIC_URL. */
  origin: string;
}

/** The relying party of an app served at `publicUrl`. */
export function relyingPartyFor(publicUrl: string, name: string): RelyingParty {
  const url = new URL(publicUrl);
  return { name, id: url.hostname, origin: url.origin };
}

/** The browser's answer, shaped as @simplewebauthn/browser sends it; the library checks the content. */
const credentialShape = z.object({
  id: z.string().min(1).max(1024),
  rawId: z.string().min(1).max(1024),
  type: z.literal('public-key'),
  response: z.record(z.string(), z.unknown()),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.string().optional(),
});

const CHALLENGE_TIMEOUT_MS = 120_000;

/** A malformed or forged answer makes the library throw: that is a failed check, never a 500. */
async function orUndefined<T>(verification: Promise<T>): Promise<T | undefined> {
  try {
    return await verification;
  } catch {
    return undefined;
  }
}

export class Passkeys {
  constructor(private readonly rp: RelyingParty) {}

  /** What every answer must match: this challenge, this app's origin and RP id (user verification is preferred, not required). */
  private expected(expectedChallenge: string) {
    return { expectedChallenge, expectedOrigin: this.rp.origin, expectedRPID: this.rp.id, requireUserVerification: false };
  }

  /** Options for navigator.credentials.create(); the caller keeps `challenge` in the session. */
  registrationOptions(user: { id: string; username: string }, existing: StoredPasskey[]): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.id,
      userName: user.username,
      userID: new TextEncoder().encode(user.id),
      attestationType: 'none',
      timeout: CHALLENGE_TIMEOUT_MS,
      // The same authenticator twice would be one factor counted as two.
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
  }

  /** Checks a registration; returns what to store, or undefined when it does not verify. */
  async finishRegistration(body: unknown, expectedChallenge: string): Promise<Omit<StoredPasskey, 'id'> | undefined> {
    const parsed = credentialShape.safeParse(body);
    if (!parsed.success) return undefined;
    const result = await orUndefined(verifyRegistrationResponse({ response: parsed.data as unknown as RegistrationResponseJSON, ...this.expected(expectedChallenge) }));
    if (!result?.verified) return undefined;
    const { credential } = result.registrationInfo;
    return { credentialId: credential.id, publicKey: credential.publicKey, signCount: credential.counter, transports: credential.transports ?? [] };
  }

  /** Options for navigator.credentials.get(), limited to this user's passkeys. */
  authenticationOptions(passkeys: StoredPasskey[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return generateAuthenticationOptions({
      rpID: this.rp.id,
      timeout: CHALLENGE_TIMEOUT_MS,
      userVerification: 'preferred',
      allowCredentials: passkeys.map((p) => ({ id: p.credentialId, transports: p.transports })),
    });
  }

  /** Checks an assertion against the user's passkeys; returns the passkey used and its new counter. */
  async verifyAuthentication(body: unknown, expectedChallenge: string, passkeys: StoredPasskey[]): Promise<{ passkey: StoredPasskey; newCounter: number } | undefined> {
    const parsed = credentialShape.safeParse(body);
    if (!parsed.success) return undefined;
    const passkey = passkeys.find((p) => p.credentialId === parsed.data.id);
    if (!passkey) return undefined;
    const result = await orUndefined(
      verifyAuthenticationResponse({
        response: parsed.data as unknown as AuthenticationResponseJSON,
        ...this.expected(expectedChallenge),
        credential: { id: passkey.credentialId, publicKey: new Uint8Array(passkey.publicKey), counter: passkey.signCount, transports: passkey.transports },
      }),
    );
    return result?.verified ? { passkey, newCounter: result.authenticationInfo.newCounter } : undefined;
  }
}
