import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt, Node's built-in memory-hard KDF (OWASP Password Storage Cheat Sheet:
 * N=2^17 r=8 p=1 is its floor for scrypt; we default to N=2^15 with r=8, 32 MiB per hash, to stay under a
 * tenth of a second on small machines, and record the parameters in each hash so they can be raised).
 * Format: `scrypt$<log2 N>$<r>$<p>$<salt base64url>$<hash base64url>`.
 */

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Constant-time comparison; false for a malformed stored hash. */
  verify(password: string, stored: string): Promise<boolean>;
  /** Does the same work as verify() against a fixed hash, so unknown usernames take as long as wrong passwords. */
  verifyAgainstDummy(password: string): Promise<void>;
}

const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function memoryFor(logN: number, r: number): number {
  return 128 * r * 2 ** logN * 2; // scrypt needs 128·N·r bytes; allow twice that.
}

export function createPasswordHasher(options: { logN?: number; r?: number; p?: number } = {}): PasswordHasher {
  const logN = options.logN ?? 15;
  const r = options.r ?? 8;
  const p = options.p ?? 1;

  async function hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scryptAsync(password, salt, KEY_LENGTH, { N: 2 ** logN, r, p, maxmem: memoryFor(logN, r) });
    return ['scrypt', logN, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  async function verify(password: string, stored: string): Promise<boolean> {
    const parts = stored.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [storedLogN, storedR, storedP] = parts.slice(1, 4).map(Number) as [number, number, number];
    if (![storedLogN, storedR, storedP].every((n) => Number.isInteger(n) && n > 0) || storedLogN > 22) return false;
    const salt = Buffer.from(parts[4]!, 'base64url');
    const expected = Buffer.from(parts[5]!, 'base64url');
    if (expected.length !== KEY_LENGTH) return false;
    const actual = await scryptAsync(password, salt, KEY_LENGTH, { N: 2 ** storedLogN, r: storedR, p: storedP, maxmem: memoryFor(storedLogN, storedR) });
    return timingSafeEqual(actual, expected);
  }

  let dummy: Promise<string> | undefined;
  async function verifyAgainstDummy(password: string): Promise<void> {
    dummy ??= hash(randomBytes(16).toString('hex'));
    await verify(password, await dummy);
  }

  return { hash, verify, verifyAgainstDummy };
}
