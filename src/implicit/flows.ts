import type { SequenceDiagram } from './sequence-diagram';

/**
 * The two flows the comparison page draws, step by step, as data. The README's mermaid diagrams say the
 * same; keep them in step when a flow changes.
 */

/** The seed tutorial's implicit flow, as the demo at `/implicit/` runs it (correctly). */
export const IMPLICIT_FLOW: SequenceDiagram = {
  id: 'implicit-flow-diagram',
  title: 'The implicit flow (the seed tutorial, done correctly)',
  description:
    'The browser page creates a random state and nonce, sends the user to the Fortellis authorize endpoint, ' +
    'where the user signs in with a Fortellis account. Fortellis redirects back to the page with an ID token and ' +
    'the access token in the URL fragment. The page checks the state, and the nonce in the ID token, removes the fragment from the address ' +
    'bar, and keeps the token in JavaScript. To call an API it still needs the dealer’s Subscription-Id, ' +
    'which only a backend can look up.',
  participants: [
    { id: 'browser', label: 'Browser\n(page JavaScript)' },
    { id: 'app', label: 'This app\n(static page only)' },
    { id: 'identity', label: 'Fortellis identity\n(/v1/authorize)' },
    { id: 'api', label: 'Fortellis API' },
  ],
  steps: [
    { from: 'browser', to: 'app', text: 'GET /implicit/' },
    { from: 'app', to: 'browser', text: 'page + /public/js/implicit.js', reply: true },
    { from: 'browser', to: 'browser', text: 'new random state + nonce\nin sessionStorage' },
    { from: 'browser', to: 'identity', text: 'GET /v1/authorize?client_id=API key&response_type=id_token token\n&scope=openid&redirect_uri=…/implicit/&state&nonce' },
    { from: 'identity', to: 'browser', text: 'sign-in form (a Fortellis account)', reply: true },
    { from: 'browser', to: 'identity', text: 'POST e-mail + password' },
    {
      from: 'identity',
      to: 'browser',
      text: '302 …/implicit/#id_token=JWT&access_token=JWT&token_type=Bearer\n&expires_in=3600&scope=openid&state',
      reply: true,
      exposes: true,
    },
    { from: 'browser', to: 'app', text: 'GET /implicit/\n(the fragment stays in the browser)' },
    { from: 'browser', to: 'browser', text: 'check state, ID token nonce + at_hash,\nreplaceState, token kept in JavaScript', exposes: true },
    { from: 'browser', to: 'api', text: 'Authorization: Bearer JWT\n+ Subscription-Id: ? (only a backend knows it)', exposes: true },
  ],
};

/** What this app does instead: its own sign-in, a server-side session, client credentials, a proxy. */
export const RECOMMENDED_FLOW: SequenceDiagram = {
  id: 'recommended-flow-diagram',
  title: 'The recommended flow (this app: backend-for-frontend)',
  description:
    'The user signs in to this app with its own account; the app answers with an opaque HttpOnly session ' +
    'cookie. The browser calls the app’s /api/fortellis/ proxy with that cookie. The app gets an access ' +
    'token from the Fortellis token endpoint with its API key and secret (client credentials), once per ' +
    'token lifetime for all users, and calls the Fortellis API with the token, the user’s Subscription-Id ' +
    'from the session and a Request-Id. The answer goes back to the browser without the token.',
  participants: [
    { id: 'browser', label: 'Browser' },
    { id: 'app', label: 'This app (BFF)\nsession + token cache' },
    { id: 'identity', label: 'Fortellis identity\n(/v1/token)' },
    { id: 'api', label: 'Fortellis API' },
  ],
  steps: [
    { from: 'browser', to: 'app', text: 'POST /login\n(username, password, _csrf)' },
    { from: 'app', to: 'browser', text: '303 /dashboard + Set-Cookie: opaque id\n(HttpOnly, SameSite=Lax)', reply: true },
    { from: 'browser', to: 'app', text: 'GET /api/fortellis/service/v3/…\n(cookie; X-CSRF-Token if unsafe)' },
    { from: 'app', to: 'identity', text: 'POST /v1/token, Basic key:secret\ngrant_type=client_credentials (once an hour)' },
    { from: 'identity', to: 'app', text: 'access_token, expires_in=3600', reply: true },
    { from: 'app', to: 'api', text: 'Bearer token + Subscription-Id\n(from the session) + Request-Id' },
    { from: 'api', to: 'app', text: '200 JSON + Request-Id', reply: true },
    { from: 'app', to: 'browser', text: '200 JSON + Request-Id (no token)', reply: true },
  ],
};
