import { UserExistsError, type UsersRepository } from '../../../src/auth/users';
import type { FakeClock } from '../fake-clock';

export interface UsersRepositoryFixture {
  users: UsersRepository;
  clock: FakeClock;
  close(): Promise<void>;
}

/** One behaviour for every database the users live in (SQLite, PostgreSQL). */
export function describeUsersRepositoryContract(name: string, open: () => Promise<UsersRepositoryFixture>): void {
  describe(`UsersRepository on ${name}`, () => {
    let fixture: UsersRepositoryFixture;
    beforeEach(async () => {
      fixture = await open();
    });
    afterEach(async () => {
      await fixture.close();
    });

    it('creates a user and finds it by username, case-insensitively', async () => {
      const created = await fixture.users.create({ username: 'Alice', passwordHash: 'hash-1', subscriptionId: 'test' });
      expect(created).toMatchObject({ username: 'alice', subscriptionId: 'test', active: true, createdAt: fixture.clock.now() });
      const found = await fixture.users.findByUsername('ALICE');
      expect(found).toMatchObject({ id: created.id, passwordHash: 'hash-1' });
      expect(await fixture.users.findById(created.id)).toEqual(created);
    });

    it('refuses a second user with the same name', async () => {
      await fixture.users.create({ username: 'bob', passwordHash: 'h', subscriptionId: 'test' });
      await expect(fixture.users.create({ username: 'BOB', passwordHash: 'h2', subscriptionId: 'other' })).rejects.toBeInstanceOf(UserExistsError);
    });

    it('lists users by name without their password hashes', async () => {
      await fixture.users.create({ username: 'zoe', passwordHash: 'h', subscriptionId: 'a' });
      await fixture.users.create({ username: 'adam', passwordHash: 'h', subscriptionId: 'b' });
      const listed = await fixture.users.list();
      expect(listed.map((u) => u.username)).toEqual(['adam', 'zoe']);
      expect(listed[0]).not.toHaveProperty('passwordHash');
    });

    it('changes the subscription, the password hash and the active flag', async () => {
      await fixture.users.create({ username: 'carol', passwordHash: 'old', subscriptionId: 'test' });
      fixture.clock.advanceSeconds(10);
      expect(await fixture.users.setSubscription('carol', 'sub-2')).toBe(true);
      expect(await fixture.users.setPasswordHash('carol', 'new')).toBe(true);
      expect(await fixture.users.setActive('carol', false)).toBe(true);
      expect(await fixture.users.findByUsername('carol')).toMatchObject({ subscriptionId: 'sub-2', passwordHash: 'new', active: false, updatedAt: fixture.clock.now() });
    });

    it('says when there was nobody to change or remove', async () => {
      expect(await fixture.users.setSubscription('nobody', 'x')).toBe(false);
      expect(await fixture.users.remove('nobody')).toBe(false);
    });

    it('removes a user', async () => {
      await fixture.users.create({ username: 'dave', passwordHash: 'h', subscriptionId: 'test' });
      expect(await fixture.users.remove('Dave')).toBe(true);
      expect(await fixture.users.findByUsername('dave')).toBeUndefined();
    });
  });
}
