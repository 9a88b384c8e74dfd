import 'dotenv/config';
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { runUserCommand, UsageError } from './user-command';

/** Reads a password without echoing it (TTY, asked twice), or the first line of stdin (--password-stdin). */
async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
  }
  const ask = async (prompt: string) => {
    process.stdout.write(prompt);
    const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
    const rl = readline.createInterface({ input: process.stdin, output: silent, terminal: true });
    const answer = await new Promise<string>((resolve) => rl.question('', resolve));
    rl.close();
    process.stdout.write('\n');
    return answer;
  };
  const first = await ask('Password: ');
  if (first !== (await ask('Repeat password: '))) throw new UsageError('The passwords do not match.');
  return first;
}

runUserCommand(process.argv.slice(2), { out: (line) => console.log(line), err: (line) => console.error(line), readPassword }, { env: process.env }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A store outage's message is the one for browsers; its logDetail says what the database answered.
    const detail = (error as { logDetail?: unknown })?.logDetail;
    console.error('Failed:', error instanceof Error ? error.message : error, typeof detail === 'string' ? `(${detail})` : '');
    process.exit(1);
  },
);
