import type { Request, RequestHandler, Response } from 'express';
import session from 'express-session';

export type SessionMiddlewareOptions = Omit<session.SessionOptions, 'unset'> & {
  /** A store failure after the answer was given (the save or touch at the response's end). */
  onLateError(error: unknown, req: Request, res: Response): void;
};

/**
 * express-session, made safe for a store that fails now and then:
 *
 * - `unset: 'keep'`: with 'destroy', a request whose session could not be read (store error: req.session
 *   is undefined) ended by deleting that session, so one failed read signed the user out. The request is
 *   answered 503 and the session is left alone; the app never unsets req.session to end one (it calls
 *   req.session.destroy()).
 * - One `next` per request: express-session calls next(err) a second time when the save, touch or destroy
 *   it runs at the response's end fails, after the answer went out. That second call reached Express'
 *   final handler, which prints the stack and destroys the socket (sometimes before the answer's last
 *   bytes left). Such a late error is reported to `onLateError` instead, and the client keeps its answer.
 */
export function sessionMiddleware(options: SessionMiddlewareOptions): RequestHandler {
  const { onLateError, ...sessionOptions } = options;
  const handle = session({ ...sessionOptions, unset: 'keep' });
  return (req, res, next) => {
    let continued = false;
    handle(req, res, (error?: unknown) => {
      if (!continued) {
        continued = true;
        next(error);
      } else if (error) {
        onLateError(error, req, res);
      }
    });
  };
}
