import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { envSchema } from '../../src/config/schema';
import { simulatorEnvSchema } from '../../src/simulator/config';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface ComposeService {
  build?: unknown;
  image?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: unknown };
  volumes?: string[];
  ports?: string[];
}

// No Docker engine runs here, so the compose file is checked by reading it.
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const appServices = Object.entries(compose.services).filter(([, s]) => s.build && !String((s as { command?: string[] }).command ?? '').includes('simulator'));

describe('docker-compose.yml', () => {
  it('has the services a scaled-out deployment needs: two app instances, the simulator, Redis and PostgreSQL', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app-a', 'app-b', 'postgres', 'redis', 'simulator']);
    expect(appServices.map(([name]) => name).sort()).toEqual(['app-a', 'app-b']);
  });

  it('passes the apps only variables the config schema knows', () => {
    const known = new Set(Object.keys(envSchema.shape));
    for (const [name, service] of appServices) {
      const unknown = Object.keys(service.environment ?? {}).filter((key) => !known.has(key));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
    }
  });

  it('passes the simulator only variables its schema knows', () => {
    const known = new Set([...Object.keys(simulatorEnvSchema.shape), 'NODE_ENV']);
    const unknown = Object.keys(compose.services.simulator!.environment ?? {}).filter((key) => !known.has(key));
    expect(unknown).toEqual([]);
  });

  it('points the apps at shared Redis and PostgreSQL', () => {
    for (const [, service] of appServices) {
      expect(service.environment!.REDIS_URL).toBe('redis://redis:6379');
      expect(service.environment!.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
    }
  });

  it('gives every service a health check, and starts the apps only when what they need is healthy', () => {
    for (const [name, service] of Object.entries(compose.services)) expect({ name, healthcheck: Boolean(service.healthcheck?.test) }).toEqual({ name, healthcheck: true });
    for (const [, service] of appServices) {
      expect(service.depends_on).toEqual({
        redis: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
        simulator: { condition: 'service_healthy' },
      });
    }
  });

  it('publishes every port on 127.0.0.1 only (the simulator’s controls and demo credentials must not face a network)', () => {
    const published = Object.entries(compose.services).flatMap(([name, s]) => (s.ports ?? []).map((port) => ({ name, port: String(port) })));
    expect(published.map(({ name }) => name).sort()).toEqual(['app-a', 'app-b', 'simulator']);
    for (const { name, port } of published) expect({ name, port }).toEqual({ name, port: expect.stringMatching(/^127\.0\.0\.1:\d+:\d+$/) });
  });

  it('points the apps at the simulated API host below /apis and the subscriptions API at the simulator’s root', () => {
    for (const [, service] of appServices) {
      expect(service.environment!.FORTELLIS_API_BASE_URL).toMatch(/^\$\{FORTELLIS_API_BASE_URL:-http:\/\/simulator:3001\/apis\}$/);
      expect(service.environment!.FORTELLIS_SUBSCRIPTIONS_URL).toMatch(/^\$\{FORTELLIS_SUBSCRIPTIONS_URL:-http:\/\/simulator:3001\}$/);
    }
  });

  it('declares the named volumes it mounts', () => {
    const mounted = Object.values(compose.services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0]!));
    expect(mounted.length).toBeGreaterThan(0);
    for (const volume of mounted) expect(Object.keys(compose.volumes)).toContain(volume);
  });

  it('takes every ${VARIABLE} it interpolates from .env, as documented in .env.example', () => {
    const documented = new Set([...read('.env.example').matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    const interpolated = new Set([...read('docker-compose.yml').matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]));
    expect([...interpolated].filter((name) => !documented.has(name))).toEqual([]);
  });
});

describe('.env.example', () => {
  it('documents every variable of the config schema', () => {
    const documented = new Set([...read('.env.example').matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    expect(Object.keys(envSchema.shape).filter((name) => !documented.has(name))).toEqual([]);
  });
});

describe('the production Node flags', () => {
  it('are the same for npm start, the Dockerfile and the benchmark’s bff phase', async () => {
    const { PRODUCTION_NODE_FLAGS } = await import('../../bench/load');
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!;
    expect(start).toContain(`node ${PRODUCTION_NODE_FLAGS.join(' ')} dist/server.js`);
    expect(read('Dockerfile')).toContain(`CMD ["node", ${PRODUCTION_NODE_FLAGS.map((f) => JSON.stringify(f)).join(', ')}, "dist/server.js"]`);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('is multi-stage, installs production dependencies with npm ci --omit=dev and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });
});

describe('the Node.js version', () => {
  const dockerImages = [...read('Dockerfile').matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
  const ciLtsMajor = Number(/LTS_NODE_VERSION:-(\d+)\./.exec(read('.ci/run'))?.[1]);
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;

  it('builds and runs the image on the LTS major that .ci/run tests', () => {
    expect(dockerImages.length).toBeGreaterThan(0);
    expect(new Set(dockerImages)).toEqual(new Set([ciLtsMajor]));
    // Even majors are the LTS lines; 20 reached its end of life in April 2026.
    expect(ciLtsMajor % 2).toBe(0);
    expect(ciLtsMajor).toBeGreaterThanOrEqual(24);
  });

  it('declares in engines both the LTS major and the Node 20 the CI machine runs', () => {
    expect(engines).toBe(`^20.18.1 || >=${ciLtsMajor}.0.0`);
    expect(read('README.md')).toContain(`Node.js ${ciLtsMajor}`);
  });
});
