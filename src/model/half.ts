/**
 * float16 (and bfloat16) models computed in float32: initializers (already widened to f32 when
 * read), graph inputs and outputs, value types, Casts and Constants all become float32, so the
 * model takes and returns float32 at its boundary and every kernel runs as for any f32 model. The
 * adapters the studio meets have no `shader-f16` (SwiftShader), so f16 arithmetic is not offered.
 */
import type { AttrValue, Model, Node, ValueInfo } from './ir';

const HALF = new Set(['float16', 'bfloat16']);
/** ONNX TensorProto codes of float16 and bfloat16, and float32's. */
const HALF_CODES = new Set([10, 16]);
const FLOAT = 1;

/** Whether the model holds any half-precision type (values, initializers, Casts or Constants). */
export function hasHalf(model: Model): boolean {
  const g = model.graph;
  return [...g.inputs, ...g.outputs, ...Object.values(g.valueInfo)].some((v) => HALF.has(v.dtype))
    || Object.values(g.initializers).some((t) => HALF.has(t.dtype))
    || g.nodes.some((n) => Object.values(n.attrs).some(halfAttr));
}

const halfAttr = (a: AttrValue) => (a.type === 'tensor' && HALF.has(a.value.dtype));

/** The model with every half-precision type widened to float32 (the same model when there is none). */
export function widenHalf(model: Model): Model {
  if (!hasHalf(model)) return model;
  const g = model.graph;
  const value = (v: ValueInfo): ValueInfo => (HALF.has(v.dtype) ? { ...v, dtype: 'float32' } : v);
  const node = (n: Node): Node => {
    const attrs: Record<string, AttrValue> = {};
    for (const [k, a] of Object.entries(n.attrs)) {
      if (a.type === 'tensor' && HALF.has(a.value.dtype)) attrs[k] = { type: 'tensor', value: { ...a.value, dtype: 'float32' } };
      else if (n.opType === 'Cast' && k === 'to' && a.type === 'int' && HALF_CODES.has(a.value)) attrs[k] = { type: 'int', value: FLOAT };
      else attrs[k] = a;
    }
    return { ...n, attrs };
  };
  return {
    ...model,
    graph: {
      ...g,
      nodes: g.nodes.map(node),
      inputs: g.inputs.map(value),
      outputs: g.outputs.map(value),
      valueInfo: Object.fromEntries(Object.entries(g.valueInfo).map(([k, v]) => [k, value(v)])),
      initializers: Object.fromEntries(Object.entries(g.initializers).map(([k, t]) => [k, HALF.has(t.dtype) ? { ...t, dtype: 'float32' } : t])),
    },
  };
}
