import { randomBytes } from 'node:crypto';
import { parseEncryptionKeys, SecretBox, SecretBoxError } from '../../src/auth/mfa/secret-box';
import { Totp } from '../../src/auth/mfa/totp';
import { csvCell } from '../../src/access-log/export';
import { loadConfig } from '../../src/config/load';
import { FakeClock } from '../support/fake-clock';

describe('TOTP secrets at rest', () => {
  const key = randomBytes(32);

  it('seal with AES-256-GCM: the secret is not in the sealed text, and opens only for its user', () => {
    const box = new SecretBox([key]);
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'user-1');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed, 'user-1')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => box.open(sealed, 'user-2')).toThrow(SecretBoxError);
  });

  it('refuse an altered sealed secret', () => {
    const box = new SecretBox([key]);
    const parts = box.seal('JBSWY3DPEHPK3PXP', 'u').split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'), 'u')).toThrow(SecretBoxError);
  });

  it('rotate: a new first key seals, the old one still opens what it sealed', () => {
    const old = new SecretBox([key]).seal('OLD', 'u');
    const rotated = new SecretBox([randomBytes(32), key]);
    expect(rotated.open(old, 'u')).toBe('OLD');
    expect(() => new SecretBox([randomBytes(32)]).open(old, 'u')).toThrow(/not configured/);
  });

  it('MFA_ENCRYPTION_KEY must be 32 bytes of base64; outside simulator mode without it there is no key (no TOTP)', () => {
    expect(parseEncryptionKeys(`${key.toString('base64')}, ${randomBytes(32).toString('base64')}`)).toHaveLength(2);
    expect(() => loadConfig({ MFA_ENCRYPTION_KEY: 'short' })).toThrow(/MFA_ENCRYPTION_KEY entry 1 must be 32 random bytes/);
    const real = { FORTELLIS_API_KEY: 'k', FORTELLIS_API_SECRET: 's', SESSION_SECRET: 'x'.repeat(40) };
    expect(loadConfig(real).mfa.encryptionKeys).toBeUndefined();
    expect(loadConfig({ ...real, MFA_ENCRYPTION_KEY: key.toString('base64') }).mfa.encryptionKeys).toEqual([key]);
    expect(loadConfig({}).mfa.encryptionKeys).toHaveLength(1);
  });
});

describe('TOTP codes on the injected clock', () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 5, 9, 0, 0));
  const totp = new Totp(clock, 'Fortellis BFF');
  // RFC 6238 Appendix B's SHA-1 secret ("12345678901234567890"), in base32.
  const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

  it('match RFC 6238’s test vectors', () => {
    expect(totp.codeAt(rfcSecret, 59_000)).toBe('287082');
    expect(totp.codeAt(rfcSecret, 1_111_111_109_000)).toBe('081804');
    expect(totp.codeAt(rfcSecret, 20_000_000_000_000)).toBe('353130');
  });

  it('accept ±1 step and say which step matched; refuse that step or older once used', () => {
    const now = totp.check(rfcSecret, totp.codeAt(rfcSecret), null)!;
    expect(totp.check(rfcSecret, totp.codeAt(rfcSecret, clock.now() - 30_000), null)).toBe(now - 1);
    expect(totp.check(rfcSecret, totp.codeAt(rfcSecret, clock.now() + 30_000), null)).toBe(now + 1);
    expect(totp.check(rfcSecret, totp.codeAt(rfcSecret, clock.now() - 60_000), null)).toBeUndefined();
    expect(totp.check(rfcSecret, totp.codeAt(rfcSecret), now)).toBeUndefined();
    expect(totp.check(rfcSecret, totp.codeAt(rfcSecret, clock.now() + 30_000), now)).toBe(now + 1);
    expect(totp.check(rfcSecret, 'abcdef', null)).toBeUndefined();
  });

  it('give an otpauth URI authenticator apps import', () => {
    expect(totp.uri(rfcSecret, 'demo')).toBe(`otpauth://totp/Fortellis%20BFF:demo?issuer=Fortellis%20BFF&secret=${rfcSecret}&algorithm=SHA1&digits=6&period=30`);
  });
});

describe('CSV cells of the access log export', () => {
  it.each([
    ['=1+2', "'=1+2"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['=HYPERLINK("x")', '"\'=HYPERLINK(""x"")"'],
    ['/service/v3/appointments/', '/service/v3/appointments/'],
  ])('%j becomes %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('leave numbers and empty values plain', () => {
    expect(csvCell(200)).toBe('200');
    expect(csvCell(null)).toBe('');
  });
});
