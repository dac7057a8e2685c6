/** IR -> .onnx bytes, the inverse of importOnnx: importOnnx(exportOnnx(m)) deep-equals m. */
import { onnx } from 'onnx-proto';
import { DTYPE_ONNX } from '../core/dtype';
import { ModelError } from '../core/errors';
import type { AttrValue, Model, Node, ValueInfo } from './ir';
import { encodeTensorData, toLong } from './tensor-proto';
import { irVersionForOpset } from './support';

const AT = onnx.AttributeProto.AttributeType;
const utf8 = new TextEncoder();

/** IR version 8 pairs with opsets up to 18 and loads in every onnxruntime since 1.10. */
export const DEFAULT_IR_VERSION = 8;

export function exportOnnx(model: Model): Uint8Array {
  // A model without one gets the IR version its opset was released with (8 up to opset 18).
  const irVersion = model.irVersion || Math.max(DEFAULT_IR_VERSION, irVersionForOpset(model.opset));
  const g = model.graph;
  const initializers = Object.entries(g.initializers);
  const inputs = g.inputs.map(exportValueInfo);
  // Before IR 4, onnx required every initializer to also be a graph input; importOnnx strips them again.
  if (irVersion < 4) {
    for (const [name, t] of initializers) inputs.push(exportValueInfo({ name, dtype: t.dtype, shape: t.dims }));
  }
  // Custom-domain versions are not kept in the IR; 1 is what nearly every contrib domain uses.
  const domains = [...new Set(g.nodes.map((n) => n.domain).filter((d) => d !== ''))];
  const proto: onnx.IModelProto = {
    irVersion,
    producerName: model.producer,
    ...(model.metadata ? { metadataProps: Object.entries(model.metadata).map(([key, value]) => ({ key, value })) } : {}),
    opsetImport: [{ domain: '', version: model.opset }, ...domains.map((domain) => ({ domain, version: 1 }))],
    graph: {
      name: g.name,
      node: g.nodes.map(exportNode),
      initializer: initializers.map(([name, t]) => encodeTensorData(name, t)),
      input: inputs,
      output: g.outputs.map(exportValueInfo),
      valueInfo: Object.values(g.valueInfo).map(exportValueInfo),
    },
  };
  const out = onnx.ModelProto.encode(proto).finish();
  // Node's protobufjs may hand back a view into Buffer's shared pool; give callers a buffer of their own.
  return out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : new Uint8Array(out);
}

function exportValueInfo(v: ValueInfo): onnx.IValueInfoProto {
  const dim = v.shape.map((d): onnx.TensorShapeProto.IDimension =>
    typeof d === 'number' ? { dimValue: d } : d === '?' ? {} : { dimParam: d },
  );
  return { name: v.name, type: { tensorType: { elemType: DTYPE_ONNX[v.dtype], shape: { dim } } } };
}

function exportNode(n: Node): onnx.INodeProto {
  return {
    name: n.name,
    opType: n.opType,
    ...(n.domain ? { domain: n.domain } : {}),
    input: n.inputs.slice(),
    output: n.outputs.slice(),
    attribute: Object.entries(n.attrs).map(([name, a]) => exportAttr(n, name, a)),
  };
}

function exportAttr(n: Node, name: string, a: AttrValue): onnx.IAttributeProto {
  switch (a.type) {
    case 'int': return { name, type: AT.INT, i: toLong(a.value) };
    case 'float': return { name, type: AT.FLOAT, f: a.value };
    case 'string': return { name, type: AT.STRING, s: utf8.encode(a.value) };
    case 'ints': return { name, type: AT.INTS, ints: a.value.map(toLong) };
    case 'floats': return { name, type: AT.FLOATS, floats: a.value.slice() };
    case 'strings': return { name, type: AT.STRINGS, strings: a.value.map((s) => utf8.encode(s)) };
    case 'tensor': return { name, type: AT.TENSOR, t: encodeTensorData('', a.value) };
    case 'graph':
      throw new ModelError(`node '${n.name}' (${n.opType}) has a subgraph attribute '${name}', which cannot be exported`);
  }
}
