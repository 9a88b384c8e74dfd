import 'dotenv/config';
import { ConfigError, loadConfig, type AppConfig } from './config/load';
import { DEMO_ADMIN, DEMO_USER } from './auth/demo-users';
import { systemClock } from './lib/clock';
import { createLogger } from './lib/logger';
import { exitOnUnhandledErrors } from './lib/fatal-errors';
import { startServer, type RunningServer } from './run';

/** How long in-flight requests get to finish after SIGTERM before connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000;

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

function announce(running: RunningServer): void {
  const { config, simulator } = running;
  const lines = [`Fortellis BFF listening on ${config.publicUrl}`];
  if (simulator) {
    lines.push(
      `Simulator mode: Fortellis is simulated at ${simulator.url} (no Fortellis account needed).`,
      `Open ${config.publicUrl}/login and sign in as ${DEMO_USER.username} / ${DEMO_USER.password} (or ${DEMO_ADMIN.username} / ${DEMO_ADMIN.password} for the admin pages).`,
    );
  } else {
    lines.push(`Fortellis: ${config.fortellis.apiBaseUrl} (issuer ${config.fortellis.issuer})`);
  }
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ level: config.logLevel });
  exitOnUnhandledErrors(logger);
  const running = await startServer(config, { clock: systemClock, logger, processMetrics: true });
  announce(running);
  logger.info({ event: 'server.started', url: running.url, simulator: config.simulator.enabled }, 'listening');

  const stop = (signal: NodeJS.Signals) => {
    logger.info({ event: 'server.stopping', signal }, 'shutting down');
    running.stop(SHUTDOWN_GRACE_MS).then(
      () => {
        logger.info({ event: 'server.stopped' }, 'stopped');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error('Failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
