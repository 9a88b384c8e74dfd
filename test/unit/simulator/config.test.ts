import { ConfigError, loadConfig } from '../../../src/config/load';
import { loadSimulatorConfig } from '../../../src/simulator/config';

describe('the standalone simulator configuration', () => {
  it('has defaults for everything', () => {
    expect(loadSimulatorConfig({})).toEqual({
      ok: true,
      config: {
        port: 3001,
        host: '127.0.0.1',
        clientId: 'simulator-api-key',
        clientSecret: 'simulator-api-secret',
        tokenLifetimeSeconds: 3600,
        redirectUris: ['http://localhost:3000/implicit/'],
      },
    });
  });

  it('reads every variable, treating empty values as unset', () => {
    const result = loadSimulatorConfig({
      SIMULATOR_PORT: '4001',
      SIMULATOR_HOST: '0.0.0.0',
      SIMULATOR_PUBLIC_URL: 'http://simulator:4001',
      SIMULATOR_CLIENT_ID: 'id',
      SIMULATOR_CLIENT_SECRET: '',
      SIMULATOR_TOKEN_LIFETIME_SECONDS: '60',
      SIMULATOR_REDIRECT_URIS: 'http://localhost:3000/implicit/, https://app.example.com/implicit/',
    });
    expect(result).toEqual({
      ok: true,
      config: {
        port: 4001,
        host: '0.0.0.0',
        publicUrl: 'http://simulator:4001',
        clientId: 'id',
        clientSecret: 'simulator-api-secret',
        tokenLifetimeSeconds: 60,
        redirectUris: ['http://localhost:3000/implicit/', 'https://app.example.com/implicit/'],
      },
    });
  });

  it('reports every problem at once', () => {
    const result = loadSimulatorConfig({
      SIMULATOR_PORT: 'eighty',
      SIMULATOR_PUBLIC_URL: 'ftp://x',
      SIMULATOR_TOKEN_LIFETIME_SECONDS: '0',
      SIMULATOR_REDIRECT_URIS: 'not a url',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(4);
    expect(result.problems.join('\n')).toMatch(/SIMULATOR_PORT[\s\S]*SIMULATOR_PUBLIC_URL[\s\S]*SIMULATOR_TOKEN_LIFETIME_SECONDS[\s\S]*SIMULATOR_REDIRECT_URIS/);
  });

  it('refuses to run in production', () => {
    expect(loadSimulatorConfig({ NODE_ENV: 'production' })).toEqual({ ok: false, problems: [expect.stringMatching(/production/)] });
  });

  it('reads the variables it shares with the app as the app does: one rule, one message (src/core/env-schema.ts)', () => {
    const env = { SIMULATOR_PORT: '4002', SIMULATOR_CLIENT_ID: 'shared-id', SIMULATOR_CLIENT_SECRET: ' ' };
    const app = loadConfig(env).simulator;
    const standalone = loadSimulatorConfig(env);
    expect(standalone.ok && standalone.config).toMatchObject({ port: app.port, clientId: app.clientId, clientSecret: app.clientSecret });
    expect(app).toMatchObject({ port: 4002, clientId: 'shared-id', clientSecret: 'simulator-api-secret' });

    const bad = { SIMULATOR_PORT: '70000' };
    const problem = (() => {
      try {
        loadConfig(bad);
      } catch (error) {
        return (error as ConfigError).message;
      }
      return '';
    })();
    const result = loadSimulatorConfig(bad);
    expect(result.ok).toBe(false);
    expect(problem).toContain('SIMULATOR_PORT must be between 0 and 65535');
    if (!result.ok) expect(result.problems).toEqual(['SIMULATOR_PORT: must be between 0 and 65535']);
  });
});
