import { roundHalfEven } from '../core/round';

/** The int8 value QuantizeLinear gives `x` with 1/scale precomputed in f32; every step rounded like the GPU. */
export function quantizeI8(x: number, invScale: number, zero: number): number {
  const scaled = Math.fround(Math.fround(x) * Math.fround(invScale));
  const q = Math.max(-2147483648, Math.min(2147483647, roundHalfEven(scaled))) + zero;
  return Math.max(-128, Math.min(127, q));
}

/** y = dequantize(quantize(x)) elementwise, bit-identical to fake_quant.wgsl. */
export function fakeQuantRef(x: Float32Array, scale: number, zero: number): Float32Array {
  const inv = Math.fround(1 / scale), s = Math.fround(scale);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = Math.fround((quantizeI8(x[i]!, inv, zero) - zero) * s);
  return y;
}
