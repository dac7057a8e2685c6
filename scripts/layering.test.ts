// The layering check: runs dependency-cruiser over src/ with .dependency-cruiser.cjs (the rules and why they
// exist are there) and fails on any upward value import or value-import cycle. The fixture tests prove the
// check can fail, and that type-only imports stay allowed. No build needed; a few seconds.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IDependency } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
/** Same exemption as TEST_FILES in the config. */
const TEST_FILE = /(\.test\.tsx?|\.test-util\.tsx?|(^|\/)testing\.tsx?|-testing\.tsx?)$/;
const TYPE_ONLY = new Set(['type-only', 'type-import']);

const isValueEdge = (d: IDependency) => !d.couldNotResolve && !d.dependencyTypes.some((t) => TYPE_ONLY.has(t));

/** Cruises `<root>/src` with the repo's config; one line per violation, as `from → to (rule)`. */
async function layeringViolations(root: string): Promise<string[]> {
  const options = await extractDepcruiseOptions(CONFIG);
  const { output } = await cruise(
    ['src'],
    { ...options, baseDir: root, outputType: 'json' },
    {},
    { tsConfig: extractTSConfig(join(root, 'tsconfig.json')) },
  );
  const result: ICruiseResult = typeof output === 'string' ? JSON.parse(output) : output;
  const lines = result.summary.violations.map((v) =>
    v.cycle?.length
      ? `${v.from} → ${v.cycle.map((c) => c.name).join(' → ')} (${v.rule.name})`
      : `${v.from} → ${v.to} (${v.rule.name})`,
  );
  return [...lines, ...hiddenValueCycles(result), ...misreadTypeImports(root, result)].sort();
}

/**
 * dependency-cruiser reports one cycle per edge, the first its depth-first search finds; when that one runs
 * through a type-only import, `viaOnly` drops it even if a value-only cycle exists beside it. So also take
 * the strongly connected components of the value-import graph and report those no-circular did not cover.
 */
function hiddenValueCycles(result: ICruiseResult): string[] {
  const graph = new Map<string, string[]>();
  for (const m of result.modules) {
    if (!m.source.startsWith('src/') || TEST_FILE.test(m.source)) continue;
    graph.set(m.source, m.dependencies.filter((d) => isValueEdge(d) && d.resolved.startsWith('src/')).map((d) => d.resolved));
  }
  const covered = new Set(
    result.summary.violations.filter((v) => v.rule.name === 'no-circular').flatMap((v) => [v.from, ...(v.cycle ?? []).map((c) => c.name)]),
  );
  // Tarjan's algorithm.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return groups
    .filter((g) => !g.some((f) => covered.has(f)))
    .map((g) => `${g[0]} → ${cycleFrom(g[0]!, new Set(g), graph).join(' → ')} (no-circular)`);
}

/** A shortest cycle through `start` inside one component (breadth-first), without the leading `start`. */
function cycleFrom(start: string, within: Set<string>, graph: Map<string, string[]>): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!within.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let p = v; p !== start; p = prev.get(p)!) path.unshift(p);
        return path; // the nodes after `start`, back to `start`
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...within];
}

/**
 * dependency-cruiser (17.x) marks `import X, { type Y } from '…'` as type-only because every *named* binding
 * is a type, though the default binding X is a value; such an import would slip past every layer rule.
 * Flag the form itself (in non-test files under src/) so it gets split into `import X` + `import type { Y }`.
 */
function misreadTypeImports(root: string, result: ICruiseResult): string[] {
  const form = /^\s*import\s+(?!type\s)[\w$]+\s*,\s*\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/gm;
  const out: string[] = [];
  for (const m of result.modules) {
    if (!/^src\/.*\.tsx?$/.test(m.source) || TEST_FILE.test(m.source)) continue;
    for (const [, names, specifier] of readFileSync(join(root, m.source), 'utf8').matchAll(form)) {
      const items = names!.split(',').map((s) => s.trim()).filter(Boolean);
      if (items.length && items.every((s) => /^type\s/.test(s))) out.push(`${m.source} → ${specifier} (split-default-and-type-import)`);
    }
  }
  return out;
}

describe('layering (.dependency-cruiser.cjs)', () => {
  it('src/ has no upward value imports and no value-import cycles', async () => {
    const violations = await layeringViolations(ROOT);
    expect(
      violations,
      `${violations.length} layering violation(s); the rules and their reasons are in .dependency-cruiser.cjs ` +
        `(see them with: npx depcruise src --config .dependency-cruiser.cjs):\n  ${violations.join('\n  ')}\n`,
    ).toEqual([]);
  });

  describe('on a fixture tree', () => {
    const dirs: string[] = [];
    afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

    function fixture(files: Record<string, string>): string {
      const dir = mkdtempSync(join(tmpdir(), 'layering-fixture-'));
      dirs.push(dir);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', strict: true } }));
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      return dir;
    }

    it('reports a value import from ui/ into engine/, but not type-only ones', async () => {
      const dir = fixture({
        'src/core/errors.ts': 'export class StudioError extends Error {}\n',
        'src/engine/b.ts':
          "import { StudioError } from '../core/errors';\n" +
          'export type Plan = { steps: number };\n' +
          'export function plan(): Plan { if (Math.random() > 2) throw new StudioError(); return { steps: 1 }; }\n',
        'src/ui/a.ts': "import { plan } from '../engine/b';\nexport const a = plan();\n",
        'src/ui/c.ts':
          "import type { Plan } from '../engine/b';\n" +
          "import { type Plan as P2 } from '../engine/b';\n" +
          "export type C = Plan | P2 | ReturnType<typeof import('../engine/b').plan>;\n",
        'src/ui/a.test.ts': "import { plan } from '../engine/b';\nexport const t = plan();\n",
      });
      expect(await layeringViolations(dir)).toEqual(['src/ui/a.ts → src/engine/b.ts (layer-ui)']);
    });

    it('reports value-import cycles, also one dependency-cruiser alone misses, but not cycles closed by a type import', async () => {
      const dir = fixture({
        // value cycle
        'src/core/x.ts': "import { y } from './y';\nexport const x = 1;\nexport const xy = () => y;\n",
        'src/core/y.ts': "import { x } from './x';\nexport const y = () => x;\n",
        // closed only by a type-only import: allowed
        'src/core/p.ts': "import type { Q } from './q';\nexport const p = 1;\nexport type P = Q;\n",
        'src/core/q.ts': "import { p } from './p';\nexport type Q = number;\nexport const q = p;\n",
        // value cycle a → b → c → a whose every edge also has a type-only way straight back
        'src/core/a.ts': "import { b } from './b';\nimport type { C } from './c';\nexport const a = (): C => b();\n",
        'src/core/b.ts': "import { c } from './c';\nimport type { A } from './a';\nexport const b = () => c();\nexport type B = A;\n",
        'src/core/c.ts': "import { a } from './a';\nimport type { B } from './b';\nexport const c = (): number => (a as unknown as B, 1);\nexport type C = number;\n",
      });
      expect(await layeringViolations(dir)).toEqual([
        'src/core/a.ts → src/core/b.ts → src/core/c.ts → src/core/a.ts (no-circular)',
        'src/core/x.ts → src/core/y.ts → src/core/x.ts (no-circular)',
      ]);
    });

    it('flags `import X, { type Y }`, which dependency-cruiser takes for type-only', async () => {
      const dir = fixture({
        'src/engine/b.ts': 'export type B = number;\nexport default function run() {}\n',
        'src/ui/f.ts': "import run, { type B } from '../engine/b';\nexport const f: B = 1;\nrun();\n",
      });
      expect(await layeringViolations(dir)).toEqual(['src/ui/f.ts → ../engine/b (split-default-and-type-import)']);
    });
  });
});
