import updateCode from '../shaders/optimizer_update.wgsl?raw';
import singleCode from '../shaders/optimizer.wgsl?raw';
import pairCode from '../shaders/optimizer_pair.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import type { GpuTensor } from './common';

const WG = 64;
/** Bytes of optimizer.wgsl's Hyper struct (12 words). */
export const HYPER_BYTES = 48;

export type OptimizerKind = 'sgd' | 'adamw';

/** What the trainer writes into the hyper uniform before each step. */
export interface OptimizerHyper {
  lr: number;
  /** SGD momentum mu (default 0). */
  momentum?: number;
  /** Adam's beta1, beta2 and eps (defaults 0.9, 0.999, 1e-8). */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Default 0. */
  weightDecay?: number;
  /** 1-based step count, for Adam's bias correction (default 1). */
  step?: number;
  /** SGD Nesterov momentum (default false). */
  nesterov?: boolean;
  /**
   * Weight decay applied to the parameter directly (p -= lr wd p: AdamW, SGDW) rather than added to
   * the gradient (L2: SGD's usual form, plain Adam). No default: the usual choice differs by kind.
   */
  decoupled: boolean;
}

/** The hyper values as the shader reads them, float64 before the f32 store; shared with the reference. */
export function hyperValues(h: OptimizerHyper) {
  const step = h.step ?? 1;
  if (!(Number.isInteger(step) && step >= 1)) throw new Error(`optimizer: step ${step} must be an integer >= 1`);
  const beta1 = h.beta1 ?? 0.9, beta2 = h.beta2 ?? 0.999;
  return {
    lr: h.lr, momentum: h.momentum ?? 0, beta1, beta2, eps: h.eps ?? 1e-8, weightDecay: h.weightDecay ?? 0,
    step, bc1: 1 - Math.pow(beta1, step), bc2: 1 - Math.pow(beta2, step),
    nesterov: h.nesterov ?? false, decoupled: h.decoupled,
  };
}

/**
 * A uniform buffer for `writeHyper`, made once per optimizer (per parameter group); zero until
 * written. Made by ctx.uniform so the context accounts for it like any other uniform.
 */
export function createHyperBuffer(ctx: GpuContext, label = 'optimizer:hyper'): GPUBuffer {
  return ctx.uniform(label, new ArrayBuffer(HYPER_BYTES));
}

/** Writes `h` into `buffer` with queue.writeBuffer: it lands before the next submitted step. */
export function writeHyper(ctx: GpuContext, buffer: GPUBuffer, h: OptimizerHyper): void {
  const v = hyperValues(h);
  const words = new UniformWriter(12)
    .f32(v.lr).f32(v.momentum).f32(v.beta1).f32(v.beta2)
    .f32(v.eps).f32(v.weightDecay).f32(v.step).f32(v.bc1)
    .f32(v.bc2).u32(v.nesterov ? 1 : 0).u32(v.decoupled ? 1 : 0).u32(0)
    .finish();
  ctx.device.queue.writeBuffer(buffer, 0, words);
}

/**
 * 16-byte storage buffers per context for state bindings a variant declares but never touches;
 * distinct, because one buffer in two writable bindings of a dispatch is rejected.
 */
const unusedState = new WeakMap<GpuContext, GPUBuffer[]>();
function unused(ctx: GpuContext, k: number): GPUBuffer {
  let list = unusedState.get(ctx);
  if (!list) { list = []; unusedState.set(ctx, list); }
  while (list.length <= k) list.push(ctx.device.createBuffer({ label: `optimizer:unused-state${list.length}`, size: 16, usage: GPUBufferUsage.STORAGE }));
  return list[k]!;
}

/** One parameter's buffers for an optimizer step: state1 is SGD's velocity or Adam's m (null: plain SGD), state2 Adam's v. */
export interface OptimizerSlot {
  param: GpuTensor;
  grad: GpuTensor;
  state1: GpuTensor | null;
  state2: GpuTensor | null;
  /** From createHyperBuffer, rewritten by writeHyper each step. */
  hyper: GPUBuffer;
}

function checkSlot(s: OptimizerSlot, kind: OptimizerKind, label: string): number {
  const n = sizeOf(s.param.shape);
  const check = (t: GpuTensor | null, what: string) => {
    if (t && sizeOf(t.shape) !== n) throw new Error(`${label}: ${what} holds ${sizeOf(t.shape)} values, param ${n}`);
  };
  check(s.grad, 'grad');
  check(s.state1, 'state1');
  check(s.state2, 'state2');
  if (kind === 'adamw' && (!s.state1 || !s.state2)) throw new Error(`${label}: adamw needs state1 (m) and state2 (v)`);
  if (kind !== 'sgd' && kind !== 'adamw') throw new Error(`${label}: unknown optimizer ${String(kind)}`);
  return n;
}

function pipelineFor(ctx: GpuContext, key: string, body: string, kind: OptimizerKind, velocity: boolean): GPUComputePipeline {
  return ctx.pipeline(key, `${updateCode}\n${body}`, { KIND: kind === 'sgd' ? 0 : 1, VELOCITY: kind === 'sgd' && !velocity ? 0 : 1, WG });
}

/**
 * Two parameters' optimizer steps in one dispatch (optimizer_pair.wgsl), each with its own hyper
 * uniform (a weight with decay, its bias without): what optimizerStep does for each, in half the
 * dispatches. Both must have the same kind of state (velocity or not).
 */
export function optimizerPairStep(ctx: GpuContext, a: OptimizerSlot, b: OptimizerSlot, attrs: { kind: OptimizerKind }, label = 'optimizerPairStep'): Dispatch[] {
  const nA = checkSlot(a, attrs.kind, label), nB = checkSlot(b, attrs.kind, label);
  if (Boolean(a.state1) !== Boolean(b.state1)) throw new Error(`${label}: both parameters need the same optimizer state`);
  if (nA + nB === 0) return [];
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(nA).u32(nB).finish());
  const pipeline = pipelineFor(ctx, 'optimizerPair', pairCode, attrs.kind, Boolean(a.state1));
  const states = [a.state1, a.state2, b.state1, b.state2].map((t, k) => t?.buffer ?? unused(ctx, k));
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, a.hyper, b.hyper, a.param.buffer, a.grad.buffer, states[0]!, states[1]!, b.param.buffer, b.grad.buffer, states[2]!, states[3]!]),
    workgroups: gridFor(nA + nB, WG),
  }];
}

/**
 * One in-place optimizer step on a flat parameter buffer: param, grad, state1, state2 all hold the
 * same number of f32s (shapes are only counted). 'sgd': state1 is the velocity, or null for plain
 * SGD (momentum then ignored); state2 unused. 'adamw': state1 = m, state2 = v, both required.
 * `hyper` comes from createHyperBuffer and is rewritten by writeHyper each step.
 * Pipelines: sgd with velocity, sgd without, adamw.
 */
export function optimizerStep(
  ctx: GpuContext, param: GpuTensor, grad: GpuTensor, state1: GpuTensor | null, state2: GpuTensor | null,
  hyper: GPUBuffer, attrs: { kind: OptimizerKind }, label = 'optimizerStep',
): Dispatch[] {
  const n = checkSlot({ param, grad, state1, state2, hyper }, attrs.kind, label);
  if (n === 0) return [];
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(n).finish());
  const pipeline = pipelineFor(ctx, 'optimizer', singleCode, attrs.kind, Boolean(state1));
  const s1 = state1?.buffer ?? unused(ctx, 0);
  const s2 = state2?.buffer ?? unused(ctx, 1);
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, hyper, param.buffer, grad.buffer, s1, s2]),
    workgroups: gridFor(n, WG),
  }];
}
