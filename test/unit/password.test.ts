import { createPasswordHasher } from '../../src/auth/password';

const hasher = createPasswordHasher({ logN: 10 });

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify('correct horse battery staple', stored)).toBe(true);
    expect(await hasher.verify('correct horse battery stapler', stored)).toBe(false);
  });

  it('stores scrypt with its parameters and a random salt, never the password', async () => {
    const a = await hasher.hash('same password');
    const b = await hasher.hash('same password');
    expect(a).toMatch(/^scrypt\$10\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('same password');
  });

  it('verifies hashes made with other parameters (they travel with the hash)', async () => {
    const stronger = await createPasswordHasher({ logN: 12 }).hash('pw-with-more-cost');
    expect(await hasher.verify('pw-with-more-cost', stronger)).toBe(true);
  });

  it('treats composed and decomposed Unicode as the same password', async () => {
    const stored = await hasher.hash('caf\u00e9-password');
    expect(await hasher.verify('cafe\u0301-password', stored)).toBe(true);
  });

  it('answers false, never throws, for a malformed or hostile stored hash', async () => {
    for (const stored of ['', 'plain', 'scrypt$10$8$1$salt', 'bcrypt$10$8$1$a$b', 'scrypt$40$8$1$AAAA$AAAA', 'scrypt$x$8$1$AAAA$AAAA']) {
      expect(await hasher.verify('anything', stored)).toBe(false);
    }
  });

  it('does the same work for an unknown user without throwing', async () => {
    await expect(hasher.verifyAgainstDummy('whatever')).resolves.toBeUndefined();
  });
});
