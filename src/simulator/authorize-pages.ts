import { SIMULATOR_CSS_PATH } from './assets';
import { SIMULATOR_DEMO_ACCOUNT } from '../core/simulator-contract';
import { html, joinHtml, type SafeHtml } from './html';

/**
 * The HTML of the simulated Fortellis sign-in. Every value is escaped by the `html` tag; the pages have
 * no script and no inline style, so they work under a `default-src 'none'` Content-Security-Policy.
 */

function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="${SIMULATOR_CSS_PATH}">
</head>
<body>
<header>Fortellis <small>identity simulator</small></header>
<main>
${body}
</main>
</body>
</html>
`.value;
}

export interface SignInPageModel {
  /** The authorization request's parameters, carried through the form in hidden fields. */
  hiddenFields: Record<string, string>;
  /** Where the form posts (the authorize endpoint's own path). */
  action: string;
  username?: string;
  error?: string;
}

/** The sign-in form of the simulated Fortellis account. */
export function renderSignInPage(model: SignInPageModel): string {
  const hidden = joinHtml(
    Object.entries(model.hiddenFields).map(
      ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">\n`,
    ),
  );
  const error = model.error ? html`<p class="error" role="alert">${model.error}</p>` : html``;
  return layout(
    'Sign in - Fortellis (simulator)',
    html`<h1>Sign in with your Fortellis account</h1>
${error}
<p class="demo">Demo account: <code>${SIMULATOR_DEMO_ACCOUNT.email}</code> / <code>${SIMULATOR_DEMO_ACCOUNT.password}</code></p>
<form method="post" action="${model.action}">
${hidden}<label for="username">E-mail</label>
<input id="username" name="username" type="email" autocomplete="username" required value="${model.username ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<p class="meta">Signing in returns an access token to <code>${model.hiddenFields.redirect_uri ?? ''}</code>.</p>`,
  );
}

/** The page shown when the request cannot safely be sent back to the app (bad client or redirect URI). */
export function renderAuthorizeErrorPage(description: string): string {
  return layout(
    'Sign-in error - Fortellis (simulator)',
    html`<h1>This sign-in request cannot be processed</h1>
<p class="error" role="alert">${description}</p>
<p class="meta">The app that sent you here is misconfigured. You have not been redirected back to it.</p>`,
  );
}
