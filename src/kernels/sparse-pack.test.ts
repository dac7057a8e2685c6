import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { CSR_MAX_K, densityOf, fits24, pack24, packCsr, prune24, pruneByMagnitude, sparseBytes, unpackSparse } from './sparse-pack';

describe('sparse packers (CSR, 2:4)', () => {
  const N = 7, K = 13; // K not a multiple of 4: a partial last group
  const dense = randomFloats(N * K, 11);

  it('CSR round-trips W at 0 / 50 / 75 / 90 % sparsity, an empty row included, and counts its bytes', () => {
    for (const s of [0, 0.5, 0.75, 0.9]) {
      const w = pruneByMagnitude(dense, s);
      w.fill(0, 2 * K, 3 * K); // output 2 has no nonzeros
      const m = packCsr(w, N, K);
      expect(m.nnz).toBe(Math.round(densityOf(w) * N * K));
      expect(m.rowPtr[2]).toBe(m.rowPtr[3]);
      expect(unpackSparse(m)).toEqual(w);
      expect(sparseBytes(m)).toBe(4 * (N + 1) + 4 * Math.ceil(m.nnz / 2) + 4 * m.nnz);
    }
    const empty = packCsr(new Float32Array(N * K), N, K);
    expect(empty.nnz).toBe(0);
    expect(unpackSparse(empty)).toEqual(new Float32Array(N * K));
  });

  it('CSR keeps the top column of a 65536-wide row and refuses wider ones', () => {
    const w = new Float32Array(2 * CSR_MAX_K);
    w[CSR_MAX_K - 1] = 3; w[CSR_MAX_K] = -2; w[2 * CSR_MAX_K - 1] = 5;
    expect(unpackSparse(packCsr(w, 2, CSR_MAX_K))).toEqual(w);
    expect(() => packCsr(new Float32Array(CSR_MAX_K + 1), 1, CSR_MAX_K + 1)).toThrow(/u16/);
  });

  it('2:4 prunes to at most 2 of every 4 inputs, round-trips, and refuses a W that does not fit', () => {
    const w = prune24(dense, N, K);
    expect(fits24(w, N, K)).toBe(true);
    expect(fits24(dense, N, K)).toBe(false);
    // The two largest magnitudes of each group survive.
    for (let n = 0; n < N; n++) {
      for (let k0 = 0; k0 < K; k0 += 4) {
        const g = Array.from(dense.subarray(n * K + k0, n * K + Math.min(K, k0 + 4)));
        const kept = g.filter((_, i) => w[n * K + k0 + i] !== 0).map(Math.abs).sort();
        expect(kept).toEqual(g.map(Math.abs).sort((a, b) => b - a).slice(0, 2).sort());
      }
    }
    w.fill(0, 3 * K, 4 * K);
    w[5 * K + 12] = 0; // the partial last group with no nonzero
    const m = pack24(w, N, K);
    expect(m.G).toBe(4);
    expect(m.nnz).toBe(Math.round(densityOf(w) * N * K));
    expect(unpackSparse(m)).toEqual(w);
    expect(sparseBytes(m)).toBe(4 * (N * 4 * 2 + N * 1));
    expect(() => pack24(dense, N, K)).toThrow(/more than 2 nonzeros/);
  });

  it('2:4 packs positions across several nibble words per row', () => {
    const K2 = 70, w = prune24(randomFloats(3 * K2, 5), 3, K2); // 18 groups: 3 words a row
    const m = pack24(w, 3, K2);
    expect(m.pos.length).toBe(9);
    expect(unpackSparse(m)).toEqual(w);
  });

  it('magnitude pruning zeroes the asked fraction, smallest first', () => {
    const w = pruneByMagnitude(dense, 0.75);
    expect(N * K - Math.round(densityOf(w) * N * K)).toBe(Math.round(0.75 * N * K));
    const keptMin = Math.min(...Array.from(w).filter((v) => v !== 0).map(Math.abs));
    const droppedMax = Math.max(...Array.from(dense).filter((_, i) => w[i] === 0).map(Math.abs));
    expect(droppedMax).toBeLessThanOrEqual(keptMin);
  });
});
