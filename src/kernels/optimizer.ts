import code from '../shaders/optimizer.wgsl?raw';
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
 * Two 16-byte storage buffers per context for state bindings a variant declares but never touches;
 * two, because one buffer in two writable bindings of a dispatch is rejected.
 */
const unusedState = new WeakMap<GpuContext, [GPUBuffer, GPUBuffer]>();
function unused(ctx: GpuContext): [GPUBuffer, GPUBuffer] {
  let pair = unusedState.get(ctx);
  if (!pair) {
    const make = (i: number) => ctx.device.createBuffer({ label: `optimizer:unused-state${i}`, size: 16, usage: GPUBufferUsage.STORAGE });
    pair = [make(1), make(2)];
    unusedState.set(ctx, pair);
  }
  return pair;
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
  const n = sizeOf(param.shape);
  const check = (t: GpuTensor | null, what: string) => {
    if (t && sizeOf(t.shape) !== n) throw new Error(`${label}: ${what} holds ${sizeOf(t.shape)} values, param ${n}`);
  };
  check(grad, 'grad');
  check(state1, 'state1');
  check(state2, 'state2');
  if (attrs.kind === 'adamw' && (!state1 || !state2)) throw new Error(`${label}: adamw needs state1 (m) and state2 (v)`);
  if (attrs.kind !== 'sgd' && attrs.kind !== 'adamw') throw new Error(`${label}: unknown optimizer ${String(attrs.kind)}`);
  if (n === 0) return [];
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(n).finish());
  const pipeline = ctx.pipeline('optimizer', code, {
    KIND: attrs.kind === 'sgd' ? 0 : 1, VELOCITY: attrs.kind === 'sgd' && !state1 ? 0 : 1, WG,
  });
  const s1 = state1?.buffer ?? unused(ctx)[0];
  const s2 = state2?.buffer ?? unused(ctx)[1];
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, hyper, param.buffer, grad.buffer, s1, s2]),
    workgroups: gridFor(n, WG),
  }];
}
