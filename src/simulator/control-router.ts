import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { createAssetsRouter } from './assets';
import { FaultValidationError, type Fault, type FaultInput } from './faults';
import type { SimulatorStats } from './stats';

/** The simulator operations the control endpoints expose (the `Simulator` object provides them). */
export interface SimulatorControls {
  stats(): SimulatorStats;
  resetStats(): void;
  addFault(input: FaultInput): Fault;
  faults(): Fault[];
  clearFaults(): void;
  expireTokens(): { expiredBefore: string; tokensExpired: number };
}

/**
 * `/__simulator/...`: test and demo controls, plus the sign-in page's stylesheet. Nothing here exists in
 * Fortellis; the simulator only ever listens on loopback or in a local compose network.
 */
export function createControlRouter(controls: SimulatorControls): Router {
  const router = Router();
  router.use('/assets', createAssetsRouter());
  router.use(refuseCrossSiteChanges);
  router.use(express.json({ limit: '16kb' }));

  router.get('/stats', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(controls.stats());
  });
  router.post('/stats/reset', (_req, res) => {
    controls.resetStats();
    res.status(204).end();
  });

  router.get('/faults', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ faults: controls.faults() });
  });
  router.post('/faults', (req, res) => {
    try {
      res.status(201).json(controls.addFault(req.body as FaultInput));
    } catch (error) {
      if (!(error instanceof FaultValidationError)) throw error;
      res.status(400).json({ error: 'invalid_fault', message: error.message });
    }
  });
  router.delete('/faults', (_req, res) => {
    controls.clearFaults();
    res.status(204).end();
  });

  router.post('/expire-tokens', (_req, res) => {
    res.json(controls.expireTokens());
  });

  router.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'No simulator control at this path.' });
  });
  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status !== 'number' || status < 400 || status >= 500) return next(error);
    res.status(status).json({ error: 'invalid_request', message: 'The request body must be a JSON object.' });
  });
  return router;
}

const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The controls change the simulator for everyone (faults, early expiry), so a web page the developer
 * happens to visit must not be able to post to them (a "simple" cross-site POST needs no CORS preflight).
 * Browsers say where a request comes from: `Sec-Fetch-Site` when they send it (it cannot be set by a
 * page), else `Origin`, which must name the host the request was sent to. Tests and curl send neither and
 * are let through. Same-site is not enough: the app on another port of localhost is same-site, and no
 * page of it ever posts here. https://web.dev/articles/fetch-metadata
 */
export const refuseCrossSiteChanges: RequestHandler = (req, res, next) => {
  if (READ_ONLY_METHODS.has(req.method)) return next();
  const fetchSite = req.get('sec-fetch-site');
  const origin = req.get('origin');
  const foreign =
    fetchSite !== undefined ? fetchSite !== 'same-origin' && fetchSite !== 'none' : origin !== undefined && !isOriginOf(origin, req.get('host'));
  if (!foreign) return next();
  res
    .status(403)
    .set('Cache-Control', 'no-store')
    .json({ error: 'cross_site_request', message: 'The simulator controls accept changes only from the simulator itself or from a non-browser client.' });
};

/** True when `origin` is an http(s) origin whose host:port is `host` (`Origin: null` never is). */
function isOriginOf(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.toLowerCase();
  } catch {
    return false;
  }
}
