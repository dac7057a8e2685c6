/** What an op's entry in the op table (ops.ts) receives and returns; its own module so the op groups (ops-int8, ops-binary, ops-tensor) and ops.ts do not import each other. */
import type { Dispatch, GpuContext } from '../gpu/context';
import type { Node, TensorData } from '../model/ir';
import type { DType } from '../core/dtype';
import type { Activation, GpuTensor } from '../kernels/common';
import type { WeightStore } from './weights';
import { ModelError } from '../core/errors';

export interface OpCall {
  ctx: GpuContext;
  node: Node;
  opset: number;
  act: Activation;
  /** Runtime or uploaded-constant input i; throws when absent. */
  input(i: number): GpuTensor;
  hasInput(i: number): boolean;
  /** Host value of input i when it is a constant. */
  constant(i: number): TensorData | undefined;
  output(i: number): GpuTensor;
  /** The element type output i carries (integer types travel as float32 holding integers). */
  outputType(i: number): DType;
  /** Uploads a host array computed at plan time (e.g. BN's scale and shift). */
  upload(label: string, data: Float32Array): GpuTensor;
  /** The session's uploaded constants, for kernels that prepare weights their own way. */
  weights: WeightStore;
  /** A plan-owned buffer for an intermediate result inside one op. */
  scratch(label: string, shape: number[]): GpuTensor;
}

export interface OpImpl {
  /** Output 0 shares input 0's buffer with a new shape. */
  alias?: boolean;
  plan?(c: OpCall): Dispatch[];
}

/** What a planner holds when it plans one node: its values so far, the graph's constants and shapes. */
export interface OpCallSource {
  ctx: GpuContext;
  opset: number;
  /** A value by name: computed earlier in the plan, or an uploaded constant; throws when neither. */
  tensorOf(name: string): GpuTensor;
  /** The values the plan has allocated (outputs are read from here). */
  values: ReadonlyMap<string, GpuTensor>;
  constants: Readonly<Record<string, TensorData>>;
  /** Resolved element types by value name. */
  dtypes: (name: string) => DType | undefined;
  weights: WeightStore;
  scratch(label: string, shape: number[]): GpuTensor;
}

/** The op context for `node`: one definition for the inference plan (engine/plan.ts) and the training plan's forward (train/training-plan.ts). */
export function opCall(s: OpCallSource, node: Node, act: Activation): OpCall {
  return {
    ctx: s.ctx, node, opset: s.opset, act,
    input: (i) => {
      const name = node.inputs[i];
      if (!name) throw new ModelError(`node '${node.name}' (${node.opType}) is missing input ${i}`);
      return s.tensorOf(name);
    },
    hasInput: (i) => Boolean(node.inputs[i]),
    constant: (i) => (node.inputs[i] ? s.constants[node.inputs[i]!] : undefined),
    output: (i) => s.values.get(node.outputs[i]!)!,
    outputType: (i) => s.dtypes(node.outputs[i]!) ?? 'float32',
    upload: (label, data) => s.weights.derived(label, data),
    weights: s.weights,
    scratch: (label, shape) => s.scratch(label, shape),
  };
}
