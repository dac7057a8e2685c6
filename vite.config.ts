import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  server: { fs: { allow: ['.'] } },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
  optimizeDeps: { include: ['onnx-proto', 'protobufjs/minimal'] },
});
