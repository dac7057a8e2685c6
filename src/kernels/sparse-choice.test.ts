import { describe, expect, it } from 'vitest';
import { sparseConvChoice, sparseGemmChoice } from './sparse-choice';

describe('sparseGemmChoice (the rule from npm run bench -- --only sparse on SwiftShader)', () => {
  const sw = { isFallback: true }, gpu = { isFallback: false };
  it('keeps dense on a GPU (not measured) and below 50 % sparsity', () => {
    expect(sparseGemmChoice(gpu, 1, 64, 784, 0.05, false)).toBe('dense');
    expect(sparseGemmChoice(sw, 1, 64, 784, 0.6, false)).toBe('dense');
  });
  it('picks CSR, 2:4 or dense by density, rows and outputs as measured', () => {
    expect(sparseGemmChoice(sw, 64, 64, 784, 0.1, false)).toBe('csr'); // 2.8x
    expect(sparseGemmChoice(sw, 64, 64, 784, 0.25, false)).toBe('csr'); // 0.98-1.51x
    expect(sparseGemmChoice(sw, 64, 64, 784, 0.5, false)).toBe('dense'); // 0.81-0.90x
    expect(sparseGemmChoice(sw, 64, 64, 784, 0.5, true)).toBe('dense'); // 2:4 0.9-1.2x
    expect(sparseGemmChoice(sw, 1, 64, 784, 0.25, false)).toBe('csr');
    expect(sparseGemmChoice(sw, 1, 64, 784, 0.5, false)).toBe('dense');
    expect(sparseGemmChoice(sw, 1, 64, 784, 0.5, true)).toBe('2:4');
    expect(sparseGemmChoice(sw, 1, 1024, 1024, 0.5, false)).toBe('dense'); // ~1x
    expect(sparseGemmChoice(sw, 64, 1024, 1024, 0.5, false)).toBe('csr'); // 1.46x
    expect(sparseGemmChoice(sw, 64, 1024, 1024, 0.5, true)).toBe('2:4');
  });

  it('runs a pruned Conv sparse from 75 % (CSR 1.36–2.2×; 0.68–0.87× at 50 %), and never on a GPU', () => {
    expect(sparseConvChoice(sw, 0.1)).toBe('csr');
    expect(sparseConvChoice(sw, 0.25)).toBe('csr');
    expect(sparseConvChoice(sw, 0.5)).toBe('dense');
    expect(sparseConvChoice(gpu, 0.05)).toBe('dense');
  });
});
