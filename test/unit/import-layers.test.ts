import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The layers of src/ and the one direction imports may run (README, "Architecture"). Each module may import
 * its own layer and the layers below it, never one above: the web layer (every Express router and
 * middleware) sits on the domain, the domain on the database and the core, and nothing below the web layer
 * knows HTTP routing exists. The simulator is an app of its own beside them: it may use the core and lib,
 * and only the composition roots (which start it in simulator mode) may import it.
 *
 * Imports are read with the TypeScript compiler's own pre-processor (`ts.preProcessFile`: import, export
 * from, require, dynamic import), so type-only imports count too: a type from above is an upward
 * dependency all the same.
 */

const SRC = path.resolve(__dirname, '../../src');

/** Lowest first. A path belongs to the first layer with a matching prefix (relative to src/). */
const LAYERS: ReadonlyArray<{ name: string; prefixes: readonly string[] }> = [
  { name: 'core', prefixes: ['core/'] },
  { name: 'lib', prefixes: ['lib/'] },
  { name: 'db', prefixes: ['db/'] },
  { name: 'domain', prefixes: ['fortellis/', 'session/', 'auth/', 'access-log/', 'implicit/'] },
  { name: 'config', prefixes: ['config/'] },
  { name: 'web', prefixes: ['web/'] },
  { name: 'composition', prefixes: ['app.ts', 'dependencies.ts', 'server.ts', 'run.ts', 'cli/'] },
];
const SIMULATOR = 'simulator/';
/** What the simulator may use of the app's code. */
const SIMULATOR_MAY_IMPORT = new Set(['core', 'lib']);

function layerOf(file: string): string {
  if (file.startsWith(SIMULATOR)) return 'simulator';
  const layer = LAYERS.find((l) => l.prefixes.some((prefix) => file.startsWith(prefix)));
  if (!layer) throw new Error(`${file} is in no layer: add its directory to LAYERS in ${path.relative(process.cwd(), __filename)}`);
  return layer.name;
}

const rank = (layer: string) => LAYERS.findIndex((l) => l.name === layer);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every relative import of src/ as [importing file, imported file], both relative to src/. */
function imports(): Array<[string, string]> {
  const edges: Array<[string, string]> = [];
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const imported of info.importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), imported.fileName);
      const resolved = fs.existsSync(`${target}.ts`) ? `${target}.ts` : path.join(target, 'index.ts');
      edges.push([path.relative(SRC, file), path.relative(SRC, resolved)]);
    }
  }
  return edges;
}

/** Why `from` may not import `to`, or undefined when it may. */
export function violation(from: string, to: string): string | undefined {
  const a = layerOf(from);
  const b = layerOf(to);
  if (a === 'simulator') return b === 'simulator' || SIMULATOR_MAY_IMPORT.has(b) ? undefined : `the simulator may not import the app's ${b} layer`;
  if (b === 'simulator') return a === 'composition' ? undefined : `only the composition roots may import the simulator (${a} does)`;
  return rank(b) > rank(a) ? `${a} may not import ${b} (upward)` : undefined;
}

describe('the layers of src/', () => {
  const edges = imports();

  it('finds the imports it checks', () => {
    expect(edges.length).toBeGreaterThan(100);
  });

  it('has no upward import, and the simulator is imported by the composition roots only', () => {
    const upward = edges.flatMap(([from, to]) => {
      const why = violation(from, to);
      return why ? [`${from} → ${to}: ${why}`] : [];
    });
    expect(upward).toEqual([]);
  });

  it('would catch an upward import (the rule itself)', () => {
    expect(violation('fortellis/proxy.ts', 'web/errors.ts')).toMatch(/upward/);
    expect(violation('session/database-store.ts', 'web/csrf.ts')).toMatch(/upward/);
    expect(violation('config/load.ts', 'simulator/index.ts')).toMatch(/composition roots/);
    expect(violation('simulator/index.ts', 'web/errors.ts')).toMatch(/simulator/);
    expect(violation('web/api-proxy-route.ts', 'fortellis/proxy.ts')).toBeUndefined();
  });
});
