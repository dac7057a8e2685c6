/** CPU reference for dynamic_quant_params.wgsl: every f32 step rounded with Math.fround, ties to even. */
import { roundHalfEven } from '../core/round';

const f = Math.fround;

/** DynamicQuantizeLinear's uint8 (scale, zero) for x, plus invScale = f32(1 / scale) as the kernel writes it. */
export function dynamicQuantParamsRef(x: ArrayLike<number>): { scale: number; zero: number; invScale: number } {
  let lo = 0, hi = 0;
  for (let i = 0; i < x.length; i++) { lo = Math.min(lo, f(x[i]!)); hi = Math.max(hi, f(x[i]!)); }
  if (!(hi > lo)) return { scale: 1, zero: 0, invScale: 1 }; // all zero: ONNX leaves it undefined
  const scale = f(f(hi - lo) / 255);
  const zero = Math.min(Math.max(roundHalfEven(f(0 - f(lo / scale))), 0), 255);
  return { scale, zero, invScale: f(1 / scale) };
}
