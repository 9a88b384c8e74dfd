import { Router } from 'express';

/** Path of the stylesheet the simulator's sign-in and error pages link to. */
export const SIMULATOR_CSS_PATH = '/__simulator/assets/sim.css';

/**
 * The pages' only styling, served as a file so that their Content-Security-Policy can forbid every
 * inline style and script (`style-src 'self'`).
 */
export const SIMULATOR_CSS = `:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0; background: #f4f6f8; color: #1f2933; }
header { background: #0b2e4f; color: #fff; padding: 14px 24px; font-weight: 600; letter-spacing: .02em; }
header small { font-weight: 400; opacity: .75; margin-left: 8px; }
main { max-width: 400px; margin: 48px auto; background: #fff; border-radius: 8px; padding: 32px;
  box-shadow: 0 1px 3px rgba(0,0,0,.12); }
h1 { font-size: 1.35rem; margin: 0 0 16px; }
label { display: block; margin: 16px 0 4px; font-weight: 600; font-size: .9rem; }
input[type=email], input[type=password] { width: 100%; box-sizing: border-box; padding: 10px;
  border: 1px solid #b8c2cc; border-radius: 4px; font-size: 1rem; }
button { margin-top: 24px; width: 100%; padding: 12px; border: 0; border-radius: 4px; background: #0066b3;
  color: #fff; font-size: 1rem; font-weight: 600; cursor: pointer; }
button:hover { background: #00528f; }
.error { background: #fdecea; color: #8a1c12; border: 1px solid #f5c2bd; border-radius: 4px; padding: 10px 12px; }
.demo { background: #eef6fc; border: 1px solid #c7e0f4; border-radius: 4px; padding: 10px 12px; font-size: .9rem; }
.meta { color: #52606d; font-size: .85rem; word-break: break-all; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
`;

/** Serves the simulator's static assets (mounted at `/__simulator/assets`). */
export function createAssetsRouter(): Router {
  const router = Router();
  router.get('/sim.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=300').send(SIMULATOR_CSS);
  });
  return router;
}
