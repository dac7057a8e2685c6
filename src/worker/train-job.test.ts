/**
 * The Train card's job on the engine (Dawn WebGPU): a pruned variant trained further keeps its
 * pruned weights at zero (the trainer holds its zero pattern), while the same zeros in a variant
 * that was not pruned are ordinary weights and move. Small subsets of MNIST.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { nodeGpu } from '../cli/dawn';
import { createGpuContext } from '../gpu/adapter';
import { importOnnx } from '../model/onnx-import';
import { mnistSet } from '../data/mnist-testing';
import { applyMasks, measuredSparsity, pruneMasks, zeroMasks } from '../compress/prune';
import { VariantStore } from './variant-store';
import { TrainingJobs } from './train-job';
import type { TrainOptions } from './types';

const test = mnistSet('t10k');
const OPTS: Omit<TrainOptions, 'student'> = {
  teacher: null, data: 'loaded', epochs: 1, batch: 64, lr: 1e-3, optimizer: 'adamw', schedule: 'constant', seed: 1,
  trainSamples: 320, testSamples: 100, temperature: 4, alpha: 0.9, preprocess: { kind: 'normalize', mean: 0.1307, std: 0.3081 },
};

describe('training a variant further', () => {
  it('holds a pruned variant\'s zeros; the same zeros in a variant not made by pruning move', async () => {
    const ctx = await createGpuContext(await nodeGpu());
    try {
      const cnn = importOnnx(new Uint8Array(readFileSync('fixtures/cnn-studio-mnist.onnx')));
      const pruned = applyMasks(cnn, pruneMasks(cnn, { granularity: 'fine', criterion: 'l1', sparsity: 0.5 }).masks);
      const zerosOf = (m: typeof cnn) => measuredSparsity(m).reduce((a, l) => a + l.zeros, 0);
      const before = zerosOf(pruned);
      const run = async (kind: 'pruned' | 'original') => {
        const store = new VariantStore();
        // As the file the user loaded (zeros and all), or as a variant the Prune card made from it.
        store.reset('cnn.onnx', kind === 'original' ? pruned : cnn);
        if (kind === 'pruned') store.add('cnn-pruned.onnx', pruned, 'pruned', 'cnn.onnx', 'pruned fine 50 %');
        const jobs = new TrainingJobs({ device: async () => ctx, dataset: () => test, variants: store, batching: () => null });
        const r = await jobs.run({ ...OPTS, student: kind === 'pruned' ? 'cnn-pruned.onnx' : 'cnn.onnx' }, () => {});
        expect(r.result.outcome).toBe('finished');
        return zerosOf(r.result.model);
      };
      expect(await run('pruned')).toBe(before);
      // The int8 variant of the pruned one, trained further (QAT through fake-quant): its latent weights keep the zeros.
      const store = new VariantStore();
      store.reset('cnn.onnx', cnn);
      store.add('cnn-pruned.onnx', pruned, 'pruned', 'cnn.onnx', 'pruned fine 50 %');
      store.add('cnn-pruned-int8.onnx', pruned, 'int8', 'cnn-pruned.onnx', 'int8');
      const jobs = new TrainingJobs({ device: async () => ctx, dataset: () => test, variants: store, batching: () => null });
      const qat = await jobs.run({ ...OPTS, student: 'cnn-pruned-int8.onnx' }, () => {});
      expect(qat.kind).toBe('int8');
      for (const [name, mask] of Object.entries(zeroMasks(pruned))) {
        const w = qat.result.model.graph.initializers[name]!.data as Float32Array;
        let regrown = 0;
        for (let i = 0; i < w.length; i++) if (!mask[i] && w[i] !== 0) regrown++;
        expect(regrown, name).toBe(0);
      }
      // Five AdamW steps move most of them (weights whose gradient stays 0, behind dead ReLUs, stay).
      expect(await run('original')).toBeLessThan(before / 2);
    } finally {
      ctx.destroy();
    }
  }, 600_000);
});
