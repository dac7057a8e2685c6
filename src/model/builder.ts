/**
 * Builds IR models in code, for tests and for compression passes that add nodes (a quantize pass
 * inserts scales, a distill pass wires a student). Names are made unique so passes need not care.
 *
 *   const b = new GraphBuilder('mlp', 13);
 *   const x = b.input('x', 'float32', ['N', 4]);
 *   const y = b.node('Gemm', [x, b.initializer('w', tensor('float32', [3, 4], w)), bias], { transB: int(1) });
 *   b.output(b.node('Relu', [y]), 'float32', ['N', 3]);
 *   const model = b.build();
 */
import { arrayFor, type DType } from '../core/dtype';
import type { AttrValue, Dim, Graph, Model, TensorData } from './ir';
import { irVersionForOpset } from './support';

export const int = (value: number): AttrValue => ({ type: 'int', value });
export const ints = (value: number[]): AttrValue => ({ type: 'ints', value });
export const float = (value: number): AttrValue => ({ type: 'float', value });
export const floats = (value: number[]): AttrValue => ({ type: 'floats', value });
export const str = (value: string): AttrValue => ({ type: 'string', value });
export const tensorAttr = (value: TensorData): AttrValue => ({ type: 'tensor', value });

/** A TensorData from plain numbers (or bigints for int64); zeros when values is omitted. */
export function tensor(dtype: DType, dims: number[], values?: ArrayLike<number | bigint>): TensorData {
  const n = dims.reduce((a, d) => a * d, 1);
  const data = arrayFor(dtype, n);
  if (values) {
    if (values.length !== n) throw new Error(`tensor of shape [${dims.join(', ')}] needs ${n} values, got ${values.length}`);
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) data.set(Array.from(values, (v) => BigInt(v)));
    else data.set(Array.from(values, Number));
  }
  return { dtype, dims: dims.slice(), data };
}

export interface NodeOptions {
  name?: string;
  domain?: string;
  /** Output value names; generated from the node name when omitted. */
  outputs?: string[];
}

export class GraphBuilder {
  private readonly g: Graph;
  private readonly used = new Set<string>();
  private irVersion: number;
  private producer = 'compression-studio';

  constructor(name: string, private readonly opset = 13) {
    this.g = { name, nodes: [], inputs: [], outputs: [], initializers: {}, valueInfo: {} };
    this.irVersion = irVersionForOpset(opset); // the pairing ONNX released (opset 23 files carry IR 11)
  }

  /** Continues an existing model (a copy of it), keeping its names reserved. */
  static from(model: Model): GraphBuilder {
    const b = new GraphBuilder(model.graph.name, model.opset);
    const g = structuredClone(model.graph);
    Object.assign(b.g, g);
    b.irVersion = model.irVersion;
    b.producer = model.producer;
    for (const n of g.nodes) [n.name, ...n.inputs, ...n.outputs].forEach((s) => b.used.add(s));
    for (const v of [...g.inputs, ...g.outputs]) b.used.add(v.name);
    for (const k of Object.keys(g.initializers)) b.used.add(k);
    return b;
  }

  /** `base` if unused, else `base_1`, `base_2`, ...; the result is reserved. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: Dim[]): string {
    if (this.used.has(name)) throw new Error(`graph input name '${name}' is already used`);
    this.used.add(name);
    this.g.inputs.push({ name, dtype, shape: shape.slice() });
    return name;
  }

  /** Adds a constant; returns its name (suffixed if `name` was taken). */
  initializer(name: string, t: TensorData): string {
    const n = this.fresh(name);
    this.g.initializers[n] = t;
    return n;
  }

  /** Adds a node and returns its first output. Pass '' in inputs for an omitted optional input. */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: NodeOptions = {}): string {
    return this.nodeN(opType, inputs, 1, attrs, opts)[0]!;
  }

  /** A node with several outputs (Split, TopK, BatchNormalization in training mode). */
  nodeN(opType: string, inputs: string[], outputs: number, attrs: Record<string, AttrValue> = {}, opts: NodeOptions = {}): string[] {
    const name = this.fresh(opts.name ?? opType.toLowerCase());
    const outs = opts.outputs
      ? opts.outputs.map((o) => this.fresh(o))
      : Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? `${name}_out` : `${name}_out${i}`));
    this.g.nodes.push({ name, opType, domain: opts.domain ?? '', inputs: inputs.slice(), outputs: outs, attrs: { ...attrs } });
    return outs;
  }

  output(value: string, dtype: DType, shape: Dim[]): void {
    this.g.outputs.push({ name: value, dtype, shape: shape.slice() });
  }

  /** Records the dtype and shape of an intermediate value. */
  valueInfo(name: string, dtype: DType, shape: Dim[]): void {
    this.g.valueInfo[name] = { name, dtype, shape: shape.slice() };
  }

  build(): Model {
    return { irVersion: this.irVersion, opset: this.opset, producer: this.producer, graph: structuredClone(this.g) };
  }
}
