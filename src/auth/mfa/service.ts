import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { Clock } from '../../lib/clock';
import type { SignInThrottle } from '../sign-in-throttle';
import type { Role } from '../users';
import { MfaFactors, type FactorSummary } from './factors';
import type { Passkeys } from './passkeys';
import { policyRequires, type MfaPolicyStore } from './policy';
import { SecretBox, SecretBoxError } from './secret-box';
import { Totp } from './totp';

export const RECOVERY_CODE_COUNT = 10;

/** What the password step leads to. */
export type SecondStep = 'none' | 'verify' | 'enrol';

export interface MfaServiceOptions {
  factors: MfaFactors;
  policy: MfaPolicyStore;
  passkeys: Passkeys;
  totp: Totp;
  /** Absent outside simulator mode without MFA_ENCRYPTION_KEY: TOTP cannot be enrolled or checked then. */
  secretBox?: SecretBox;
  /** The sign-in throttle with its own key prefixes: second-factor guesses are limited like passwords. */
  throttle: SignInThrottle;
  clock: Clock;
}

/** A new TOTP secret, shown once: the caller keeps `sealed` in the session until the first code confirms it. */
export interface TotpEnrolment {
  secret: string;
  uri: string;
  qrDataUrl: string;
  sealed: string;
}

/**
 * Second factors: what a sign-in owes after the password, checking TOTP codes, passkeys and recovery codes,
 * and enrolling them. Express-free; the routes translate requests to these calls.
 */
export class MfaService {
  readonly throttle: SignInThrottle;
  private readonly factors: MfaFactors;

  constructor(private readonly options: MfaServiceOptions) {
    this.throttle = options.throttle;
    this.factors = options.factors;
  }

  get totpAvailable(): boolean {
    return this.options.secretBox !== undefined;
  }

  /** After a right password: straight in, a second factor to check, or one to enrol first (the policy). */
  async secondStepFor(user: { id: string; role: Role }): Promise<SecondStep> {
    if ((await this.factors.count(user.id)) > 0) return 'verify';
    return policyRequires(await this.options.policy.get(), user.role) ? 'enrol' : 'none';
  }

  async isRequiredFor(role: Role): Promise<boolean> {
    return policyRequires(await this.options.policy.get(), role);
  }

  list(userId: string): Promise<FactorSummary[]> {
    return this.factors.list(userId);
  }

  recoveryCodesLeft(userId: string): Promise<number> {
    return this.factors.recoveryCodesLeft(userId);
  }

  async hasPasskeys(userId: string): Promise<boolean> {
    return (await this.factors.passkeys(userId)).length > 0;
  }

  async hasTotp(userId: string): Promise<boolean> {
    return (await this.factors.totps(userId)).length > 0;
  }

  /** Checks a TOTP code against each of the user's TOTP factors; a code is good once (replay). */
  async verifyTotp(userId: string, code: string): Promise<boolean> {
    const box = this.options.secretBox;
    if (!box) return false;
    for (const factor of await this.factors.totps(userId)) {
      let secret: string;
      try {
        secret = box.open(factor.sealedSecret, userId);
      } catch (error) {
        if (error instanceof SecretBoxError) continue; // sealed under a key no longer configured: that factor cannot be used
        throw error;
      }
      const step = this.options.totp.check(secret, code.trim(), factor.lastTimeStep);
      // The conditional update decides, so two requests with the same code cannot both pass.
      if (step !== undefined && (await this.factors.acceptTimeStep(factor.id, step))) return true;
    }
    return false;
  }

  useRecoveryCode(userId: string, code: string): Promise<boolean> {
    if (code.length > 64) return Promise.resolve(false);
    return this.factors.consumeRecoveryCode(userId, code);
  }

  async passkeyAuthenticationOptions(userId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.options.passkeys.authenticationOptions(await this.factors.passkeys(userId));
  }

  async verifyPasskey(userId: string, body: unknown, challenge: string): Promise<boolean> {
    const result = await this.options.passkeys.verifyAuthentication(body, challenge, await this.factors.passkeys(userId));
    if (!result) return false;
    await this.factors.passkeyUsed(result.passkey.id, result.newCounter);
    return true;
  }

  /** A new TOTP secret for `user`, with its otpauth URI and a QR code of it. */
  async beginTotp(user: { id: string; username: string }): Promise<TotpEnrolment> {
    const box = this.options.secretBox;
    if (!box) throw new Error('TOTP needs MFA_ENCRYPTION_KEY');
    const secret = this.options.totp.newSecret();
    const uri = this.options.totp.uri(secret, user.username);
    return { secret, uri, qrDataUrl: await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 220 }), sealed: box.seal(secret, user.id) };
  }

  /**
   * Confirms a TOTP enrolment with its first code (proof the app holds the secret) and stores it. Returns
   * undefined when the code is wrong; recovery codes when this is the user's first factor.
   */
  async confirmTotp(userId: string, sealed: string, code: string, label: string): Promise<{ factorId: string; recoveryCodes?: string[] } | undefined> {
    const box = this.options.secretBox;
    if (!box) return undefined;
    let secret: string;
    try {
      secret = box.open(sealed, userId);
    } catch {
      return undefined;
    }
    const step = this.options.totp.check(secret, code.trim(), null);
    if (step === undefined) return undefined;
    const first = (await this.factors.count(userId)) === 0;
    const factorId = await this.factors.addTotp(userId, label, sealed, step);
    return { factorId, recoveryCodes: first ? await this.newRecoveryCodes(userId) : undefined };
  }

  async passkeyRegistrationOptions(user: { id: string; username: string }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.options.passkeys.registrationOptions(user, await this.factors.passkeys(user.id));
  }

  async finishPasskeyRegistration(userId: string, body: unknown, challenge: string, label: string): Promise<{ factorId: string; recoveryCodes?: string[] } | undefined> {
    const passkey = await this.options.passkeys.finishRegistration(body, challenge);
    if (!passkey) return undefined;
    const first = (await this.factors.count(userId)) === 0;
    const factorId = await this.factors.addPasskey(userId, label, passkey);
    return { factorId, recoveryCodes: first ? await this.newRecoveryCodes(userId) : undefined };
  }

  /** Removes one of the user's own factors; the last one goes with the recovery codes (they recover nothing then). */
  async remove(userId: string, factorId: string): Promise<boolean> {
    const removed = await this.factors.remove(userId, factorId);
    if (removed && (await this.factors.count(userId)) === 0) await this.factors.removeAll(userId);
    return removed;
  }

  /** New recovery codes (the old ones stop working). Shown once: only their hashes are kept. */
  async newRecoveryCodes(userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode());
    await this.factors.replaceRecoveryCodes(userId, codes);
    return codes;
  }

  /** For the admin's reset (UserAdministration.resetSecondFactors). */
  get store(): Pick<MfaFactors, 'removeAll'> {
    return this.factors;
  }
}

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i: read from paper, typed by hand

/** Ten characters from a 31-letter alphabet (about 50 bits), shown as `xxxxx-xxxxx`. */
function newRecoveryCode(): string {
  const chars: string[] = [];
  while (chars.length < 10) {
    for (const byte of randomBytes(16)) {
      // Rejection sampling: 248 = 8 × 31, so every letter is equally likely.
      if (byte < 248 && chars.length < 10) chars.push(ALPHABET[byte % 31]!);
    }
  }
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}
