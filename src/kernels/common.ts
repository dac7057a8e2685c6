/** Shared kernel vocabulary: tensors on the GPU and the fused-activation codes. */
import activationCode from '../shaders/activation.wgsl?raw';
import stridedCode from '../shaders/strided.wgsl?raw';
export interface GpuTensor {
  buffer: GPUBuffer;
  shape: number[];
}

/**
 * Activations that Conv, Gemm/MatMul and the unary kernel apply in place of a separate dispatch.
 * The numbers are the WGSL `override ACT` values; keep them in step with the shaders.
 */
export const ACT = { none: 0, relu: 1, leakyRelu: 2, clip: 3, sigmoid: 4, tanh: 5, hardSigmoid: 6, hardSwish: 7, silu: 8 } as const;
export type ActivationKind = keyof typeof ACT;

export interface Activation {
  kind: ActivationKind;
  /** LeakyRelu slope, Clip's min, or HardSigmoid's alpha. */
  a?: number;
  /** Clip's max, or HardSigmoid's beta. */
  b?: number;
}

export const NO_ACTIVATION: Activation = { kind: 'none' };

/** The activation as plain JS, for CPU references. */
export function applyActivation(x: number, act: Activation): number {
  switch (act.kind) {
    case 'none': return x;
    case 'relu': return x > 0 ? x : 0;
    case 'leakyRelu': return x >= 0 ? x : x * (act.a ?? 0.01);
    case 'clip': return Math.min(Math.max(x, act.a ?? -Infinity), act.b ?? Infinity);
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'tanh': return Math.tanh(x);
    case 'hardSigmoid': return Math.max(0, Math.min(1, (act.a ?? 0.2) * x + (act.b ?? 0.5)));
    case 'hardSwish': return x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case 'silu': return x * (1 / (1 + Math.exp(-x)));
  }
}

/** The (a, b) floats an activation passes in its params uniform; ±Infinity clamp to f32 range. */
export function activationParams(act: Activation): [number, number] {
  const F32_MAX = 3.4028234663852886e38;
  const clampF = (v: number) => Math.max(-F32_MAX, Math.min(F32_MAX, v));
  if (act.kind === 'clip') return [clampF(act.a ?? -Infinity), clampF(act.b ?? Infinity)];
  if (act.kind === 'leakyRelu') return [act.a ?? 0.01, 0];
  if (act.kind === 'hardSigmoid') return [act.a ?? 0.2, act.b ?? 0.5];
  return [0, 0];
}

/**
 * A kernel's WGSL with activation.wgsl (override ACT + activate()) beside it: one definition of the
 * fused activation instead of a copy per shader. Whole static files side by side, like a linker;
 * nothing is templated.
 */
export function withActivation(kernelCode: string): string {
  return `${activationCode}\n${kernelCode}`;
}

/** A kernel's WGSL with strided.wgsl (stridedOffset, stridedOffset2, dimAt) beside it: the layout kernels' one copy of strided indexing. */
export function withStrided(kernelCode: string): string {
  return `${stridedCode}\n${kernelCode}`;
}
