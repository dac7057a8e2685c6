import { describe, expect, it } from 'vitest';
import { GraphBuilder, int, tensor } from './builder';
import { batchMixer, rebatchModel, withSignature, fixedBatchOf } from './rebatch';
import { resolveGraph } from './resolve';
import type { Model } from './ir';

/** x [B,2,3,3] → Conv → Relu → (flatten) → Gemm → y [B,4]; `flatten` decides how the batch is carried. */
function convNet(B: number | string, flatten: (b: GraphBuilder, x: string) => string): Model {
  const b = new GraphBuilder('net', 13);
  const x = b.input('x', 'float32', [B, 2, 3, 3]);
  const w = b.initializer('w', tensor('float32', [3, 2, 1, 1]));
  const h = b.node('Relu', [b.node('Conv', [x, w], {}, { name: 'conv' })]);
  const f = flatten(b, h);
  const fc = b.initializer('fc', tensor('float32', [4, 27]));
  b.output(b.node('Gemm', [f, fc], { transB: int(1) }, { name: 'fc' }), 'float32', [B, 4]);
  return b.build();
}

const reshapeTo = (shape: number[]) => (b: GraphBuilder, x: string) =>
  b.node('Reshape', [x, b.initializer('shape', tensor('int64', [shape.length], shape))], {}, { name: 'flat' });

const outShape = (m: Model, batch: number) => resolveGraph(m, { x: [batch, 2, 3, 3] }).values[m.graph.outputs[0]!.name]!.shape;

describe('rebatchModel', () => {
  it('frees a fixed batch of 1 carried by Flatten without rewriting anything', () => {
    const m = convNet(1, (b, x) => b.node('Flatten', [x]));
    expect(fixedBatchOf(m)).toBe(1);
    const c = rebatchModel(m);
    expect(c.rewrites).toEqual([]);
    expect(c.model.graph.inputs[0]!.shape).toEqual(['batch', 2, 3, 3]);
    expect(c.model.graph.outputs[0]!.shape).toEqual(['batch', 4]);
    expect(outShape(c.model, 64)).toEqual([64, 4]);
  });

  it('rewrites a baked Reshape(x, [1, 27]) to [-1, 27], leaving the shared initializer alone', () => {
    const m = convNet(1, reshapeTo([1, 27]));
    expect(() => outShape({ ...m, graph: { ...m.graph, inputs: [{ ...m.graph.inputs[0]!, shape: ['N', 2, 3, 3] }] } }, 2)).toThrow(/reshape/i);
    const c = rebatchModel(m);
    expect(c.rewrites).toEqual(["Reshape 'flat' [1,27] → [-1,27]"]);
    expect(outShape(c.model, 7)).toEqual([7, 4]);
    expect(Array.from(m.graph.initializers.shape!.data as BigInt64Array, Number)).toEqual([1, 27]); // the file's model is untouched
    expect(c.model.graph.initializers.shape).toBeUndefined(); // the replaced constant is not left behind
  });

  it('uses 0 (copy the batch) where the Reshape already has a -1', () => {
    const c = rebatchModel(convNet(1, reshapeTo([1, -1])));
    expect(c.rewrites).toEqual(["Reshape 'flat' [1,-1] → [0,-1]"]);
    expect(outShape(c.model, 5)).toEqual([5, 4]);
  });

  it('frees a fixed batch of 3 as well', () => {
    const c = rebatchModel(convNet(3, reshapeTo([3, 27])));
    expect(c.fileBatch).toBe(3);
    expect(outShape(c.model, 64)).toEqual([64, 4]);
  });

  it('refuses, naming the node, where a constant fixes the batch in a way no rewrite covers', () => {
    // Concat with a [1, 5] constant along axis 1: the constant's batch of 1 cannot follow the input's.
    const m = convNet(1, (b, x) => {
      const f = b.node('Flatten', [x]);
      return b.node('Concat', [f, b.initializer('pad', tensor('float32', [1, 5]))], { axis: int(1) }, { name: 'join' });
    });
    // The Gemm then reads 32 features.
    m.graph.initializers.fc = tensor('float32', [4, 32]);
    expect(() => rebatchModel(m)).toThrow(/join/);
  });

  it('leaves a symbolic batch alone', () => {
    expect(() => rebatchModel(convNet('N', (b, x) => b.node('Flatten', [x])))).toThrow(/no single input with a fixed batch/);
  });

  it('restores the file signature for export', () => {
    const m = convNet(1, reshapeTo([1, 27]));
    const c = rebatchModel(m);
    const back = withSignature(c.model, m.graph);
    expect(back.graph.inputs[0]!.shape).toEqual([1, 2, 3, 3]);
    expect(back.graph.outputs[0]!.shape).toEqual([1, 4]);
    expect(outShape(back, 1)).toEqual([1, 4]); // still runs at the file's batch
  });
});

describe('batchMixer', () => {
  const head = (tail: (b: GraphBuilder, y: string) => string, rank2 = true) => {
    const b = new GraphBuilder('net', 13);
    const x = b.input('x', 'float32', [1, 2, 3, 3]);
    const h = b.node('Relu', [b.node('Conv', [x, b.initializer('w', tensor('float32', [3, 2, 1, 1]))], {}, { name: 'conv' })]);
    const f = rank2 ? b.node('Flatten', [h]) : h;
    const out = tail(b, f);
    b.output(out, 'float32', []);
    return rebatchModel(b.build()).model;
  };
  it('shows per-item graphs: conv, flatten, gemm, a rewritten Reshape, softmax over classes, a broadcast [1, n] constant', () => {
    expect(batchMixer(rebatchModel(convNet(1, (b, x) => b.node('Flatten', [x]))).model)).toBeNull();
    expect(batchMixer(rebatchModel(convNet(1, reshapeTo([1, 27]))).model)).toBeNull();
    expect(batchMixer(head((b, y) => b.node('Softmax', [b.node('Add', [y, b.initializer('bias', tensor('float32', [1, 27]))])], { axis: int(1) })))).toBeNull();
    expect(batchMixer(head((b, y) => b.node('Transpose', [y], { perm: { type: 'ints', value: [0, 2, 3, 1] } }), false))).toBeNull();
  });
  it('names a node that works along the batch axis, so the numeric probe runs', () => {
    expect(batchMixer(head((b, y) => b.node('Softmax', [y], { axis: int(0) }, { name: 'over_batch' })))).toBe("Softmax 'over_batch' may combine items of the batch");
    const swap = { perm: { type: 'ints' as const, value: [1, 0, 2, 3] } };
    // The batch moved to axis 1, a softmax along it, moved back: the shapes follow the batch, the values mix.
    expect(batchMixer(head((b, y) => b.node('Transpose', [b.node('Softmax', [b.node('Transpose', [y], swap, { name: 't' })], { axis: int(1) })], swap), false))).toMatch(/^Transpose 't'/);
    // (y yᵀ) y: [N, 27] again, each row a mix of all items.
    expect(batchMixer(head((b, y) => b.node('MatMul', [b.node('MatMul', [y, b.node('Transpose', [y], { perm: { type: 'ints', value: [1, 0] } }, { name: 'yt' })]), y])))).toMatch(/^Transpose 'yt'/);
    expect(batchMixer(head((b, y) => b.node('ReduceMean', [y], { axes: { type: 'ints', value: [1] } }, { name: 'r' })))).toBeNull();
    expect(batchMixer(head((b, y) => b.node('DynamicQuantizeLinear', [y], {}, { name: 'dq' })))).toMatch(/^DynamicQuantizeLinear 'dq'/);
  });
});
