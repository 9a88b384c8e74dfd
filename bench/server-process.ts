/**
 * Entry point of a server child process: `node --expose-gc server-process.js <role> [options-json]`.
 * Each server under test gets its own process (and so its own CPU scheduling, heap and event loop), apart
 * from the load generator, so that the figures measure the server rather than autocannon sharing its
 * event loop. The parent talks to it over the IPC channel: `{ id, command }` → `{ id, result | error }`.
 */

export type Role = 'upstream' | 'bare' | 'baseline' | 'bff';

export type Command = 'stats' | 'heap' | 'cpu' | 'close';

export interface ReadyMessage {
  type: 'ready';
  url: string;
}

export interface ReplyMessage {
  type: 'reply';
  id: number;
  result?: unknown;
  error?: string;
}

interface Running {
  url: string;
  stats?: () => unknown;
  close(): Promise<void>;
}

/** Loads only what the role runs: the upstream and the baseline must not carry the app's modules. */
async function start(role: Role, options: Record<string, string | undefined>): Promise<Running> {
  switch (role) {
    case 'upstream':
      return (await import('./upstream')).startUpstream();
    case 'bare':
      return (await import('./bare')).startBare(options.upstreamUrl!);
    case 'baseline':
      return (await import('./baseline')).startBaseline(options.upstreamUrl!);
    case 'bff':
      return (await import('./bff')).startBff({ upstreamUrl: options.upstreamUrl!, redisUrl: options.redisUrl, logFile: options.logFile });
  }
}

/** Heap in use after full collections (run with --expose-gc): what survives, not what is waiting to be swept. */
function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the server process with --expose-gc');
  // Two passes: the first may only queue finalizers and weak callbacks that free more on the second.
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const role = process.argv[2] as Role;
  const options = JSON.parse(process.argv[3] ?? '{}') as Record<string, string | undefined>;
  const running = await start(role, options);
  const send = (message: ReadyMessage | ReplyMessage) => process.send!(message);

  process.on('message', (message: { id: number; command: Command }) => {
    const reply = async (): Promise<unknown> => {
      switch (message.command) {
        case 'stats':
          return running.stats?.() ?? {};
        case 'heap':
          return heapAfterGc();
        case 'cpu': {
          // CPU time (user + system, µs) this process has used: per request, it says what a request costs
          // this server whatever else the machine runs.
          const usage = process.cpuUsage();
          return usage.user + usage.system;
        }
        case 'close':
          await running.close();
          setImmediate(() => process.exit(0));
          return null;
      }
    };
    reply().then(
      (result) => send({ type: 'reply', id: message.id, result }),
      (error: unknown) => send({ type: 'reply', id: message.id, error: String(error) }),
    );
  });
  // The parent went away (crash, Ctrl-C): do not linger.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url: running.url });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
