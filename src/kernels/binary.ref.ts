import { broadcastShapes, broadcastStrides, sizeOf, stridesOf } from '../core/shape';
import type { BinaryOp } from './binary';

const APPLY: Record<BinaryOp, (u: number, v: number) => number> = {
  add: (u, v) => u + v, sub: (u, v) => u - v, mul: (u, v) => u * v, div: (u, v) => u / v,
  max: (u, v) => Math.max(u, v), min: (u, v) => Math.min(u, v),
};

/** y = a op b with numpy broadcasting; y has shape broadcast(aShape, bShape). */
export function binaryRef(op: BinaryOp, a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[]): Float32Array {
  const out = broadcastShapes(aShape, bShape);
  if (!out) throw new Error(`binaryRef: [${aShape}] and [${bShape}] do not broadcast`);
  const sa = broadcastStrides(aShape, out), sb = broadcastStrides(bShape, out), so = stridesOf(out);
  const y = new Float32Array(sizeOf(out));
  for (let i = 0; i < y.length; i++) {
    let ia = 0, ib = 0;
    for (let d = 0; d < out.length; d++) {
      const idx = Math.floor(i / so[d]!) % out[d]!;
      ia += idx * sa[d]!;
      ib += idx * sb[d]!;
    }
    const u = a[ia]!, v = b[ib]!;
    y[i] = APPLY[op](u, v);
  }
  return y;
}
