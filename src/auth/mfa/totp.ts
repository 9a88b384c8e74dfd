import { Secret, TOTP } from 'otpauth';
import type { Clock } from '../../lib/clock';

/** RFC 6238 defaults, which every authenticator app understands: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;

/**
 * TOTP (RFC 6238) on the `otpauth` library, on the injected clock: codes of the current step and one step
 * either side are accepted (clock drift between phone and server, RFC 6238 §5.2), and the caller passes the
 * last step it accepted so that a code is good once (replay: "the verifier MUST NOT accept the second attempt
 * of the same OTP after the successful validation has been issued for the first OTP", §5.2).
 */
export class Totp {
  constructor(
    private readonly clock: Clock,
    private readonly issuer: string,
  ) {}

  /** A new random secret (160 bits, as RFC 4226 §4 recommends), in base32 as authenticator apps take it. */
  newSecret(): string {
    return new Secret({ size: 20 }).base32;
  }

  /** The otpauth:// URI an authenticator app scans (as a QR code) or imports. */
  uri(secret: string, accountName: string): string {
    return new TOTP({ issuer: this.issuer, label: accountName, secret: Secret.fromBase32(secret), period: TOTP_PERIOD_SECONDS }).toString();
  }

  /** The code at a time (the clock's now by default); tests compute codes with this from the fake clock. */
  codeAt(secret: string, epochMs = this.clock.now()): string {
    return TOTP.generate({ secret: Secret.fromBase32(secret), period: TOTP_PERIOD_SECONDS, timestamp: epochMs });
  }

  /**
   * Checks a code against the clock's now, ±1 step. Returns the time step it matched, or undefined when it
   * is wrong or belongs to `afterTimeStep` or an earlier step (already used: a replay).
   */
  check(secret: string, code: string, afterTimeStep: number | null): number | undefined {
    if (!/^\d{6}$/.test(code)) return undefined;
    const timestamp = this.clock.now();
    const delta = TOTP.validate({ token: code, secret: Secret.fromBase32(secret), period: TOTP_PERIOD_SECONDS, timestamp, window: 1 });
    if (delta === null) return undefined;
    const step = TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp }) + delta;
    return afterTimeStep !== null && step <= afterTimeStep ? undefined : step;
  }
}
