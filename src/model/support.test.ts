import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { ModelError } from '../core/errors';
import type { Model } from './ir';
import { GraphBuilder, int, str, tensor } from './builder';
import { resolveGraph } from './resolve';
import { importOnnx } from './onnx-import';
import { checkSupport, irVersionForOpset, supportProblems } from './support';

const RUNNABLE = new Set(['Conv', 'Relu', 'Gemm', 'Add', 'Flatten']);
const FOLDABLE = new Set(['Shape', 'Gather', 'Unsqueeze', 'Concat']);

function message(m: Model): string {
  try { checkSupport(m, RUNNABLE, FOLDABLE); } catch (e) { expect(e).toBeInstanceOf(ModelError); return (e as Error).message; }
  throw new Error('expected checkSupport to refuse the model');
}

/** x -> ops[0] -> ops[1] -> ... with the given node names. */
function chain(ops: [string, string][], opset = 13, dtype: 'float32' | 'int64' = 'float32'): Model {
  const b = new GraphBuilder('g', opset);
  let v = b.input('x', dtype, ['N', 4]);
  for (const [op, name] of ops) v = b.node(op, [v], {}, { name });
  b.output(v, 'float32', ['N', 4]);
  return b.build();
}

describe('checkSupport', () => {
  test('accepts runnable ops, and foldable ops (the engine folds them when constant)', () => {
    expect(() => checkSupport(chain([['Relu', 'r'], ['Shape', 's'], ['Gather', 'g']]), RUNNABLE, FOLDABLE)).not.toThrow();
  });

  test('lists every unsupported op with the nodes using it, in one error', () => {
    const msg = message(chain([['LSTM', 'lstm_1'], ['Relu', 'r'], ['LSTM', 'lstm_2'], ['Resize', 'up1']]));
    expect(msg).toBe(
      "This model uses ops the studio does not run yet: LSTM (nodes 'lstm_1', 'lstm_2'), Resize (node 'up1'). " +
        'Supported: Add, Concat, Conv, Flatten, Gather, Gemm, Relu, Shape, Unsqueeze.',
    );
  });

  test('long node lists are shortened', () => {
    const msg = message(chain(Array.from({ length: 5 }, (_, i) => ['Erf', `e${i}`] as [string, string])));
    expect(msg).toContain("Erf (nodes 'e0', 'e1', 'e2' and 2 more)");
  });

  test('opset outside 7..25 is refused with the converter to use', () => {
    expect(message(chain([['Relu', 'r']], 6))).toBe(
      'opset 6 is older than the studio supports (7–25); convert it with onnx.version_converter',
    );
    expect(message(chain([['Relu', 'r']], 26))).toMatch(/^opset 26 is newer than the studio supports \(7–25\); re-export with opset_version=25/);
    expect(supportProblems(chain([['Relu', 'r']], 7), RUNNABLE, FOLDABLE)).toEqual([]);
    for (const opset of [21, 22, 23, 24, 25]) expect(supportProblems(chain([['Relu', 'r']], opset), RUNNABLE, FOLDABLE)).toEqual([]);
  });

  test('the builder stamps the IR version ONNX released with each opset', () => {
    expect([13, 17, 18, 19, 21, 22, 23, 24, 25, 26].map((o) => [o, irVersionForOpset(o)])).toEqual(
      [[13, 8], [17, 8], [18, 8], [19, 9], [21, 10], [22, 10], [23, 11], [24, 12], [25, 13], [26, 13]]);
    expect(chain([['Relu', 'r']], 23).irVersion).toBe(11);
  });

  test('attribute values of opsets 21–25 that change the arithmetic are refused; float32 ones pass', () => {
    const attrs = (a: Record<string, number>) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, int(v)]));
    const qdq = (qAttrs: Record<string, number>, dqAttrs: Record<string, number>, opset = 23): Model => {
      const b = new GraphBuilder('g', opset);
      const s = b.initializer('s', tensor('float32', [], [0.1]));
      const q = b.node('QuantizeLinear', [b.input('x', 'float32', [2, 4]), s], attrs(qAttrs), { name: 'q' });
      b.output(b.node('DequantizeLinear', [q, s], attrs(dqAttrs), { name: 'dq' }), 'float32', [2, 4]);
      return b.build();
    };
    const QDQ = new Set(['QuantizeLinear', 'DequantizeLinear']);
    expect(supportProblems(qdq({ precision: 1 }, { output_dtype: 1 }), QDQ, FOLDABLE)).toEqual([]);
    expect(supportProblems(qdq({ precision: 10 }, { output_dtype: 16 }), QDQ, FOLDABLE)).toEqual([
      "node 'q' (QuantizeLinear) has precision=10 (float16); the studio divides by the scale in float32; remove the attribute or set it to 1 (float)",
      "node 'dq' (DequantizeLinear) has output_dtype=16 (bfloat16); the studio dequantizes to float32; remove the attribute or set it to 1 (float)",
    ]);
    const half = (opset: number, qAttrs: Record<string, number> = {}, dqAttrs: Record<string, number> = {}) => {
      const m = qdq(qAttrs, dqAttrs, opset);
      m.graph.initializers.s = tensor('float16', [], [0.1]);
      return supportProblems(m, QDQ, FOLDABLE);
    };
    expect(half(23, { precision: 1 }, { output_dtype: 1 })).toEqual([]);
    expect(half(23)).toEqual([
      "node 'q' (QuantizeLinear) has a float16 scale 's', so ONNX divides by it in float16; the studio computes in float32: store the scale as float32 or set precision=1 (float)",
      "node 'dq' (DequantizeLinear) has a float16 scale 's', so ONNX outputs float16; the studio computes in float32: store the scale as float32 or set output_dtype=1 (float)",
    ]);
    expect(half(21)[0]).toMatch(/so ONNX divides by it in float16; the studio computes in float32: store the scale as float32$/);
    expect(supportProblems(qdq({ block_size: 2 }, {}, 21), QDQ, FOLDABLE)).toEqual([
      "node 'q' (QuantizeLinear) has block_size=2; blocked quantization is not supported; quantize per tensor or per axis",
    ]);
  });

  test('element types newer than the onnx-proto schema (opsets 23–25: FLOAT8E8M0, INT2, ...) are refused by name', () => {
    const tensorType = (elemType: number) => ({ tensorType: { elemType, shape: { dim: [{ dimValue: 1 }] } } });
    const file = (graph: onnx.IGraphProto) => onnx.ModelProto.encode({ irVersion: 13, opsetImport: [{ version: 25 }], graph }).finish();
    const withWeight = file({ node: [{ opType: 'Identity', input: ['w'], output: ['y'] }], output: [{ name: 'y', type: tensorType(1) }],
      initializer: [{ name: 'w', dataType: 24, dims: [1], rawData: Uint8Array.of(127) }] });
    expect(() => importOnnx(withWeight)).toThrow("tensor 'w' has element type FLOAT8E8M0, which the studio cannot read");
    const withInput = file({ node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [{ name: 'x', type: tensorType(26) }],
      output: [{ name: 'y', type: tensorType(1) }] });
    expect(() => importOnnx(withInput)).toThrow("graph input 'x' is a tensor of element type INT2; the studio handles numeric tensors only");
    const b = new GraphBuilder('cast', 24);
    const y = b.node('Cast', [b.initializer('c', tensor('float32', [1], [2]))], { to: int(24), round_mode: str('nearest') }, { name: 'mx' });
    b.output(b.node('Add', [b.input('x', 'float32', [1]), y]), 'float32', [1]);
    expect(() => resolveGraph(b.build(), {})).toThrow(/node 'mx' .*cannot cast to ONNX type 24 \(FLOAT8E8M0\); the studio holds float and integer types/);
  });

  test('non-default domains are refused, naming domain, op and node', () => {
    const b = new GraphBuilder('g', 13);
    const y = b.node('FusedConv', [b.input('x', 'float32', [1, 3, 8, 8])], {}, { name: 'fc', domain: 'com.microsoft' });
    b.output(y, 'float32', [1, 3, 8, 8]);
    expect(message(b.build())).toMatch(/ops outside the standard ONNX domain: com\.microsoft\.FusedConv \(node 'fc'\)/);
  });

  test('non-float32 graph inputs are named with their dtype; integer outputs (folded shapes) pass', () => {
    const b = new GraphBuilder('g', 13);
    const y = b.node('Gather', [b.input('table', 'float32', [10, 4]), b.input('ids', 'int64', ['N'])], { axis: int(0) });
    b.output(y, 'float32', ['N', 4]);
    b.output(b.node('Shape', [y]), 'int64', [2]);
    const problems = supportProblems(b.build(), RUNNABLE, FOLDABLE);
    expect(problems).toEqual(["graph input 'ids' is int64; the studio takes and returns float32, and int8/uint8/int16/uint16/int32 as quantized values"]);
  });

  test('subgraph attributes are refused, and every problem lands in the same error', () => {
    const b = new GraphBuilder('g', 5);
    const y = b.node('If', [b.input('cond', 'bool', [])], { then_branch: { type: 'graph', value: null } }, { name: 'branch' });
    b.output(y, 'float32', [1]);
    const lines = message(b.build()).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^opset 5 is older/);
    expect(lines[1]).toMatch(/graph input 'cond' is bool/);
    expect(lines[2]).toBe("node 'branch' (If) has a subgraph (attribute 'then_branch'); the studio does not run control flow (If, Loop, Scan)");
    expect(lines[3]).toMatch(/does not run yet: If \(node 'branch'\)/);
  });

  test('a real imported file: PyTorch 0.3 export at opset 6', () => {
    const m = importOnnx(new Uint8Array(readFileSync('/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d_padding/model.onnx')));
    expect(supportProblems(m, RUNNABLE, FOLDABLE)).toEqual([
      'opset 6 is older than the studio supports (7–25); convert it with onnx.version_converter',
    ]);
  });
});
