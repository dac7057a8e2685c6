/** fuseGraph's BatchNormalization fold: its arithmetic, and that plans of one model share one fold. */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, float, tensor } from '../model/builder';
import type { Model } from '../model/ir';
import { resolveGraph } from '../model/resolve';
import { fuseGraph } from './fuse';

const W = [1, -2, 3, 0.5, 4, -1, 2, 2]; // (M=2, C=1, 2, 2)
const BIAS = [0.25, -0.75];
const GAMMA = [2, 0.5], BETA = [1, -1], MEAN = [0.5, -2], VAR = [3, 0.25];
const EPS = 1e-3;

/** Conv → BN → Relu; `identity` puts an Identity on the weight, as PyTorch's training=PRESERVE exports do. */
function convBn(biasType: 'float32' | 'int32' | 'none' = 'float32', identity = false): Model {
  const b = new GraphBuilder('convbn', 13);
  const x = b.input('x', 'float32', ['N', 1, 3, 3]);
  const bias = biasType === 'none' ? [] : [b.initializer('bias', tensor(biasType, [2], BIAS.map((v) => (biasType === 'int32' ? Math.round(v) : v))))];
  const w0 = b.initializer('w', tensor('float32', [2, 1, 2, 2], W));
  const c = b.node('Conv', [x, identity ? b.node('Identity', [w0]) : w0, ...bias], {}, { name: 'conv' });
  const bn = b.node('BatchNormalization', [c, ...[['g', GAMMA], ['be', BETA], ['m', MEAN], ['v', VAR]].map(
    ([n, v]) => b.initializer(n as string, tensor('float32', [2], v as number[])))], { epsilon: float(EPS) });
  b.output(b.node('Relu', [bn]), 'float32', ['N', 2, 2, 2]);
  return b.build();
}

const fuse = (m: Model, batch = 1) => fuseGraph(resolveGraph(m, { x: [batch, 1, 3, 3] }), m.opset);

describe('BatchNormalization folded into Conv', () => {
  it('computes w·γ/√(σ²+ε) and (b−μ)·γ/√(σ²+ε)+β, and keeps the ReLU fused', () => {
    const { steps, constants } = fuse(convBn());
    expect(steps).toHaveLength(1);
    const [step] = steps;
    expect(step!.act.kind).toBe('relu');
    const w = constants[step!.node.inputs[1]!]!.data, bias = constants[step!.node.inputs[2]!]!.data;
    for (let o = 0; o < 2; o++) {
      const s = GAMMA[o]! / Math.sqrt(VAR[o]! + EPS);
      for (let k = 0; k < 4; k++) expect(w[o * 4 + k]).toBeCloseTo(W[o * 4 + k]! * s, 5);
      expect(bias[o]).toBeCloseTo((BIAS[o]! - MEAN[o]!) * s + BETA[o]!, 5);
    }
  });

  it('folds a Conv without bias', () => {
    const { steps, constants } = fuse(convBn('none'));
    const bias = constants[steps[0]!.node.inputs[2]!]!.data;
    for (let o = 0; o < 2; o++) expect(bias[o]).toBeCloseTo(BETA[o]! - MEAN[o]! * GAMMA[o]! / Math.sqrt(VAR[o]! + EPS), 5);
  });

  it('leaves BN unfolded when the Conv bias is not float32 (rather than dropping it)', () => {
    const { steps } = fuse(convBn('int32'));
    expect(steps.map((s) => s.node.opType)).toEqual(['Conv', 'BatchNormalization', 'Relu']);
  });

  for (const identity of [false, true]) {
    it(`folds once per model: a second plan (another batch) reuses the folded arrays${identity ? ' (weight behind an Identity)' : ''}`, () => {
      const m = convBn('float32', identity);
      const a = fuse(m, 1), b = fuse(m, 64);
      const wa = a.constants[a.steps[0]!.node.inputs[1]!]!.data, wb = b.constants[b.steps[0]!.node.inputs[1]!]!.data;
      expect(wb).toBe(wa);
      expect(b.steps).toHaveLength(1);
    });
  }

  it('folds anew when the BN parameters are other tensors (a rewritten model)', () => {
    const m = convBn();
    const a = fuse(m);
    const changed: Model = structuredClone(m);
    changed.graph.initializers.g = tensor('float32', [2], [1, 1]);
    changed.graph.initializers.w = m.graph.initializers.w!; // same weight object, other gamma
    const b = fuse(changed);
    const wa = a.constants[a.steps[0]!.node.inputs[1]!]!.data, wb = b.constants[b.steps[0]!.node.inputs[1]!]!.data;
    expect(wb).not.toBe(wa);
    expect(wb[0]).toBeCloseTo(W[0]! / Math.sqrt(VAR[0]! + EPS), 5);
  });
});

describe('SiLU, Mul(y, Sigmoid(y)), fused into the layer before it', () => {
  /** Conv → Sigmoid, Mul(conv, sigmoid) in the operand order given; `leak` lets another node read the conv output or the sigmoid. */
  function convSilu(order: 'y-first' | 'sigmoid-first', leak: 'none' | 'conv' | 'sigmoid' = 'none'): Model {
    const b = new GraphBuilder('silu', 13);
    const x = b.input('x', 'float32', ['N', 1, 3, 3]);
    const y = b.node('Conv', [x, b.initializer('w', tensor('float32', [2, 1, 2, 2], W))], {}, { name: 'conv' });
    const s = b.node('Sigmoid', [y], {}, { name: 'sig' });
    const m = b.node('Mul', order === 'y-first' ? [y, s] : [s, y], {}, { name: 'mul' });
    const out = leak === 'none' ? m : b.node('Add', [m, leak === 'conv' ? y : s], {}, { name: 'add' });
    b.output(out, 'float32', ['N', 2, 2, 2]);
    return b.build();
  }

  it('makes one step with act silu, in either operand order, writing the Mul\'s output', () => {
    for (const order of ['y-first', 'sigmoid-first'] as const) {
      const m = convSilu(order);
      const { steps } = fuse(m);
      expect(steps.map((s) => [s.node.opType, s.act.kind, s.fused])).toEqual([['Conv', 'silu', ['sig', 'mul']]]);
      expect(steps[0]!.node.outputs).toEqual(m.graph.nodes.find((n) => n.name === 'mul')!.outputs);
    }
  });

  it('leaves the pattern alone where the layer\'s output or the sigmoid is read elsewhere', () => {
    for (const leak of ['conv', 'sigmoid'] as const) {
      expect(fuse(convSilu('y-first', leak)).steps.map((s) => s.node.opType)).toEqual(['Conv', 'Sigmoid', 'Mul', 'Add']);
    }
  });
});
