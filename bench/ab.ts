import fs from 'node:fs';
import path from 'node:path';
import { BENCH_USER } from './bff';
import { intFromEnv, type ChildServer, type LoadSettings } from './load';

/**
 * `npm run bench:ab -- <other checkout>`: the bff of this tree (A) against the bff of another checkout (B),
 * for a change too small for `npm run bench` to tell apart from the machine's noise.
 *
 * Two kinds of noise, and what is done about each. The machine's speed drifts from minute to minute: the
 * contenders are loaded one after the other within each round, alternating which goes first, and compared
 * round by round (the ratio of each one's CPU per request to A's in the same round). And a process has luck
 * of its own that lasts as long as it does (how V8 happened to compile and lay out its hot code): two
 * servers of one build, started side by side, differed by up to ±8 % for a whole run. So every round starts
 * fresh server processes, warms them up, measures one slice and stops them: over the rounds, both kinds
 * average out, and the spread of the per-round ratios says how far the result can be trusted (the ± printed
 * is one standard error of the geometric mean ratio; a difference under two of them is not resolved).
 *
 * The other checkout needs its own `npm ci` and one `npm run bench` (or `npx tsc -p tsconfig.bench.json`),
 * so that its dist-bench/ exists. Environment: BENCH_AB_ROUNDS (12), BENCH_AB_SLICE_SECONDS (3),
 * BENCH_AB_WARMUP_SECONDS (2), BENCH_CONNECTIONS (100), BENCH_AB_BASELINE=1 to load the baseline in the same
 * rounds too.
 */

const API_PATH = '/api/fortellis/service/v3/appointments/';

interface LoadModule {
  spawnServer: typeof import('./load').spawnServer;
  stopServer: typeof import('./load').stopServer;
  signIn: typeof import('./load').signIn;
  maxLoad: typeof import('./load').maxLoad;
}

interface Contender {
  name: string;
  load: LoadModule;
  role: 'bff' | 'baseline';
  /** CPU µs per request, one figure per round. */
  cpuPerRequest: number[];
  rps: number[];
}

/** The other checkout's compiled bench, checked before anything starts. */
function otherTree(argument: string | undefined): LoadModule {
  if (!argument) throw new Error('usage: npm run bench:ab -- <path of another checkout, with dist-bench/ built>');
  const load = path.resolve(argument, 'dist-bench/bench/load.js');
  if (!fs.existsSync(load)) throw new Error(`${load} is missing: run \`npx tsc -p tsconfig.bench.json\` in ${path.resolve(argument)} first`);
  // Views and static files, as run.ts links them for its own build.
  for (const name of ['views', 'public']) {
    const link = path.resolve(argument, 'dist-bench', name);
    if (!fs.existsSync(link)) fs.symlinkSync(path.resolve(argument, name), link, 'dir');
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(load) as LoadModule;
}

/** One contender's slice of a round: a fresh server, warmed up, loaded, stopped. */
async function measureSlice(c: Contender, upstreamUrl: string, mine: LoadModule, settings: LoadSettings, warmupSeconds: number): Promise<void> {
  const server: ChildServer = await c.load.spawnServer(c.role, { upstreamUrl });
  try {
    const url = `${server.url}${API_PATH}`;
    const headers: Record<string, string> = c.role === 'bff' ? { cookie: await c.load.signIn(server.url, BENCH_USER.username, BENCH_USER.password), accept: 'application/json' } : {};
    await mine.maxLoad(url, headers, { ...settings, durationSeconds: warmupSeconds });
    const before = await server.command<number>('cpu');
    const result = await mine.maxLoad(url, headers, settings);
    const after = await server.command<number>('cpu');
    if (result.errors > 0 || result.non2xx > 0) throw new Error(`${c.name}: ${result.errors} errors, ${result.non2xx} non-2xx answers`);
    c.cpuPerRequest.push((after - before) / result.requests);
    c.rps.push(result.rps);
  } finally {
    await c.load.stopServer(server);
  }
}

/** The geometric mean of `values[i] / reference[i]` and its standard error (as a factor, e.g. 0.03 for ±3 %). */
export function pairedRatio(values: readonly number[], reference: readonly number[]): { ratio: number; standardError: number } {
  const logs = values.map((value, i) => Math.log(value / reference[i]!));
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  const variance = logs.length > 1 ? logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1) : NaN;
  return { ratio: Math.exp(mean), standardError: Math.sqrt(variance / logs.length) };
}

async function main(): Promise<void> {
  const mine = (await import('./load')) as LoadModule;
  const other = otherTree(process.argv[2]);
  for (const name of ['views', 'public']) {
    const link = path.resolve(__dirname, '..', name);
    if (!fs.existsSync(link)) fs.symlinkSync(path.resolve(__dirname, '../..', name), link, 'dir');
  }
  const rounds = intFromEnv('BENCH_AB_ROUNDS', 12);
  const warmupSeconds = intFromEnv('BENCH_AB_WARMUP_SECONDS', 2);
  const settings: LoadSettings = { connections: intFromEnv('BENCH_CONNECTIONS', 100), pipelining: 1, durationSeconds: intFromEnv('BENCH_AB_SLICE_SECONDS', 3) };

  const contenders: Contender[] = [
    { name: 'A (this tree)', load: mine, role: 'bff', cpuPerRequest: [], rps: [] },
    { name: `B (${process.argv[2]})`, load: other, role: 'bff', cpuPerRequest: [], rps: [] },
  ];
  if (process.env.BENCH_AB_BASELINE === '1') contenders.push({ name: 'baseline', load: mine, role: 'baseline', cpuPerRequest: [], rps: [] });

  const upstream = await mine.spawnServer('upstream', {});
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const c of order) await measureSlice(c, upstream.url, mine, settings, warmupSeconds);
    }
  } finally {
    await mine.stopServer(upstream);
  }
  const a = contenders[0]!.cpuPerRequest;
  process.stdout.write(
    `${rounds} rounds, fresh servers each, ${warmupSeconds} s warm-up + ${settings.durationSeconds} s measured, -c ${settings.connections}\n\n` +
      '| server | CPU µs per request (mean of rounds) | CPU per request / A (± standard error) | req/s (mean) |\n| --- | ---: | ---: | ---: |\n',
  );
  const mean = (values: readonly number[]) => values.reduce((x, y) => x + y, 0) / values.length;
  for (const c of contenders) {
    const { ratio, standardError } = pairedRatio(c.cpuPerRequest, a);
    const relative = c === contenders[0] ? '1' : `${ratio.toFixed(3)} ± ${standardError.toFixed(3)}`;
    process.stdout.write(`| ${c.name} | ${mean(c.cpuPerRequest).toFixed(1)} | ${relative} | ${Math.round(mean(c.rps))} |\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
