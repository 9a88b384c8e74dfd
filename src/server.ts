import 'dotenv/config';
import type { Server } from 'node:http';
import { createApp } from './app';
import { ConfigError, loadConfig, pointAtSimulator, type AppConfig } from './config/load';
import { buildDependencies } from './dependencies';
import { ensureDemoUser, DEMO_USER } from './auth/demo-users';
import { systemClock } from './lib/clock';
import { createLogger, type Logger } from './lib/logger';
import { startSimulator, type RunningSimulator } from './simulator';

/** How long in-flight requests get to finish after SIGTERM before connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000;
const SESSION_PRUNE_INTERVAL_MS = 10 * 60_000;

function readConfig(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  let config = readConfig();
  const logger = createLogger({ level: config.logLevel });

  let simulator: RunningSimulator | undefined;
  if (config.simulator.enabled) {
    simulator = await startSimulator({
      port: config.simulator.port,
      host: '127.0.0.1',
      clientId: config.simulator.clientId,
      clientSecret: config.simulator.clientSecret,
      implicitRedirectUris: [config.implicit.redirectUri],
    });
    config = pointAtSimulator(config, simulator.url);
  }

  const deps = await buildDependencies(config, { clock: systemClock, logger });
  if (config.simulator.enabled) await ensureDemoUser(deps.users, deps.passwords);

  const app = createApp(deps);
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });

  const pruner = setInterval(() => {
    deps.sessionStore.pruneExpired().catch((error) => logger.warn({ err: error }, 'pruning expired sessions failed'));
  }, SESSION_PRUNE_INTERVAL_MS);
  pruner.unref();

  announce(config, simulator);
  logger.info({ event: 'server.started', port: config.port, simulator: config.simulator.enabled }, 'listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'server.stopping', signal }, 'shutting down');
    shutdown(server, logger)
      .then(async () => {
        clearInterval(pruner);
        await deps.close();
        await simulator?.close();
        logger.flush();
        process.exit(0);
      })
      .catch((error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** Stops accepting connections, lets in-flight requests finish (bounded), then closes what is left. */
function shutdown(server: Server, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      logger.warn({ event: 'server.shutdown.forced' }, 'in-flight requests did not finish in time');
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    // Idle keep-alive connections would otherwise hold close() open until they time out.
    server.closeIdleConnections();
  });
}

function announce(config: AppConfig, simulator: RunningSimulator | undefined): void {
  const lines = [`Fortellis BFF listening on ${config.publicUrl}`];
  if (simulator) {
    lines.push(
      `Simulator mode: Fortellis is simulated at ${simulator.url} (no Fortellis account needed).`,
      `Open ${config.publicUrl}/login and sign in as ${DEMO_USER.username} / ${DEMO_USER.password}.`,
    );
  } else {
    lines.push(`Fortellis: ${config.fortellis.apiBaseUrl} (issuer ${config.fortellis.issuer})`);
  }
  console.log(lines.join('\n'));
}

main().catch((error) => {
  console.error('Failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
