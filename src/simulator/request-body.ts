import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { gatewayContext } from './gateway-context';
import { sendApiError, sendGatewayError } from './gateway-errors';

/** Largest JSON body the simulated APIs accept. */
export const API_BODY_LIMIT = '100kb';

/**
 * Parses a JSON body but keeps a parse failure for later (`rejectUnreadableBody`), so that a request
 * with a bad token and a bad body is refused for the token, as the gateway would.
 */
export function parseJsonBodyDeferred(): RequestHandler {
  const parse = express.json({ limit: API_BODY_LIMIT, type: ['application/json', 'application/*+json'] });
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (error?: unknown) => {
      if (error) gatewayContext(res).bodyError = error;
      next();
    });
  };
}

/** Answers a body-parser failure kept by `parseJsonBodyDeferred`: 413 PAYLOAD-TOO-BIG or 400. */
export function rejectUnreadableBody(_req: Request, res: Response, next: NextFunction): void {
  const error = gatewayContext(res).bodyError as { type?: unknown } | undefined;
  if (!error) return next();
  if (error.type === 'entity.too.large') return sendGatewayError(res, 'PAYLOAD-TOO-BIG');
  sendApiError(res, 400, 'The request body is not valid JSON.');
}
