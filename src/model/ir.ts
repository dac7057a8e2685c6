/**
 * The studio's model IR: plain, structured-cloneable data (no classes, no GPU objects), so it can
 * cross the worker boundary, be stored, and be rewritten by compression passes (prune drops
 * channels, quantize swaps dtypes) and re-validated.
 */
import type { DType, TypedArray } from '../core/dtype';

/** A constant tensor (an initializer, a Constant's value, a folded result). */
export interface TensorData {
  dtype: DType;
  dims: number[];
  data: TypedArray;
}

export type AttrValue =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensor'; value: TensorData }
  | { type: 'graph'; value: null }; // subgraphs (If/Loop) are refused by the support check

export interface Node {
  name: string;
  opType: string;
  domain: string; // '' for the default ONNX domain
  inputs: string[]; // '' marks an omitted optional input
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

/** A dimension: a number, or a symbolic name such as 'N' or 'batch_size'. */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: Dim[];
}

export interface Graph {
  name: string;
  nodes: Node[];
  /** Real graph inputs (initializers that exporters also list as inputs are removed). */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Record<string, TensorData>;
  /** Shapes and dtypes of intermediate values, as imported or inferred. */
  valueInfo: Record<string, ValueInfo>;
}

export interface Model {
  irVersion: number;
  /** Opset of the default ONNX domain. */
  opset: number;
  producer: string;
  graph: Graph;
  /** The file's metadata_props (e.g. a preprocessing spec or class names an exporter wrote), kept on export. */
  metadata?: Record<string, string>;
}

export function attrInt(node: Node, name: string, dflt: number): number {
  const a = node.attrs[name];
  return a && (a.type === 'int' || a.type === 'float') ? a.value : dflt;
}

export function attrFloat(node: Node, name: string, dflt: number): number {
  const a = node.attrs[name];
  return a && (a.type === 'float' || a.type === 'int') ? a.value : dflt;
}

export function attrInts(node: Node, name: string, dflt: number[]): number[] {
  const a = node.attrs[name];
  return a && (a.type === 'ints' || a.type === 'floats') ? a.value : dflt;
}

export function attrString(node: Node, name: string, dflt: string): string {
  const a = node.attrs[name];
  return a && a.type === 'string' ? a.value : dflt;
}
