/**
 * Bytes a model really stores for its layer weights: float weights as float32, quantized ones as
 * the int8 tensor plus its scales and zero points (what a QDQ file holds), so size ratios are true.
 */
import { DTYPE_BYTES } from '../core/dtype';
import type { Model, Node } from '../model/ir';

const WEIGHTED = new Set(['Conv', 'Gemm', 'MatMul']);

export function weightBytes(model: Model): number {
  const g = model.graph;
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
  const bytesOf = (name: string | undefined) => {
    const t = name ? g.initializers[name] : undefined;
    return t ? t.data.length * DTYPE_BYTES[t.dtype] : 0;
  };
  let total = 0;
  for (const n of g.nodes) {
    if (!WEIGHTED.has(n.opType)) continue;
    const w = n.inputs[1]!;
    const dq = producer.get(w);
    total += dq?.opType === 'DequantizeLinear' ? dq.inputs.reduce((s, i) => s + bytesOf(i), 0) : bytesOf(w);
  }
  return total;
}
