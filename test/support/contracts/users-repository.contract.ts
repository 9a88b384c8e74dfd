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
      // A failed beforeEach leaves nothing to close, and a closed fixture is not closed twice.
      await fixture?.close();
      fixture = undefined as never;
    });

    it('creates a user and finds it by username, case-insensitively', async () => {
      const created = await fixture.users.create({ username: 'Alice', passwordHash: 'hash-1', subscriptionId: 'test', orgName: 'Test Dealer' });
      expect(created).toMatchObject({
        username: 'alice',
        role: 'user',
        subscriptions: [{ subscriptionId: 'test', orgName: 'Test Dealer', linkedAt: fixture.clock.now() }],
        active: true,
        createdAt: fixture.clock.now(),
      });
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

    it('changes the subscription, the password hash, the role and the active flag', async () => {
      await fixture.users.create({ username: 'carol', passwordHash: 'old', subscriptionId: 'test' });
      fixture.clock.advanceSeconds(10);
      expect(await fixture.users.setSubscription('carol', 'sub-2')).toBe(true);
      expect(await fixture.users.setPasswordHash('carol', 'new')).toBe(true);
      expect(await fixture.users.setActive('carol', false)).toBe(true);
      expect(await fixture.users.setRole('carol', 'admin')).toBe(true);
      expect(await fixture.users.findByUsername('carol')).toMatchObject({
        subscriptions: [{ subscriptionId: 'sub-2' }],
        passwordHash: 'new',
        active: false,
        role: 'admin',
        updatedAt: fixture.clock.now(),
      });
    });

    it('links several subscriptions in order, idempotently, and unlinks one', async () => {
      const user = await fixture.users.create({ username: 'erin', passwordHash: 'h', subscriptionId: 'first' });
      fixture.clock.advanceSeconds(1);
      expect(await fixture.users.link('erin', 'second', 'Second Dealer')).toBe(true);
      expect(await fixture.users.link('erin', 'second', 'Second Dealer (renamed)')).toBe(true);
      expect((await fixture.users.findById(user.id))!.subscriptions).toEqual([
        { subscriptionId: 'first', orgName: null, linkedAt: fixture.clock.now() - 1000 },
        { subscriptionId: 'second', orgName: 'Second Dealer (renamed)', linkedAt: fixture.clock.now() },
      ]);
      expect(await fixture.users.isLinked(user.id, 'second')).toBe(true);
      expect(await fixture.users.unlink('erin', 'first')).toBe(true);
      expect(await fixture.users.unlink('erin', 'first')).toBe(false);
      expect(await fixture.users.isLinked(user.id, 'first')).toBe(false);
      expect(await fixture.users.link('nobody', 'x', null)).toBe(false);
    });

    it('creates users without a subscription, and lists everyone’s links', async () => {
      await fixture.users.create({ username: 'frank', passwordHash: 'h' });
      await fixture.users.create({ username: 'gina', passwordHash: 'h', subscriptionId: 'g-sub', role: 'admin' });
      const listed = await fixture.users.list();
      expect(listed.map((u) => [u.username, u.role, u.subscriptions.map((s) => s.subscriptionId)])).toEqual([
        ['frank', 'user', []],
        ['gina', 'admin', ['g-sub']],
      ]);
    });

    it('forgets a removed user’s links', async () => {
      const user = await fixture.users.create({ username: 'hank', passwordHash: 'h', subscriptionId: 'h-sub' });
      await fixture.users.remove('hank');
      expect(await fixture.users.isLinked(user.id, 'h-sub')).toBe(false);
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
