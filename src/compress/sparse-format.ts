/**
 * What a pruned layer costs to store in a sparse form, so "smaller" is a real figure: per weight
 * tensor the smaller of a bitmask (one bit a weight) plus the nonzero values, and CSR (row offsets,
 * a column index a nonzero — 16-bit when the rows are short enough — and the values). Dense zeros
 * cost what they did; a tensor stays dense when neither form is smaller.
 */
import type { Model } from '../model/ir';
import { prunableLayers } from './prune';

export type SparseFormat = 'dense' | 'bitmask' | 'csr';

export interface SparseLayerBytes { node: string; format: SparseFormat; dense: number; bytes: number; nonzeros: number }

/** Bytes of an N×K float32 tensor with `nnz` nonzeros in each form. */
export function formatBytes(N: number, K: number, nnz: number): Record<SparseFormat, number> {
  const index = K <= 65536 ? 2 : 4;
  return { dense: 4 * N * K, bitmask: Math.ceil((N * K) / 8) + 4 * nnz, csr: 4 * (N + 1) + (index + 4) * nnz };
}

export function sparseBytes(model: Model): { dense: number; sparse: number; layers: SparseLayerBytes[] } {
  const layers = prunableLayers(model).layers.map((l) => {
    const d = model.graph.initializers[l.weight]!.data as Float32Array;
    let nonzeros = 0;
    for (let i = 0; i < d.length; i++) if (d[i] !== 0) nonzeros++;
    const sizes = formatBytes(l.N, l.K, nonzeros);
    const format = (Object.keys(sizes) as SparseFormat[]).reduce((best, f) => (sizes[f] < sizes[best] ? f : best), 'dense' as SparseFormat);
    return { node: l.node, format, dense: sizes.dense, bytes: sizes[format], nonzeros };
  });
  return { dense: layers.reduce((a, l) => a + l.dense, 0), sparse: layers.reduce((a, l) => a + l.bytes, 0), layers };
}
