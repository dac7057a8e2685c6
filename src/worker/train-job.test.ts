/**
 * Training a variant further through the runtime (Dawn WebGPU): a pruned variant keeps its pruned
 * weights at zero (the trainer holds its zero pattern), so does its int8 QAT student (0 quantizes to
 * 0), while the same zeros in a file that was not pruned by the studio are ordinary weights and move.
 * Small subsets of MNIST, trained on the test set's items (data: 'test') to need no training set.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { importOnnx } from '../model/onnx-import';
import { applyMasks, measuredSparsity, pruneMasks } from '../compress/prune';
import type { VariantRecord } from '../recipe/variant';
import { applyTo, openRuntime } from './testing';

const TRAIN = { epochs: 1, batch: 64, trainSamples: 320, testSamples: 100, data: 'test' };
const zerosOf = (r: VariantRecord) => r.stats.layers.reduce((a, l) => a + l.zeros, 0);

describe('training a variant further', () => {
  it('holds a pruned variant\'s zeros, and its int8 QAT student\'s; the same zeros in a file not pruned here move', async () => {
    const cnn = importOnnx(new Uint8Array(readFileSync('fixtures/cnn-studio-mnist.onnx')));
    const { rt, root } = await openRuntime(cnn, 'cnn.onnx');
    const pruned = await applyTo(rt, { kind: 'prune', granularity: 'fine', sparsity: 0.5 }, root.id);
    const before = zerosOf(pruned);
    expect(before).toBeGreaterThan(0);
    const further = await applyTo(rt, { kind: 'train', student: 'input', ...TRAIN }, pruned.id);
    expect((further.details.trained as { outcome: string }).outcome).toBe('finished');
    expect(further.parentId).toBe(pruned.id);
    expect(zerosOf(further)).toBe(before);

    // The int8 variant of the pruned one, trained further (QAT through fake-quant): its weights keep the zeros, on the int8 grid.
    const int8 = await applyTo(rt, { kind: 'int8', samples: 64 }, pruned.id);
    const qat = await applyTo(rt, { kind: 'train', student: 'input', ...TRAIN }, int8.id);
    expect(qat.technique).toBe('int8');
    for (const l of pruned.stats.layers) {
      const q = qat.stats.layers.find((x) => x.name === l.name)!;
      expect(q.bits, l.name).toBe(8);
      expect(q.zeros, l.name).toBeGreaterThanOrEqual(l.zeros);
    }

    // The same zeros in a file the studio did not prune: five AdamW steps move most of them (weights whose gradient stays 0, behind dead ReLUs, stay).
    const zeroed = applyMasks(cnn, pruneMasks(cnn, { granularity: 'fine', criterion: 'l1', sparsity: 0.5 }).masks);
    expect(measuredSparsity(zeroed).reduce((a, l) => a + l.zeros, 0)).toBe(before);
    const other = await openRuntime(zeroed, 'zeroed.onnx');
    const moved = await applyTo(other.rt, { kind: 'train', student: 'input', ...TRAIN }, other.root.id);
    expect(zerosOf(moved)).toBeLessThan(before / 2);
  }, 600_000);
});
