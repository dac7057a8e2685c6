/**
 * ONNX's integer ops, rewritten into the QDQ form they are defined by, so one lowering
 * (engine/lower-qdq.ts) maps every quantized model onto the int8 kernels:
 *   QLinearConv(x, xs, xz, w, ws, wz, ys, yz, B) = Q(Conv(DQ(x), DQ(w), DQ(B, xs·ws)), ys, yz)
 *   QLinearMatMul(a, as, az, b, bs, bz, ys, yz) = Q(MatMul(DQ(a), DQ(b)), ys, yz)
 *   ConvInteger(x, w, xz, wz)                   = Conv(DQ(x, 1, xz), DQ(w, 1, wz))    (int32 out)
 *   MatMulInteger(a, b, az, bz)                 = MatMul(DQ(a, 1, az), DQ(b, 1, bz))  (int32 out)
 * Integer tensors travel as float32 holding their integer values; int32 accumulators are exact
 * while |acc| < 2^24, which the int8 kernels guarantee by computing them in i32 and converting once.
 */
import type { AttrValue, Model, Node, TensorData } from '../model/ir';
import { ModelError } from '../core/errors';

export const INTEGER_OPS: ReadonlySet<string> = new Set(['QLinearConv', 'QLinearMatMul', 'ConvInteger', 'MatMulInteger']);

/**
 * Inputs each quantized op needs as constants to run on the integer kernels (scales, zero points,
 * weights): exporters store them as initializers. Where a graph feeds them at run time the op
 * still runs, on float kernels. Conformance tests bind these positions as constants.
 */
export const PARAMETER_INPUTS: Readonly<Record<string, readonly number[]>> = {
  QuantizeLinear: [1, 2],
  DequantizeLinear: [1, 2],
  QLinearConv: [1, 2, 3, 4, 5, 6, 7, 8],
  QLinearMatMul: [1, 2, 3, 4, 5, 6, 7],
  ConvInteger: [1, 2, 3],
  MatMulInteger: [1, 2, 3],
};

const int = (value: number): AttrValue => ({ type: 'int', value });

/** Rewrites the integer ops of `model` into DequantizeLinear → float op → QuantizeLinear. */
export function decomposeIntegerOps(model: Model): Model {
  const g = model.graph;
  if (!g.nodes.some((n) => INTEGER_OPS.has(n.opType))) return model;
  const init: Record<string, TensorData> = { ...g.initializers };
  const nodes: Node[] = [];
  const one = '::studio_one';
  const ensureOne = () => { init[one] ??= { dtype: 'float32', dims: [], data: Float32Array.of(1) }; return one; };

  for (const n of g.nodes) {
    if (!INTEGER_OPS.has(n.opType)) { nodes.push(n); continue; }
    const at = (i: number) => n.inputs[i] ?? '';
    const dq = (what: string, x: string, scale: string, zero: string, axis?: number): string => {
      const out = `${n.name}::${what}`;
      nodes.push({
        name: `${n.name}::DequantizeLinear_${what}`, opType: 'DequantizeLinear', domain: '',
        inputs: [x, scale, zero], outputs: [out], attrs: axis === undefined ? {} : { axis: int(axis) },
      });
      return out;
    };
    // A per-output-channel parameter (shape [N]) of the weight w along `axis`.
    const weightAxis = (param: string, axis: number): number | undefined => {
      const t = init[param];
      return t && t.data.length > 1 ? axis : undefined;
    };
    const floatOp = (opType: 'Conv' | 'MatMul', inputs: string[], out: string): void => {
      nodes.push({ name: n.name, opType, domain: '', inputs, outputs: [out], attrs: opType === 'Conv' ? n.attrs : {} });
    };
    const quantize = (x: string, scale: string, zero: string): void => {
      nodes.push({ name: `${n.name}::QuantizeLinear`, opType: 'QuantizeLinear', domain: '', inputs: [x, scale, zero], outputs: [n.outputs[0]!], attrs: {} });
    };

    switch (n.opType) {
      case 'QLinearConv': {
        const x = dq('x', at(0), at(1), at(2));
        const w = dq('w', at(3), at(4), at(5), weightAxis(at(4), 0) ?? weightAxis(at(5), 0));
        const inputs = [x, w];
        if (at(8)) inputs.push(dq('bias', at(8), biasScale(n, init, at(1), at(4)), '', 0));
        floatOp('Conv', inputs, `${n.name}::y`);
        quantize(`${n.name}::y`, at(6), at(7));
        break;
      }
      case 'QLinearMatMul': {
        const a = dq('a', at(0), at(1), at(2));
        const b = dq('b', at(3), at(4), at(5), weightAxis(at(4), -1) ?? weightAxis(at(5), -1));
        floatOp('MatMul', [a, b], `${n.name}::y`);
        quantize(`${n.name}::y`, at(6), at(7));
        break;
      }
      case 'ConvInteger': {
        const x = dq('x', at(0), ensureOne(), at(2));
        const w = dq('w', at(1), perChannelOnes(init, n, at(3)), at(3), weightAxis(at(3), 0));
        floatOp('Conv', [x, w], n.outputs[0]!);
        break;
      }
      case 'MatMulInteger': {
        // a_zero_point may be per row of A (axis 0 of a 2-D A); b_zero_point per column of B.
        const a = dq('a', at(0), perChannelOnes(init, n, at(2)), at(2), weightAxis(at(2), 0));
        const b = dq('b', at(1), perChannelOnes(init, n, at(3)), at(3), weightAxis(at(3), -1));
        floatOp('MatMul', [a, b], n.outputs[0]!);
        break;
      }
    }
  }
  return { ...model, graph: { ...g, nodes, initializers: init } };

  /** Unit scales shaped like a (possibly per-channel) zero point, so DequantizeLinear's axis checks hold. */
  function perChannelOnes(initializers: Record<string, TensorData>, n: Node, zero: string): string {
    const z = zero ? initializers[zero] : undefined;
    if (!z || z.data.length <= 1) return ensureOne();
    const name = `${n.name}::ones_${zero}`;
    initializers[name] = { dtype: 'float32', dims: [...z.dims], data: new Float32Array(z.data.length).fill(1) };
    return name;
  }
}

/** QLinearConv's int32 bias has scale x_scale·w_scale[m] and zero point 0 (ONNX spec). */
function biasScale(n: Node, init: Record<string, TensorData>, xScale: string, wScale: string): string {
  const xs = init[xScale], ws = init[wScale];
  if (!xs || !ws) throw new ModelError(`node '${n.name}' (QLinearConv): x_scale and w_scale must be constants when there is a bias`);
  const name = `${n.name}::bias_scale`;
  const x = Number(xs.data[0]);
  init[name] = { dtype: 'float32', dims: ws.data.length > 1 ? [ws.data.length] : [], data: Float32Array.from(ws.data as Float32Array, (s) => x * s) };
  return name;
}
