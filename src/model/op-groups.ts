/**
 * Groups of the ops the GPU runs, for passes that treat a group alike (how channels pass through,
 * whether items of a batch meet). Typed by the shape rules: a name the engine cannot run fails to compile.
 */
import type { GpuOpName } from './shape-rules';
import { REDUCE_OPS } from './shape-rules-tensor';

export { REDUCE_OPS };

/** Elementwise on one tensor. */
export const UNARY_OPS = ['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Clip', 'HardSigmoid', 'HardSwish', 'Dropout', 'Identity', 'StudioSignSTE', 'StudioFakeQuantSTE'] as const satisfies readonly GpuOpName[];
/** Elementwise on operands broadcast to one shape. */
export const BROADCAST_OPS = ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum', 'Mean'] as const satisfies readonly GpuOpName[];
/** Pooling over the spatial axes of NCHW. */
export const POOL_OPS = ['MaxPool', 'AveragePool', 'GlobalAveragePool'] as const satisfies readonly GpuOpName[];

/** Whether `op` (any string a file holds) is in `group`. */
export const inGroup = (group: readonly string[], op: string): boolean => group.includes(op);
