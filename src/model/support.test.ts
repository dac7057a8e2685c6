import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { ModelError } from '../core/errors';
import type { Model } from './ir';
import { GraphBuilder, int } from './builder';
import { importOnnx } from './onnx-import';
import { checkSupport, supportProblems } from './support';

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

  test('opset outside 7..21 is refused with the converter to use', () => {
    expect(message(chain([['Relu', 'r']], 6))).toBe(
      'opset 6 is older than the studio supports (7–21); convert it with onnx.version_converter',
    );
    expect(message(chain([['Relu', 'r']], 22))).toMatch(/^opset 22 is newer than the studio supports \(7–21\); re-export with opset_version=21/);
    expect(supportProblems(chain([['Relu', 'r']], 7), RUNNABLE, FOLDABLE)).toEqual([]);
    expect(supportProblems(chain([['Relu', 'r']], 21), RUNNABLE, FOLDABLE)).toEqual([]);
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
      'opset 6 is older than the studio supports (7–21); convert it with onnx.version_converter',
    ]);
  });
});
