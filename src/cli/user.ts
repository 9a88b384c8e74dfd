import 'dotenv/config';
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { envSchema } from '../config/schema';
import { openDatabase } from '../db/database';
import { createPasswordHasher } from '../auth/password';
import { UserAdministration, UserInputError } from '../auth/user-admin';
import { UserExistsError, UsersRepository } from '../auth/users';
import { DatabaseSessionStore } from '../session/database-store';
import { systemClock } from '../lib/clock';

const USAGE = `Manage the app's users.

Usage: npm run user -- <command> [arguments]

  add <username> <subscription-id> [--password-stdin]   create a user (password prompted, or read from stdin)
  list                                                  list users
  remove <username>                                     delete a user and end their sessions
  set-subscription <username> <subscription-id>         change a user's Subscription-Id (ends their sessions)
  set-password <username> [--password-stdin]           set a new password (ends their sessions)
  deactivate <username> | activate <username>           stop or allow a user's sign-in

Passwords are never accepted as arguments: they would end up in shell history and process lists.
Uses DATABASE_URL (default sqlite:./data/app.db).`;

class UsageError extends Error {}

/** Reads a password without echoing it (TTY), or the first line of stdin (--password-stdin). */
async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
  }
  const ask = async (prompt: string) => {
    process.stdout.write(prompt);
    let muted = true;
    const silent = new Writable({
      write(_chunk, _encoding, done) {
        if (!muted) process.stdout.write(_chunk);
        done();
      },
    });
    const rl = readline.createInterface({ input: process.stdin, output: silent, terminal: true });
    const answer = await new Promise<string>((resolve) => rl.question('', resolve));
    muted = false;
    rl.close();
    process.stdout.write('\n');
    return answer;
  };
  const first = await ask('Password: ');
  const second = await ask('Repeat password: ');
  if (first !== second) throw new UsageError('The passwords do not match.');
  return first;
}

async function run(argv: string[]): Promise<number> {
  if (argv.some((arg) => /^--password(=|$)/.test(arg))) {
    throw new UsageError('Passwords are not accepted on the command line. Use the prompt or --password-stdin.');
  }
  const fromStdin = argv.includes('--password-stdin');
  const [command, ...args] = argv.filter((arg) => arg !== '--password-stdin');
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return command ? 0 : 1;
  }
  const need = (count: number) => {
    if (args.length !== count) throw new UsageError(`"${command}" takes ${count} argument(s).\n\n${USAGE}`);
  };

  const env = envSchema.pick({ DATABASE_URL: true }).parse({ DATABASE_URL: process.env.DATABASE_URL || undefined });
  const database = await openDatabase(env.DATABASE_URL);
  try {
    const users = new UsersRepository(database.db, systemClock);
    const admin = new UserAdministration(
      users,
      createPasswordHasher(),
      new DatabaseSessionStore({ db: database.db, clock: systemClock, ttlMs: 1 }),
    );
    const report = (done: boolean, success: string) => {
      if (!done) {
        console.error(`No user named "${args[0]}".`);
        return 1;
      }
      console.log(success);
      return 0;
    };

    switch (command) {
      case 'add': {
        need(2);
        const user = await admin.add({ username: args[0]!, subscriptionId: args[1]!, password: await readPassword(fromStdin) });
        console.log(`Added ${user.username} (Subscription-Id ${user.subscriptionId}).`);
        return 0;
      }
      case 'list': {
        need(0);
        const all = await admin.list();
        if (all.length === 0) console.log('No users.');
        for (const user of all) console.log(`${user.username}\t${user.subscriptionId}\t${user.active ? 'active' : 'deactivated'}`);
        return 0;
      }
      case 'remove':
        need(1);
        return report(await admin.remove(args[0]!), `Removed ${args[0]} and ended their sessions.`);
      case 'set-subscription':
        need(2);
        return report(await admin.setSubscription(args[0]!, args[1]!), `${args[0]} now uses Subscription-Id ${args[1]}.`);
      case 'set-password':
        need(1);
        return report(await admin.setPassword(args[0]!, await readPassword(fromStdin)), `Password of ${args[0]} changed.`);
      case 'deactivate':
        need(1);
        return report(await admin.setActive(args[0]!, false), `${args[0]} is deactivated and signed out.`);
      case 'activate':
        need(1);
        return report(await admin.setActive(args[0]!, true), `${args[0]} may sign in again.`);
      default:
        throw new UsageError(`Unknown command "${command}".\n\n${USAGE}`);
    }
  } finally {
    await database.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof UserInputError || error instanceof UserExistsError) {
      console.error(error.message);
      process.exit(2);
    }
    console.error('Failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
