/**
 * Plain-loop references for the QAT straight-through kernels (qat-ste.ts), repeating each f32
 * step of the shaders with Math.fround (the channel reductions in the shader's lane order), and
 * float64 forwards for finite-difference checks.
 */
import { roundHalfEven } from '../core/round';
import { channelLayout, STE_REDUCE_WG, type ChannelStat } from './qat-ste';

const f = Math.fround;
const sgn = (v: number): number => (v >= 0 ? 1 : -1); // sign(0) = +1 (and -0 >= 0)

/** Offset of element j (0 <= j < outer * inner) of channel c in an (outer, C, inner) tensor. */
const offsetOf = (C: number, inner: number, c: number, j: number) => (Math.floor(j / inner) * C + c) * inner + (j % inner);

/** steChannelStat: lane l sums j = l, l + WG, ... in f32, then a halving tree, as sign_ste_scale.wgsl. */
export function steChannelStatRef(stat: ChannelStat, x: Float32Array, dy: Float32Array | null, shape: readonly number[], axis: number): Float32Array {
  const { outer, C, inner } = channelLayout(shape, axis);
  const M = outer * inner;
  const out = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const lanes = new Array<number>(STE_REDUCE_WG).fill(0);
    for (let l = 0; l < STE_REDUCE_WG; l++) {
      for (let j = l; j < M; j += STE_REDUCE_WG) {
        const o = offsetOf(C, inner, c, j), v = x[o]!;
        if (stat === 'absMean') lanes[l] = f(lanes[l]! + Math.abs(v));
        else if (stat === 'signDotMean') lanes[l] = f(lanes[l]! + dy![o]! * sgn(v));
        else lanes[l] = Math.max(lanes[l]!, Math.abs(v));
      }
    }
    for (let h = STE_REDUCE_WG >> 1; h >= 1; h >>= 1) {
      for (let l = 0; l < h; l++) lanes[l] = stat === 'int8Scale' ? Math.max(lanes[l]!, lanes[l + h]!) : f(lanes[l]! + lanes[l + h]!);
    }
    const s = lanes[0]!;
    out[c] = stat === 'int8Scale' ? (s === 0 ? 1 : f(s / 127)) : f(s / M);
  }
  return out;
}

const channelOf = (shape: readonly number[], axis: number) => {
  const { C, inner } = channelLayout(shape, axis);
  return (i: number) => Math.floor(i / inner) % C;
};

/** y = alpha[c] * sign(x), or sign(x) when alpha is null. */
export function signSteRef(x: Float32Array, alpha: Float32Array | null, shape: readonly number[], axis: number): Float32Array {
  const ch = channelOf(shape, axis);
  return Float32Array.from(x, (v, i) => (alpha ? sgn(v) * alpha[ch(i)]! : sgn(v)));
}

/** dx = dy * [|x| <= clip] (times alpha[c], plus sign(x) * g[c], when scaled), rounded as sign_ste_grad.wgsl. */
export function signSteGradRef(
  x: Float32Array, dy: Float32Array, scaled: { alpha: Float32Array; g: Float32Array } | null, shape: readonly number[], clip: number, axis: number,
): Float32Array {
  const ch = channelOf(shape, axis);
  return Float32Array.from(x, (v, i) => {
    const d = Math.abs(v) <= f(clip) ? dy[i]! : 0;
    if (!scaled) return d;
    const c = ch(i);
    return f(f(d * scaled.alpha[c]!) + sgn(v) * scaled.g[c]!);
  });
}

/**
 * The scaled sign's forward in float64, alpha = mean |x| per channel: a function of x that is
 * smooth away from x = 0, its derivative being exactly the alpha term of the STE gradient.
 */
export function signSteScaled64(x: ArrayLike<number>, shape: readonly number[], axis: number): Float64Array {
  const { outer, C, inner } = channelLayout(shape, axis);
  const alpha = new Float64Array(C);
  for (let c = 0; c < C; c++) for (let j = 0; j < outer * inner; j++) alpha[c]! += Math.abs(x[offsetOf(C, inner, c, j)]!) / (outer * inner);
  const ch = channelOf(shape, axis);
  return Float64Array.from(x, (v, i) => sgn(v) * alpha[ch(i)]!);
}

export interface FakeQuantGridRef {
  scale: number;
  zero: number;
  qmin: number;
  qmax: number;
  /** Per-channel scales (s = scale * scales[c]) along axis, or null for one scale. */
  perChannel: { scales: Float32Array; axis: number } | null;
}

/** round(x / s) (per channel, f32 division) or round(x * f32(1 / s)) (per tensor), as the shaders. */
function roundedOf(x: Float32Array, shape: readonly number[], grid: FakeQuantGridRef): { r: Float64Array; s: Float32Array } {
  const ch = grid.perChannel ? channelOf(shape, grid.perChannel.axis) : () => 0;
  const inv = f(1 / grid.scale);
  const s = new Float32Array(x.length), r = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    s[i] = grid.perChannel ? f(f(grid.scale) * grid.perChannel.scales[ch(i)]!) : f(grid.scale);
    r[i] = roundHalfEven(grid.perChannel ? f(x[i]! / s[i]!) : f(x[i]! * inv));
  }
  return { r, s };
}

/** y = (clamp(round(x / s) + zero, qmin, qmax) - zero) * s. */
export function fakeQuantSteRef(x: Float32Array, shape: readonly number[], grid: FakeQuantGridRef): Float32Array {
  const { r, s } = roundedOf(x, shape, grid);
  return Float32Array.from(r, (v, i) => f((Math.min(grid.qmax, Math.max(grid.qmin, f(v + grid.zero))) - grid.zero) * s[i]!));
}

/** dx = dy where round(x / s) + zero is inside [qmin, qmax], else 0. */
export function fakeQuantSteGradRef(x: Float32Array, dy: Float32Array, shape: readonly number[], grid: FakeQuantGridRef): Float32Array {
  const { r } = roundedOf(x, shape, grid);
  return Float32Array.from(r, (v, i) => {
    const q = f(v + grid.zero);
    return q >= grid.qmin && q <= grid.qmax ? dy[i]! : 0;
  });
}
