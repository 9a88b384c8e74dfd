/**
 * `npm run simulator`: the Fortellis simulator on its own, for docker compose and for pointing other
 * Fortellis apps at it. Configuration comes from the environment (and `.env`); see `config.ts`.
 */
import 'dotenv/config';
import { exitOnUnhandledErrors } from '../lib/fatal-errors';
import { createLogger } from '../lib/logger';
import { loadSimulatorConfig } from './config';
import { CLIENT_CREDENTIALS_SCOPE } from '../core/simulator-contract';
import { SIMULATOR_SUBSCRIPTIONS, startSimulator } from './index';

async function main(): Promise<void> {
  exitOnUnhandledErrors(createLogger({ level: 'info' }));
  const loaded = loadSimulatorConfig(process.env);
  if (!loaded.ok) {
    console.error(`The simulator cannot start:\n${loaded.problems.map((problem) => `  - ${problem}`).join('\n')}`);
    process.exit(1);
  }
  const { config } = loaded;
  const running = await startSimulator({
    port: config.port,
    host: config.host,
    ...(config.publicUrl !== undefined ? { publicUrl: config.publicUrl } : {}),
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    tokenLifetimeSeconds: config.tokenLifetimeSeconds,
    implicitRedirectUris: config.redirectUris,
  });

  // The id and secret are public demo credentials of a local simulator: printing them is the point.
  console.log(
    [
      'Fortellis simulator running',
      `  issuer:          ${running.issuer}`,
      `  token endpoint:  ${running.issuer}/v1/token (scope=${CLIENT_CREDENTIALS_SCOPE})`,
      `  discovery:       ${running.issuer}/.well-known/openid-configuration`,
      `  API base URL:    ${running.apiBaseUrl}  (FORTELLIS_API_BASE_URL; Test environment: ${running.apiBaseUrl}/cdk-test)`,
      `  subscriptions API: ${running.subscriptionsUrl}  (FORTELLIS_SUBSCRIPTIONS_URL)`,
      `  client id:       ${config.clientId}`,
      `  client secret:   ${config.clientSecret}`,
      `  redirect URIs:   ${config.redirectUris.join(', ')}`,
      '  sample Subscription-Ids:',
      ...Object.entries(SIMULATOR_SUBSCRIPTIONS).map(([name, id]) => `    ${name.padEnd(9)} ${id}`),
      `  controls:        ${running.url}/__simulator/stats, /__simulator/faults`,
    ].join('\n'),
  );

  const stop = (signal: NodeJS.Signals) => {
    console.log(`Received ${signal}; stopping the simulator.`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('The simulator did not close cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error('The simulator failed to start:', error);
  process.exit(1);
});
