/**
 * Lowers ONNX's QDQ form (what the studio's quantizer writes and what other tools export) onto
 * the integer kernels, before shapes are resolved:
 *  - Conv/Gemm reading DQ(Q(x)) with DQ'd int8 weights, whose output (after an optional Relu)
 *    feeds only a Q→DQ pair, becomes one StudioInt8Conv/StudioInt8Gemm: quantize on load, integer
 *    dot products, requantize (+ ReLU) to the output pair's grid;
 *  - any other Q→DQ pair becomes StudioFakeQuant, or an Identity when its input already lies on
 *    that grid (e.g. a MaxPool of an int8 layer's output);
 *  - DQ of a constant feeding anything else is folded to float32 on the host.
 * Studio* ops are internal: they never reach an exported file, which keeps the QDQ form.
 */
import type { AttrValue, Model, Node, TensorData } from '../model/ir';

export const QDQ_OPS: ReadonlySet<string> = new Set(['QuantizeLinear', 'DequantizeLinear']);
const GRID_PRESERVING = new Set(['MaxPool', 'Flatten', 'Reshape', 'Identity', 'Squeeze', 'Unsqueeze', 'Dropout']);

interface Grid { scale: number; zero: number }
interface Pair { q: Node; dq: Node; from: string; to: string; grid: Grid }

const f = (value: number): AttrValue => ({ type: 'float', value });
const i = (value: number): AttrValue => ({ type: 'int', value });

function scalar(t: TensorData | undefined): number | null {
  return t && t.data.length === 1 ? Number(t.data[0]) : null;
}

/** float32 values of DequantizeLinear on constant inputs (per-tensor or per-axis). */
export function dequantizeConstant(q: TensorData, scale: TensorData, zero: TensorData | undefined, axis: number): Float32Array {
  const out = new Float32Array(q.data.length);
  const perAxis = scale.data.length > 1;
  const ax = axis < 0 ? axis + q.dims.length : axis;
  const inner = perAxis ? q.dims.slice(ax + 1).reduce((a, b) => a * b, 1) : 1;
  for (let k = 0; k < out.length; k++) {
    const c = perAxis ? Math.floor(k / inner) % scale.data.length : 0;
    out[k] = (Number(q.data[k]) - Number(zero?.data[c] ?? 0)) * Number(scale.data[c]);
  }
  return out;
}

export function lowerQdq(model: Model): Model {
  const g = model.graph;
  if (!g.nodes.some((n) => QDQ_OPS.has(n.opType))) return model;
  const init: Record<string, TensorData> = { ...g.initializers };
  const consumers = new Map<string, Node[]>();
  const producer = new Map<string, Node>();
  for (const n of g.nodes) {
    for (const v of n.inputs) if (v) consumers.set(v, [...(consumers.get(v) ?? []), n]);
    for (const o of n.outputs) producer.set(o, n);
  }
  const outputs = new Set(g.outputs.map((o) => o.name));
  const sole = (v: string): Node | null => (outputs.has(v) ? null : consumers.get(v)?.length === 1 ? consumers.get(v)![0]! : null);

  // Q→DQ pairs with constant scalar scale and zero point.
  const pairByDq = new Map<Node, Pair>(), pairByQ = new Map<Node, Pair>();
  for (const dq of g.nodes) {
    if (dq.opType !== 'DequantizeLinear') continue;
    const q = producer.get(dq.inputs[0]!);
    if (q?.opType !== 'QuantizeLinear' || sole(q.outputs[0]!) !== dq) continue;
    const scale = scalar(init[q.inputs[1]!]), zero = q.inputs[2] ? scalar(init[q.inputs[2]]) : 0;
    if (scale === null || zero === null || init[q.inputs[2] ?? '']?.dtype === 'uint8') continue;
    if (scalar(init[dq.inputs[1]!]) !== scale || (dq.inputs[2] ? scalar(init[dq.inputs[2]]) : 0) !== zero) continue;
    const p = { q, dq, from: q.inputs[0]!, to: dq.outputs[0]!, grid: { scale, zero } };
    pairByDq.set(dq, p);
    pairByQ.set(q, p);
  }
  const pairInto = (v: string) => { const n = producer.get(v); return n ? pairByDq.get(n) ?? null : null; };
  const constDq = (v: string): Node | null => {
    const n = producer.get(v);
    return n?.opType === 'DequantizeLinear' && init[n.inputs[0]!] && init[n.inputs[1]!] ? n : null;
  };

  const removed = new Set<Node>();
  const replaced = new Map<Node, Node>();
  for (const n of g.nodes) {
    if (n.opType !== 'Conv' && n.opType !== 'Gemm') continue;
    const xPair = pairInto(n.inputs[0]!);
    const wDq = constDq(n.inputs[1]!);
    if (!xPair || !wDq || init[wDq.inputs[0]!]!.dtype !== 'int8') continue;
    const bDq = n.inputs[2] ? constDq(n.inputs[2]) : null;
    if (n.inputs[2] && !bDq && !init[n.inputs[2]]) continue;
    let last = n, relu: Node | null = null;
    const next = sole(n.outputs[0]!);
    if (next?.opType === 'Relu') { relu = next; last = next; }
    const q = sole(last.outputs[0]!);
    const yPair = q ? pairByQ.get(q) : undefined;
    if (!yPair) continue;
    const w = wDq.inputs;
    const biasName = `${n.name}::bias_float`;
    if (bDq) init[biasName] = { dtype: 'float32', dims: [...init[bDq.inputs[0]!]!.dims], data: dequantizeConstant(init[bDq.inputs[0]!]!, init[bDq.inputs[1]!]!, init[bDq.inputs[2] ?? ''], 0) };
    replaced.set(n, {
      ...n,
      opType: n.opType === 'Conv' ? 'StudioInt8Conv' : 'StudioInt8Gemm',
      // x (on the input pair's grid), int8 weights, their scale and zero point, float bias
      inputs: [xPair.to, w[0]!, w[1]!, w[2] ?? '', bDq ? biasName : (n.inputs[2] ?? '')],
      outputs: [yPair.to],
      attrs: {
        ...n.attrs, w_axis: i(wDq.attrs.axis?.type === 'int' ? wDq.attrs.axis.value : 1),
        x_scale: f(xPair.grid.scale), x_zero: i(xPair.grid.zero), y_scale: f(yPair.grid.scale), y_zero: i(yPair.grid.zero), relu: i(relu ? 1 : 0),
      },
    });
    for (const gone of [relu, yPair.q, yPair.dq]) if (gone) removed.add(gone);
    for (const dq of [wDq, bDq]) if (dq && consumers.get(dq.outputs[0]!)?.length === 1) removed.add(dq);
  }

  // Which values lie on a known int8 grid, to drop pairs that would requantize to the same grid.
  const gridOf = new Map<string, Grid>();
  const nodes: Node[] = [];
  for (const original of g.nodes) {
    if (removed.has(original)) continue;
    let n = replaced.get(original) ?? original;
    const pair = pairByQ.get(original);
    if (pairByDq.has(original)) continue; // emitted with its Q
    if (pair) {
      const on = gridOf.get(pair.from);
      n = on && on.scale === pair.grid.scale && on.zero === pair.grid.zero
        ? { name: pair.q.name, opType: 'Identity', domain: '', inputs: [pair.from], outputs: [pair.to], attrs: {} }
        : { name: pair.q.name, opType: 'StudioFakeQuant', domain: '', inputs: [pair.from], outputs: [pair.to], attrs: { scale: f(pair.grid.scale), zero: i(pair.grid.zero) } };
      gridOf.set(pair.to, pair.grid);
    } else if (n.opType === 'DequantizeLinear' && init[n.inputs[0]!] && init[n.inputs[1]!]) {
      const axis = n.attrs.axis?.type === 'int' ? n.attrs.axis.value : 1;
      const q = init[n.inputs[0]!]!;
      init[n.outputs[0]!] = { dtype: 'float32', dims: [...q.dims], data: dequantizeConstant(q, init[n.inputs[1]!]!, init[n.inputs[2] ?? ''], axis) };
      continue;
    } else if (n.opType.startsWith('StudioInt8')) {
      gridOf.set(n.outputs[0]!, { scale: (n.attrs.y_scale as { value: number }).value, zero: (n.attrs.y_zero as { value: number }).value });
    } else if (GRID_PRESERVING.has(n.opType) && gridOf.has(n.inputs[0]!)) {
      gridOf.set(n.outputs[0]!, gridOf.get(n.inputs[0]!)!);
    }
    nodes.push(n);
  }
  return { ...model, graph: { ...g, nodes, initializers: init } };
}
