import fs from 'node:fs';
import path from 'node:path';
import { BENCH_USER } from './bff';
import { intFromEnv, type ChildServer, type LoadSettings } from './load';

/**
 * `npm run bench:ab -- <other checkout>`: the bff of this tree (A) against the bff of another checkout (B),
 * for a change too small for `npm run bench` to tell apart from the machine's noise. Both servers run at
 * once, against one upstream, and are loaded in turn in short slices, many rounds, alternating which goes
 * first; each one's CPU per request is summed over all its slices. A drift of the machine then falls on
 * both alike instead of on whichever phase ran in a slow minute. On this project's 2-vCPU VM two identical
 * builds differ by up to ±8 % this way: a change under about 10 µs per call is not resolved.
 *
 * The other checkout needs its own `npm ci` and one `npm run bench` (or `npx tsc -p tsconfig.bench.json`),
 * so that its dist-bench/ exists. Environment: BENCH_AB_ROUNDS (6), BENCH_AB_SLICE_SECONDS (3),
 * BENCH_CONNECTIONS (100), BENCH_AB_BASELINE=1 to load the baseline in the same slices too.
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
  server: ChildServer;
  url: string;
  headers: Record<string, string>;
  cpuMicros: number;
  requests: number;
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

async function main(): Promise<void> {
  const mine = (await import('./load')) as LoadModule;
  const other = otherTree(process.argv[2]);
  for (const name of ['views', 'public']) {
    const link = path.resolve(__dirname, '..', name);
    if (!fs.existsSync(link)) fs.symlinkSync(path.resolve(__dirname, '../..', name), link, 'dir');
  }
  const rounds = intFromEnv('BENCH_AB_ROUNDS', 6);
  const settings: LoadSettings = { connections: intFromEnv('BENCH_CONNECTIONS', 100), pipelining: 1, durationSeconds: intFromEnv('BENCH_AB_SLICE_SECONDS', 3) };

  const upstream = await mine.spawnServer('upstream', {});
  const contenders: Contender[] = [];
  const add = async (name: string, load: LoadModule, role: 'bff' | 'baseline') => {
    const server = await load.spawnServer(role, { upstreamUrl: upstream.url });
    const headers: Record<string, string> = role === 'bff' ? { cookie: await load.signIn(server.url, BENCH_USER.username, BENCH_USER.password), accept: 'application/json' } : {};
    contenders.push({ name, server, url: `${server.url}${API_PATH}`, headers, cpuMicros: 0, requests: 0, rps: [] });
  };
  await add('A (this tree)', mine, 'bff');
  await add(`B (${process.argv[2]})`, other, 'bff');
  if (process.env.BENCH_AB_BASELINE === '1') await add('baseline', mine, 'baseline');

  try {
    for (const c of contenders) await mine.maxLoad(c.url, c.headers, { ...settings, durationSeconds: 2 });
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const c of order) {
        const before = await c.server.command<number>('cpu');
        const result = await mine.maxLoad(c.url, c.headers, settings);
        const after = await c.server.command<number>('cpu');
        if (result.errors > 0 || result.non2xx > 0) throw new Error(`${c.name}: ${result.errors} errors, ${result.non2xx} non-2xx answers`);
        c.cpuMicros += after - before;
        c.requests += result.requests;
        c.rps.push(result.rps);
      }
    }
  } finally {
    for (const c of contenders) await mine.stopServer(c.server);
    await mine.stopServer(upstream);
  }
  process.stdout.write(`${rounds} rounds × ${settings.durationSeconds} s each, -c ${settings.connections}\n\n| server | CPU µs per request | req/s per slice |\n| --- | ---: | --- |\n`);
  for (const c of contenders) process.stdout.write(`| ${c.name} | ${(c.cpuMicros / c.requests).toFixed(1)} | ${c.rps.join(' ')} |\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
