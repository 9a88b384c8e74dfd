import path from 'node:path';
import { buildDist, ROOT, runScript, type ScriptRun } from '../../support/processes';

/**
 * A real process with the policy installed, then an error nobody handles: the script stands in for the
 * server (it keeps running on a timer, as a listening server would) without a test hook in the server.
 */
function runWithPolicy(fault: string): Promise<ScriptRun> {
  const dist = (file: string) => JSON.stringify(path.join(ROOT, 'dist/lib', file));
  const script = `
    const { createLogger } = require(${dist('logger.js')});
    const { exitOnUnhandledErrors } = require(${dist('fatal-errors.js')});
    exitOnUnhandledErrors(createLogger({ level: 'info' }));
    setInterval(() => undefined, 60000);
    ${fault}
  `;
  return runScript(script);
}

describe('the process policy for errors nobody handled', () => {
  beforeAll(() => buildDist(), 120_000);

  it('logs an unhandled rejection once, as one structured line without secrets, and exits with code 1', async () => {
    const { code, stdout, stderr } = await runWithPolicy(`
      const error = new Error('the token cache gave up');
      // What an axios error carries: the request's headers, the API secret among them.
      error.config = { headers: { Authorization: 'Basic c2VjcmV0LWtleTpzZWNyZXQtdmFsdWU=' } };
      Promise.reject(error);
      Promise.reject(new Error('a second one, while exiting'));
    `);
    expect(code).toBe(1);
    expect(stderr).toBe('');
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'fatal',
      event: 'process.fatal',
      kind: 'unhandledRejection',
      err: { type: 'Error', message: 'the token cache gave up' },
    });
    expect(stdout).not.toContain('c2VjcmV0');
  });

  it('does the same for an exception thrown from a callback', async () => {
    const { code, stdout } = await runWithPolicy(`setTimeout(() => { throw new TypeError('cannot read properties of undefined'); }, 1);`);
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: 'process.fatal', kind: 'uncaughtException', err: { type: 'TypeError' } });
  });
});
