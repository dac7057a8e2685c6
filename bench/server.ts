/**
 * A Vite dev server for the bench page on a free localhost port: the project's vite.config.ts
 * (so /data/models/*.onnx is served as in the app) plus onnxruntime-web's files at /ort/.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type Plugin, type ViteDevServer } from 'vite';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ORT_DIST = resolve(ROOT, 'node_modules/onnxruntime-web/dist');

/** ort's .wasm and .mjs served raw (no Vite transform) from node_modules: nothing is fetched from the internet. */
function ortFiles(): Plugin {
  return {
    name: 'bench-ort-files',
    configureServer(server) {
      server.middlewares.use('/ort/', (req, res, next) => {
        const file = basename((req.url ?? '').split('?')[0]!);
        const path = resolve(ORT_DIST, file);
        if (!/\.(wasm|mjs)$/.test(file) || !existsSync(path)) return next();
        res.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        createReadStream(path).pipe(res);
      });
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createNetServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

export async function startServer(): Promise<{ server: ViteDevServer; url: string }> {
  const port = await freePort();
  const server = await createServer({
    configFile: resolve(ROOT, 'vite.config.ts'),
    root: ROOT,
    logLevel: 'warn',
    clearScreen: false,
    // Own dep cache: never re-optimise under the app's or the tests' dev servers.
    cacheDir: 'node_modules/.vite-bench',
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
    // Scan only the bench page, so no late dependency discovery reloads it mid-run; ort is served
    // as shipped (pre-bundling it breaks its import.meta.url-relative files).
    optimizeDeps: { entries: ['bench/page.html'], exclude: ['onnxruntime-web'] },
    plugins: [ortFiles()],
  });
  await server.listen();
  return { server, url: `http://127.0.0.1:${port}` };
}
