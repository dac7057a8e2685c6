import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { importOnnx } from '../model/onnx-import';
import { exportOnnx } from '../model/onnx-export';
import type { Model } from '../model/ir';
import { GraphBuilder, int, ints, tensor } from '../model/builder';
import { randomFloats } from '../core/rng';
import { applyMasks, costOf, flopsByNode, gradualSparsity, measuredSparsity, nonzeroFlops, pruneMasks, prunableLayers, weightPicture } from './prune';
import { filterMasks, pruneFilters } from './prune-filters';
import { stageSparsities } from '../train/prune-job';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');
const fixture = (name: string) => importOnnx(new Uint8Array(readFileSync(`fixtures/${name}.onnx`)));
const cnn = () => fixture('cnn-studio-mnist');
const weightOf = (m: Model, node: string) => {
  const n = m.graph.nodes.find((x) => x.name === node)!;
  return m.graph.initializers[n.inputs[1]!]!;
};

describe('pruning masks', () => {
  it('count the FLOPs a sparse kernel computes: each weighted layer scaled by its density, the rest whole', () => {
    const m = cnn();
    expect(nonzeroFlops(m)).toBe(costOf(m).flops);
    const pruned = applyMasks(m, pruneMasks(m, { granularity: 'fine', criterion: 'l1', sparsity: 0.75, layers: { fc1: 0.5, fc2: 0 } }).masks);
    const f = flopsByNode(m);
    const weighted = ['conv1', 'conv2', 'fc1', 'fc2'].reduce((a, n) => a + f.get(n)!, 0);
    const want = costOf(m).flops - weighted + 0.25 * (f.get('conv1')! + f.get('conv2')!) + 0.5 * f.get('fc1')! + f.get('fc2')!;
    expect(Math.abs(nonzeroFlops(pruned) - want)).toBeLessThanOrEqual(1);
    expect(costOf(pruned).flops).toBe(costOf(m).flops);
  });

  it('remove the asked fraction of every layer, at each granularity, and keep the rest', () => {
    const m = cnn();
    for (const granularity of ['fine', 'vector', 'kernel'] as const) {
      for (const sparsity of [0.5, 0.75, 0.875]) {
        const r = pruneMasks(m, { granularity, criterion: 'l1', sparsity });
        for (const l of r.layers) {
          // Units of 5 (a kernel row) or 25 weights round to the nearest whole unit.
          const unit = granularity === 'fine' ? 1 : l.node.startsWith('conv') ? (granularity === 'vector' ? 5 : 25) : granularity === 'vector' ? 4 : l.node === 'fc1' ? 49 : 1;
          expect(Math.abs(l.removed - sparsity * l.weights), `${granularity} ${sparsity} ${l.node}`).toBeLessThanOrEqual(unit / 2);
        }
        const pruned = applyMasks(m, r.masks);
        const zeros = measuredSparsity(pruned);
        for (const z of zeros) expect(z.zeros).toBeGreaterThanOrEqual(r.layers.find((l) => l.node === z.node)!.removed);
      }
    }
  });

  it('have the shape of their granularity on a real layer (conv2 of the default CNN, 16×8×5×5)', () => {
    const m = cnn();
    const conv2 = m.graph.nodes.find((n) => n.name === 'conv2')!.inputs[1]!;
    const kept = (g: 'vector' | 'kernel' | '2:4') => pruneMasks(m, { granularity: g, criterion: 'l1', sparsity: 0.5 }).masks[conv2]!;
    const vec = kept('vector');
    for (let r = 0; r < vec.length / 5; r++) {
      const row = Array.from(vec.subarray(r * 5, r * 5 + 5));
      expect(new Set(row).size, `kernel row ${r} is all kept or all removed`).toBe(1);
    }
    const ker = kept('kernel');
    for (let k = 0; k < ker.length / 25; k++) expect(new Set(ker.subarray(k * 25, k * 25 + 25)).size).toBe(1);
    const two = kept('2:4');
    for (let q = 0; q < two.length / 4; q++) expect(two.subarray(q * 4, q * 4 + 4).reduce((a, v) => a + v, 0), `group ${q}`).toBe(2);
  });

  it('L1 removes the smallest weights; random removes others; Taylor follows |w·g|', () => {
    const m = cnn();
    const w = weightOf(m, 'fc1').data as Float32Array;
    const { masks } = pruneMasks(m, { granularity: 'fine', criterion: 'l1', sparsity: 0.5 });
    const mask = masks[m.graph.nodes.find((n) => n.name === 'fc1')!.inputs[1]!]!;
    let maxRemoved = 0, minKept = Infinity;
    for (let i = 0; i < w.length; i++) {
      if (mask[i]) minKept = Math.min(minKept, Math.abs(w[i]!)); else maxRemoved = Math.max(maxRemoved, Math.abs(w[i]!));
    }
    expect(maxRemoved).toBeLessThanOrEqual(minKept);
    const random = pruneMasks(m, { granularity: 'fine', criterion: 'random', sparsity: 0.5, seed: 3 }).masks;
    const rmask = random[Object.keys(random).find((k) => k.startsWith('fc1'))!]!;
    let same = 0;
    for (let i = 0; i < w.length; i++) if (rmask[i] === mask[i]) same++;
    expect(same / w.length).toBeGreaterThan(0.4); // chance agreement is ~0.5
    expect(same / w.length).toBeLessThan(0.6);
    // Gradients equal to 1/w make every |w·g| equal but one, which Taylor must keep.
    const grads = Object.fromEntries(Object.keys(masks).map((name) => {
      const d = m.graph.initializers[name]!.data as Float32Array;
      return [name, Float32Array.from(d, (v) => (v === 0 ? 0 : 1 / v))];
    }));
    const fc1 = Object.keys(masks).find((k) => k.startsWith('fc1'))!;
    const small = (w as Float32Array).reduce((best, v, i) => (Math.abs(v) < Math.abs(w[best]!) && v !== 0 ? i : best), 0);
    grads[fc1]![small] = 1e6;
    const taylor = pruneMasks(m, { granularity: 'fine', criterion: 'taylor', sparsity: 0.99 }, grads).masks[fc1]!;
    expect(taylor[small]).toBe(1);
    expect(mask[small]).toBe(0);
  });

  it('global scope spends the sparsity where the weights are small', () => {
    const m = cnn();
    const r = pruneMasks(m, { granularity: 'fine', criterion: 'l1', sparsity: 0.8, scope: 'global' });
    const total = r.layers.reduce((a, l) => a + l.removed, 0), weights = r.layers.reduce((a, l) => a + l.weights, 0);
    expect(Math.abs(total - 0.8 * weights)).toBeLessThanOrEqual(1);
    const rates = r.layers.map((l) => l.removed / l.weights);
    expect(Math.max(...rates) - Math.min(...rates)).toBeGreaterThan(0.05);
  });

  it('per-layer sparsities override the global one', () => {
    const r = pruneMasks(cnn(), { granularity: 'fine', criterion: 'l2', sparsity: 0.5, layers: { conv1: 0, fc1: 0.9 } });
    expect(r.layers.find((l) => l.node === 'conv1')!.removed).toBe(0);
    expect(r.layers.find((l) => l.node === 'fc1')!.removed / r.layers.find((l) => l.node === 'fc1')!.weights).toBeCloseTo(0.9, 3);
  });

  it('refuse bad input with messages a person can act on', () => {
    const m = cnn();
    expect(() => pruneMasks(m, { granularity: 'fine', criterion: 'l1', sparsity: 1 })).toThrow(/must be in \[0, 1\)/);
    expect(() => pruneMasks(m, { granularity: 'fine', criterion: 'l1', sparsity: -0.1 })).toThrow(/must be in \[0, 1\)/);
    expect(() => pruneMasks(m, { granularity: 'fine', criterion: 'l1', sparsity: 0.5, layers: { nope: 0.5 } })).toThrow(/no prunable layer is called 'nope'; the layers are: conv1, conv2, fc1, fc2/);
    expect(() => pruneMasks(m, { granularity: 'fine', criterion: 'bn', sparsity: 0.5 })).toThrow(/ranks whole filters/);
    expect(() => pruneMasks(m, { granularity: 'fine', criterion: 'taylor', sparsity: 0.5 })).toThrow(/needs gradients/);
    const b = new GraphBuilder('no-weights');
    const x = b.input('x', 'float32', ['N', 4]);
    b.output(b.node('Relu', [x]), 'float32', ['N', 4]);
    expect(() => pruneMasks(b.build(), { granularity: 'fine', criterion: 'l1', sparsity: 0.5 })).toThrow(/no layer with stored float weights to prune/);
  });
});

async function runOrt(model: Model, input: Float32Array, shape: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(exportOnnx(model));
  const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', input, shape) });
  return out[s.outputNames[0]!]!.data as Float32Array;
}

describe('filter pruning', () => {
  it('removes the lowest-L1 filters of the default CNN, shrinks every tied tensor, and onnxruntime runs the result', async () => {
    const m = cnn();
    const r = pruneFilters(m, { granularity: 'filter', criterion: 'l1', sparsity: 0.3 });
    expect(r.groups.map((g) => [g.producers, g.before, g.after])).toEqual([[['conv1'], 8, 6], [['conv2'], 16, 11], [['fc1'], 64, 45]]);
    expect(r.kept.map((k) => k.producers)).toEqual([['fc2']]);
    expect(weightOf(r.model, 'conv2').dims).toEqual([11, 6, 5, 5]);
    expect(weightOf(r.model, 'fc1').dims).toEqual([45, 11 * 49]);
    // The kept conv1 filters are the six with the largest L1 norms.
    const w = weightOf(m, 'conv1').data as Float32Array;
    const norms = Array.from({ length: 8 }, (_, c) => w.subarray(c * 25, c * 25 + 25).reduce((a, v) => a + Math.abs(v), 0));
    const top = norms.map((n, c) => [n, c] as const).sort((a, b) => b[0] - a[0]).slice(0, 6).map(([, c]) => c).sort();
    const kept = weightOf(r.model, 'conv1').data as Float32Array;
    top.forEach((c, j) => expect(Array.from(kept.subarray(j * 25, j * 25 + 25))).toEqual(Array.from(w.subarray(c * 25, c * 25 + 25))));
    const before = costOf(m), after = costOf(r.model);
    expect(after.flops / before.flops).toBeLessThan(0.6);
    expect(after.params).toBeLessThan(before.params);
    const x = randomFloats(2 * 784, 5, 0, 1);
    const out = await runOrt(r.model, x, [2, 1, 28, 28]);
    expect(out.length).toBe(20);
    expect(out.every(Number.isFinite)).toBe(true);
  });

  it('random and BatchNorm-γ criteria choose other filters; BN-γ needs a BatchNorm', () => {
    const m = cnn();
    const l1 = pruneFilters(m, { granularity: 'filter', criterion: 'l1', sparsity: 0.5 });
    const rnd = pruneFilters(m, { granularity: 'filter', criterion: 'random', sparsity: 0.5, seed: 7 });
    expect(Array.from(weightOf(rnd.model, 'conv1').data as Float32Array)).not.toEqual(Array.from(weightOf(l1.model, 'conv1').data as Float32Array));
    expect(() => pruneFilters(m, { granularity: 'filter', criterion: 'bn', sparsity: 0.5 })).toThrow(/needs a BatchNormalization after the layer/);
    const bn = fixture('resdw-mnist');
    const r = pruneFilters(bn, { granularity: 'filter', criterion: 'bn', sparsity: 0.25 });
    expect(r.groups.length).toBeGreaterThan(0);
  });

  it('refuses a layer that would lose every channel, and a pinned layer asked by name', () => {
    const m = cnn();
    expect(() => pruneFilters(m, { granularity: 'filter', criterion: 'l1', sparsity: 0.5, layers: { conv1: 0.95 } })).toThrow(/conv1 has 8 channels; sparsity 0.95 would remove all of them \(at most 0.875 leaves one\)/);
    expect(() => pruneFilters(m, { granularity: 'filter', criterion: 'l1', sparsity: 0.5, layers: { fc2: 0.5 } })).toThrow(/the channels of fc2 cannot be pruned: it is the model's output/);
  });

  it('names what it cannot prune in a graph it cannot follow', () => {
    const b = new GraphBuilder('transposed');
    const x = b.input('x', 'float32', ['N', 2, 4, 4]);
    const w = b.initializer('w', tensor('float32', [4, 2, 3, 3], randomFloats(72, 1)));
    const y = b.node('Conv', [x, w], { pads: ints([1, 1, 1, 1]) }, { name: 'conv' });
    const t = b.node('Transpose', [y], { perm: ints([0, 2, 3, 1]) }, { name: 'to-nhwc' });
    b.output(t, 'float32', ['N', 4, 4, 4]);
    void int;
    expect(() => pruneFilters(b.build(), { granularity: 'filter', criterion: 'l1', sparsity: 0.5 })).toThrow(/no channel group can lose channels at sparsity 0.5: conv \(Transpose 'to-nhwc'/);
  });
});

describe('sparsity pictures', () => {
  it('lay a Conv out as its grid of kernels, so each granularity has its own look', () => {
    const m = cnn();
    const conv2 = m.graph.nodes.find((n) => n.name === 'conv2')!.inputs[1]!;
    const pic = (mask: Uint8Array) => weightPicture(m, 'conv2', mask);
    const vector = pic(pruneMasks(m, { granularity: 'vector', criterion: 'l1', sparsity: 0.5 }).masks[conv2]!);
    expect([vector.rows, vector.cols, vector.zeros]).toEqual([80, 40, 1600]);
    // A kernel row is 5 pixels of one picture row inside one 5×5 tile.
    for (let r = 0; r < 80; r++) for (let t = 0; t < 8; t++) expect(new Set(vector.kept.subarray(r * 40 + t * 5, r * 40 + t * 5 + 5)).size).toBe(1);
    const kernel = pic(pruneMasks(m, { granularity: 'kernel', criterion: 'l1', sparsity: 0.5 }).masks[conv2]!);
    for (let tr = 0; tr < 16; tr++) for (let tc = 0; tc < 8; tc++) {
      const tile = new Set<number>();
      for (let r = 0; r < 5; r++) for (let c = 0; c < 5; c++) tile.add(kernel.kept[(tr * 5 + r) * 40 + tc * 5 + c]!);
      expect(tile.size).toBe(1);
    }
    // Filters: whole bands of 5 picture rows (dropped outputs) and of 5 columns (inputs conv1 no longer makes).
    const filter = pic(filterMasks(m, { granularity: 'filter', criterion: 'l1', sparsity: 0.5 })[conv2]!);
    const rowKept = Array.from({ length: 80 }, (_, r) => filter.kept.subarray(r * 40, r * 40 + 40).some((v) => v === 1));
    expect(rowKept.filter(Boolean).length).toBe(8 * 5);
    const colKept = Array.from({ length: 40 }, (_, c) => rowKept.some((keep, r) => keep && filter.kept[r * 40 + c] === 1));
    expect(colKept.filter(Boolean).length).toBe(4 * 5);
    expect(() => weightPicture(m, 'flatten')).toThrow(/not a layer with stored float weights/);
  });

  it('filter masks silence exactly what filter pruning removes (onnxruntime-node on both)', async () => {
    const m = cnn();
    const spec = { granularity: 'filter' as const, criterion: 'l1' as const, sparsity: 0.4 };
    const x = randomFloats(3 * 784, 9, 0, 1);
    const shrunk = await runOrt(pruneFilters(m, spec).model, x, [3, 1, 28, 28]);
    const masked = await runOrt(applyMasks(m, filterMasks(m, spec)), x, [3, 1, 28, 28]);
    let d = 0;
    for (let i = 0; i < shrunk.length; i++) d = Math.max(d, Math.abs(shrunk[i]! - masked[i]!));
    expect(d).toBeLessThan(1e-4);
  });
});

describe('schedules', () => {
  it('Zhu & Gupta: cubic from s_i to s_f over n steps of Δt, flat after', () => {
    const o = { initial: 0, final: 0.875, start: 10, steps: 4, every: 5 };
    expect(gradualSparsity(0, o)).toBe(0);
    expect(gradualSparsity(10, o)).toBe(0);
    expect(gradualSparsity(15, o)).toBeCloseTo(0.875 * (1 - 0.75 ** 3), 12);
    expect(gradualSparsity(30, o)).toBe(0.875);
    expect(gradualSparsity(99, o)).toBe(0.875);
    const g = stageSparsities('gradual', 0.875, 8);
    expect(g.length).toBe(8);
    expect(g.at(-1)).toBeCloseTo(0.875, 12);
    for (let i = 1; i < g.length; i++) expect(g[i]! - g[i - 1]!).toBeLessThan(g[i - 1]! - (g[i - 2] ?? 0) + 1e-12); // steps shrink
    expect(stageSparsities('iterative', 0.6, 3)).toEqual([0.2, 0.4, 0.6].map((v) => expect.closeTo(v, 12)));
    expect(stageSparsities('oneshot', 0.5)).toEqual([0.5]);
  });
});

describe('prunable layers', () => {
  it('view Gemm weights by output whatever their layout', () => {
    const { layers } = prunableLayers(cnn());
    expect(layers.map((l) => [l.node, l.N, l.K, l.row, l.kernel])).toEqual([['conv1', 8, 25, 5, 25], ['conv2', 16, 200, 5, 25], ['fc1', 64, 784, 4, 1], ['fc2', 10, 64, 4, 1]]);
  });
});
