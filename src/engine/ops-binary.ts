/**
 * The studio's binary format (XnorConv/XnorGemm in the 'ai.compression-studio' domain,
 * docs/binary-format.md) on the XNOR-popcount kernels. lowerBinary renames those nodes to the
 * internal StudioXnorConv/StudioXnorGemm before shapes are resolved, so the resolver and the op
 * table only ever see default-domain names that no ONNX op can collide with.
 */
import { attrInt, attrInts, attrString, type Model, type Node } from '../model/ir';
import { ModelError } from '../core/errors';
import { sizeOf } from '../core/shape';
import { STUDIO_DOMAIN } from '../model/support';
import { convPads } from '../model/resolve';
import { xnorScratchBytes, type BinaryWeights } from '../kernels/binary-net';
import { xnorConv2d } from '../kernels/xnor-conv';
import { xnorMatmul } from '../kernels/xnor-matmul';
import type { Activation, GpuTensor } from '../kernels/common';
import type { OpCall, OpImpl } from './op-types';

// compress/binarize.ts packs through here, so the bit layout has one definition (the kernels').
export { binarizeWeights } from '../kernels/binary-net';

/** Custom op → internal engine op. */
export const BINARY_LOWERING: Readonly<Record<string, string>> = { XnorConv: 'StudioXnorConv', XnorGemm: 'StudioXnorGemm' };

export function lowerBinary(model: Model): Model {
  const g = model.graph;
  const lower = (n: Node) => n.domain === STUDIO_DOMAIN && Object.hasOwn(BINARY_LOWERING, n.opType);
  if (!g.nodes.some(lower)) return model;
  const nodes = g.nodes.map((n) => (lower(n) ? { ...n, domain: '', opType: BINARY_LOWERING[n.opType]! } : n));
  return { ...model, graph: { ...g, nodes } };
}

/** The stored bits and alpha, uploaded as they are (never re-binarized) once per session. */
function binaryWeights(c: OpCall): BinaryWeights {
  return c.weights.cached(`${c.node.name}:xnor`, () => {
    const bits = c.constant(1), alpha = c.constant(2);
    if (bits?.dtype !== 'uint32' || alpha?.dtype !== 'float32') {
      throw new ModelError(`node '${c.node.name}' (${c.node.opType}): its sign bits must be a uint32 constant and alpha a float32 constant`);
    }
    // Shape rules have checked bits (N, K32) and alpha (N) against weight_shape.
    const shape = attrInts(c.node, 'weight_shape', []);
    const N = shape[0]!, K = sizeOf(shape) / N;
    const value: BinaryWeights = {
      label: c.node.name, shape, N, K, K32: Math.ceil(K / 32),
      bits: c.ctx.upload(`${c.node.name}:bits`, bits.data), alpha: c.ctx.upload(`${c.node.name}:alpha`, alpha.data),
    };
    return { value, buffers: [value.bits, value.alpha] };
  });
}

/** The absorbed activation ('activation' attribute), else whatever the fuser attached. */
function activationOf(c: OpCall): Activation {
  const a = attrString(c.node, 'activation', 'none');
  if (a === 'relu') return { kind: 'relu' };
  if (a !== 'none') throw new ModelError(`node '${c.node.name}' (${c.node.opType}): activation '${a}' is not one of none, relu`);
  return c.act;
}

function options(c: OpCall, rows: number, K: number) {
  // Plan-owned scratch for the packed activations, released with the plan.
  const scratch = c.scratch(`${c.node.name}:packed`, [Math.max(1, xnorScratchBytes(rows, K) / 4)]).buffer;
  return { activationScale: attrInt(c.node, 'activation_scale', 0) === 1, act: activationOf(c), label: c.node.name, scratch };
}

const bias = (c: OpCall): GpuTensor | null => (c.hasInput(3) ? c.input(3) : null);

const xnorConv: OpImpl = {
  plan(c) {
    const x = c.input(0), y = c.output(0), w = binaryWeights(c);
    if (x.shape.length !== 4) throw new ModelError(`node '${c.node.name}': XnorConv runs 2-D convolutions only, got input [${x.shape}]`);
    const g = convPads(c.node, x.shape, w.shape);
    const group = attrInt(c.node, 'group', 1);
    const rows = group * x.shape[0]! * y.shape[2]! * y.shape[3]!;
    return xnorConv2d(c.ctx, x, w, bias(c), y, {
      strides: [g.strides[0]!, g.strides[1]!], pads: [g.pads[0]!, g.pads[1]!, g.pads[2]!, g.pads[3]!],
      dilations: [g.dilations[0]!, g.dilations[1]!], group,
    }, options(c, rows, w.K));
  },
};

const xnorGemm: OpImpl = {
  plan(c) {
    const x = c.input(0), w = binaryWeights(c);
    return xnorMatmul(c.ctx, x, w, bias(c), c.output(0), options(c, x.shape[0]!, w.K));
  },
};

export const BINARY_OPS: Record<string, OpImpl> = {
  StudioXnorConv: xnorConv,
  StudioXnorGemm: xnorGemm,
};
