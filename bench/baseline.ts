import http from 'node:http';
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { listenOnLoopback, type RunningProxy } from './proxy-server';

/**
 * What a developer would write instead of this app: Express and http-proxy-middleware with a keep-alive
 * agent, adding a fixed `Authorization` and `Subscription-Id` to every call. No session, no CSRF, no
 * Request-Id, no logging, no path checks: the BFF must not be slower than this while doing all of those.
 */

export type RunningBaseline = RunningProxy;

/** Starts the naive proxy on an ephemeral loopback port, in front of `upstreamUrl`. */
export async function startBaseline(upstreamUrl: string): Promise<RunningBaseline> {
  // What one writes: a keep-alive agent with Node's defaults (LIFO, up to 256 idle sockets kept), which
  // reuses connections as well as the app's pool does (src/dependencies.ts).
  const agent = new http.Agent({ keepAlive: true });
  const app = express();
  app.disable('x-powered-by');
  app.use(
    '/api/fortellis',
    createProxyMiddleware({
      target: upstreamUrl,
      changeOrigin: true,
      agent,
      headers: { authorization: 'Bearer baseline-fixed-token', 'subscription-id': 'test' },
    }),
  );
  const server = http.createServer(app);
  return listenOnLoopback(server, agent);
}
