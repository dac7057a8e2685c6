/**
 * Bytes a model really stores for its layer weights: float weights as float32, quantized ones as
 * the int8 tensor plus its scales and zero points (what a QDQ file holds), binary ones as the
 * packed sign bits plus alpha (docs/binary-format.md), so size ratios are true.
 */
import { DTYPE_BYTES } from '../core/dtype';
import type { Model } from '../model/ir';
import { indexGraph } from '../model/graph';
import { STUDIO_DOMAIN } from '../model/support';

const WEIGHTED = new Set(['Conv', 'Gemm', 'MatMul']);
const BINARY = new Set(['XnorConv', 'XnorGemm']);

/** Over every weighted layer, or only the nodes named in `only`. */
export function weightBytes(model: Model, only?: ReadonlySet<string>): number {
  const g = model.graph;
  const { producer } = indexGraph(g);
  const bytesOf = (name: string | undefined) => {
    const t = name ? g.initializers[name] : undefined;
    return t ? t.data.length * DTYPE_BYTES[t.dtype] : 0;
  };
  let total = 0;
  for (const n of g.nodes) {
    if (only && !only.has(n.name)) continue;
    if (n.domain === STUDIO_DOMAIN && BINARY.has(n.opType)) { total += bytesOf(n.inputs[1]) + bytesOf(n.inputs[2]); continue; }
    if (!WEIGHTED.has(n.opType)) continue;
    const w = n.inputs[1]!;
    const dq = producer(w);
    total += dq?.opType === 'DequantizeLinear' ? dq.inputs.reduce((s, i) => s + bytesOf(i), 0) : bytesOf(w);
  }
  return total;
}
