// @ts-check
/**
 * Layering rules for src/, checked by scripts/layering.test.ts (part of `npm test`) and usable by hand:
 *   npx depcruise src --config .dependency-cruiser.cjs
 *
 * The layers are listed below, lowest first. "May import" means VALUE imports (anything that survives into the bundle):
 * `import type …`, `import { type A, type B } …`, `export type … from`, `typeof import('…')` and JSDoc type
 * imports are erased by the compiler and are allowed in any direction (dependencyTypesNot below).
 * Dynamic `import('…')` counts as a value import: it still pulls the module into the app's graph.
 * `new Worker(new URL('../worker/worker.ts', import.meta.url))` (how state/ starts the worker) is not an
 * import statement, so the worker's code stays out of the page's graph and needs no exception here.
 *
 * Each layer's rule forbids imports into src/ except from an allow-list, so a new folder under src/ is
 * importable from nowhere until it gets a rule of its own.
 */

/** Test code may reach anywhere (fixtures, GPU helpers, reference models). */
const TEST_FILES = String.raw`(\.test\.tsx?|\.test-util\.tsx?|(^|/)testing\.tsx?|-testing\.tsx?)$`;

/**
 * Type-only edges are erased at compile time, so they never put code in a chunk.
 * @type {import('dependency-cruiser').DependencyType[]}
 */
const TYPE_ONLY = ['type-only', 'type-import'];

/**
 * One forbidden rule per layer: `from` src/<layer>/ (test files excluded) `to` any file in src/ that is
 * not in the layer itself or its allow-list.
 * @param {string} layer folder under src/
 * @param {string[]} allowed folders under src/ whose values it may import
 * @param {string} comment why
 * @returns {import('dependency-cruiser').IRegularForbiddenRuleType}
 */
function layer(layer, allowed, comment) {
  const ok = [layer, ...allowed].join('|');
  return {
    name: `layer-${layer}`,
    comment: `${layer}/ may import values only from ${allowed.length ? allowed.join(', ') : 'itself'}: ${comment}`,
    severity: 'error',
    from: { path: `^src/${layer}/`, pathNot: TEST_FILES },
    to: { path: '^src/', pathNot: `^src/(${ok})/`, dependencyTypesNot: TYPE_ONLY },
  };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    layer('core', [], 'core is the foundation (errors, dtypes, shapes, hashing) that every layer and both the page and the worker share; anything it imports lands everywhere.'),
    layer('recipe', ['core'], 'recipes are plain, serialisable descriptions (zod schemas) read by the page, the worker and the CLI; they must stay free of GPU and model code.'),
    {
      name: 'recipe-only-zod',
      comment: 'recipe/ may use only zod from outside src/ (no other npm package, no Node built-in): it is loaded by the page\'s main chunk, the worker and the CLI alike, so it must not drag in other packages or Node APIs.',
      severity: 'error',
      from: { path: '^src/recipe/', pathNot: TEST_FILES },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown', 'core'],
        pathNot: String.raw`(^|/)node_modules/zod/`,
        dependencyTypesNot: TYPE_ONLY,
      },
    },
    layer('report', ['core', 'recipe'], 'reports are rendered by the page (ui/, state/), so they may only use what the main chunk may carry.'),
    layer('gpu', ['core'], 'gpu/ wraps the WebGPU adapter/device; it knows nothing of kernels, models or compression.'),
    layer('shaders', [], 'shaders/ holds WGSL text only, imported with ?raw by kernels/.'),
    layer('kernels', ['core', 'gpu', 'shaders'], 'kernels are single GPU operations (WGSL + dispatch); they must not know about models, the engine or jobs.'),
    layer('model', ['core', 'recipe'], 'model/ is the graph IR, ONNX import/export and shape rules: pure data, no GPU, so it can run in Node and the worker alike.'),
    layer('engine', ['core', 'gpu', 'kernels', 'model', 'recipe'], 'the engine plans and runs a model on the GPU; it must not depend on compression, training or data loading built on top of it.'),
    layer('data', ['core', 'recipe'], 'data/ loads and batches datasets (IDX/MNIST); no GPU, no model code.'),
    layer('compress', ['core', 'model', 'engine', 'data', 'recipe', 'gpu', 'kernels'], 'compression (quantise, prune, binarise) is built on the engine and must not reach up into training, the worker or the UI.'),
    layer('train', ['core', 'gpu', 'kernels', 'model', 'engine', 'compress', 'data', 'recipe'], 'training/distillation sits on top of compression and the engine; it must not reach into the worker, CLI or UI that drive it.'),
    {
      name: 'layer-worker',
      comment: 'worker/ runs the whole compute stack off the page; it may import everything except the page (state/, ui/, main.tsx) and the Node CLI (cli/), which would drag React/zustand or Node APIs into the worker chunk.',
      severity: 'error',
      from: { path: '^src/worker/', pathNot: TEST_FILES },
      to: { path: String.raw`^src/((state|ui|cli)/|main\.tsx$)`, dependencyTypesNot: TYPE_ONLY },
    },
    {
      name: 'layer-cli',
      comment: 'cli/ is the Node front end; it may use the whole compute stack and the worker\'s job code, but not the page (state/, ui/, main.tsx), which needs a DOM and React.',
      severity: 'error',
      from: { path: '^src/cli/', pathNot: TEST_FILES },
      to: { path: String.raw`^src/((state|ui)/|main\.tsx$)`, dependencyTypesNot: TYPE_ONLY },
    },
    layer('state', ['core', 'recipe', 'report'], 'the page\'s main chunk must not carry the engine: state/ drives the worker only by messages (protocol types are type-only imports, the worker itself is started with new Worker(new URL(...))), so it never pulls compute code into the page.'),
    layer('ui', ['core', 'recipe', 'report', 'state'], 'the page\'s main chunk must not carry the engine: ui/ and state/ import values only from core, recipe, report, state, ui; GPU work happens in the worker.'),
    {
      name: 'layer-main',
      comment: 'src/main.tsx boots the page: it may import values only from ui/, state/ and core/, so the main chunk stays free of the engine, kernels and shaders.',
      severity: 'error',
      from: { path: String.raw`^src/main\.tsx$` },
      to: { path: '^src/', pathNot: '^src/(ui|state|core)/', dependencyTypesNot: TYPE_ONLY },
    },
    {
      name: 'no-unresolvable',
      comment: 'an import that cannot be resolved escapes every rule above (and breaks the build).',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST_FILES },
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      comment: 'value-import cycles make module initialisation order matter (TDZ errors, half-initialised modules) and defeat chunk splitting; cycles made only of type-only imports are harmless and allowed.',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST_FILES },
      to: { circular: true, dependencyTypesNot: TYPE_ONLY, viaOnly: { dependencyTypesNot: TYPE_ONLY } },
    },
  ],
  options: {
    // Never descend into node_modules: npm packages stay in the graph as leaves only (so recipe-only-zod
    // can see them; `exclude` would drop those edges altogether).
    doNotFollow: { path: 'node_modules' },
    exclude: { path: String.raw`^(dist|test-results)/` },
    // Type-only imports exist only before compilation; see them (marked 'type-only') so they can be exempted.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Vite-style query imports (`../shaders/x.wgsl?raw`, `?url`): enhanced-resolve resolves the path part,
    // so the dependency's `resolved` is src/shaders/x.wgsl and the layer rules see the real folder (the
    // query stays in `module`); a missing file is caught by no-unresolvable. .wgsl/.css are scanned as leaves.
    extraExtensionsToScan: ['.wgsl', '.css'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
