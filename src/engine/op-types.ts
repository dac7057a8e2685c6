/** What an op's entry in the op table (ops.ts) receives and returns; its own module so the op groups (ops-int8, ops-binary, ops-tensor) and ops.ts do not import each other. */
import type { Dispatch, GpuContext } from '../gpu/context';
import type { Node, TensorData } from '../model/ir';
import type { DType } from '../core/dtype';
import type { Activation, GpuTensor } from '../kernels/common';
import type { WeightStore } from './weights';

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
