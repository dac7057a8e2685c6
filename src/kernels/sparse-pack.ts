/**
 * Sparse storage for a pruned layer's float32 weight W (N outputs × K inputs, row-major, Gemm's B
 * with transB = 1), packed on the CPU from the dense array for the kernels in sparse-matmul.ts.
 *
 * - CSR (fine-grained, any pattern): rowPtr (N + 1 u32), column indices as u16 two to a u32 word
 *   (K ≤ 65536), values (nnz f32). Bytes: 4 (N + 1) + 4 ceil(nnz / 2) + 4 nnz ≈ 6 bytes a nonzero.
 * - 2:4 (semi-structured): every 4 consecutive inputs of an output (a group; G = ceil(K / 4) per
 *   row, the last one partial when K % 4 ≠ 0) keep at most 2 values. Per group 2 f32 values and a
 *   4-bit nibble (position of value 0 in bits 0–1, of value 1 in bits 2–3), 8 nibbles to a u32,
 *   each row's nibbles starting a new word. A group with fewer than 2 nonzeros pads with value 0
 *   at position 0 (always inside K). Bytes: 8 N G + 4 N ceil(G / 8) ≈ 0.53 of dense.
 * Exact zeros (+0 and −0) are the pruned weights; anything else is kept.
 */

export interface CsrMatrix {
  kind: 'csr';
  N: number;
  K: number;
  nnz: number;
  /** Row n's nonzeros are j = rowPtr[n] .. rowPtr[n + 1] − 1. */
  rowPtr: Uint32Array;
  /** Column of nonzero j in bits 16 (j & 1) .. +15 of word j >> 1. */
  cols: Uint32Array;
  values: Float32Array;
}

export interface Sparse24Matrix {
  kind: '2:4';
  N: number;
  K: number;
  /** Groups of 4 inputs per row, ceil(K / 4). */
  G: number;
  /** Nonzeros actually stored (the rest of the 2 N G slots are padding zeros). */
  nnz: number;
  /** (N, G, 2): the group's two kept values. */
  values: Float32Array;
  /** (N, ceil(G / 8)) words of 8 nibbles: group g's positions in bits 4 (g & 7) .. +3 of its row's word g >> 3. */
  pos: Uint32Array;
}

export type SparseMatrix = CsrMatrix | Sparse24Matrix;

/** Largest K the CSR form's u16 column indices hold. */
export const CSR_MAX_K = 65536;

/** Nonzeros of a dense array (exact zeros are pruned weights). */
export function countNonzeros(w: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) n++;
  return n;
}

/** Fraction of nonzero entries (1 − sparsity); 1 for an empty array. */
export function densityOf(w: ArrayLike<number>): number {
  return w.length ? countNonzeros(w) / w.length : 1;
}

function checkDims(w: ArrayLike<number>, N: number, K: number, what: string): void {
  if (!(Number.isInteger(N) && Number.isInteger(K) && N >= 1 && K >= 1)) throw new Error(`${what}: N and K must be whole numbers ≥ 1, got ${N}, ${K}`);
  if (w.length !== N * K) throw new Error(`${what}: W has ${w.length} values, not N × K = ${N} × ${K}`);
}

export function packCsr(w: ArrayLike<number>, N: number, K: number): CsrMatrix {
  checkDims(w, N, K, 'packCsr');
  if (K > CSR_MAX_K) throw new Error(`packCsr: K = ${K} is over ${CSR_MAX_K}, the most its u16 column indices hold`);
  const nnz = countNonzeros(w);
  const rowPtr = new Uint32Array(N + 1);
  const cols = new Uint32Array(Math.ceil(nnz / 2));
  const values = new Float32Array(nnz);
  let j = 0;
  for (let n = 0; n < N; n++) {
    rowPtr[n] = j;
    for (let k = 0; k < K; k++) {
      const v = w[n * K + k]!;
      if (v === 0) continue;
      values[j] = v;
      cols[j >> 1] = cols[j >> 1]! | (k << ((j & 1) * 16));
      j++;
    }
  }
  rowPtr[N] = j;
  return { kind: 'csr', N, K, nnz, rowPtr, cols, values };
}

/** Whether every group of 4 consecutive inputs of every output has at most 2 nonzeros (the 2:4 form holds W exactly). */
export function fits24(w: ArrayLike<number>, N: number, K: number): boolean {
  for (let n = 0; n < N; n++) {
    for (let k0 = 0; k0 < K; k0 += 4) {
      let c = 0;
      for (let k = k0; k < Math.min(K, k0 + 4); k++) if (w[n * K + k] !== 0) c++;
      if (c > 2) return false;
    }
  }
  return true;
}

/** Throws unless W fits 2:4 (see fits24); prune it first with prune24. */
export function pack24(w: ArrayLike<number>, N: number, K: number): Sparse24Matrix {
  checkDims(w, N, K, 'pack24');
  const G = Math.ceil(K / 4), PW = Math.ceil(G / 8);
  const values = new Float32Array(N * G * 2);
  const pos = new Uint32Array(N * PW);
  let nnz = 0;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const slot = [0, 0];
      let c = 0;
      for (let p = 0; p < 4 && 4 * g + p < K; p++) {
        const v = w[n * K + 4 * g + p]!;
        if (v === 0) continue;
        if (c === 2) throw new Error(`pack24: output ${n}, inputs ${4 * g}..${Math.min(K, 4 * g + 4) - 1} hold more than 2 nonzeros (not 2:4)`);
        values[(n * G + g) * 2 + c] = v;
        slot[c++] = p;
      }
      nnz += c;
      pos[n * PW + (g >> 3)] = pos[n * PW + (g >> 3)]! | ((slot[0]! | (slot[1]! << 2)) << ((g & 7) * 4));
    }
  }
  return { kind: '2:4', N, K, G, nnz, values, pos };
}

/** W with, in every group of 4 inputs of each output, all but the 2 largest magnitudes zeroed (ties: the earlier input kept). */
export function prune24(w: ArrayLike<number>, N: number, K: number): Float32Array {
  checkDims(w, N, K, 'prune24');
  const out = Float32Array.from(w);
  for (let n = 0; n < N; n++) {
    for (let k0 = 0; k0 < K; k0 += 4) {
      const idx = [];
      for (let k = k0; k < Math.min(K, k0 + 4); k++) idx.push(n * K + k);
      idx.sort((a, b) => Math.abs(out[b]!) - Math.abs(out[a]!) || a - b);
      for (const i of idx.slice(2)) out[i] = 0;
    }
  }
  return out;
}

/** Bytes the packed form uploads (what it would store), against 4 N K for dense f32. */
export function sparseBytes(m: SparseMatrix): number {
  return m.kind === 'csr' ? 4 * (m.rowPtr.length + m.cols.length + m.values.length) : 4 * (m.values.length + m.pos.length);
}

/** Back to the dense (N, K) array: the packers' inverse, for tests. */
export function unpackSparse(m: SparseMatrix): Float32Array {
  const { N, K } = m;
  const w = new Float32Array(N * K);
  if (m.kind === 'csr') {
    for (let n = 0; n < N; n++) {
      for (let j = m.rowPtr[n]!; j < m.rowPtr[n + 1]!; j++) w[n * K + ((m.cols[j >> 1]! >>> ((j & 1) * 16)) & 0xffff)] = m.values[j]!;
    }
    return w;
  }
  const PW = Math.ceil(m.G / 8);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < m.G; g++) {
      const nib = (m.pos[n * PW + (g >> 3)]! >>> ((g & 7) * 4)) & 15;
      w[n * K + 4 * g + (nib & 3)] += m.values[(n * m.G + g) * 2]!;
      w[n * K + 4 * g + (nib >> 2)] += m.values[(n * m.G + g) * 2 + 1]!;
    }
  }
  return w;
}

/**
 * Zeroes the `sparsity` fraction of W's entries with the smallest magnitude (ties broken by index),
 * for tests and benchmarks: the same unstructured magnitude pruning the prune job does per layer.
 */
export function pruneByMagnitude(w: ArrayLike<number>, sparsity: number): Float32Array {
  const out = Float32Array.from(w);
  const drop = Math.round(sparsity * out.length);
  const order = Array.from(out.keys()).sort((a, b) => Math.abs(out[a]!) - Math.abs(out[b]!) || a - b);
  for (let i = 0; i < drop; i++) out[order[i]!] = 0;
  return out;
}
