import code from '../shaders/softmax_xent.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sameShape, sizeOf } from '../core/shape';
import type { GpuTensor } from './common';

const WG = 64;
/** Up to this many classes a row is one thread: a few serial steps cost less than the tree reductions' barriers. */
const SERIAL_CLASSES = 32;

export interface LossAttrs {
  /** Distillation temperature T (> 0); only used with a teacher. */
  temperature: number;
  /** Weight of the distillation term, in [0, 1]; (1 - alpha) weighs the hard CE. Only used with a teacher. */
  alpha: number;
  /**
   * Divisor of the batch mean. Omitted: the kernel counts the labels in [0, K) itself, so one plan
   * serves full and padded last batches alike.
   */
  validRows?: number;
}

/**
 * Softmax cross-entropy over (B, K) student logits, plus Hinton distillation when `teacher` (B, K)
 * is given: loss_b = alpha T^2 KL(softmax(t/T) || softmax(z/T)) + (1 - alpha) CE, else loss_b = CE.
 * labels (B) holds class indices as f32; a label outside [0, K) marks a padding row.
 * dlogits (B, K) = d(sum of loss_b over valid rows / validRows)/dz; 0 on padding rows.
 * stats (B, 4) per row: [loss_b, argmax z == y, argmax z == argmax t (0 without teacher),
 * loss_b finite]; all 0 on padding rows. One pipeline per teacher/no-teacher.
 */
export function softmaxCrossEntropy(
  ctx: GpuContext, logits: GpuTensor, labels: GpuTensor, teacher: GpuTensor | null,
  dlogits: GpuTensor, stats: GpuTensor, attrs: LossAttrs, label = 'softmaxCrossEntropy',
): Dispatch[] {
  if (logits.shape.length !== 2) throw new Error(`${label}: logits must be (B, K), got ${fmt(logits.shape)}`);
  const [B, K] = logits.shape as [number, number];
  if (sizeOf(labels.shape) !== B) throw new Error(`${label}: labels ${fmt(labels.shape)} should hold B = ${B} values`);
  if (teacher && !sameShape(teacher.shape, logits.shape)) throw new Error(`${label}: teacher ${fmt(teacher.shape)} does not match logits ${fmt(logits.shape)}`);
  if (!sameShape(dlogits.shape, logits.shape)) throw new Error(`${label}: dlogits ${fmt(dlogits.shape)} does not match logits ${fmt(logits.shape)}`);
  if (sizeOf(stats.shape) !== B * 4) throw new Error(`${label}: stats ${fmt(stats.shape)} should be (B, 4) = (${B}, 4)`);
  if (!(attrs.temperature > 0) || !Number.isFinite(attrs.temperature)) throw new Error(`${label}: temperature ${attrs.temperature} must be > 0`);
  if (!(attrs.alpha >= 0 && attrs.alpha <= 1)) throw new Error(`${label}: alpha ${attrs.alpha} must be in [0, 1]`);
  const v = attrs.validRows;
  if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= B)) throw new Error(`${label}: validRows ${v} must be an integer in [0, ${B}]`);
  if (B === 0 || K === 0) return [];
  // validRows 0 asks the kernel to count; a batch that is all padding gives zeros either way.
  const params = ctx.uniform(`${label}:params`, new UniformWriter()
    .u32(B).u32(K).u32(v ?? 0).u32(0)
    .f32(attrs.temperature).f32(attrs.alpha)
    .finish());
  const pipeline = ctx.pipeline('softmaxXent', code, { TEACHER: teacher ? 1 : 0, WG: K <= SERIAL_CLASSES ? 1 : WG });
  return [{
    label,
    pipeline,
    // Without a teacher the shader still declares the binding; the logits stand in, read-only.
    bindGroup: ctx.bindGroup(label, pipeline, [params, logits.buffer, labels.buffer, (teacher ?? logits).buffer, dlogits.buffer, stats.buffer]),
    workgroups: gridFor(B, 1),
  }];
}

function fmt(shape: readonly number[]): string { return `(${shape.join(', ')})`; }
