/** CPU references for quantize_linear.wgsl: every f32 step rounded with Math.fround, ties to even. */
import { roundHalfEven } from '../core/round';

const f = Math.fround;
const LIMIT = 2 ** 24;

/** The channel of flat index i for an axis of `axisSize` with `inner` values after it. */
export const channelOf = (i: number, axisSize: number, inner: number): number => Math.floor(i / inner) % axisSize;

/** One value: clamp(roundHalfEven(f32(x / scale)) + zero, lo, hi), the quotient clamped to ±2^24 first as the shader does. */
export function quantizeLinearValue(x: number, scale: number, zero: number, lo: number, hi: number): number {
  // f64 division of two f32 values rounded once to f32 is the correctly rounded f32 quotient.
  const r = roundHalfEven(Math.min(Math.max(f(f(x) / f(scale)), -LIMIT), LIMIT));
  return Math.min(Math.max(f(r + zero), lo), hi);
}

export function quantizeLinearRef(
  x: Float32Array, scale: ArrayLike<number>, zero: ArrayLike<number>, axisSize: number, inner: number, range: { lo: number; hi: number },
): Float32Array {
  return Float32Array.from(x, (v, i) => {
    const c = channelOf(i, axisSize, inner);
    return quantizeLinearValue(v, scale[c]!, zero[c]!, range.lo, range.hi);
  });
}

export function dequantizeLinearRef(
  x: Float32Array, scale: ArrayLike<number>, zero: ArrayLike<number>, axisSize: number, inner: number,
): Float32Array {
  return Float32Array.from(x, (v, i) => {
    const c = channelOf(i, axisSize, inner);
    return f(f(v - f(zero[c]!)) * f(scale[c]!));
  });
}
