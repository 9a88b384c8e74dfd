import path from 'node:path';
import type { Response } from 'express';
import { Eta } from 'eta';

/** Server-rendered pages from `views/*.eta`. Eta escapes every `<%= %>` interpolation. */
export interface Views {
  render(res: Response, name: string, data?: Record<string, unknown>): void;
}

export const VIEWS_DIR = path.resolve(__dirname, '../../views');

export interface ViewsOptions {
  /** Values every page may use (simulator mode, app name). */
  globals: Record<string, unknown>;
  /** Cache compiled templates (on except while developing templates). */
  cache?: boolean;
}

export function createViews(options: ViewsOptions): Views {
  const eta = new Eta({ views: VIEWS_DIR, cache: options.cache ?? true, autoEscape: true });
  return {
    render(res, name, data = {}) {
      const session = res.req.session;
      const html = eta.render(name, {
        ...options.globals,
        requestId: res.locals.requestId,
        // The layout's navigation and sign-out form.
        signedInAs: session?.userId ? session.username : undefined,
        isAdmin: Boolean(session?.userId) && session?.role === 'admin',
        sessionCsrfToken: session?.csrfToken,
        ...data,
      });
      res.type('html').send(html);
    },
  };
}
