/**
 * The vocabulary every shape and fold rule shares (shape-rules.ts, shape-rules-tensor.ts,
 * fold-rules.ts): what a rule sees of a node, and errors that name the node, op and shapes.
 */
import type { DType } from '../core/dtype';
import { ModelError } from '../core/errors';
import { normAxis } from '../core/shape';
import type { Node, TensorData } from './ir';

export interface ValueType { dtype: DType; shape: number[] }

/** What a shape or fold rule sees of one node; entries are undefined for omitted ('') inputs. */
export interface OpContext {
  node: Node;
  opset: number;
  inputs: (ValueType | undefined)[];
  consts: (TensorData | undefined)[];
}

export type ShapeRule = (c: OpContext) => ValueType[];

export const fmt = (s: readonly number[]): string => `[${s.join(',')}]`;

export function nodeLabel(node: Node): string {
  return node.name || node.outputs[0] || '(unnamed)';
}

export function nodeError(node: Node, msg: string): ModelError {
  return new ModelError(`node '${nodeLabel(node)}' (${node.opType}): ${msg}`);
}

export function toNumbers(t: TensorData): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** Input i's type; throws when a required input is omitted. */
export function input(c: OpContext, i: number, role: string): ValueType {
  const v = c.inputs[i];
  if (!v) throw nodeError(c.node, `required input ${i} (${role}) is missing`);
  return v;
}

/** Constant integer input i (a shape, axes): the engine needs these before run time. */
export function constInts(c: Pick<OpContext, 'node' | 'consts'>, i: number, role: string): number[] {
  const t = c.consts[i];
  if (t) return toNumbers(t);
  if (!c.node.inputs[i]) throw nodeError(c.node, `required input ${i} (${role}) is missing`);
  throw nodeError(c.node, `${role} '${c.node.inputs[i]}' must be a constant, but it is computed at run time`);
}

export function axisIn(node: Node, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw nodeError(node, `${what} ${axis} is out of range for rank ${rank}`);
  }
  return normAxis(axis, rank);
}
