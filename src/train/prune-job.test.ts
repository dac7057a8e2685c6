/**
 * Pruning runs on the engine (Dawn WebGPU) with the studio's default CNN: masks held by the trainer
 * through fine-tuning, a gradual schedule's stages, filter stages compounding, Taylor gradients
 * measured by the trainer, distillation from the unpruned model. Small subsets: the full-size
 * figures come from `npm run cli -- prune` runs.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { nodeGpu } from '../cli/dawn';
import { createGpuContext } from '../gpu/adapter';
import type { GpuContext } from '../gpu/context';
import { importOnnx } from '../model/onnx-import';
import { mnistSet } from '../data/mnist-testing';
import { applyMasks, measuredSparsity, pruneMasks } from '../compress/prune';
import { DEFAULT_TRAIN_CONFIG, trainModel, type TrainConfig } from './trainer';
import { measureGradients, runPrune } from './prune-job';

let shared: Promise<GpuContext> | null = null;
const gpu = () => (shared ??= nodeGpu().then((g) => createGpuContext(g)));
const cnn = () => importOnnx(new Uint8Array(readFileSync('fixtures/cnn-studio-mnist.onnx')));
const train = mnistSet('train'), test = mnistSet('t10k');
const data = { train, test };
const CFG: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs: 1, batch: 64, lr: 5e-4, trainSamples: 640, testSamples: 300, reportEvery: 5 };
const weight = (m: ReturnType<typeof cnn>, node: string) => m.graph.initializers[m.graph.nodes.find((n) => n.name === node)!.inputs[1]!]!.data as Float32Array;

describe('pruning with the trainer', () => {
  it('holds the masks through every optimizer step and rewrites them at the stages asked', async () => {
    const ctx = await gpu();
    const model = cnn();
    const seen: { step: number; zeros: number }[] = [];
    const sparsities = [0.3, 0.6];
    let last: Record<string, Uint8Array> = {};
    const r = await trainModel(ctx, model, train, test, CFG, null, {
      masks: {
        at: [0, 4],
        masksFor: (current, step) => {
          // The weights handed over at step 4 still carry the step-0 masks' zeros.
          seen.push({ step, zeros: measuredSparsity(current).find((l) => l.node === 'fc1')!.zeros });
          last = pruneMasks(current, { granularity: 'fine', criterion: 'l1', sparsity: sparsities[seen.length - 1]! }).masks;
          return last;
        },
      },
    });
    expect(r.outcome).toBe('finished');
    expect(seen.map((s) => s.step)).toEqual([0, 4]);
    expect(seen[0]!.zeros).toBe(0);
    expect(seen[1]!.zeros).toBeGreaterThanOrEqual(Math.round(0.3 * 50176));
    // After 10 steps of AdamW the pruned weights are still exactly zero, and the others moved.
    for (const [name, mask] of Object.entries(last)) {
      const w = r.model.graph.initializers[name]!.data as Float32Array;
      for (let i = 0; i < w.length; i++) if (!mask[i]) expect(w[i], `${name}[${i}]`).toBe(0);
    }
    const before = weight(model, 'fc1'), after = weight(r.model, 'fc1');
    const fc1Mask = last[Object.keys(last).find((k) => k.startsWith('fc1'))!]!;
    let moved = 0;
    for (let i = 0; i < before.length; i++) if (fc1Mask[i] && before[i] !== after[i]) moved++;
    expect(moved).toBeGreaterThan(0.5 * fc1Mask.reduce((a, m) => a + m, 0));
  }, 600_000);

  it('a gradual run ends at the asked sparsity in every layer, fine-tuned above one-shot pruning', async () => {
    const ctx = await gpu();
    const model = cnn();
    const spec = { granularity: 'fine' as const, criterion: 'l1' as const, sparsity: 0.8 };
    const r = await runPrune(ctx, model, { spec, schedule: 'gradual', stages: 3, finetuneEpochs: 1, train: CFG, distill: false }, data);
    expect(r.stages.map((s) => s.at)).toEqual([0, 1, 2].map((i) => i * Math.floor(10 / 2 / 3)));
    for (const l of r.sparsity) expect(l.zeros / l.weights, l.node).toBeCloseTo(0.8, 3);
    const oneShot = await runPrune(ctx, model, { spec, schedule: 'oneshot', finetuneEpochs: 0, train: CFG, distill: false }, data);
    expect(r.accuracy.after!).toBeGreaterThan(oneShot.accuracy.after!);
    expect(r.accuracy.before).toBe(oneShot.accuracy.before);
  }, 600_000);

  it('filter stages compound: two iterative stages reach the final channel counts, each fine-tuned', async () => {
    const ctx = await gpu();
    const r = await runPrune(ctx, cnn(), {
      spec: { granularity: 'filter', criterion: 'l2', sparsity: 0.5 }, schedule: 'iterative', stages: 2, finetuneEpochs: 2, train: CFG, distill: true,
    }, data);
    expect(r.filters!.groups.map((g) => [g.producers[0], g.before, g.after])).toEqual([['conv1', 8, 4], ['conv2', 16, 8], ['fc1', 64, 32]]);
    expect(r.epochs).toHaveLength(2);
    expect(r.epochs.every((e) => e.agreement !== null)).toBe(true); // distilled from the unpruned model
    expect(r.after.flops).toBeLessThan(0.35 * r.before.flops);
  }, 600_000);

  it('Taylor gradients from the trainer rank weights differently from magnitude', async () => {
    const ctx = await gpu();
    const model = cnn();
    const grads = await measureGradients(ctx, model, data, CFG, 256);
    const g = grads[Object.keys(grads).find((k) => k.startsWith('fc1.w') || k.includes('fc1'))!]!;
    expect(g.every(Number.isFinite)).toBe(true);
    expect(g.some((v) => v !== 0)).toBe(true);
    const spec = { granularity: 'fine' as const, sparsity: 0.5 };
    const taylor = pruneMasks(model, { ...spec, criterion: 'taylor' }, grads), l1 = pruneMasks(model, { ...spec, criterion: 'l1' });
    const name = Object.keys(l1.masks).find((k) => k.includes('fc1'))!;
    let differ = 0;
    for (let i = 0; i < l1.masks[name]!.length; i++) if (l1.masks[name]![i] !== taylor.masks[name]![i]) differ++;
    expect(differ).toBeGreaterThan(0.05 * l1.masks[name]!.length);
    expect(measuredSparsity(applyMasks(model, taylor.masks)).every((l) => Math.abs(l.zeros / l.weights - 0.5) < 0.01)).toBe(true);
  }, 600_000);
});
