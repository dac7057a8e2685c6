/**
 * The tensor ops of real exports (torchvision, older zoo models) in the op table: variadic
 * Sum/Mean/Max/Min, the Reduce* family, Split, Slice, Pad, Expand, Tile, Gather and LRN. Their
 * geometry (axes, pads, slices) comes from the same helpers as their shape rules
 * (model/shape-rules-tensor.ts), so the kernels see exactly what shape inference decided.
 */
import { ModelError } from '../core/errors';
import { attrFloat, attrInt } from '../model/ir';
import {
  expandShape, gatherAxis, padGeometry, REDUCE_OPS, reduceGeometry, sliceGeometry, sliceStrides, splitGeometry,
  tileRepeats, type NodeConsts,
} from '../model/shape-rules-tensor';
import { broadcastShapes, stridesOf } from '../core/shape';
import type { Dispatch } from '../gpu/context';
import type { GpuTensor } from '../kernels/common';
import { binary, type BinaryOp } from '../kernels/binary';
import { reduce, type ReduceOp } from '../kernels/reduce';
import { expand, sliceCopy, split, tile } from '../kernels/tensor-copy';
import { pad } from '../kernels/pad';
import { lrn } from '../kernels/lrn';
import { gather } from '../kernels/gather';
import type { OpCall, OpImpl } from './op-types';

function nodeConsts(c: OpCall): NodeConsts {
  return { node: c.node, opset: c.opset, consts: c.node.inputs.map((_, i) => c.constant(i)) };
}

function copy(c: OpCall, x: GpuTensor, y: GpuTensor, label: string): Dispatch[] {
  return sliceCopy(c.ctx, x, y, 0, stridesOf(x.shape), label);
}

/**
 * Sum/Mean/Max/Min over 1..n inputs: a chain of broadcasting binary kernels, each step into a
 * scratch of the running broadcast shape, the last into the output. Mean scales the sum by 1/n.
 */
function variadic(op: BinaryOp, mean = false): OpImpl {
  return {
    plan(c) {
      const ins = c.node.inputs.map((_, i) => c.input(i));
      const y = c.output(0), name = c.node.name, out: Dispatch[] = [];
      if (ins.length === 1) return copy(c, ins[0]!, y, name);
      let acc = ins[0]!;
      ins.slice(1).forEach((b, k) => {
        const last = k === ins.length - 2 && !mean;
        const shape = broadcastShapes(acc.shape, b.shape)!;
        const dst = last ? y : c.scratch(`${name}:${k}`, shape);
        out.push(...binary(c.ctx, op, acc, b, dst, `${name}:${k}`));
        acc = dst;
      });
      if (mean) out.push(...binary(c.ctx, 'mul', acc, { ...c.upload(`${name}:1/n`, Float32Array.of(1 / ins.length)), shape: [] }, y, `${name}:scale`));
      return out;
    },
  };
}

const REDUCE_KERNELS: Record<(typeof REDUCE_OPS)[number], ReduceOp> = {
  ReduceSum: 'sum', ReduceMean: 'mean', ReduceMax: 'max', ReduceMin: 'min', ReduceProd: 'prod',
  ReduceL1: 'l1', ReduceL2: 'l2', ReduceSumSquare: 'sumSquare', ReduceLogSum: 'logSum', ReduceLogSumExp: 'logSumExp',
};

function reduceOp(kernel: ReduceOp): OpImpl {
  return {
    plan(c) {
      const x = c.input(0), y = c.output(0);
      const g = reduceGeometry(nodeConsts(c), x.shape);
      // noop_with_empty_axes: the output is the input, whatever the op.
      return g.noop ? copy(c, x, y, c.node.name) : reduce(c.ctx, kernel, x, y, g.axes, c.node.name);
    },
  };
}

const splitOp: OpImpl = {
  plan(c) {
    const x = c.input(0);
    const { axis } = splitGeometry(nodeConsts(c), x.shape, c.node.outputs.length);
    return split(c.ctx, x, c.node.outputs.map((_, i) => c.output(i)), axis, c.node.name);
  },
};

const sliceOp: OpImpl = {
  plan(c) {
    const x = c.input(0);
    const { offset, strides } = sliceStrides(x.shape, sliceGeometry(nodeConsts(c), x.shape));
    return sliceCopy(c.ctx, x, c.output(0), offset, strides, c.node.name);
  },
};

const padOp: OpImpl = {
  plan(c) {
    const x = c.input(0);
    const g = padGeometry(nodeConsts(c), x.shape);
    // A run-time constant_value is read where it lies; a host one is uploaded once.
    const value = g.value === null ? c.input(2) : { ...c.upload(`${c.node.name}:value`, Float32Array.of(g.value)), shape: [] };
    return pad(c.ctx, x, value, c.output(0), g, c.node.name);
  },
};

const gatherOp: OpImpl = {
  plan(c) {
    const data = c.input(0);
    return gather(c.ctx, data, c.input(1), c.output(0), gatherAxis(c.node, data.shape.length), c.node.name);
  },
};

const lrnOp: OpImpl = {
  plan(c) {
    const size = attrInt(c.node, 'size', 0);
    if (size < 1) throw new ModelError(`node '${c.node.name}' (LRN): size ${size} must be a positive integer`);
    return lrn(c.ctx, c.input(0), c.output(0), {
      size, alpha: attrFloat(c.node, 'alpha', 1e-4), beta: attrFloat(c.node, 'beta', 0.75), bias: attrFloat(c.node, 'bias', 1),
    }, c.node.name);
  },
};

export const TENSOR_OPS: Record<string, OpImpl> = {
  Sum: variadic('add'), Mean: variadic('add', true), Max: variadic('max'), Min: variadic('min'),
  ...Object.fromEntries(REDUCE_OPS.map((op) => [op, reduceOp(REDUCE_KERNELS[op])])),
  Split: splitOp,
  Slice: sliceOp,
  Pad: padOp,
  Gather: gatherOp,
  LRN: lrnOp,
  Expand: {
    plan(c) {
      const x = c.input(0);
      expandShape(nodeConsts(c), x.shape); // validates the shape input
      return expand(c.ctx, x, c.output(0), c.node.name);
    },
  },
  Tile: {
    plan(c) {
      const x = c.input(0);
      return tile(c.ctx, x, c.output(0), tileRepeats(nodeConsts(c), x.shape), c.node.name);
    },
  },
};
