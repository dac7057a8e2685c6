// The page's main chunk: what the browser must download and run before the studio shows anything. It reads
// the production build (no browser page is opened): dist/.vite/manifest.json, written by `vite build` with
// build.manifest: true. The compute stack (engine, GPU code, kernels and their WGSL) belongs in the worker's
// bundle, which the page starts with new Worker(new URL(...)) and never imports; scripts/layering.test.ts
// keeps ui/ and state/ from importing it, this checks that the bundler agrees.
import { test, expect } from '@playwright/test';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const MANIFEST = `${DIST}.vite/manifest.json`;

/**
 * Raw (uncompressed) bytes of what loads before the studio shows (see mainChunks). How it was set:
 * the last build before the layering refactor had a 1,021 kB main chunk, WGSL included; with the
 * engine in the worker, the charts (recharts) and the dashboard loading lazily and the entry split
 * (main.tsx), it measures 388 kB: react + react-dom 225 kB (the entry), zod and the page's state
 * 128 kB (the step schemas check every card's settings), the app shell 35 kB. The budget is about
 * 10 % above that; raise it only on purpose.
 */
const MAIN_CHUNK_BUDGET_BYTES = 425_000;

/** Text that only GPU code carries: WGSL shader source, and error messages of the engine and adapter. */
const FORBIDDEN: { text: string; what: string }[] = [
  { text: '@compute', what: 'WGSL shader source (@compute entry point)' },
  { text: '@workgroup_size', what: 'WGSL shader source (@workgroup_size)' },
  { text: 'var<storage', what: 'WGSL shader source (storage buffer binding)' },
  { text: 'No WebGPU adapter was offered', what: 'src/gpu/adapter.ts (createGpuContext)' },
  { text: 'the plan has no runtime input', what: 'src/engine/plan.ts (the execution plan)' },
  { text: 'is used before it is computed', what: 'src/engine/plan.ts (the execution plan)' },
];

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

function readManifest(): Record<string, ManifestChunk> {
  if (!existsSync(MANIFEST)) {
    throw new Error(
      `${MANIFEST} is missing: run \`npm run build\` before the e2e tests ` +
        '(vite.config.ts needs build: { manifest: true } so that vite build writes dist/.vite/manifest.json).',
    );
  }
  return JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, ManifestChunk>;
}

/**
 * What loads before the studio shows: the entry chunk of index.html, the chunks the entry imports
 * dynamically at once (main.tsx loads the state and the App that way, to evaluate them in separate
 * tasks), and every chunk those import statically, transitively; deeper dynamic imports (the dashboard,
 * the charts) are not counted.
 */
function mainChunks(manifest: Record<string, ManifestChunk>): { key: string; file: string; bytes: number }[] {
  const entry = manifest['index.html'] ? 'index.html' : Object.keys(manifest).find((k) => manifest[k]!.isEntry && k.endsWith('index.html'));
  expect(entry, `no entry for index.html in ${MANIFEST}; entries: ${Object.keys(manifest).filter((k) => manifest[k]!.isEntry).join(', ')}`).toBeTruthy();
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    const chunk = manifest[key];
    expect(chunk, `${MANIFEST} lists ${key} as an import but has no entry for it`).toBeTruthy();
    seen.add(key);
    for (const k of chunk!.imports ?? []) visit(k);
  };
  visit(entry!);
  for (const k of manifest[entry!]!.dynamicImports ?? []) visit(k);
  return [...seen].map((key) => {
    const file = manifest[key]!.file;
    return { key, file, bytes: statSync(`${DIST}${file}`).size };
  });
}

test.describe('production bundle: the page\'s main chunk', () => {
  test(`stays under ${MAIN_CHUNK_BUDGET_BYTES / 1000} kB and carries no engine, GPU or WGSL code`, () => {
    const chunks = mainChunks(readManifest());
    const total = chunks.reduce((s, c) => s + c.bytes, 0);
    const listing = chunks.map((c) => `  ${c.file} (${c.key}): ${(c.bytes / 1000).toFixed(1)} kB`).join('\n');
    console.log(`main chunk: ${(total / 1000).toFixed(1)} kB raw in ${chunks.length} file(s), budget ${MAIN_CHUNK_BUDGET_BYTES / 1000} kB\n${listing}`);

    const offences: string[] = [];
    for (const c of chunks) {
      const text = readFileSync(`${DIST}${c.file}`, 'utf8');
      for (const f of FORBIDDEN) if (text.includes(f.text)) offences.push(`${c.file} (${c.key}) contains "${f.text}": ${f.what}`);
    }
    expect.soft(
      offences,
      'the page\'s main chunk must not carry the engine: GPU code belongs in the worker bundle ' +
        '(check `npx depcruise src --config .dependency-cruiser.cjs` for the import that pulled it in)',
    ).toEqual([]);

    expect(
      total,
      `main chunk is ${(total / 1000).toFixed(1)} kB raw, over the ${MAIN_CHUNK_BUDGET_BYTES / 1000} kB budget:\n${listing}`,
    ).toBeLessThan(MAIN_CHUNK_BUDGET_BYTES);
  });
});
