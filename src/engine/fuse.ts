/**
 * Graph rewrites that save dispatches on dispatch-bound small models:
 *  - BatchNormalization after a Conv with constant weights is folded into the Conv's weights/bias;
 *  - an activation (Relu, LeakyRelu, Clip with constant bounds, Sigmoid, Tanh, HardSigmoid, HardSwish) that is the only
 *    consumer of a Conv/Gemm/MatMul or XNOR layer's output is applied inside that kernel; a Relu or Clip after an
 *    int8 layer with float output, as its clamp; SiLU written as Mul(y, Sigmoid(y)) (efficientnet's) after any of them.
 * Works on the resolved graph (concrete shapes, constants known); returns the steps to plan.
 */
import type { TensorData, Node } from '../model/ir';
import { attrFloat, attrInt, attrString } from '../model/ir';
import { indexNodes } from '../model/graph';
import type { ResolvedGraph } from '../model/resolve';
import { NO_ACTIVATION, type Activation } from '../kernels/common';
import { batchNormToAffine } from '../kernels/channel-affine';
import { INT8_FLOAT_ACTIVATIONS } from '../kernels/int8';

export interface PlanStep {
  node: Node;
  /** Activation applied in the same kernel. */
  act: Activation;
  /** Names of nodes folded into this step, for the layer table. */
  fused: string[];
}

/** Float ops whose kernels apply any activation in their epilogue. */
export const FUSES_ACTIVATION: ReadonlySet<string> = new Set(['Conv', 'Gemm', 'MatMul']);
/** The int8 layers lower-qdq makes: with float output they clamp it, so a ReLU or Clip after them fuses, and SiLU. */
const INT8_LAYERS: ReadonlySet<string> = new Set(['StudioInt8Conv', 'StudioInt8Gemm']);
/** The XNOR layers: their epilogue applies any activation, unless the layer absorbed a ReLU already. */
const XNOR_LAYERS: ReadonlySet<string> = new Set(['StudioXnorConv', 'StudioXnorGemm']);
const SILU: Activation = { kind: 'silu' };

/** Whether `node`'s kernel applies `act` in its epilogue (mobilenet_v2's int8 and XNOR ReLU6 among them). */
function fuses(node: Node, act: Activation): boolean {
  if (FUSES_ACTIVATION.has(node.opType)) return true;
  if (XNOR_LAYERS.has(node.opType)) return attrString(node, 'activation', 'none') === 'none';
  return INT8_LAYERS.has(node.opType) && attrInt(node, 'float_out', 0) === 1 && attrInt(node, 'relu', 0) === 0 && INT8_FLOAT_ACTIVATIONS.has(act.kind);
}


function f32(t: TensorData | undefined): Float32Array | null {
  return t && t.dtype === 'float32' ? (t.data as Float32Array) : null;
}

/** The fused activation an activation node would apply, or null when it cannot be fused. */
export function activationOf(node: Node, constants: Record<string, TensorData>, opset: number): Activation | null {
  switch (node.opType) {
    case 'Relu': return { kind: 'relu' };
    case 'Sigmoid': return { kind: 'sigmoid' };
    case 'Tanh': return { kind: 'tanh' };
    case 'LeakyRelu': return { kind: 'leakyRelu', a: attrFloat(node, 'alpha', 0.01) };
    case 'HardSigmoid': return { kind: 'hardSigmoid', a: attrFloat(node, 'alpha', 0.2), b: attrFloat(node, 'beta', 0.5) };
    case 'HardSwish': return { kind: 'hardSwish' };
    case 'Clip': {
      if (opset < 11) return { kind: 'clip', a: attrFloat(node, 'min', -Infinity), b: attrFloat(node, 'max', Infinity) };
      const bound = (i: number, d: number): number | null => {
        const name = node.inputs[i];
        if (!name) return d;
        const t = f32(constants[name]);
        return t && t.length === 1 ? t[0]! : null;
      };
      const lo = bound(1, -Infinity), hi = bound(2, Infinity);
      return lo === null || hi === null ? null : { kind: 'clip', a: lo, b: hi };
    }
    default: return null;
  }
}

export function fuseGraph(g: ResolvedGraph, opset: number): { steps: PlanStep[]; constants: Record<string, TensorData> } {
  const constants = { ...g.constants };
  const { sole: soleConsumer, consumers, isOutput } = indexNodes(g.nodes, g.outputs);
  // SiLU as exporters write it, Mul(y, Sigmoid(y)), with y read by nothing else: [sigmoid, mul], or null.
  const siluAfter = (y: string): [Node, Node] | null => {
    const readers = consumers(y);
    if (isOutput(y) || readers.length !== 2) return null;
    const sig = readers.find((n) => n.opType === 'Sigmoid' && n.inputs[0] === y);
    const mul = readers.find((n) => n.opType === 'Mul');
    if (!sig || !mul || soleConsumer(sig.outputs[0]!) !== mul) return null;
    const [p, q] = mul.inputs;
    return (p === y && q === sig.outputs[0]) || (q === y && p === sig.outputs[0]) ? [sig, mul] : null;
  };
  const removed = new Set<Node>();
  const steps: PlanStep[] = [];

  for (const node of g.nodes) {
    if (removed.has(node)) continue;
    let current = node;
    const fused: string[] = [];
    if (node.opType === 'Conv') {
      const bn = soleConsumer(node.outputs[0]!);
      const folded = bn?.opType === 'BatchNormalization' ? foldBatchNorm(node, bn, constants, g) : null;
      if (bn && folded) { current = folded; removed.add(bn); fused.push(bn.name); }
    }
    let act = NO_ACTIVATION;
    const next = soleConsumer(current.outputs[0]!);
    const a = next ? activationOf(next, constants, opset) : null;
    const silu = !(next && a) && fuses(current, SILU) ? siluAfter(current.outputs[0]!) : null;
    if (next && a && fuses(current, a)) {
      act = a;
      removed.add(next);
      fused.push(next.name);
      current = { ...current, outputs: [next.outputs[0]!] };
    } else if (silu) {
      const [sig, mul] = silu;
      act = SILU;
      removed.add(sig); removed.add(mul);
      fused.push(sig.name, mul.name);
      current = { ...current, outputs: [mul.outputs[0]!] };
    }
    steps.push({ node: current, act, fused });
  }
  return { steps, constants };
}

/**
 * Folded weights by the Conv's weight array: every plan of a session (batch 1, batch 64, the layer
 * table's) resolves to the same constant arrays (a folded Identity on a weight keeps its array), so
 * a model's BNs fold once, not once per plan (efficientnet_b7: 0.3-0.8 s a fold). Constant arrays
 * are never mutated in place, so identity is a safe key; the WeakMap lets a dropped model's go.
 */
const FOLDS = new WeakMap<Float32Array, { inputs: readonly (Float32Array | null)[]; eps: number; w: Float32Array; b: Float32Array }[]>();

/** Conv weights/bias with BN's affine folded in, as new constants; null when BN's params are not constant. */
function foldBatchNorm(conv: Node, bn: Node, constants: Record<string, TensorData>, g: ResolvedGraph): Node | null {
  const w = f32(constants[conv.inputs[1]!]);
  const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((n) => f32(constants[n]));
  if (!w || !gamma || !beta || !mean || !variance || bn.outputs.filter(Boolean).length > 1) return null;
  const b = conv.inputs[2] ? f32(constants[conv.inputs[2]]) : null;
  if (conv.inputs[2] && !b) return null; // a non-float bias: leave BN to its own kernel rather than drop the bias
  const eps = attrFloat(bn, 'epsilon', 1e-5);
  const inputs = [b, gamma, beta, mean, variance];
  const cached = FOLDS.get(w) ?? [];
  let hit = cached.find((e) => e.eps === eps && e.inputs.every((t, i) => t === inputs[i]));
  if (!hit) {
    const { scale, shift } = batchNormToAffine(gamma, beta, mean, variance, eps);
    const m = scale.length;
    const per = w.length / m;
    const wNew = new Float32Array(w.length);
    for (let o = 0; o < m; o++) {
      const s = scale[o]!, base = o * per;
      for (let i = base; i < base + per; i++) wNew[i] = w[i]! * s;
    }
    const bNew = new Float32Array(m);
    for (let o = 0; o < m; o++) bNew[o] = (b ? b[o]! : 0) * scale[o]! + shift[o]!;
    hit = { inputs, eps, w: wNew, b: bNew };
    cached.push(hit);
    FOLDS.set(w, cached);
  }
  const wName = `${conv.name}::w_bn`, bName = `${conv.name}::b_bn`;
  constants[wName] = { dtype: 'float32', dims: [...g.values[conv.inputs[1]!]!.shape], data: hit.w };
  constants[bName] = { dtype: 'float32', dims: [hit.b.length], data: hit.b };
  return { ...conv, inputs: [conv.inputs[0]!, wName, bName], outputs: [bn.outputs[0]!] };
}
