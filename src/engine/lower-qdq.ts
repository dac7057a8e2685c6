/**
 * Lowers ONNX's QDQ form (what the studio's quantizer writes, what other tools export, and what
 * engine/lower-qlinear.ts makes of QLinearConv, ConvInteger, ...) onto the integer kernels,
 * before shapes are resolved:
 *  - Conv/Gemm/MatMul whose weights are DequantizeLinear of constant int8/uint8 and whose input is
 *    on a known int8 grid becomes one StudioInt8Conv/StudioInt8Gemm. The input grid comes from a
 *    Q→DQ pair, a DequantizeLinear of integer data (constant scale and zero point), or a
 *    DynamicQuantizeLinear (its range measured per batch by StudioDynamicRange). The output is
 *    requantized (+ ReLU) to the grid of the QuantizeLinear that follows, or left float.
 *  - uint8 grids run on the int8 kernels shifted by -128: (q - z) = ((q - 128) - (z - 128)).
 *  - any other Q→DQ pair becomes StudioFakeQuant, or an Identity when its input already lies on
 *    that grid (e.g. a MaxPool of an int8 layer's output); DQ of a constant is folded on the host;
 *    other QuantizeLinear/DequantizeLinear run as they are.
 * Studio* ops are internal: they never reach an exported file, which keeps the QDQ form.
 */
import type { AttrValue, Model, Node, TensorData } from '../model/ir';
import { attrFloat, attrInt } from '../model/ir';
import { indexGraph, removeDeadCode } from '../model/graph';
import { sizeOf } from '../core/shape';
import { DTYPE_ONNX } from '../core/dtype';
import { decomposeIntegerOps } from './lower-qlinear';

export const QDQ_OPS: ReadonlySet<string> = new Set(['QuantizeLinear', 'DequantizeLinear']);
const GRID_PRESERVING = new Set(['MaxPool', 'Flatten', 'Reshape', 'Identity', 'Squeeze', 'Unsqueeze', 'Dropout']);
/** Ops without side effects whose nodes can go when nothing reads their outputs. */
const PURE_QDQ = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear']);
const UINT8_SHIFT = -128;

/** An int8 grid: real = scale * (q - zero), q in [-128, 127] (uint8 grids already shifted). */
interface Grid { scale: number; zero: number }
interface Pair { q: Node; dq: Node; from: string; to: string; grid: Grid }
/** Where an int8 layer's input comes from: a fixed grid, or one measured per batch. */
type InputGrid = { kind: 'static'; x: string; grid: Grid } | { kind: 'dynamic'; x: string };

const f = (value: number): AttrValue => ({ type: 'float', value });
const i = (value: number): AttrValue => ({ type: 'int', value });

function scalar(t: TensorData | undefined): number | null {
  return t && t.data.length === 1 ? Number(t.data[0]) : null;
}

/** The int8-domain zero point of a constant scalar zero point; an absent one is 0 of uint8 (ONNX's default) or of opset 21's output_dtype. */
function int8Zero(t: TensorData | undefined, present: boolean, outputDtype = 0): number | null {
  if (!present) return outputDtype === DTYPE_ONNX.int8 ? 0 : outputDtype === 0 || outputDtype === DTYPE_ONNX.uint8 ? UINT8_SHIFT : null;
  const z = scalar(t);
  if (z === null || !t) return null;
  return t.dtype === 'uint8' ? z + UINT8_SHIFT : t.dtype === 'int8' ? z : null;
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

export function lowerQdq(input: Model): Model {
  const model = decomposeIntegerOps(input);
  const g = model.graph;
  if (!g.nodes.some((n) => QDQ_OPS.has(n.opType) || n.opType === 'DynamicQuantizeLinear')) return model;
  const init: Record<string, TensorData> = { ...g.initializers };
  const { producer, sole } = indexGraph(g);
  /** The int8 grid of a Q or DQ node with constant scalar scale and zero point. */
  const gridOfNode = (n: Node): Grid | null => {
    const scale = scalar(init[n.inputs[1] ?? '']);
    const zero = int8Zero(init[n.inputs[2] ?? ''], Boolean(n.inputs[2]), attrInt(n, 'output_dtype', 0));
    return scale !== null && scale > 0 && zero !== null ? { scale, zero } : null;
  };

  // Q→DQ pairs on one constant grid.
  const pairByDq = new Map<Node, Pair>(), pairByQ = new Map<Node, Pair>();
  for (const dq of g.nodes) {
    if (dq.opType !== 'DequantizeLinear') continue;
    const q = producer(dq.inputs[0]!);
    if (q?.opType !== 'QuantizeLinear' || sole(q.outputs[0]!) !== dq) continue;
    const grid = gridOfNode(q), dqGrid = gridOfNode(dq);
    if (!grid || !dqGrid || grid.scale !== dqGrid.scale || grid.zero !== dqGrid.zero) continue;
    const p = { q, dq, from: q.inputs[0]!, to: dq.outputs[0]!, grid };
    pairByDq.set(dq, p);
    pairByQ.set(q, p);
  }

  const inputGrid = (v: string): InputGrid | null => {
    const dq = producer(v);
    if (dq?.opType !== 'DequantizeLinear' || init[dq.inputs[0]!]) return null;
    const pair = pairByDq.get(dq);
    if (pair) return { kind: 'static', x: pair.to, grid: pair.grid };
    const src = producer(dq.inputs[0]!);
    if (src?.opType === 'DynamicQuantizeLinear' && src.outputs[0] === dq.inputs[0] && src.outputs[1] === dq.inputs[1] && src.outputs[2] === dq.inputs[2]) {
      return { kind: 'dynamic', x: src.inputs[0]! };
    }
    // Without a zero point, DQ's zero is 0 of its input's type, known here only for graph inputs.
    const inputType = g.inputs.find((vi) => vi.name === dq.inputs[0])?.dtype;
    const grid = dq.inputs[2] ? gridOfNode(dq) : inputType === 'int8' || inputType === 'uint8' ? { scale: scalar(init[dq.inputs[1]!]) ?? 0, zero: inputType === 'int8' ? 0 : UINT8_SHIFT } : null;
    return grid && grid.scale > 0 ? { kind: 'static', x: v, grid } : null;
  };
  const constDq = (v: string): Node | null => {
    const n = producer(v);
    return n?.opType === 'DequantizeLinear' && init[n.inputs[0]!] && init[n.inputs[1]!] && (!n.inputs[2] || init[n.inputs[2]]) ? n : null;
  };

  const replaced = new Map<Node, Node[]>();
  const removed = new Set<Node>();
  const ranges = new Set<string>();
  for (const n of g.nodes) {
    const layout = weightLayout(n);
    if (!layout) continue;
    const x = inputGrid(n.inputs[0]!);
    const wDq = constDq(n.inputs[1]!);
    if (!x || !wDq) continue;
    const w = int8WeightInitializers(n, wDq, layout.outAxis, init);
    if (!w) continue;
    const bias = layerBias(n, init, constDq, w.N);
    if (bias === null) continue;

    let last = n, relu: Node | null = null;
    const next = sole(n.outputs[0]!);
    if (next?.opType === 'Relu') { relu = next; last = next; }
    const q = x.kind === 'static' ? sole(last.outputs[0]!) : null;
    const yPair = q ? pairByQ.get(q) : undefined;
    const yGrid = yPair?.grid ?? (q?.opType === 'QuantizeLinear' ? gridOfNode(q) : null);
    const out = yPair ? yPair.to : last.outputs[0]!;

    const lowered: Node[] = [];
    if (x.kind === 'dynamic' && !ranges.has(x.x)) {
      ranges.add(x.x);
      lowered.push({ name: `${x.x}::StudioDynamicRange`, opType: 'StudioDynamicRange', domain: '', inputs: [x.x], outputs: [`${x.x}::qparams`], attrs: {} });
    }
    lowered.push({
      ...n,
      opType: n.opType === 'Conv' ? 'StudioInt8Conv' : 'StudioInt8Gemm',
      // x, int8 weights, their scale and zero point, float bias, [qparams measured per batch]
      inputs: [x.x, w.q, w.scale, w.zero, bias, ...(x.kind === 'dynamic' ? [`${x.x}::qparams`] : [])],
      outputs: [out],
      attrs: {
        ...(n.opType === 'Conv' ? n.attrs : {}),
        rows_are_outputs: i(layout.outAxis === 0 ? 1 : 0),
        x_scale: f(x.kind === 'static' ? x.grid.scale : 1), x_zero: i(x.kind === 'static' ? x.grid.zero : UINT8_SHIFT),
        dynamic: i(x.kind === 'dynamic' ? 1 : 0), float_out: i(yGrid ? 0 : 1),
        y_scale: f(yGrid?.scale ?? 1), y_zero: i(yGrid?.zero ?? 0), relu: i(relu ? 1 : 0),
      },
    });
    replaced.set(n, lowered);
    if (relu) removed.add(relu);
    if (yPair) { removed.add(yPair.q); removed.add(yPair.dq); }
  }

  // Which values lie on a known int8 grid, to drop pairs that would requantize to the same grid.
  const gridOf = new Map<string, Grid>();
  const nodes: Node[] = [];
  for (const original of g.nodes) {
    if (removed.has(original)) continue;
    const pair = pairByQ.get(original);
    if (pairByDq.has(original)) continue; // emitted with its Q
    if (pair) {
      const on = gridOf.get(pair.from);
      nodes.push(on && on.scale === pair.grid.scale && on.zero === pair.grid.zero
        ? { name: pair.q.name, opType: 'Identity', domain: '', inputs: [pair.from], outputs: [pair.to], attrs: {} }
        : { name: pair.q.name, opType: 'StudioFakeQuant', domain: '', inputs: [pair.from], outputs: [pair.to], attrs: { scale: f(pair.grid.scale), zero: i(pair.grid.zero) } });
      gridOf.set(pair.to, pair.grid);
      continue;
    }
    if (original.opType === 'DequantizeLinear' && init[original.inputs[0]!] && init[original.inputs[1]!]) {
      const q = init[original.inputs[0]!]!;
      init[original.outputs[0]!] = { dtype: 'float32', dims: [...q.dims], data: dequantizeConstant(q, init[original.inputs[1]!]!, init[original.inputs[2] ?? ''], attrInt(original, 'axis', 1)) };
      continue;
    }
    for (const n of replaced.get(original) ?? [original]) {
      if (n.opType.startsWith('StudioInt8') && attrInt(n, 'float_out', 1) === 0) {
        gridOf.set(n.outputs[0]!, { scale: attrFloat(n, 'y_scale', 1), zero: attrInt(n, 'y_zero', 0) });
      } else if (GRID_PRESERVING.has(n.opType) && gridOf.has(n.inputs[0]!)) {
        gridOf.set(n.outputs[0]!, gridOf.get(n.inputs[0]!)!);
      }
      nodes.push(n);
    }
  }
  // Q/DQ nodes nothing reads any more go; the rest of the file's nodes and constants stay as they were.
  return { ...model, graph: removeDeadCode({ ...g, nodes, initializers: init }, { nodes: (n) => PURE_QDQ.has(n.opType), initializers: [] }) };
}

/** Which axis of a layer's weight holds its outputs; null for layers not lowered. */
function weightLayout(n: Node): { outAxis: 0 | 1 } | null {
  if (n.opType === 'Conv') return { outAxis: 0 };
  if (n.opType === 'Gemm') {
    if (attrInt(n, 'transA', 0) || attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1) return null;
    return { outAxis: attrInt(n, 'transB', 0) ? 0 : 1 };
  }
  return n.opType === 'MatMul' ? { outAxis: 1 } : null;
}

/**
 * The layer's weights as int8 initializers (uint8 shifted by -128) with per-output-channel scale
 * and zero point; null when the DQ's per-axis parameters run along another axis than the outputs.
 */
function int8WeightInitializers(n: Node, dq: Node, outAxis: 0 | 1, init: Record<string, TensorData>): { q: string; scale: string; zero: string; N: number } | null {
  const q = init[dq.inputs[0]!]!, scale = init[dq.inputs[1]!]!;
  const zero = dq.inputs[2] ? init[dq.inputs[2]] : undefined;
  if (q.dtype !== 'int8' && q.dtype !== 'uint8') return null;
  if (n.opType !== 'Conv' && q.dims.length !== 2) return null;
  const N = q.dims[outAxis]!;
  const perChannel = scale.data.length > 1 || (zero?.data.length ?? 1) > 1;
  if (perChannel) {
    const axis = attrInt(dq, 'axis', 1);
    if ((axis < 0 ? axis + q.dims.length : axis) !== outAxis) return null;
  }
  const shift = q.dtype === 'uint8' ? UINT8_SHIFT : 0;
  const at = (t: TensorData | undefined, c: number) => (t ? Number(t.data[t.data.length > 1 ? c : 0]) : 0);
  const base = `${n.name}::int8`;
  init[`${base}_w`] = shift ? { dtype: 'int8', dims: [...q.dims], data: Int8Array.from(q.data as Uint8Array, (v) => v + shift) } : q;
  init[`${base}_scale`] = { dtype: 'float32', dims: [N], data: Float32Array.from({ length: N }, (_, c) => at(scale, c)) };
  init[`${base}_zero`] = { dtype: 'int8', dims: [N], data: Int8Array.from({ length: N }, (_, c) => at(zero, c) + shift) };
  return { q: `${base}_w`, scale: `${base}_scale`, zero: `${base}_zero`, N };
}

/** The layer's bias as a float32 initializer name ('' for none); null when it cannot be lowered. */
function layerBias(n: Node, init: Record<string, TensorData>, constDq: (v: string) => Node | null, N: number): string | null {
  const b = n.inputs[2];
  if (n.opType === 'MatMul' || !b) return '';
  const dq = constDq(b);
  const t = dq ? init[dq.inputs[0]!]! : init[b];
  if (!t || (!dq && t.dtype !== 'float32') || sizeOf(t.dims) !== N) return null; // one value per output (Gemm's C as one row)
  if (!dq) return b;
  const name = `${n.name}::bias_float`;
  const q = t;
  init[name] = { dtype: 'float32', dims: [sizeOf(q.dims)], data: dequantizeConstant(q, init[dq.inputs[1]!]!, init[dq.inputs[2] ?? ''], 0) };
  return name;
}
