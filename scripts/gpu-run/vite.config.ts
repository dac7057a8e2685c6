// Bundles scripts/gpu-run/bench-node.ts into one ES module for Node (WGSL inlined through ?raw),
// everything but Dawn's native `webgpu` package, which travels beside it: npm run gpu-run:pack.
import { defineConfig } from 'vite';

export default defineConfig({
  logLevel: 'warn',
  build: {
    ssr: 'scripts/gpu-run/bench-node.ts',
    outDir: '.gpu-run/app',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    rollupOptions: { output: { entryFileNames: 'bench-node.mjs', inlineDynamicImports: true } },
  },
  ssr: { noExternal: true, external: ['webgpu'], target: 'node' },
});
