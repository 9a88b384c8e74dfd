import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../../src/app';
import { ensureDemoUsers } from '../../../src/auth/demo-users';
import { createPasswordHasher } from '../../../src/auth/password';
import { loadConfig, pointAtSimulator, type AppConfig } from '../../../src/config/load';
import { buildDependencies, type BuiltDependencies } from '../../../src/dependencies';
import { systemClock } from '../../../src/lib/clock';
import { createLogger } from '../../../src/lib/logger';
import { SIMULATOR_DEFAULT_CLIENT_ID, SIMULATOR_DEFAULT_CLIENT_SECRET, startSimulator, type RunningSimulator } from '../../../src/simulator';
import { LogCapture } from '../../support/log-capture';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser';

export interface E2eServers {
  /** The app's origin, as the browser opens it (also its PUBLIC_URL, so Origin checks pass). */
  appUrl: string;
  config: AppConfig;
  deps: BuiltDependencies;
  sim: RunningSimulator;
  /** Every line the app logged. */
  logs: LogCapture;
  close(): Promise<void>;
}

/**
 * The app and its simulator as a browser needs them: both really listening on loopback, on the system
 * clock (a browser's timers cannot follow a fake one), the simulator accepting the app's real `/implicit/`
 * URL as redirect URI. The app's port is bound first, because that URL must be known before the simulator
 * starts and the app's config must know the simulator's URL.
 */
export async function startE2eServers(options: { hostName?: string } = {}): Promise<E2eServers> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  // WebAuthn refuses an IP address as relying-party id: passkey tests open the app as `localhost`.
  const appUrl = `http://${options.hostName ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;

  const sim = await startSimulator({
    port: 0,
    clientId: SIMULATOR_DEFAULT_CLIENT_ID,
    clientSecret: SIMULATOR_DEFAULT_CLIENT_SECRET,
    implicitRedirectUris: [`${appUrl}/implicit/`],
  });
  const config = pointAtSimulator(
    loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'debug', PUBLIC_URL: appUrl }),
    sim.url,
  );
  const logs = new LogCapture();
  const logger = createLogger({ level: 'debug', destination: logs });
  // Cheap scrypt: the parameters are stored in each hash, so sign-in is exercised all the same.
  const deps = await buildDependencies(config, { clock: systemClock, logger, passwords: createPasswordHasher({ logN: 10 }) });
  await ensureDemoUsers(deps.users, deps.passwords);
  server.on('request', createApp(deps));

  return {
    appUrl,
    config,
    deps,
    sim,
    logs,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await deps.close();
      await sim.close();
    },
  };
}

export interface E2eHarness {
  readonly servers: E2eServers;
  readonly browser: Browser;
}

/** Starts the app, its simulator and one Chromium for the whole test file, and stops them after it. */
export function useServersAndBrowser(): E2eHarness {
  const harness = {} as { servers: E2eServers; browser: Browser };
  beforeAll(async () => {
    harness.servers = await startE2eServers();
    harness.browser = await launchChromium();
  });
  afterAll(async () => {
    await harness.browser?.close();
    await harness.servers?.close();
  });
  return harness;
}
