import path from 'node:path';
import express, { type Express } from 'express';
import './session/session-data';
import type { AppConfig } from './config/load';
import type { Clock } from './lib/clock';
import type { Logger } from './lib/logger';
import type { PasswordHasher } from './auth/password';
import type { UsersRepository } from './auth/users';
import type { AuditLog } from './auth/audit-log';
import { authRoutes } from './web/auth-routes';
import { enforceAbsoluteLifetime } from './web/guards';
import { createFortellisProxy } from './fortellis/proxy';
import type { SubscriptionsClient } from './fortellis/subscriptions';
import type { TokenProvider } from './fortellis/token-provider';
import type { UpstreamPool } from './fortellis/upstream-transport';
import type { SignInThrottle } from './auth/sign-in-throttle';
import { healthRoutes, type ReadinessCheck } from './web/health-routes';
import { metricsAreOff, metricsOff, type AppMetrics } from './web/metrics';
import { apiRoutes } from './web/api-routes';
import { loginCsrf, refuseCrossSite } from './web/csrf';
import { errorHandler, FaultLog } from './web/error-handler';
import { capRequestsInFlight, InFlightCap } from './web/in-flight-cap';
import { sessionMiddleware } from './web/session-middleware';
import { notFound } from './core/errors';
import { pageRoutes } from './web/page-routes';
import { adminRoutes } from './web/admin/routes';
import { UserAdministration } from './auth/user-admin';
import { requestContext } from './web/request-context';
import { apiProxyRoute, mountApiProxy } from './web/api-proxy-route';
import { noStore, securityHeaders } from './web/security-headers';
import { requireKnownHost, type TrustProxy } from './web/host-check';
import { createViews } from './web/views';
import { implicitRoutes } from './web/implicit-routes';
import { RecentActivity } from './session/recent-activity';
import type { ExpressSessionStore } from './session/express-session-store';
import type { MfaService } from './auth/mfa/service';
import type { MfaPolicyStore } from './auth/mfa/policy';
import { secondStepRoutes } from './web/mfa-sign-in-routes';
import { enrolRoutes } from './web/mfa-enrol-routes';
import type { AccessLogWriter } from './access-log/writer';
import type { AccessLogStore } from './access-log/store';

/** The session store the app needs: the express-session adapter over one session backend. */
export type AppSessionStore = ExpressSessionStore;

export interface AppDependencies {
  config: AppConfig;
  logger: Logger;
  clock: Clock;
  users: UsersRepository;
  passwords: PasswordHasher;
  sessionStore: AppSessionStore;
  tokens: TokenProvider;
  subscriptions: SubscriptionsClient;
  /** The connection pool for proxied API calls. */
  upstream: UpstreamPool;
  metrics: AppMetrics;
  audit: AuditLog;
  signInThrottle: SignInThrottle;
  readinessChecks: ReadinessCheck[];
  /** Second factors and the policy that requires them (issue 16). */
  mfa: MfaService;
  mfaPolicy: MfaPolicyStore;
  /** The access log of proxied calls: the batching writer and the table it reads back from. */
  accessLog: { writer: AccessLogWriter; store: AccessLogStore };
}

export const PUBLIC_DIR = path.resolve(__dirname, '../public');
// The package exports only its modules; its browser bundle sits beside them (its `unpkg` entry).
const WEBAUTHN_BROWSER_BUNDLE = path.join(path.dirname(require.resolve('@simplewebauthn/browser')), '../dist/bundle/index.umd.min.js');

/**
 * Builds the Express app from its dependencies. No environment reads and no listening here: server.ts
 * builds the real dependencies, tests build fakes and run the app in-process.
 */
export function createApp(deps: AppDependencies): Express {
  const { config, logger, clock } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');

  const views = createViews({
    globals: { simulatorMode: config.simulator.enabled, appName: 'Fortellis BFF', totpAvailable: deps.mfa.totpAvailable },
    cache: config.nodeEnv !== 'development',
  });
  const timeouts = { idleTimeoutMs: config.session.idleTimeoutMs, absoluteTimeoutMs: config.session.absoluteTimeoutMs };

  const faults = new FaultLog({ logger, clock, metrics: deps.metrics });
  const inFlight = new InFlightCap(config.maxRequestsInFlight);
  const activity = new RecentActivity();
  // TRUST_PROXY as Express compiled it: the Host check of the stack and of the API's route read it alike.
  const trustProxy = app.get('trust proxy fn') as TrustProxy;
  // The API proxy first, before the middleware stack below, and called by the HTTP server before Express
  // altogether (README, "Performance"); every defence of the stack that applies to it runs in the route
  // itself (src/web/api-proxy-route.ts).
  mountApiProxy(
    app,
    apiProxyRoute({
      proxy: createFortellisProxy({
        apiBaseUrl: config.fortellis.apiBaseUrl,
        timeoutMs: config.proxy.timeoutMs,
        bodyLimitBytes: config.proxy.bodyLimitBytes,
        bodyTimeoutMs: config.proxy.bodyTimeoutMs,
        forwardHeaders: config.proxy.forwardHeaders,
        allowedPaths: config.proxy.allowedPaths,
        tokens: deps.tokens,
        transport: deps.upstream,
        onUpstreamResponse: deps.metrics.recordUpstream,
      }),
      sessions: deps.sessionStore.backend,
      cookieName: config.session.cookieName,
      secrets: config.session.secrets,
      timeouts,
      clock,
      allowedHosts: config.allowedHosts,
      trustProxy,
      publicUrl: config.publicUrl,
      inFlight,
      https: config.session.cookieSecure,
      metrics: deps.metrics,
      logger,
      faults,
      activity,
      accessLog: deps.accessLog.writer,
    }),
  );
  app.use(requestContext({ logger, metrics: deps.metrics, quietPrefixes: ['/public/', '/healthz', '/readyz', '/metrics'] }));
  app.use(securityHeaders({ https: config.session.cookieSecure }));
  // @simplewebauthn/browser's own bundle, straight from node_modules (no copy to keep in step with the package).
  app.get('/vendor/simplewebauthn-browser.js', (_req, res) => res.sendFile(WEBAUTHN_BROWSER_BUNDLE, { maxAge: '1h' }));
  app.use('/public', express.static(PUBLIC_DIR, { index: false, maxAge: '1h', fallthrough: false }));

  if (metricsAreOff(config)) {
    logger.warn({ event: 'metrics.off' }, 'GET /metrics is off outside simulator mode: set METRICS_BEARER_TOKEN to serve it to your scraper');
    app.get('/metrics', metricsOff);
  }
  app.use(healthRoutes({ checks: deps.readinessChecks, metrics: deps.metrics, metricsBearerToken: config.metricsBearerToken, logger }));
  // After the health routes: a saturated process still says it is alive (and a probe is cheap).
  app.use(capRequestsInFlight(inFlight));

  app.use(noStore);
  // After the probes on purpose: load balancers and kubelets probe by IP address, and the probes read no
  // session. Everything below (sign-in, pages, API) answers only to the app's own names (DNS rebinding).
  app.use(requireKnownHost(config.allowedHosts, trustProxy));
  app.use(refuseCrossSite(config.publicUrl));
  app.use(
    sessionMiddleware({
      name: config.session.cookieName,
      secret: config.session.secrets,
      store: deps.sessionStore,
      resave: false,
      saveUninitialized: false,
      rolling: false,
      // A save or touch that fails once the answer is out: logged like any fault, the answer stands.
      onLateError: (error, _req, res) => void faults.record(error, res.locals.requestId),
      // No maxAge: a browser-session cookie. The server enforces the idle timeout (store TTL) and the
      // absolute lifetime, so the cookie never needs re-sending.
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.session.cookieSecure, path: '/' },
    }),
  );
  app.use(enforceAbsoluteLifetime(timeouts, clock));

  // The rest of the API comes right after the session: the sign-in, page, implicit-flow and admin routers
  // have nothing under /api. The /api router ends in its own 404, so nothing below ever sees an /api request.
  app.use('/api', apiRoutes({ users: deps.users, audit: deps.audit, timeouts, clock, activity }));

  app.use(
    authRoutes({
      users: deps.users,
      audit: deps.audit,
      passwords: deps.passwords,
      views,
      clock,
      logger,
      loginCsrf: loginCsrf({
        secret: config.session.secrets[0]!,
        cookieName: config.session.cookieSecure ? '__Host-fbff.login' : 'fbff.login',
        secure: config.session.cookieSecure,
      }),
      cookie: { name: config.session.cookieName, secure: config.session.cookieSecure },
      throttle: deps.signInThrottle,
      sessions: deps.sessionStore,
      metrics: deps.metrics,
      mfa: deps.mfa,
      demoHint: config.simulator.enabled ? { username: 'demo', password: 'demo-password' } : undefined,
    }),
  );
  app.use(secondStepRoutes({ mfa: deps.mfa, views, clock, logger, metrics: deps.metrics, audit: deps.audit }));
  app.use(enrolRoutes({ mfa: deps.mfa, audit: deps.audit, clock, logger }));
  app.use(pageRoutes({ views, subscriptions: deps.subscriptions, users: deps.users, audit: deps.audit, logger }));
  app.use(implicitRoutes({ views, clock, config }));
  app.use(
    adminRoutes({
      users: deps.users,
      admin: new UserAdministration(deps.users, deps.passwords, deps.sessionStore),
      subscriptions: deps.subscriptions,
      audit: deps.audit,
      views,
      throttle: deps.signInThrottle,
      security: { mfa: deps.mfa, policy: deps.mfaPolicy },
      accessLog: { store: deps.accessLog.store, retentionDays: Math.round(config.accessLog.retentionMs / 86_400_000) },
    }),
  );

  app.use((_req, _res, next) => next(notFound()));
  app.use(errorHandler({ logger, views, clock, metrics: deps.metrics, faults }));
  return app;
}
