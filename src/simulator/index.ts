import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { systemClock, type Clock } from '../lib/clock';
import { createAuthorizeRouter } from './authorize-router';
import {
  SIMULATOR_API_PATH,
  SIMULATOR_CONTROL_PATH,
  SIMULATOR_DEFAULT_CLIENT_ID,
  SIMULATOR_DEFAULT_CLIENT_SECRET,
  SIMULATOR_FALLBACK_PUBLIC_URL,
  SIMULATOR_IDENTITY_PATH,
  SIMULATOR_ISSUER_PATH,
} from '../core/simulator-contract';
import { createControlRouter } from './control-router';
import { createDiscoveryRouter, createRootMetadataRouter } from './discovery';
import { FaultDelays } from './fault-delays';
import { createFaultMiddleware } from './fault-middleware';
import { FaultStore, type Fault, type FaultInput } from './faults';
import { createGatewayRouter } from './gateway-router';
import { createIdentityRouter } from './identity-router';
import { createSampleDealers } from './sample-data';
import { createSubscriptionsRouter } from './subscriptions-router';
import { StatsRecorder, type SimulatorStats } from './stats';
import { createTokenService } from './token-service';

export {
  SIMULATOR_API_PATH,
  SIMULATOR_AUTH_SERVER_ID,
  SIMULATOR_DEFAULT_CLIENT_ID,
  SIMULATOR_DEFAULT_CLIENT_SECRET,
  SIMULATOR_DEMO_ACCOUNT,
  SIMULATOR_IDENTITY_PATH,
  SIMULATOR_ISSUER_PATH,
} from '../core/simulator-contract';
export { SIMULATED_APP_INFO, SIMULATOR_SUBSCRIPTIONS } from './sample-data';
export type { Fault, FaultInput } from './faults';
export type { LastApiRequest, SimulatorStats } from './stats';
export { basicAuthorizationHeader } from './client-auth';

export interface SimulatorOptions {
  /** The API key (OAuth `client_id`) it accepts. */
  clientId: string;
  clientSecret: string;
  /** Lifetime of issued access tokens; Fortellis' is 3600. */
  tokenLifetimeSeconds?: number;
  /** Used for `iat`/`exp` and for verifying tokens; tests pass a fake clock to expire tokens. */
  clock?: Clock;
  /** Base URL clients reach it at, e.g. `http://127.0.0.1:3001`; the issuer derives from it. */
  publicUrl?: string;
  /** Registered redirect URIs for the authorize endpoint (matched exactly). */
  implicitRedirectUris?: string[];
  /** Called with errors no handler expected (the client gets 500 PROCESSING-ERROR); default: console.error. */
  onUnexpectedError?: (error: unknown) => void;
}

export interface Simulator {
  app: Express;
  /** Set once the server is listening when publicUrl was not known up front. */
  setPublicUrl(url: string): void;
  readonly publicUrl: string;
  /** `${publicUrl}/oauth2/aus-simulator`. */
  readonly issuer: string;
  stats(): SimulatorStats;
  resetStats(): void;
  /** Validates and stores a fault (throws FaultValidationError with every problem listed). */
  addFault(input: FaultInput): Fault;
  faults(): Fault[];
  clearFaults(): void;
  /** Every token issued so far answers 401 TOKEN-EXPIRED from now on; later tokens work. */
  expireTokens(): { expiredBefore: string; tokensExpired: number };
  /** Ends pending fault delays; call when the server stops (`startSimulator` does). */
  dispose(): void;
}

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

/** Strips trailing slashes and refuses anything that is not an http(s) URL. */
function normalisePublicUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`The simulator's public URL is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`The simulator's public URL must be http or https: ${url}`);
  }
  return url.replace(/\/+$/, '');
}

/**
 * Builds the simulator: an RS256 key pair, fresh sample data, and an express app serving Fortellis'
 * identity (`/oauth2/...`) and subscription paths at its root, the business APIs below `/apis`, and the
 * `/__simulator` controls. It does not listen; see `startSimulator`.
 */
export async function createSimulator(options: SimulatorOptions): Promise<Simulator> {
  const clock = options.clock ?? systemClock;
  const lifetimeSeconds = options.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1) {
    throw new TypeError('tokenLifetimeSeconds must be a whole number of seconds, at least 1');
  }
  if (!options.clientId) throw new TypeError('clientId must not be empty');
  let publicUrl = normalisePublicUrl(options.publicUrl ?? SIMULATOR_FALLBACK_PUBLIC_URL);
  const issuer = () => `${publicUrl}${SIMULATOR_ISSUER_PATH}`;
  const onUnexpectedError = options.onUnexpectedError ?? ((error: unknown) => console.error('[simulator]', error));

  const tokens = await createTokenService({ clock, lifetimeSeconds, issuer });
  const stats = new StatsRecorder(clock);
  const faultStore = new FaultStore(clock);
  const delays = new FaultDelays();
  const dealers = createSampleDealers();
  const faultDeps = { faults: faultStore, delays, stats, clock };

  const simulator: Simulator = {
    app: express(),
    setPublicUrl(url: string) {
      publicUrl = normalisePublicUrl(url);
    },
    get publicUrl() {
      return publicUrl;
    },
    get issuer() {
      return issuer();
    },
    stats: () => stats.snapshot({ pendingFaultDelays: delays.size, tokensExpiredBefore: tokens.expiredBefore() }),
    resetStats: () => stats.reset(),
    addFault: (input) => faultStore.add(input),
    faults: () => faultStore.list(),
    clearFaults: () => faultStore.clear(),
    expireTokens: () => tokens.expireIssuedTokens(),
    dispose: () => delays.cancelAll(),
  };

  const app = simulator.app;
  app.disable('x-powered-by');
  // Deterministic answers: no ETag/304 dance between the app's proxy and the simulator.
  app.set('etag', false);
  app.use(SIMULATOR_CONTROL_PATH, createControlRouter(simulator));
  app.use(SIMULATOR_ISSUER_PATH, createDiscoveryRouter(issuer));
  app.use(createRootMetadataRouter(SIMULATOR_ISSUER_PATH, issuer));
  app.use(
    SIMULATOR_IDENTITY_PATH,
    createIdentityRouter({
      client: { clientId: options.clientId, clientSecret: options.clientSecret },
      tokens,
      stats,
      tokenFaults: createFaultMiddleware('token', faultDeps),
    }),
    createAuthorizeRouter({
      settings: { clientId: options.clientId, redirectUris: options.implicitRedirectUris ?? [] },
      tokens,
      stats,
    }),
    (_req: Request, res: Response) => {
      res.status(404).json({ errorCode: 'E0000007', errorSummary: 'Not found: Resource not found' });
    },
  );
  const apiFaults = createFaultMiddleware('api', faultDeps);
  // Fortellis serves the APIs, identity and subscriptions on three hosts; the simulator gives the APIs a
  // base path of their own, so that nothing below the app's FORTELLIS_API_BASE_URL (all a browser can
  // reach through the app's proxy) is anything but a business API.
  app.use(
    SIMULATOR_API_PATH,
    createGatewayRouter({ tokens, dealers, stats, apiFaults, apiBaseUrl: () => `${publicUrl}${SIMULATOR_API_PATH}`, onUnexpectedError }),
  );
  app.use(createSubscriptionsRouter({ tokens, dealers, stats, apiFaults, onUnexpectedError }));
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not_found', message: `Nothing here. The simulated APIs are below ${SIMULATOR_API_PATH}/.` });
  });
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    // Client errors raised by body parsers (too large, undecodable) are the client's, not the simulator's.
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: 'invalid_request', error_description: 'The request body could not be read.' });
      return;
    }
    onUnexpectedError(error);
    res.status(500).json({ error: 'server_error', error_description: 'The simulator failed unexpectedly.' });
  });
  return simulator;
}

export interface RunningSimulator {
  simulator: Simulator;
  /** The base URL it is reachable at (the public URL). */
  url: string;
  issuer: string;
  /** Base URL of the simulated business APIs (`{url}/apis`): the app's FORTELLIS_API_BASE_URL. */
  apiBaseUrl: string;
  /** Base URL of the simulated subscriptions API (the root): the app's FORTELLIS_SUBSCRIPTIONS_URL. */
  subscriptionsUrl: string;
  /** Stops listening and closes every connection, keep-alive ones included. Safe to call twice. */
  close(): Promise<void>;
}

/** The URL a local client uses to reach `host`: wildcard addresses are reached over loopback. */
function urlForListeningAddress(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * Creates the simulator and listens (port 0 = ephemeral). The public URL is taken from the bound
 * address unless given.
 */
export async function startSimulator(
  options: SimulatorOptions & { port: number; host?: string },
): Promise<RunningSimulator> {
  const { port, host = '127.0.0.1', ...simulatorOptions } = options;
  const simulator = await createSimulator(simulatorOptions);
  const server = http.createServer(simulator.app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  if (!options.publicUrl) simulator.setPublicUrl(urlForListeningAddress(host, bound));

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve, reject) => {
      simulator.dispose();
      server.close((error) => (error ? reject(error) : resolve()));
      // Idle keep-alive sockets would otherwise hold the server (and a test run) open.
      server.closeAllConnections();
    });
    return closing;
  };
  return {
    simulator,
    url: simulator.publicUrl,
    issuer: simulator.issuer,
    apiBaseUrl: `${simulator.publicUrl}${SIMULATOR_API_PATH}`,
    subscriptionsUrl: simulator.publicUrl,
    close,
  };
}

/** Default credentials, for callers that want both at once. */
export const SIMULATOR_DEFAULT_CLIENT = {
  clientId: SIMULATOR_DEFAULT_CLIENT_ID,
  clientSecret: SIMULATOR_DEFAULT_CLIENT_SECRET,
} as const;
