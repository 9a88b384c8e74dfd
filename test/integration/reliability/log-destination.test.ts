import path from 'node:path';
import { buildDist, ROOT, runScript } from '../../support/processes';

/** A real process logging to its stdout (a pipe) through createLogger's default destination; its lines. */
async function run(body: string): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const { code, stdout, stderr } = await runScript(`
    const { createLogger } = require(${JSON.stringify(path.join(ROOT, 'dist/lib/logger.js'))});
    const logger = createLogger({ level: 'info' });
    ${body}
  `);
  return { code, lines: stdout.split('\n').filter(Boolean), stderr };
}

describe("the app's log destination (lines handed to SonicBoom once per turn of the event loop)", () => {
  beforeAll(() => buildDist(), 120_000);

  it('loses no line logged right before process.exit(), when no later turn comes', async () => {
    const { code, lines, stderr } = await run(`
      for (let i = 0; i < 3; i++) logger.info({ n: i }, 'last words');
      process.exit(0);
    `);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(lines.map((line) => (JSON.parse(line) as { n: number }).n)).toEqual([0, 1, 2]);
  });

  it('writes a burst of lines whole and in order, over turns and while writes are in flight, and flushes on request', async () => {
    const { code, lines } = await run(`
      let n = 0;
      const burst = () => { for (let i = 0; i < 500; i++) logger.info({ n: n++, pad: 'x'.repeat(200) }, 'request'); };
      burst();
      setImmediate(() => { burst(); setTimeout(() => { burst(); logger.flush(() => process.exit(0)); }, 5); });
    `);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1500);
    expect(lines.map((line) => (JSON.parse(line) as { n: number }).n)).toEqual([...Array(1500).keys()]);
  });
});
