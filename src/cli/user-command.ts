import os from 'node:os';
import { envSchema } from '../config/schema';
import { openDatabase } from '../db/database';
import { createPasswordHasher, type PasswordHasher } from '../auth/password';
import { UserAdministration, type SessionTerminator } from '../auth/user-admin';
import { AppError } from '../core/errors';
import { UsersRepository } from '../auth/users';
import { destroyDatabaseUserSessions } from '../session/database-store';
import { destroyRedisUserSessions } from '../session/redis-store';
import { closeRedis, connectRedis } from '../lib/redis';
import { systemClock } from '../lib/clock';
import { unlockInRedis } from '../auth/sign-in-throttle';
import { AuditLog, cliActor, type AuditAction } from '../auth/audit-log';

export const USAGE = `Manage the app's users.

Usage: npm run user -- <command> [arguments]

  add <username> <subscription-id> [--admin] [--password-stdin]
                                                        create a user (password prompted, or read from stdin)
  list                                                  list users, roles and linked subscriptions
  remove <username>                                     delete a user and end their sessions
  link <username> <subscription-id>                     let a user act for another dealer subscription
  unlink <username> <subscription-id>                   take a subscription away (ends their sessions)
  set-subscription <username> <subscription-id>         replace every link with this one (ends their sessions)
  set-password <username> [--password-stdin]           set a new password (ends their sessions)
  deactivate <username> | activate <username>           stop or allow a user's sign-in
  unlock <username>                                     lift a lockout after failed sign-ins (needs REDIS_URL;
                                                        without Redis the counters live in the app's memory:
                                                        use the admin users page)

Passwords are never accepted as arguments: they would end up in shell history and process lists.
The CLI does not check subscriptions with Fortellis; the admin pages (/admin/users) do.
Uses DATABASE_URL (default sqlite:./data/app.db) and, when set, REDIS_URL / REDIS_KEY_PREFIX (sessions,
sign-in lockouts).`;

/** The command line itself is wrong (code `usage`). */
export class UsageError extends AppError {
  constructor(detail: string) {
    super({ status: 400, code: 'usage', title: 'Bad usage', detail });
  }
}

export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  /** Reads the password: from a hidden prompt, or the first line of stdin with --password-stdin. */
  readPassword(fromStdin: boolean): Promise<string>;
}

export interface CommandOptions {
  env: NodeJS.ProcessEnv;
  /** Tests pass a cheaper hasher. */
  passwords?: PasswordHasher;
  /** The operating-system account running the command (default: the process' own); the audit log's actor is `cli:<it>`. */
  osUsername?: string;
}

/**
 * `npm run user -- …`, as a function of its arguments, environment and terminal, so that tests can run it.
 * Returns the exit code: 0 done, 1 nothing to do (no such user), 2 bad usage or input.
 */
export async function runUserCommand(argv: string[], io: CommandIo, options: CommandOptions): Promise<number> {
  try {
    return await run(argv, io, options);
  } catch (error) {
    // A mistake of the caller (usage, input, a taken name: 4xx by the error's own status) is told, not thrown.
    if (error instanceof AppError && error.status < 500) {
      io.err(error.message);
      return 2;
    }
    throw error;
  }
}

async function run(argv: string[], io: CommandIo, options: CommandOptions): Promise<number> {
  if (argv.some((arg) => /^--password(=|$)/.test(arg))) {
    throw new UsageError('Passwords are not accepted on the command line. Use the prompt or --password-stdin.');
  }
  const fromStdin = argv.includes('--password-stdin');
  const admin = argv.includes('--admin');
  const [command, ...args] = argv.filter((arg) => arg !== '--password-stdin' && arg !== '--admin');
  if (!command || command === 'help' || command === '--help') {
    io.out(USAGE);
    return command ? 0 : 2;
  }
  const arity: Record<string, number> = { add: 2, list: 0, remove: 1, link: 2, unlink: 2, 'set-subscription': 2, 'set-password': 1, deactivate: 1, activate: 1, unlock: 1 };
  if (!(command in arity)) throw new UsageError(`Unknown command "${command}".\n\n${USAGE}`);
  if (args.length !== arity[command]) throw new UsageError(`"${command}" takes ${arity[command]} argument(s).\n\n${USAGE}`);

  const empty = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value);
  const env = envSchema
    .pick({ DATABASE_URL: true, REDIS_URL: true, REDIS_KEY_PREFIX: true })
    .parse({ DATABASE_URL: empty(options.env.DATABASE_URL), REDIS_URL: empty(options.env.REDIS_URL), REDIS_KEY_PREFIX: empty(options.env.REDIS_KEY_PREFIX) });
  const database = await openDatabase(env.DATABASE_URL);
  const redis = env.REDIS_URL ? await connectRedis({ url: env.REDIS_URL, logger: { warn: () => undefined, info: () => undefined } }) : undefined;
  try {
    // Sessions live where the app keeps them: removing a user must end them there.
    const sessions: SessionTerminator = {
      destroyUserSessions: (userId) => (redis ? destroyRedisUserSessions(redis, env.REDIS_KEY_PREFIX, userId) : destroyDatabaseUserSessions(database.db, userId)),
    };
    const repository = new UsersRepository(database.db, systemClock);
    const users = new UserAdministration(repository, options.passwords ?? createPasswordHasher(), sessions);
    const [first, second] = args as [string, string];
    // Changes made here land in the same audit log as the admin pages' (on /admin/audit), by `cli:<os user>`.
    const audit = new AuditLog(database.db, systemClock);
    const actor = cliActor(options.osUsername ?? os.userInfo().username);
    const report = async (done: boolean, success: string, action?: AuditAction, detail?: Record<string, unknown>) => {
      if (!done) {
        io.err(`No user named "${first}".`);
        return 1;
      }
      if (action) await audit.record(actor, action, first, detail);
      io.out(success);
      return 0;
    };

    switch (command) {
      case 'add': {
        const user = await users.add({ username: first, subscriptionId: second, password: await io.readPassword(fromStdin), role: admin ? 'admin' : 'user' });
        await audit.record(actor, 'user.create', user.username, { role: user.role, subscriptionId: second });
        io.out(`Added ${user.role === 'admin' ? 'administrator ' : ''}${user.username} (Subscription-Id ${second}).`);
        return 0;
      }
      case 'list': {
        const all = await users.list();
        if (all.length === 0) io.out('No users.');
        for (const user of all) {
          const subscriptions = user.subscriptions.map((s) => s.subscriptionId).join(',') || '(none)';
          io.out(`${user.username}\t${user.role}\t${subscriptions}\t${user.active ? 'active' : 'deactivated'}`);
        }
        return 0;
      }
      case 'remove':
        return await report(await users.remove(first), `Removed ${first} and ended their sessions.`, 'user.remove');
      case 'link':
        return await report(await users.link(first, second, null), `${first} may now act for Subscription-Id ${second}.`, 'user.link-subscription', { subscriptionId: second });
      case 'unlink':
        return await report(await users.unlink(first, second), `${first} no longer acts for Subscription-Id ${second}; their sessions ended.`, 'user.unlink-subscription', { subscriptionId: second });
      case 'set-subscription':
        return await report(await users.setSubscription(first, second), `${first} now uses Subscription-Id ${second}.`, 'user.set-subscription', { subscriptionId: second });
      case 'set-password':
        return await report(await users.setPassword(first, await io.readPassword(fromStdin)), `Password of ${first} changed.`, 'user.password-reset');
      case 'unlock': {
        if (!redis) {
          // Without Redis every app instance counts failed sign-ins in its own memory, out of this process' reach.
          io.err('Without REDIS_URL the sign-in lockouts live in the running app’s memory, out of this command’s reach: an administrator can lift one on /admin/users (or restart the app).');
          return 2;
        }
        const user = await repository.findByUsername(first);
        if (user) await unlockInRedis(redis, env.REDIS_KEY_PREFIX, user.username);
        return await report(Boolean(user), `Sign-in of ${first} unlocked: they may try again now.`, 'user.unlock');
      }
      case 'deactivate':
        return await report(await users.setActive(first, false), `${first} is deactivated and signed out.`, 'user.deactivate');
      default:
        return await report(await users.setActive(first, true), `${first} may sign in again.`, 'user.activate');
    }
  } finally {
    if (redis) await closeRedis(redis);
    await database.close();
  }
}
