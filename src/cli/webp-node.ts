/** The WebP decoder's WebAssembly for Node: the same file the page's worker fetches, read from node_modules. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setWebpLoader } from '../data/decode';

export function useNodeWebp(): void {
  const path = createRequire(import.meta.url).resolve('@jsquash/webp/codec/dec/webp_dec.wasm');
  setWebpLoader(async () => WebAssembly.compile(readFileSync(path)));
}
