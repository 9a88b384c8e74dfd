import { Router } from 'express';
import type { Logger } from '../lib/logger';
import { metricsEndpoint, type AppMetrics } from './metrics';

/** A dependency the app cannot serve signed-in users without (database, Redis). */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers; rejects (or times out) when it does not. */
  check(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2000;

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<void>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Liveness (`/healthz`: the process answers), readiness (`/readyz`: every store answers, else 503 naming the
 * ones that failed, so a load balancer stops sending traffic) and `/metrics`.
 */
export function healthRoutes(options: { checks: ReadinessCheck[]; metrics: AppMetrics; metricsBearerToken?: string; logger: Logger }): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      options.checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          return [name, 'ok'] as const;
        } catch (error) {
          // A store outage's message is the client-safe one; its logDetail says what the store answered.
          const detail = (error as { logDetail?: string }).logDetail ?? (error as Error).message;
          options.logger.warn({ event: 'readiness.failed', dependency: name, detail }, 'dependency not ready');
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const ready = results.every(([, state]) => state === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks });
  });

  router.get('/metrics', metricsEndpoint(options.metrics, options.metricsBearerToken));
  return router;
}
