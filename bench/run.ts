import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { BENCH_USER } from './bff';
import { autocannonRate, intFromEnv, maxLoad, pacedLoad, signIn, spawnServer, stopServer, type ChildServer, type LoadResult, type LoadSettings } from './load';
import type { BffStats } from './bff';
import type { UpstreamStats } from './upstream';

/**
 * `npm run bench`: how much this app adds to an API call, against the bare upstream ("direct") and against
 * the proxy a developer would write instead ("baseline"). Loopback, the same settings for every phase;
 * prints a table and writes bench/results/latest.json. See README, "Performance".
 *
 * Processes: this one generates the load (autocannon); the upstream, the baseline and the app each run in a
 * child process of their own, started once and loaded in turn, so no server shares an event loop with the
 * load generator or with another server. On a 2-core machine they still share the CPUs: the figures are
 * for this machine, and the ratios between phases are what carries over.
 *
 * Environment (all optional):
 * - BENCH_DURATION_SECONDS (20): measured seconds per phase and round; BENCH_WARMUP_SECONDS (5) before the first;
 *   quick mode: BENCH_DURATION_SECONDS=5 BENCH_ROUNDS=1;
 * - BENCH_ROUNDS (3): measure every phase this many times, in turn, and report the median round;
 * - BENCH_CONNECTIONS (100), BENCH_PIPELINING (1);
 * - BENCH_AUTOCANNON_RATE=1: also measure the half load with autocannon's own `overallRate` (bursty; see load.ts);
 * - BENCH_PROFILE=1: write V8 CPU profiles of the baseline and bff processes to bench/results/ (git-ignored);
 * - BENCH_OUTPUT (bench/results/latest.json); BENCH_LOG_FILE (/dev/null): where the app's log lines go;
 * - REDIS_URL: add a "bffRedis" phase, the app with REDIS_URL (sessions and token cache in Redis).
 */

const REPO_ROOT = path.resolve(__dirname, '../..');
const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');
const API_PATH = '/service/v3/appointments/';


/**
 * The compiled sources find views/ and public/ relative to themselves (`dist/../views` for the normal build);
 * this build lives one level deeper (dist-bench/src), so link the originals in beside it.
 */
function linkAssets(): void {
  const outDir = path.resolve(__dirname, '..');
  for (const name of ['views', 'public']) {
    const link = path.join(outDir, name);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(REPO_ROOT, name), link, 'dir');
  }
}

/** The median of each figure over several runs of the same load. */
function medianFigures(runs: LoadResult[]): LoadResult {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const pick = (key: 'rps' | 'p50' | 'p99' | 'errors' | 'non2xx' | 'requests') => median(runs.map((r) => r[key]));
  return { rps: pick('rps'), p50: pick('p50'), p99: pick('p99'), errors: pick('errors'), non2xx: pick('non2xx'), requests: pick('requests') };
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

async function warmUp(url: string, headers: Record<string, string>, settings: LoadSettings, seconds: number): Promise<void> {
  await autocannon({ url, headers, connections: settings.connections, pipelining: settings.pipelining, duration: seconds });
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

interface PhaseRun extends LoadResult {
  /** CPU time the server under test used per request (µs): the upstream's for "direct". */
  cpuMicrosPerRequest: number;
}

/** The middle run of a phase by req/s (the median of an odd number of rounds). */
function medianRun(runs: PhaseRun[]): PhaseRun {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor((runs.length - 1) / 2)]!;
}

async function main(): Promise<void> {
  linkAssets();
  const settings = {
    connections: intFromEnv('BENCH_CONNECTIONS', 100),
    pipelining: intFromEnv('BENCH_PIPELINING', 1),
    durationSeconds: intFromEnv('BENCH_DURATION_SECONDS', 20),
    warmupSeconds: intFromEnv('BENCH_WARMUP_SECONDS', 5),
    rounds: intFromEnv('BENCH_ROUNDS', 3),
  };
  const profileDir = process.env.BENCH_PROFILE === '1' ? RESULTS_DIR : undefined;
  const output = process.env.BENCH_OUTPUT ?? path.join(RESULTS_DIR, 'latest.json');
  const logFile = process.env.BENCH_LOG_FILE;
  const redisUrl = process.env.REDIS_URL;
  fs.mkdirSync(RESULTS_DIR, { recursive: true });

  // The servers: the bare upstream, the naive proxy, and the app (signed in), each in its own process.
  const upstream = await spawnServer('upstream', {});
  const bareServer = await spawnServer('bare', { upstreamUrl: upstream.url });
  const baselineServer = await spawnServer('baseline', { upstreamUrl: upstream.url }, { cpuProfileDir: profileDir });
  const bffServer = await spawnServer('bff', { upstreamUrl: upstream.url, logFile }, { cpuProfileDir: profileDir });
  const redisServer = redisUrl ? await spawnServer('bff', { upstreamUrl: upstream.url, logFile, redisUrl }, { cpuProfileDir: profileDir }) : undefined;

  interface Target {
    name: string;
    url: string;
    headers: Record<string, string>;
    /** The process whose CPU time is the phase's cost. */
    server: ChildServer;
    runs: PhaseRun[];
    /** What the upstream saw while this target was under load (warm-up, runs, half load). */
    upstreamSaw: UpstreamStats;
  }
  const target = (name: string, server: ChildServer, url: string, headers: Record<string, string> = {}): Target => ({
    name,
    url,
    headers,
    server,
    runs: [],
    upstreamSaw: { connections: 0, requests: 0 },
  });
  /** Runs `load` and adds the upstream's new connections and requests meanwhile to the target's count. */
  async function counted<T>(t: Target, load: () => Promise<T>): Promise<T> {
    const before = await upstream.command<UpstreamStats>('stats');
    const result = await load();
    const after = await upstream.command<UpstreamStats>('stats');
    t.upstreamSaw.connections += after.connections - before.connections;
    t.upstreamSaw.requests += after.requests - before.requests;
    return result;
  }
  const bffHeaders = async (server: ChildServer) => ({ cookie: await signIn(server.url, BENCH_USER.username, BENCH_USER.password), accept: 'application/json' });
  const targets: Target[] = [
    target('direct', upstream, `${upstream.url}${API_PATH}`),
    target('bare', bareServer, `${bareServer.url}/api/fortellis${API_PATH}`),
    target('baseline', baselineServer, `${baselineServer.url}/api/fortellis${API_PATH}`),
    target('bff', bffServer, `${bffServer.url}/api/fortellis${API_PATH}`, await bffHeaders(bffServer)),
  ];
  if (redisServer) targets.push(target('bffRedis', redisServer, `${redisServer.url}/api/fortellis${API_PATH}`, await bffHeaders(redisServer)));
  const bffTarget = targets[3]!;

  // The app's counters from sign-in on: token requests, store writes.
  const bffStart = await bffServer.command<BffStats>('stats');
  for (const t of targets) {
    log(`${t.name}: warm-up ${settings.warmupSeconds} s at -c ${settings.connections}`);
    await counted(t, () => warmUp(t.url, t.headers, settings, settings.warmupSeconds));
  }
  const heapAfterWarmup = await bffServer.command<number>('heap');

  // Rounds of every phase in turn, so that a disturbance of the machine shows as spread, not as a ratio.
  for (let round = 1; round <= settings.rounds; round++) {
    for (const t of targets) {
      log(`${t.name}: ${settings.durationSeconds} s at -c ${settings.connections}${settings.rounds > 1 ? ` (round ${round} of ${settings.rounds})` : ''}`);
      const cpuBefore = await t.server.command<number>('cpu');
      const result = await counted(t, () => maxLoad(t.url, t.headers, settings));
      const cpuAfter = await t.server.command<number>('cpu');
      t.runs.push({ ...result, cpuMicrosPerRequest: Math.round((cpuAfter - cpuBefore) / Math.max(1, result.requests)) });
    }
  }
  const measured = Object.fromEntries(targets.map((t) => [t.name, medianRun(t.runs)]));
  const { direct, baseline, bff } = measured as Record<'direct' | 'baseline' | 'bff', PhaseRun>;

  // Added latency: the same evenly paced rate, half of what the bff sustained, against the bff and direct,
  // in rounds like the full-load phases (a single sample is at the mercy of whatever else the machine does),
  // and the median of each figure reported.
  const halfRate = Math.max(1, Math.round(bff.rps / 2));
  const halfRuns: Record<'bff' | 'direct' | 'baseline', LoadResult[]> = { bff: [], direct: [], baseline: [] };
  for (let round = 1; round <= settings.rounds; round++) {
    log(`half load: ${halfRate} req/s, evenly paced, ${settings.durationSeconds} s each for bff, direct, baseline (round ${round} of ${settings.rounds})`);
    halfRuns.bff.push(await counted(bffTarget, () => pacedLoad(bffTarget.url, bffTarget.headers, halfRate, settings.durationSeconds, settings.connections)));
    halfRuns.direct.push(await pacedLoad(targets[0]!.url, {}, halfRate, settings.durationSeconds, settings.connections));
    // For context: what the naive proxy adds at the same rate on the same machine.
    halfRuns.baseline.push(await pacedLoad(targets[2]!.url, {}, halfRate, settings.durationSeconds, settings.connections));
  }
  const bffHalf = medianFigures(halfRuns.bff);
  const directHalf = medianFigures(halfRuns.direct);
  const baselineHalf = medianFigures(halfRuns.baseline);
  let burst: { bff: LoadResult; direct: LoadResult } | undefined;
  if (process.env.BENCH_AUTOCANNON_RATE === '1') {
    log('the same with autocannon overallRate (bursty; for comparison)');
    burst = { bff: await autocannonRate(bffTarget.url, bffTarget.headers, halfRate, settings), direct: await autocannonRate(targets[0]!.url, {}, halfRate, settings) };
  }

  const heapEnd = await bffServer.command<number>('heap');
  const bffEnd = await bffServer.command<BffStats>('stats');
  const redisEnd = redisServer ? await redisServer.command<BffStats>('stats') : undefined;
  for (const server of [bffServer, baselineServer, bareServer, ...(redisServer ? [redisServer] : [])]) await stopServer(server);
  await stopServer(upstream);

  // Per call the bff made upstream after sign-in (warm-up, full load, half load): connections it opened, and
  // store writes over the same calls.
  const bffCalls = bffTarget.upstreamSaw.requests;
  const storeWrites = bffEnd.storeWrites === null || bffStart.storeWrites === null ? null : bffEnd.storeWrites - bffStart.storeWrites;
  const phase = (r: PhaseRun) => ({ rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors, non2xx: r.non2xx });
  const report = {
    node: process.version,
    cpus: os.cpus().length,
    settings: { ...settings, path: `/api/fortellis${API_PATH}`, halfLoadRate: halfRate, nodeOptions: process.env.NODE_OPTIONS ?? '' },
    phases: Object.fromEntries(Object.entries(measured).map(([name, r]) => [name, phase(r)])),
    ratios: {
      bffOverBaseline: round(bff.rps / baseline.rps),
      bffOverDirect: round(bff.rps / direct.rps),
      bffCpuOverBaselineCpu: round(bff.cpuMicrosPerRequest / Math.max(1, baseline.cpuMicrosPerRequest)),
    },
    tokenRequests: bffEnd.tokenRequests,
    upstreamConnectionsPerRequest: round(bffTarget.upstreamSaw.connections / bffCalls, 5),
    heapGrowth: round(heapEnd / heapAfterWarmup),
    storeWritesPerRequest: storeWrites === null ? null : round(storeWrites / bffCalls, 6),
    addedLatencyAtHalfLoad: { p50: round(bffHalf.p50 - directHalf.p50), p99: round(bffHalf.p99 - directHalf.p99) },
    details: {
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      date: new Date().toISOString(),
      sessionStore: bffEnd.sessionStore,
      // Every round of every phase (the table shows the median): how noisy the machine was.
      rounds: Object.fromEntries(targets.map((t) => [t.name, t.runs])),
      cpuMicrosPerRequest: Object.fromEntries(Object.entries(measured).map(([name, r]) => [name, r.cpuMicrosPerRequest])),
      bffCallsAfterSignIn: bffCalls,
      upstreamConnectionsDuringBff: bffTarget.upstreamSaw.connections,
      storeWritesDuringBff: storeWrites,
      heapAfterWarmupBytes: heapAfterWarmup,
      heapEndBytes: heapEnd,
      halfLoad: {
        pacing: 'open loop, evenly paced (1 ms ticks)',
        bff: bffHalf,
        direct: directHalf,
        baseline: baselineHalf,
        rounds: halfRuns,
        baselineAdded: { p50: round(baselineHalf.p50 - directHalf.p50), p99: round(baselineHalf.p99 - directHalf.p99) },
      },
      ...(burst
        ? { halfLoadAutocannonOverallRate: { ...burst, added: { p50: round(burst.bff.p50 - burst.direct.p50), p99: round(burst.bff.p99 - burst.direct.p99) } } }
        : {}),
      ...(redisEnd ? { bffRedis: { sessionStore: redisEnd.sessionStore, tokenRequests: redisEnd.tokenRequests, storeWrites: redisEnd.storeWrites } } : {}),
    },
  };

  fs.mkdirSync(path.dirname(output), { recursive: true });
  fs.writeFileSync(output, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${formatTable(report)}\n\nwritten to ${path.relative(process.cwd(), output)}\n`);
}

type Report = {
  node: string;
  cpus: number;
  settings: LoadSettings & { warmupSeconds: number; rounds: number; halfLoadRate: number };
  phases: Record<string, Pick<LoadResult, 'rps' | 'p50' | 'p99' | 'errors' | 'non2xx'>>;
  ratios: { bffOverBaseline: number; bffOverDirect: number; bffCpuOverBaselineCpu: number };
  tokenRequests: number;
  upstreamConnectionsPerRequest: number;
  heapGrowth: number;
  storeWritesPerRequest: number | null;
  addedLatencyAtHalfLoad: { p50: number; p99: number };
  details: { cpuMicrosPerRequest: Record<string, number>; rounds: Record<string, PhaseRun[]>; halfLoad: { baselineAdded: { p50: number; p99: number } } };
};

/** The tables for the terminal and the README. */
function formatTable(report: Report): string {
  const { settings, details } = report;
  const spread = (name: string) => {
    const rps = details.rounds[name]!.map((r) => r.rps);
    return rps.length > 1 ? ` (${Math.min(...rps)}–${Math.max(...rps)})` : '';
  };
  const lines = [
    `Node ${report.node}, ${report.cpus} CPUs, -c ${settings.connections}, pipelining ${settings.pipelining}, ` +
      `${settings.warmupSeconds} s warm-up, ${settings.rounds} × ${settings.durationSeconds} s per phase` +
      (settings.rounds > 1 ? ' (median round; range of the rounds in brackets)' : ''),
    '',
    '| phase | req/s | p50 ms | p99 ms | errors | non-2xx | server CPU µs/req |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...Object.entries(report.phases).map(
      ([name, p]) => `| ${name} | ${p.rps}${spread(name)} | ${p.p50.toFixed(2)} | ${p.p99.toFixed(2)} | ${p.errors} | ${p.non2xx} | ${details.cpuMicrosPerRequest[name]} |`,
    ),
    '',
    '| measure | value | target |',
    '| --- | ---: | --- |',
    `| bff / baseline (req/s) | ${report.ratios.bffOverBaseline.toFixed(2)} | ≥ 1.5 ${mark(report.ratios.bffOverBaseline >= 1.5)} |`,
    `| bff / baseline (server CPU µs per request) | ${report.ratios.bffCpuOverBaselineCpu.toFixed(2)} | ≤ 0.5 ${mark(report.ratios.bffCpuOverBaselineCpu <= 0.5)} |`,
    `| bff / direct (req/s) | ${report.ratios.bffOverDirect.toFixed(2)} | ≥ 0.30 ${mark(report.ratios.bffOverDirect >= 0.3)} |`,
    `| token requests, whole bff run | ${report.tokenRequests} | 1 ${mark(report.tokenRequests === 1)} |`,
    `| upstream connections opened per request | ${report.upstreamConnectionsPerRequest} | ≤ 0.01 ${mark(report.upstreamConnectionsPerRequest <= 0.01)} |`,
    `| heap after GC, end / after warm-up | ${report.heapGrowth.toFixed(2)} | ≤ 1.10 ${mark(report.heapGrowth <= 1.1)} |`,
    `| session store writes per request | ${report.storeWritesPerRequest ?? 'n/a'} | ≈ 0 ${mark(report.storeWritesPerRequest !== null && report.storeWritesPerRequest < 0.001)} |`,
    `| added latency p50 at ${settings.halfLoadRate} req/s (half load) | ${report.addedLatencyAtHalfLoad.p50.toFixed(2)} ms | ≤ 1 ms ${mark(report.addedLatencyAtHalfLoad.p50 <= 1)} |`,
    `| added latency p99 at ${settings.halfLoadRate} req/s (half load) | ${report.addedLatencyAtHalfLoad.p99.toFixed(2)} ms | ≤ 5 ms ${mark(report.addedLatencyAtHalfLoad.p99 <= 5)} |`,
    `| (context) baseline's added latency p50 / p99 at the same rate | ${details.halfLoad.baselineAdded.p50.toFixed(2)} / ${details.halfLoad.baselineAdded.p99.toFixed(2)} ms | |`,
  ];
  return lines.join('\n');
}

const mark = (ok: boolean) => (ok ? '✓' : '✗ missed');

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
