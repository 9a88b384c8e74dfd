import type { Server } from 'node:http';
import { createApp } from './app';
import { createHttpServer } from './web/server';
import { pointAtSimulator, type AppConfig } from './config/load';
import { buildDependencies, type BuildOptions, type BuiltDependencies } from './dependencies';
import { ensureDemoUsers, refuseWellKnownDemoPasswords } from './auth/demo-users';
import type { Logger } from './lib/logger';
import { startSimulator, type RunningSimulator } from './simulator';

const SESSION_PRUNE_INTERVAL_MS = 10 * 60_000;

export interface RunningServer {
  server: Server;
  /** The address it listens at (http://host:port). */
  url: string;
  config: AppConfig;
  deps: BuiltDependencies;
  simulator?: RunningSimulator;
  /**
   * Graceful stop: no new connections, in-flight requests may finish within `graceMs`, then whatever is
   * left is cut, and stores, pools and the simulator are closed.
   */
  stop(graceMs?: number): Promise<void>;
}

export type StartOptions = BuildOptions;

/**
 * Starts everything the process runs: the simulator (simulator mode), the dependencies, the demo user
 * (simulator mode) and the HTTP server. server.ts calls this with the real environment; process-level
 * tests call it with their own configuration.
 */
export async function startServer(initialConfig: AppConfig, options: StartOptions): Promise<RunningServer> {
  let config = initialConfig;
  let simulator: RunningSimulator | undefined;
  if (config.simulator.enabled) {
    simulator = await startSimulator({
      port: config.simulator.port,
      host: '127.0.0.1',
      clientId: config.simulator.clientId,
      clientSecret: config.simulator.clientSecret,
      clock: options.clock,
      implicitRedirectUris: [config.implicit.redirectUri],
    });
    config = pointAtSimulator(config, simulator.url);
  }

  const deps = await buildDependencies(config, options);
  if (config.simulator.enabled) await ensureDemoUsers(deps.users, deps.passwords);
  else await refuseWellKnownDemoPasswords(deps);

  // Not app.listen(): createHttpServer() hands proxied calls to the API's handler without Express, and
  // bounds slow clients (src/web/server.ts).
  const server = createHttpServer(createApp(deps), config.http).listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  // Redis expires keys itself; database sessions are pruned now and then.
  const pruner = setInterval(() => {
    deps.sessionStore.pruneExpired?.().catch((error: unknown) => options.logger.warn({ err: error }, 'pruning expired sessions failed'));
  }, SESSION_PRUNE_INTERVAL_MS);
  pruner.unref();

  let stopping: Promise<void> | undefined;
  return {
    server,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    config,
    deps,
    simulator,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        clearInterval(pruner);
        await closeGracefully(server, graceMs, options.logger);
        await deps.accessLog.writer.close(); // the access log's last entries, before the database closes
        await deps.close();
        await simulator?.close();
      })();
      return stopping;
    },
  };
}

/** Stops accepting connections, lets in-flight requests finish (bounded), then cuts what is left. */
function closeGracefully(server: Server, graceMs: number, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      logger.warn({ event: 'server.shutdown.forced' }, 'in-flight requests did not finish in time');
      server.closeAllConnections();
    }, graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    // Idle keep-alive connections would hold close() open until they time out; busy ones finish first.
    server.closeIdleConnections();
  });
}
