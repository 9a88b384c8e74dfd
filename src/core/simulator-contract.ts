/**
 * Names and demo credentials of the simulator that other parts of the project (the app's simulator mode,
 * tests, docs) refer to. They are public demo values, not secrets: the simulator only ever runs locally.
 */

/** The API key (OAuth `client_id`) the simulator accepts unless configured otherwise. */
export const SIMULATOR_DEFAULT_CLIENT_ID = 'simulator-api-key';
/** The API secret the simulator accepts unless configured otherwise. */
export const SIMULATOR_DEFAULT_CLIENT_SECRET = 'simulator-api-secret';

/** Okta authorization-server id in the issuer path, in the place of Fortellis' `aus1p1ixy7YL8cMq02p7`. */
export const SIMULATOR_AUTH_SERVER_ID = 'aus-simulator';
/** Path of the issuer below the simulator's public URL. */
export const SIMULATOR_ISSUER_PATH = `/oauth2/${SIMULATOR_AUTH_SERVER_ID}`;
/** Path of the identity endpoints (`token`, `authorize`, `keys`): `{issuer}/v1`, as in Okta. */
export const SIMULATOR_IDENTITY_PATH = `${SIMULATOR_ISSUER_PATH}/v1`;
/**
 * Base path of the simulated business APIs (Fortellis' `https://api.fortellis.io`): an app's
 * FORTELLIS_API_BASE_URL is `{simulator}/apis`. Identity, subscriptions and the controls live outside it.
 */
export const SIMULATOR_API_PATH = '/apis';
/** Path prefix of the simulator's own test and demo controls. Fortellis has nothing here. */
export const SIMULATOR_CONTROL_PATH = '/__simulator';

/** The audience Fortellis puts in every access token. */
export const FORTELLIS_AUDIENCE = 'api_providers';
/** The only scope the client-credentials flow accepts. */
export const CLIENT_CREDENTIALS_SCOPE = 'anonymous';

/** The simulated *Fortellis account* that signs in on the implicit-flow sign-in page. */
export const SIMULATOR_DEMO_ACCOUNT = { email: 'dealer@example.com', password: 'fortellis' } as const;

/** Used when no public URL is known yet: the standalone simulator's default address. */
export const SIMULATOR_FALLBACK_PUBLIC_URL = 'http://127.0.0.1:3001';
