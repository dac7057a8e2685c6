/**
 * .onnx bytes -> IR. Every failure is a ModelError that says what is wrong with the file and what
 * to do about it; protobufjs' own errors ("index out of range") are wrapped, never leaked.
 */
import { onnx } from 'onnx-proto';
import { ONNX_DTYPE, type DType } from '../core/dtype';
import { ModelError } from '../core/errors';
import { NEWER_ONNX_TYPES } from './support';
import type { AttrValue, Dim, Graph, Model, Node, TensorData, ValueInfo } from './ir';
import { decodeTensorProto, longToNumber } from './tensor-proto';

const AT = onnx.AttributeProto.AttributeType;
const utf8 = new TextDecoder();

/** Formats people drop by mistake, recognised by their first bytes, with what to do instead. */
const LOOKALIKES: [number[], string][] = [
  [[0x50, 0x4b, 0x03, 0x04], 'it is a ZIP archive (a PyTorch .pt/.pth checkpoint?); export it with torch.onnx.export'],
  [[0x89, 0x48, 0x44, 0x46], 'it is an HDF5 file (a Keras .h5 model?); convert it with tf2onnx'],
  [[0x89, 0x50, 0x4e, 0x47], 'it is a PNG image'],
  [[0xff, 0xd8, 0xff], 'it is a JPEG image'],
];

export function importOnnx(bytes: Uint8Array, fileName = 'The file'): Model {
  const what = fileName === 'The file' ? fileName : `'${fileName}'`;
  if (bytes.length === 0) throw new ModelError(`${what} is empty (0 bytes); choose an .onnx model file`);
  for (const [magic, hint] of LOOKALIKES) {
    if (magic.every((b, i) => bytes[i] === b)) throw new ModelError(`${what} is not an ONNX model: ${hint}`);
  }
  let proto: onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelError(
      `${what} is not a readable ONNX model (the protobuf data is truncated or corrupt: ${(e as Error).message})`,
    );
  }
  const irVersion = longToNumber(proto.irVersion);
  const g = proto.graph;
  // Random bytes and text often decode "successfully" into junk fields; a real model has both.
  if (!g || irVersion <= 0 || (g.node?.length ?? 0) === 0) {
    throw new ModelError(
      `${what} is not an ONNX model (it has no ${irVersion <= 0 ? 'IR version' : 'graph nodes'}); ` +
        `choose a .onnx file exported with torch.onnx.export, tf2onnx or similar`,
    );
  }
  const opsetEntry = (proto.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!opsetEntry) {
    throw new ModelError(`${what} declares no opset for the default ONNX domain; re-export it with an explicit opset_version`);
  }
  return {
    irVersion,
    opset: longToNumber(opsetEntry.version),
    producer: proto.producerName ?? '',
    graph: importGraph(g),
    ...(proto.metadataProps?.length ? { metadata: Object.fromEntries(proto.metadataProps.map((p) => [p.key ?? '', p.value ?? ''])) } : {}),
  };
}

function importGraph(g: onnx.IGraphProto): Graph {
  if ((g.sparseInitializer?.length ?? 0) > 0) {
    throw new ModelError('the model stores sparse initializers, which the studio cannot read; re-export it with dense weights');
  }
  const initializers: Record<string, TensorData> = {};
  for (const t of g.initializer ?? []) initializers[t.name ?? ''] = decodeTensorProto(t);
  const valueInfo: Record<string, ValueInfo> = {};
  for (const v of g.valueInfo ?? []) {
    const vi = importValueInfo(v, null);
    if (vi) valueInfo[vi.name] = vi;
  }
  return {
    name: g.name ?? '',
    nodes: (g.node ?? []).map(importNode),
    // Old exporters (PyTorch < 1.4, CNTK) also list every weight as a graph input.
    inputs: (g.input ?? []).filter((v) => !has(initializers, v.name ?? '')).map((v) => importValueInfo(v, 'input')!),
    outputs: (g.output ?? []).map((v) => importValueInfo(v, 'output')!),
    initializers,
    valueInfo,
  };
}

/** Graph inputs/outputs must be tensors; intermediate value_info of other kinds is simply skipped. */
function importValueInfo(v: onnx.IValueInfoProto, role: 'input' | 'output' | null): ValueInfo | null {
  const name = v.name ?? '';
  const tt = v.type?.tensorType;
  const dtype: DType | undefined = tt ? ONNX_DTYPE[tt.elemType ?? 0] : undefined;
  if (!tt || !dtype) {
    if (!role) return null;
    const kind = v.type?.sequenceType ? 'a sequence' : v.type?.mapType ? 'a map' : v.type?.optionalType ? 'an optional'
      : tt ? `a tensor of element type ${onnx.TensorProto.DataType[tt.elemType ?? 0] ?? NEWER_ONNX_TYPES[tt.elemType ?? 0] ?? tt.elemType}` : 'untyped';
    throw new ModelError(`graph ${role} '${name}' is ${kind}; the studio handles numeric tensors only`);
  }
  // An absent shape (unknown rank) has no IR form; it reads as [] here.
  const shape: Dim[] = (tt.shape?.dim ?? []).map((d) =>
    has(d, 'dimValue') ? longToNumber(d.dimValue) : has(d, 'dimParam') && d.dimParam ? d.dimParam : '?',
  );
  return { name, dtype, shape };
}

function has(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

function importNode(n: onnx.INodeProto, index: number): Node {
  const opType = n.opType ?? '';
  const name = n.name || `${opType}_${index}`;
  const attrs: Record<string, AttrValue> = {};
  for (const a of n.attribute ?? []) attrs[a.name ?? ''] = importAttr(a, name);
  return {
    name,
    opType,
    domain: n.domain === 'ai.onnx' ? '' : n.domain ?? '',
    inputs: (n.input ?? []).slice(),
    outputs: (n.output ?? []).slice(),
    attrs,
  };
}

function importAttr(a: onnx.IAttributeProto, nodeName: string): AttrValue {
  const type = a.type || inferAttrType(a);
  switch (type) {
    case AT.FLOAT: return { type: 'float', value: a.f ?? 0 };
    case AT.INT: return { type: 'int', value: longToNumber(a.i) };
    case AT.STRING: return { type: 'string', value: utf8.decode(a.s ?? new Uint8Array()) };
    case AT.TENSOR: return { type: 'tensor', value: decodeTensorProto(a.t ?? {}, `${nodeName}.${a.name}`) };
    case AT.FLOATS: return { type: 'floats', value: (a.floats ?? []).slice() };
    case AT.INTS: return { type: 'ints', value: (a.ints ?? []).map(longToNumber) };
    case AT.STRINGS: return { type: 'strings', value: (a.strings ?? []).map((s) => utf8.decode(s)) };
    case AT.GRAPH: case AT.GRAPHS: return { type: 'graph', value: null };
    default:
      throw new ModelError(
        `node '${nodeName}' has attribute '${a.name}' of type ${AT[type] ?? type}, which the studio cannot read`,
      );
  }
}

/** IR version 1 files may leave AttributeProto.type unset; infer it from the field that is present. */
function inferAttrType(a: onnx.IAttributeProto): onnx.AttributeProto.AttributeType {
  if (a.floats?.length) return AT.FLOATS;
  if (a.ints?.length) return AT.INTS;
  if (a.strings?.length) return AT.STRINGS;
  if (a.t) return AT.TENSOR;
  if (a.g || a.graphs?.length) return AT.GRAPH;
  if (has(a, 'f')) return AT.FLOAT;
  if (has(a, 'i')) return AT.INT;
  if (has(a, 's')) return AT.STRING;
  return AT.UNDEFINED;
}
