import { Router } from 'express';
import type { AppConfig } from '../config/load';
import type { Clock } from '../lib/clock';
import type { Views } from './views';
import { isSignedIn, sessionExpiresAt } from './guards';
import { SIMULATOR_DEMO_ACCOUNT } from '../core/simulator-contract';
import { IMPLICIT_FLOW, RECOMMENDED_FLOW } from '../implicit/flows';
import { renderSequenceDiagram } from '../implicit/sequence-diagram';

/** The demo page's path: also its redirect URI's path, with the trailing slash Fortellis wants. */
export const IMPLICIT_PAGE_PATH = '/implicit/';
export const COMPARE_PAGE_PATH = '/compare';

export interface ImplicitRoutesOptions {
  views: Views;
  clock: Clock;
  /** Only the public parts are used: the authorize URL, the issuer, the API key (= client_id), the redirect URI. */
  config: Pick<AppConfig, 'fortellis' | 'implicit' | 'session' | 'simulator'>;
}

/**
 * `GET /implicit/`, the seed tutorial's implicit flow done correctly (all of it runs in the browser, in
 * public/js/implicit.js), and `GET /compare`, that flow beside the recommended one. Both are public: the
 * implicit flow signs in with a Fortellis account, not with this app's.
 */
export function implicitRoutes(options: ImplicitRoutesOptions): Router {
  const router = Router();
  const { config, views, clock } = options;
  const timeouts = { idleTimeoutMs: config.session.idleTimeoutMs, absoluteTimeoutMs: config.session.absoluteTimeoutMs };
  // Rendered once: the diagrams are constants.
  const diagrams = { implicit: renderSequenceDiagram(IMPLICIT_FLOW), recommended: renderSequenceDiagram(RECOMMENDED_FLOW) };
  const demoAccount = config.simulator.enabled ? SIMULATOR_DEMO_ACCOUNT : undefined;

  router.get(IMPLICIT_PAGE_PATH, (req, res) => {
    // Express matches `/implicit` here too; send it to the one URL the redirect URI names, so that the
    // state kept in sessionStorage and the page that reads it back share a URL. Browsers carry a fragment
    // over a redirect whose Location has none.
    if (!req.path.endsWith('/')) return res.redirect(308, IMPLICIT_PAGE_PATH);
    views.render(res, 'implicit', {
      title: 'Implicit-flow demo',
      authorizeUrl: config.fortellis.authorizeUrl,
      clientId: config.fortellis.apiKey,
      redirectUri: config.implicit.redirectUri,
      // The ID token's `iss` must be this (the page checks it); public like the rest.
      issuer: config.fortellis.issuer,
      demoAccount,
    });
  });

  router.get(COMPARE_PAGE_PATH, (req, res) => {
    const session = isSignedIn(req)
      ? {
          username: req.session.username,
          subscriptionId: req.session.subscriptionId,
          expiresAt: new Date(sessionExpiresAt(req, timeouts, clock.now())).toISOString(),
        }
      : undefined;
    views.render(res, 'compare', {
      title: 'Compare the two flows',
      session,
      idleTimeoutMinutes: Math.round(config.session.idleTimeoutMs / 60_000),
      absoluteTimeoutHours: Math.round((config.session.absoluteTimeoutMs / 3_600_000) * 10) / 10,
      refreshSkewSeconds: Math.round(config.fortellis.refreshSkewMs / 1000),
      implicitDiagram: diagrams.implicit,
      recommendedDiagram: diagrams.recommended,
    });
  });

  return router;
}
