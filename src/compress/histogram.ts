/** Weight histograms for before/after views: a layer's float weights, or its int8 weights dequantized. */
import type { Model, Node } from '../model/ir';
import { dequantizeConstant } from '../engine/lower-qdq';

/** The layer's weights as floats (dequantized when the model stores them as int8 behind DequantizeLinear). */
export function layerWeights(model: Model, layer: string): Float32Array | null {
  const g = model.graph;
  const node = g.nodes.find((n) => n.name === layer);
  if (!node) return null;
  const w = node.inputs[1];
  if (!w) return null;
  const direct = g.initializers[w];
  if (direct?.dtype === 'float32') return direct.data as Float32Array;
  const dq: Node | undefined = g.nodes.find((n) => n.outputs[0] === w && n.opType === 'DequantizeLinear');
  if (!dq) return null;
  const q = g.initializers[dq.inputs[0]!], s = g.initializers[dq.inputs[1]!];
  if (!q || !s) return null;
  const axis = dq.attrs.axis?.type === 'int' ? dq.attrs.axis.value : 1;
  return dequantizeConstant(q, s, dq.inputs[2] ? g.initializers[dq.inputs[2]] : undefined, axis);
}

export interface Histogram { edges: number[]; series: { name: string; counts: number[] }[] }

/** Histograms of several weight arrays over shared bins spanning all of them. */
export function histogram(named: { name: string; values: Float32Array }[], bins = 41): Histogram {
  let lo = Infinity, hi = -Infinity;
  for (const { values } of named) for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  const series = named.map(({ name, values }) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
    return { name, counts };
  });
  return { edges, series };
}
