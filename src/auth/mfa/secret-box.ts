import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Encryption of TOTP secrets at rest (AES-256-GCM). A TOTP secret must be readable by the server to check a
 * code, so it cannot be hashed like a password; encrypted with a key that lives outside the database
 * (MFA_ENCRYPTION_KEY), a stolen database dump or backup does not give an attacker the second factor.
 *
 * Sealed form: `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts). The key id is the first 8 hex digits
 * of the key's SHA-256, so several keys may be configured (the first seals, all open): keys can be rotated.
 * The user id is bound as additional authenticated data, so a sealed secret copied to another user's row
 * does not open.
 */
export class SecretBox {
  private readonly keys: Array<{ id: string; key: Buffer }>;

  /** @param keys 32-byte AES keys; the first one seals. */
  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new Error('SecretBox needs at least one key');
    this.keys = keys.map((key) => {
      if (key.length !== 32) throw new Error('MFA encryption keys must be 32 bytes');
      return { id: keyId(key), key };
    });
  }

  /** Encrypts `plaintext` for `owner` (the user id, bound as associated data). */
  seal(plaintext: string, owner: string): string {
    const { id, key } = this.keys[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(owner));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  /** Decrypts a sealed value; throws SecretBoxError when no configured key opens it or it was altered. */
  open(sealed: string, owner: string): string {
    const [version, id, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v1' || !id || !iv || !tag || ciphertext === undefined) throw new SecretBoxError('not a sealed secret');
    const entry = this.keys.find((k) => k.id === id);
    if (!entry) throw new SecretBoxError('sealed with a key that is not configured (MFA_ENCRYPTION_KEY)');
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(owner));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('the sealed secret does not open (altered, or another user’s)');
    }
  }
}

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * Parses MFA_ENCRYPTION_KEY: a comma list of 32-byte keys, each base64 or base64url (`openssl rand -base64 32`).
 * Throws with a message naming the bad entry.
 */
export function parseEncryptionKeys(value: string): Buffer[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry, index) => {
      const key = Buffer.from(entry, 'base64');
      if (key.length !== 32) throw new Error(`entry ${index + 1} must be 32 random bytes in base64 (openssl rand -base64 32)`);
      return key;
    });
}

/**
 * The key used in simulator mode when MFA_ENCRYPTION_KEY is not set: fixed and public, so TOTP factors
 * enrolled against the simulator survive a restart. Never used outside simulator mode (no real data there).
 */
export const SIMULATOR_MFA_KEY = createHash('sha256').update('fortellis-bff simulator MFA key (not a secret)').digest();
