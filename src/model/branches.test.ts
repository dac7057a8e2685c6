/**
 * Residual blocks found and removed. The oracle: a block whose branch ends in a Conv computes
 * exactly its skip when that Conv's weight and bias are zero, so the model without the branch must
 * give what onnxruntime-node gives for the original with those zeroed. Synthetic graphs cover the
 * refusals; resnet18 and mobilenet_v2 (torchvision exports, BatchNorm folded) are the real blocks.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder, ints, tensor } from './builder';
import type { Model, TensorData } from './ir';
import { importOnnx } from './onnx-import';
import { findBranches, removeBranches } from './branches';
import { analyseChannels } from './channels';
import { runOrt, silenceDropped } from './channels.test-util';
import { makeRng } from '../core/rng';
import { torchvisionFixtures, writeTestResult } from '../../scripts/test-commands';
import { costOf } from '../compress/prune';
import { pruneBlocks } from '../compress/prune-blocks';

const params = (m: Model) => Object.values(m.graph.initializers).reduce((a, t) => a + (t.dtype === 'float32' ? t.data.length : 0), 0);

/** The original with the weight and bias of the Conv that ends each named block's branch set to zero. */
function silenceBranches(model: Model, adds: string[]): Model {
  const init: Record<string, TensorData> = { ...model.graph.initializers };
  const an = findBranches(model);
  for (const a of adds) {
    const br = an.branches.find((b) => b.join === a)!;
    const last = model.graph.nodes.find((n) => (n.name || n.outputs[0]) === br.nodes.at(-1))!;
    expect(last.opType).toBe('Conv');
    for (const v of last.inputs.slice(1)) init[v] = { ...init[v]!, data: new Float32Array(init[v]!.data.length) };
  }
  return { ...model, graph: { ...model.graph, initializers: init } };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** x (1×4×6×6) → three blocks: identity, projection shortcut, identity whose inner value escapes to a second output. */
function blocks(): Model {
  const rng = makeRng(3);
  const b = new GraphBuilder('blocks', 13);
  const w = (name: string, dims: number[]) => b.initializer(name, tensor('float32', dims, Array.from({ length: dims.reduce((p, d) => p * d, 1) }, () => rng() - 0.5)));
  const conv = (x: string, name: string, cin: number, cout: number, stride = 1) =>
    b.node('Conv', [x, w(`${name}.w`, [cout, cin, 3, 3]), w(`${name}.b`, [cout])], { pads: ints([1, 1, 1, 1]), strides: ints([stride, stride]), kernel_shape: ints([3, 3]) }, { name });
  const x = b.input('x', 'float32', [1, 4, 6, 6]);
  const a1 = b.node('Add', [x, conv(b.node('Relu', [conv(x, 'b1.c1', 4, 4)]), 'b1.c2', 4, 4)], {}, { name: 'block1' });
  const r1 = b.node('Relu', [a1]);
  const short = conv(r1, 'b2.down', 4, 8, 2);
  const r2 = b.node('Relu', [b.node('Add', [short, conv(r1, 'b2.c1', 4, 8, 2)], {}, { name: 'block2' })]);
  const inner = b.node('Relu', [conv(r2, 'b3.c1', 8, 8)]);
  b.node('Add', [r2, conv(inner, 'b3.c2', 8, 8)], {}, { name: 'block3', outputs: ['y3'] });
  const a4 = b.node('Add', [r2, conv(b.node('Relu', [conv(r2, 'b4.c1', 8, 8)]), 'b4.c2', 8, 8)], {}, { name: 'block4' });
  b.output(b.node('Add', [a4, 'y3'], {}, { name: 'sum' }), 'float32', [1, 8, 3, 3]);
  b.output(inner, 'float32', [1, 8, 3, 3]);
  return b.build();
}

describe('residual blocks', () => {
  it('finds identity blocks and names why the others cannot go', () => {
    const an = findBranches(blocks());
    expect(an.branches.map((b) => b.join).sort()).toEqual(['block1', 'block4']);
    expect(an.branches.find((b) => b.join === 'block1')!.weighted).toEqual(['b1.c1', 'b1.c2']);
    const why = Object.fromEntries(an.refused.map((r) => [r.join, r.reason]));
    expect(why.block2).toMatch(/neither side is an identity shortcut: both are computed \(Conv 'b2.down', Conv 'b2.c1'\)/);
    expect(why.block3).toMatch(/is also read as a model output outside the block/);
    // sum = block4 + block3's output: neither comes from the other alone.
    expect(why.sum).toMatch(/neither side is an identity shortcut: both are computed \(Add 'block4', Add 'block3'\)/);
  });

  it('removes a block: the model computes what the original does with the branch silenced', async () => {
    const model = blocks();
    const input = Float32Array.from({ length: 144 }, (_, i) => Math.sin(i));
    for (const adds of [['block1'], ['block4'], ['block1', 'block4']]) {
      const small = removeBranches(model, adds);
      expect(params(small)).toBeLessThan(params(model));
      expect(small.graph.nodes.some((n) => adds.includes(n.name))).toBe(false);
      const [want, got] = await Promise.all([runOrt(silenceBranches(model, adds), input, [1, 4, 6, 6]), runOrt(small, input, [1, 4, 6, 6])]);
      expect(maxDiff(want, got)).toBeLessThanOrEqual(1e-5);
    }
    expect(() => removeBranches(model, ['block2'])).toThrow(/'block2' is not a removable branch: neither side is an identity shortcut/);
    expect(() => removeBranches(model, ['nope'])).toThrow(/'nope' is not a removable branch$/);
  });

  it('keeps the name of a sum that is a model output', async () => {
    const b = new GraphBuilder('tail', 13);
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    const c = b.node('Conv', [x, b.initializer('w', tensor('float32', [2, 2, 1, 1], [1, 2, 3, 4]))], {}, { name: 'c' });
    b.output(b.node('Add', [x, c], {}, { name: 'res', outputs: ['y'] }), 'float32', [1, 2, 4, 4]);
    const small = removeBranches(b.build(), ['res']);
    expect(small.graph.nodes.map((n) => n.opType)).toEqual(['Identity']);
    expect(Object.keys(small.graph.initializers)).toEqual([]);
    const input = Float32Array.from({ length: 32 }, (_, i) => i);
    expect(Array.from(await runOrt(small, input, [1, 2, 4, 4]))).toEqual(Array.from(input));
  });
});

describe('residual blocks of torchvision models', () => {
  const fx = torchvisionFixtures();
  const all = new Float32Array(readFileSync(join(fx.dir, fx.inputs.file)).buffer.slice(0));
  // [model, identity blocks, projection shortcuts refused]
  const cases: [string, number, number][] = [['resnet18', 5, 3], ['mobilenet_v2', 10, 0]];
  const report: string[] = [];
  for (const [name, identities, projections] of cases) {
    it(`${name}: every identity block removed, the rest equal to the silenced original`, async () => {
      const entry = fx.models[name]!;
      const model = importOnnx(new Uint8Array(readFileSync(join(fx.dir, entry.file))));
      const an = findBranches(model);
      expect(an.branches.filter((b) => b.kind === 'residual').length).toBe(identities);
      expect(an.refused.filter((r) => /neither side is an identity shortcut/.test(r.reason)).length).toBe(projections);
      const adds = an.branches.filter((b) => b.kind === 'residual').map((b) => b.join);
      const small = removeBranches(model, adds, an);
      const input = all.slice(0, entry.input.reduce((a, d) => a * d, 1));
      const [want, got] = await Promise.all([runOrt(silenceBranches(model, adds), input, entry.input), runOrt(small, input, entry.input)]);
      const peak = Math.max(...Array.from(want, Math.abs));
      expect(maxDiff(want, got)).toBeLessThanOrEqual(1e-4 * peak);
      expect(params(small)).toBeLessThan(params(model));
      // Every branch node and Add is gone, and nothing left behind is dead (ReLU6's Clip bounds are Constant nodes).
      const gone = new Set([...adds, ...an.branches.filter((b) => b.kind === 'residual').flatMap((b) => b.nodes)]);
      expect(small.graph.nodes.filter((n) => gone.has(n.name))).toEqual([]);
      const read = new Set([...small.graph.nodes.flatMap((n) => n.inputs), ...small.graph.outputs.map((o) => o.name)]);
      expect(small.graph.nodes.filter((n) => !n.outputs.some((v) => read.has(v))).map((n) => n.name)).toEqual([]);
      expect(Object.keys(small.graph.initializers).filter((v) => !read.has(v))).toEqual([]);
      expect(small.graph.nodes.length).toBeLessThan(model.graph.nodes.length - gone.size + 1);
      const [before, after] = [costOf(model), costOf(small)];
      report.push(`${name}: ${adds.length} identity blocks removed (${an.refused.length} Adds refused); params ${before.params} → ${after.params}, ` +
        `FLOPs ${before.flops} → ${after.flops} (${(100 * (1 - after.flops / before.flops)).toFixed(1)} % fewer); max |Δ| vs oracle ${maxDiff(want, got).toExponential(2)} (peak ${peak.toFixed(3)})`);
      writeTestResult('branches-torchvision.txt', report.join('\n') + '\n');
    });
  }

  it('squeezenet1_1: each fire module\'s expand1x1 branch leaves its Concat; the readers lose its channels', async () => {
    const entry = fx.models.squeezenet1_1!;
    const model = importOnnx(new Uint8Array(readFileSync(join(fx.dir, entry.file))));
    const an = findBranches(model);
    const concat = an.branches.filter((b) => b.kind === 'concat');
    // 8 fire modules × (expand1x1, expand3x3), each branch its Conv and Relu (and an Identity of the Conv's weight where the exporter wrote one).
    expect(concat.length).toBe(16);
    expect(concat.every((b) => b.weighted.length === 1 && b.nodes.filter((n) => !/Identity/.test(n)).length === 2)).toBe(true);
    const e1 = concat.filter((b) => b.weighted[0]!.includes('expand1x1'));
    expect(e1.length).toBe(8);
    const small = removeBranches(model, e1.map((b) => b.join), an);
    // Oracle: the original with every weight that reads an expand1x1 channel zeroed.
    const ch = analyseChannels(model);
    const keep = new Map(e1.map((b) => [ch.groups.find((g) => g.producers.includes(b.weighted[0]!))!.id, [] as number[]]));
    const input = all.slice(0, entry.input.reduce((a, d) => a * d, 1));
    const [want, got] = await Promise.all([runOrt(silenceDropped(model, keep, ch), input, entry.input), runOrt(small, input, entry.input)]);
    const peak = Math.max(...Array.from(want, Math.abs));
    expect(maxDiff(want, got)).toBeLessThanOrEqual(1e-4 * peak);
    expect(small.graph.nodes.some((n) => /expand1x1/.test(n.name))).toBe(false);
    const [before, after] = [costOf(model), costOf(small)];
    expect(after.params).toBeLessThan(before.params);
    report.push(`squeezenet1_1: ${e1.length} expand1x1 Concat branches removed (${concat.length} removable, ${an.refused.length} refused); params ${before.params} → ${after.params}, ` +
      `FLOPs ${before.flops} → ${after.flops} (${(100 * (1 - after.flops / before.flops)).toFixed(1)} % fewer); max |Δ| vs oracle ${maxDiff(want, got).toExponential(2)} (peak ${peak.toFixed(3)})`);
    writeTestResult('branches-torchvision.txt', report.join('\n') + '\n');
    // Both inputs of one Concat: refused; block pruning at 90 % takes at most one per fire module.
    const fire = concat.filter((b) => b.join.startsWith('/features/features.3/Concat:')).map((b) => b.join);
    expect(() => removeBranches(model, fire, an)).toThrow(/removing every input of Concat '\/features\/features.3\/Concat' would leave it nothing to join/);
    const most = pruneBlocks(model, { granularity: 'block', criterion: 'l1', sparsity: 0.9 });
    expect(most.remove.length).toBe(8);
    expect(new Set(most.remove.map((j) => j.split(':')[0])).size).toBe(8);
    expect((await runOrt(most.model, input, entry.input)).length).toBe(want.length);
  });

  it('shufflenet_v2_x0_5: none of its Concat inputs can go alone (the channel shuffle ties them to the other side), each named with why', () => {
    const model = importOnnx(new Uint8Array(readFileSync(join(fx.dir, fx.models.shufflenet_v2_x0_5!.file))));
    const an = findBranches(model);
    expect(an.branches).toEqual([]);
    const refusals = an.refused.filter((r) => /Concat/.test(r.join));
    expect(refusals.length).toBe(32);
    for (const r of refusals) expect(r.reason.length).toBeGreaterThan(10);
    report.push(`shufflenet_v2_x0_5: ${an.branches.length} removable branches; Concat inputs refused: ${[...new Set(refusals.map((r) => r.reason.replace(/'[^']*'/g, "'…'")))].join(' / ')}`);
    writeTestResult('branches-torchvision.txt', report.join('\n') + '\n');
  });
});
