import { ConfigError, loadConfig, pointAtSimulator } from '../../src/config/load';

const strongSecret = 'x'.repeat(40);
const realFortellis = { FORTELLIS_API_KEY: 'key', FORTELLIS_API_SECRET: 'secret', SESSION_SECRET: strongSecret };

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('runs in simulator mode with the simulator’s client when no API key is set', () => {
    const config = loadConfig({});
    expect(config.simulator.enabled).toBe(true);
    expect(config.fortellis.apiKey).toBe('simulator-api-key');
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.session.secrets[0]!.length).toBeGreaterThanOrEqual(32);
  });

  it('uses Fortellis’ production endpoints when an API key is set', () => {
    const config = loadConfig(realFortellis);
    expect(config.simulator.enabled).toBe(false);
    expect(config.fortellis.tokenUrl).toBe('https://identity.fortellis.io/oauth2/aus1p1ixy7YL8cMq02p7/v1/token');
    expect(config.fortellis.authorizeUrl).toBe('https://identity.fortellis.io/oauth2/aus1p1ixy7YL8cMq02p7/v1/authorize');
    expect(config.fortellis.apiBaseUrl).toBe('https://api.fortellis.io');
    expect(config.fortellis.scope).toBe('anonymous');
    expect(config.fortellis.refreshSkewMs).toBe(60_000);
  });

  it('reports every problem at once, in plain words', () => {
    const problems = problemsOf({ PORT: 'eighty', PROXY_TIMEOUT_MS: '-5', FORTELLIS_API_BASE_URL: 'ftp://x', LOG_LEVEL: 'loud' });
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/PORT must be a port number/);
    expect(problems.join('\n')).toMatch(/PROXY_TIMEOUT_MS must be a positive number of milliseconds/);
    expect(problems.join('\n')).toMatch(/FORTELLIS_API_BASE_URL must be an http\(s\) URL/);
  });

  it('requires the secret and a session secret outside simulator mode', () => {
    const problems = problemsOf({ FORTELLIS_API_KEY: 'key' });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/FORTELLIS_API_SECRET is required/), expect.stringMatching(/SESSION_SECRET is required/)]));
  });

  it('refuses a session secret shorter than 32 bytes outside simulator mode', () => {
    expect(problemsOf({ ...realFortellis, SESSION_SECRET: 'short' })).toEqual([expect.stringMatching(/shorter than 32 bytes/)]);
  });

  it('accepts a comma list of session secrets for rotation', () => {
    const config = loadConfig({ ...realFortellis, SESSION_SECRET: `${'a'.repeat(32)},${'b'.repeat(32)}` });
    expect(config.session.secrets).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
  });

  it('refuses the simulator in production', () => {
    expect(problemsOf({ NODE_ENV: 'production', PUBLIC_URL: 'https://app.example' }).join('\n')).toMatch(/NODE_ENV=production/);
    expect(problemsOf({ NODE_ENV: 'production', PUBLIC_URL: 'https://app.example', ...realFortellis, FORTELLIS_SIMULATOR: 'true' }).join('\n')).toMatch(/FORTELLIS_SIMULATOR/);
  });

  it('refuses the simulator’s demo secret in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production', PUBLIC_URL: 'https://app.example', ...realFortellis, FORTELLIS_API_SECRET: 'simulator-api-secret' });
    expect(problems).toEqual([expect.stringMatching(/simulator demo secret/)]);
  });

  it('treats empty values as unset, as .env files write them', () => {
    expect(loadConfig({ FORTELLIS_API_KEY: '', PORT: '' }).simulator.enabled).toBe(true);
  });

  it('uses a Secure __Host- cookie when the public URL is https', () => {
    const config = loadConfig({ ...realFortellis, PUBLIC_URL: 'https://app.example/' });
    expect(config.publicUrl).toBe('https://app.example');
    expect(config.session.cookieSecure).toBe(true);
    expect(config.session.cookieName).toBe('__Host-fbff.sid');
  });

  it('parses PROXY_ALLOWED_PATHS and reports a bad entry', () => {
    expect(loadConfig({ PROXY_ALLOWED_PATHS: 'GET /sales/inventory/v1/, GET|POST /service/v3/appointments/' }).proxy.allowedPaths).toHaveLength(2);
    expect(problemsOf({ PROXY_ALLOWED_PATHS: 'GET /a/../b' }).join()).toMatch(/PROXY_ALLOWED_PATHS entry "GET \/a\/..\/b" has a bad path/);
  });

  it('points every Fortellis URL at a simulator once it listens', () => {
    const config = pointAtSimulator(loadConfig({}), 'http://127.0.0.1:4567');
    expect(config.fortellis.tokenUrl).toBe('http://127.0.0.1:4567/oauth2/aus-simulator/v1/token');
    expect(config.fortellis.apiBaseUrl).toBe('http://127.0.0.1:4567/apis');
    expect(config.fortellis.subscriptionsUrl).toBe('http://127.0.0.1:4567');
  });
});
