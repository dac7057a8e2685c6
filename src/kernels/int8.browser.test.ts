import { describe, expect, it } from 'vitest';
import { makeRng, randomFloats } from '../core/rng';
import { sizeOf } from '../core/shape';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';
import type { Dispatch } from '../gpu/context';
import type { GpuTensor } from './common';
import { convPackingOf, packInt8ConvWeights, packInt8Weights, releaseInt8Weights, uploadInt8Weights, withDot4, type Int8Quant, type Int8WeightSpec } from './int8';
import { INT8_SMALL_M, int8Matmul } from './int8-matmul';
import { convOutSize, INT8_CONV_GEMM_MIN_CHANNELS, int8Conv2d, int8ConvTaps, type Int8ConvAttrs } from './int8-conv';
import { activationQuantParams, int8Conv2dRef, int8MatmulRef, quantizeBias, quantizeWeights, type Int8RefResult } from './int8.ref';
import { dynamicQuantParams } from './dynamic-quant';
import { dynamicQuantParamsRef } from './dynamic-quant.ref';

interface QuantOpts {
  sym?: boolean; // symmetric weights (else asymmetric: nonzero wZero)
  perTensor?: boolean; // one (scale, zero) for all channels (else per channel)
  bias?: boolean;
  relu?: boolean;
  xRange?: [number, number]; // x values drawn from here; calibration sees the same range...
  squeeze?: number; // ...times this, so < 1 saturates both xq and yq
  xZero0?: boolean; // symmetric activations (xZero = 0)
  ties?: boolean; // power-of-two scales and grid inputs, so both roundings hit exact .5 ties
  output?: 'float'; // float epilogue: acc * xScale * wScale[n] + biasF[n] (default: requantised int8)
  u8?: boolean; // x calibrated on the uint8 grid (zero 0..255), run with xShift = -128
  dynamic?: boolean; // x's (scale, zero) from dynamicQuantParams on the GPU, xShift = -128; float output
  clip?: [number, number]; // float output: a fused Clip (the epilogue's clamp) in place of relu
  silu?: boolean; // float output: a fused SiLU
}
interface MatmulCase extends QuantOpts { name: string; x: number[]; n: number } // x (..., K)
interface ConvCase extends QuantOpts {
  name: string; x: [number, number, number, number]; m: number; k: [number, number];
  strides?: [number, number]; pads?: [number, number, number, number]; dilations?: [number, number]; group?: number;
}

const MATMUL: MatmulCase[] = [
  { name: 'K = 1, per-tensor symmetric', x: [5, 1], n: 6, perTensor: true, sym: true },
  { name: 'K = 3, M = 1, per-channel asymmetric, bias', x: [1, 3], n: 7, bias: true },
  { name: 'K = 7, N = 1, nonzero xZero', x: [13, 7], n: 1, sym: true, xRange: [-0.3, 1.2] },
  { name: 'K = 33, N = 65 across tiles, bias + relu', x: [9, 33], n: 65, sym: true, bias: true, relu: true },
  { name: 'K = 785 (MNIST Gemm), asymmetric, bias', x: [2, 785], n: 10, bias: true, xRange: [0, 1] },
  { name: 'several tiles 70x40x130, per-tensor asymmetric', x: [70, 40], n: 130, perTensor: true },
  { name: 'batched x (2, 3, 17) folds into M, xZero = 0, bias', x: [2, 3, 17], n: 5, xZero0: true, bias: true },
  { name: 'ties, symmetric', x: [6, 7], n: 9, ties: true, sym: true },
  { name: 'ties, asymmetric, relu', x: [5, 13], n: 4, ties: true, relu: true },
  { name: 'saturating x and y, bias', x: [8, 21], n: 12, squeeze: 0.4, bias: true },
  { name: 'float out, K = 3, M = 1, asymmetric, bias', x: [1, 3], n: 7, bias: true, output: 'float' },
  { name: 'float out, K = 7, N = 1, relu', x: [13, 7], n: 1, sym: true, relu: true, output: 'float', xRange: [-0.3, 1.2] },
  { name: 'float out across tiles 70x33x65, per-tensor asymmetric, bias + relu', x: [70, 33], n: 65, perTensor: true, bias: true, relu: true, output: 'float' },
  { name: 'float out, saturating x, bias', x: [8, 21], n: 12, squeeze: 0.4, bias: true, output: 'float' },
  { name: 'uint8 grid (xShift -128), requant, bias', x: [9, 19], n: 6, u8: true, bias: true, xRange: [-0.2, 1] },
  { name: 'uint8 grid (xShift -128), float out, relu', x: [5, 10], n: 9, u8: true, relu: true, output: 'float', xRange: [0, 1] },
  { name: 'dynamic, K = 785 (MNIST Gemm), bias', x: [2, 785], n: 10, dynamic: true, bias: true, xRange: [0, 1] },
  { name: 'dynamic, M = 1, K = 3, asymmetric, relu', x: [1, 3], n: 5, dynamic: true, relu: true },
  { name: 'dynamic, N = 1, K = 33, all-negative x (zero 255)', x: [17, 33], n: 1, dynamic: true, bias: true, sym: true, xRange: [-2, -0.5] },
  { name: 'dynamic across tiles 70x40x130, per-tensor asymmetric, bias + relu', x: [70, 40], n: 130, dynamic: true, perTensor: true, bias: true, relu: true },
  // Around INT8_SMALL_M = 16 (int8_matmul_small.wgsl below it, int8_matmul.wgsl above): row blocks
  // of 4, column blocks of 8 with a ragged last one, K past one 64-thread sweep with a ragged tail.
  { name: 'small-M: M = 1, K = 1, N = 1', x: [1, 1], n: 1, sym: true, xRange: [-0.5, 1] },
  { name: 'small-M: M = 1, K = 1030, N = 21, asymmetric, bias', x: [1, 1030], n: 21, bias: true },
  { name: 'small-M: M = 2, K = 258, N = 17, bias + relu', x: [2, 258], n: 17, sym: true, bias: true, relu: true },
  { name: 'small-M: M = 5, K = 61, N = 9, per-tensor asymmetric', x: [5, 61], n: 9, perTensor: true, xRange: [-0.3, 1.2] },
  { name: 'small-M: M = 16, K = 130, N = 24, asymmetric, bias, saturating', x: [16, 130], n: 24, bias: true, squeeze: 0.5 },
  { name: 'tiled: M = 17, K = 130, N = 24, asymmetric, bias', x: [17, 130], n: 24, bias: true },
  { name: 'small-M: ties, M = 3, asymmetric, relu', x: [3, 37], n: 11, ties: true, relu: true },
  { name: 'small-M: float out, M = 2, K = 258, N = 17, asymmetric, bias + relu', x: [2, 258], n: 17, bias: true, relu: true, output: 'float' },
  { name: 'small-M: float out, M = 16, K = 67, N = 10, per-tensor', x: [16, 67], n: 10, perTensor: true, bias: true, output: 'float' },
  { name: 'small-M: uint8 grid (xShift -128), M = 4, requant, bias', x: [4, 45], n: 13, u8: true, bias: true, xRange: [-0.2, 1] },
  { name: 'small-M: dynamic, M = 1, K = 785 (MNIST batch 1), bias', x: [1, 785], n: 10, dynamic: true, bias: true, xRange: [0, 1] },
  { name: 'small-M: dynamic, M = 16, K = 50, asymmetric, relu', x: [16, 50], n: 12, dynamic: true, relu: true },
  // A fused Clip (ReLU6 and the like) on the float output, both bounds reached.
  { name: 'small-M: float out, M = 3, K = 40, bias, clip [-0.5, 0.7]', x: [3, 40], n: 9, bias: true, output: 'float', clip: [-0.5, 0.7] },
  { name: 'dynamic across tiles 70x40x33, bias, clip [-0.5, 0.7]', x: [70, 40], n: 33, dynamic: true, bias: true, clip: [-0.5, 0.7] },
  { name: 'small-M: dynamic, M = 2, K = 40, bias, SiLU', x: [2, 40], n: 9, dynamic: true, bias: true, silu: true },
  { name: 'dynamic across tiles 70x40x33, SiLU', x: [70, 40], n: 33, dynamic: true, silu: true },
];

const CONV: ConvCase[] = [
  { name: '1x1 pointwise, K = 5', x: [1, 5, 7, 9], m: 6, k: [1, 1] },
  { name: '3x3 pad 1, bias, relu, nonzero xZero', x: [1, 3, 11, 10], m: 8, k: [3, 3], pads: [1, 1, 1, 1], bias: true, relu: true, xRange: [-0.2, 1] },
  { name: '5x5 LeNet-like conv2, relu', x: [1, 6, 14, 14], m: 16, k: [5, 5], bias: true, relu: true, sym: true, xRange: [0, 1] },
  { name: 'stride 2, odd sizes, per-tensor', x: [1, 3, 13, 9], m: 5, k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], bias: true, perTensor: true },
  { name: 'dilation 2', x: [1, 4, 12, 11], m: 7, k: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] },
  { name: 'groups 2', x: [1, 6, 8, 7], m: 10, k: [3, 3], group: 2, pads: [1, 1, 1, 1], bias: true },
  { name: 'depthwise, relu', x: [1, 7, 9, 8], m: 7, k: [3, 3], group: 7, pads: [1, 1, 1, 1], bias: true, relu: true, sym: true },
  { name: 'depthwise multiplier 2, stride 2', x: [1, 5, 10, 9], m: 10, k: [3, 3], group: 5, strides: [2, 2], pads: [0, 0, 1, 1] },
  { name: 'N = 2, asymmetric pads, xZero = 0', x: [2, 3, 7, 8], m: 4, k: [3, 2], pads: [2, 0, 1, 3], perTensor: true, sym: true, xZero0: true },
  { name: 'ties, padding takes xZero', x: [1, 2, 6, 5], m: 3, k: [3, 3], pads: [1, 1, 1, 1], ties: true },
  { name: 'saturating x and y, bias', x: [1, 4, 6, 6], m: 5, k: [2, 2], squeeze: 0.4, bias: true },
  { name: 'float out, 3x3 pad 1, bias, relu', x: [1, 3, 11, 10], m: 8, k: [3, 3], pads: [1, 1, 1, 1], bias: true, relu: true, output: 'float', xRange: [-0.2, 1] },
  { name: 'float out, groups 2, stride 2, asymmetric pads', x: [1, 6, 9, 7], m: 4, k: [3, 3], group: 2, strides: [2, 2], pads: [1, 0, 1, 1], output: 'float' },
  { name: 'float out, depthwise, no bias', x: [1, 7, 9, 8], m: 7, k: [3, 3], group: 7, pads: [1, 1, 1, 1], sym: true, output: 'float' },
  { name: 'uint8 grid (xShift -128), requant, padding takes the shifted zero', x: [1, 3, 7, 6], m: 5, k: [3, 3], pads: [1, 1, 1, 1], u8: true, bias: true, xRange: [0, 1] },
  { name: 'uint8 grid (xShift -128), float out, 1x1 K = 5, relu', x: [1, 5, 7, 9], m: 6, k: [1, 1], u8: true, relu: true, output: 'float' },
  { name: 'dynamic, N = 2, 3x3 pad 1, bias, relu', x: [2, 3, 8, 7], m: 5, k: [3, 3], pads: [1, 1, 1, 1], dynamic: true, bias: true, relu: true, xRange: [0, 1] },
  { name: 'dynamic, depthwise multiplier 2, stride 2', x: [1, 5, 10, 9], m: 10, k: [3, 3], group: 5, strides: [2, 2], pads: [0, 0, 1, 1], dynamic: true, bias: true },
  { name: 'depthwise 5x5, dilation 2, N = 2, asymmetric pads, saturating', x: [2, 6, 11, 13], m: 6, k: [5, 5], group: 6, dilations: [2, 2], pads: [4, 3, 2, 4], bias: true, squeeze: 0.5 },
  // int8_conv_dw.wgsl sums in f32, exact while K <= 256: the bound itself, inputs saturating both ways.
  { name: 'depthwise 16x16 (K = 256, the f32-exact bound), saturating, float out', x: [1, 3, 18, 17], m: 3, k: [16, 16], group: 3, output: 'float', squeeze: 0.3 },
  { name: 'dynamic, groups 2, all-negative x: padding takes zero 255 - 128', x: [1, 6, 8, 7], m: 10, k: [3, 3], group: 2, pads: [1, 1, 1, 1], dynamic: true, xRange: [-1, -0.1] },
  // The packed implicit GEMM (>= 4 channels per group; the cases above with fewer, depthwise and
  // 'ties', run the direct kernel): 'c4' packs 4 channels per word, 'w4' 4 taps along W.
  { name: 'packed w4: LeNet conv1-like 1 -> 6, 5x5, N = 2, bias, relu', x: [2, 1, 12, 11], m: 6, k: [5, 5], bias: true, relu: true, sym: true, xRange: [0, 1] },
  { name: 'packed w4: 2 -> 9 (2 channel blocks), 3x5, stride (2, 1), dilation (1, 2), asymmetric pads', x: [1, 2, 13, 14], m: 9, k: [3, 5], strides: [2, 1], dilations: [1, 2], pads: [1, 2, 0, 3], bias: true },
  { name: 'packed w4: uint8 grid (xShift -128), 1x3, padding takes the shifted zero', x: [1, 1, 7, 9], m: 4, k: [1, 3], pads: [0, 2, 0, 2], u8: true, bias: true, xRange: [0, 1] },
  { name: 'packed w4: dynamic, N = 2, groups 2 (1 channel, 4 outputs each), 2x4, relu', x: [2, 2, 6, 7], m: 8, k: [2, 4], group: 2, dynamic: true, relu: true },
  { name: 'packed c4: groups 3 (3 channels, 4 outputs each), stride 2, dilation 2, pads', x: [1, 9, 11, 10], m: 12, k: [3, 3], group: 3, strides: [2, 2], dilations: [2, 2], pads: [2, 1, 2, 1], bias: true, relu: true },
  { name: 'packed w4: 5 channels (K = 45), 17 outputs (3 channel blocks), OW = 5, float out, bias', x: [1, 5, 6, 5], m: 17, k: [3, 3], pads: [1, 1, 1, 1], bias: true, output: 'float' },
  { name: 'packed c4: ties, asymmetric, pad 1', x: [1, 4, 6, 5], m: 6, k: [3, 3], pads: [1, 1, 1, 1], ties: true },
  { name: 'packed c4: 1x1, K = 64, stride 2, per-tensor, bias', x: [1, 64, 5, 6], m: 8, k: [1, 1], strides: [2, 2], perTensor: true, bias: true },
  { name: 'packed c4: dynamic, 6 -> 16 5x5 (LeNet conv2-like, channel slots past 6), N = 2, asymmetric, bias', x: [2, 6, 9, 8], m: 16, k: [5, 5], dynamic: true, bias: true, xRange: [0, 1] },
  // A fused Clip on the float output (mobilenet_v2's ReLU6), both bounds reached, in each kernel.
  { name: 'direct: float out, groups 2, clip [-0.5, 0.7]', x: [1, 6, 8, 7], m: 6, k: [3, 3], group: 2, pads: [1, 1, 1, 1], bias: true, output: 'float', clip: [-0.5, 0.7] },
  { name: 'depthwise kernel: dynamic, stride 2, bias, clip [-0.5, 0.7]', x: [1, 7, 9, 8], m: 7, k: [3, 3], group: 7, strides: [2, 2], pads: [1, 1, 1, 1], dynamic: true, bias: true, clip: [-0.5, 0.7] },
  { name: 'packed c4: dynamic 1x1, 8 -> 12, bias, clip [-0.5, 0.7]', x: [1, 8, 5, 6], m: 12, k: [1, 1], dynamic: true, bias: true, clip: [-0.5, 0.7] },
  { name: 'packed c4: dynamic 1x1, 8 -> 12, bias, SiLU', x: [1, 8, 5, 6], m: 12, k: [1, 1], dynamic: true, bias: true, silu: true },
  { name: 'depthwise kernel: dynamic, OW = 21 (two blocks of 8 and a part), bias', x: [1, 4, 5, 21], m: 4, k: [3, 3], group: 4, pads: [1, 1, 1, 1], dynamic: true, bias: true },
  { name: 'depthwise kernel: dynamic, 5x5, SiLU', x: [1, 6, 9, 8], m: 6, k: [5, 5], group: 6, pads: [2, 2, 2, 2], dynamic: true, silu: true },
  { name: 'direct: float out, groups 2, SiLU', x: [1, 6, 8, 7], m: 6, k: [3, 3], group: 2, pads: [1, 1, 1, 1], bias: true, output: 'float', silu: true },
];

const VARIANTS = [{ name: 'dot4I8Packed', forceUnpacked: false }, { name: 'unpacked', forceUnpacked: true }];

interface Problem { x: Float32Array; spec: Int8WeightSpec; q: Int8Quant; want: Int8RefResult | null }
type Ref = (x: Float32Array, spec: Int8WeightSpec, q: Int8Quant, xq?: ArrayLike<number>) => Int8RefResult;

/**
 * Data, weights and calibrated quantisation for a case. yScale/yZero come from the real-valued
 * outputs acc * xScale * wScale[n], which the reference's accumulators give before requantising.
 * `want` is null for dynamic cases: their reference needs the qparams the GPU computed.
 */
function problem(c: QuantOpts, N: number, K: number, xSize: number, seed: number, shape: number[], ref: Ref, chanOf: (i: number) => number): Problem {
  const rng = makeRng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const [lo, hi] = c.xRange ?? [-1, 1];
  const sq = c.squeeze ?? 1;
  let x: Float32Array, xs: { scale: number; zero: number }, w: { q: Int8Array; scale: Float32Array; zero: Int8Array };
  if (c.ties) {
    x = Float32Array.from({ length: xSize }, () => int(-16, 16) / 32); // x / xScale = k / 2
    xs = { scale: 1 / 16, zero: 3 };
    const zero = Int8Array.from({ length: N }, (_, n) => (c.sym ? 0 : (n % 5) - 2));
    w = { q: Int8Array.from({ length: N * K }, () => int(-8, 8)), scale: new Float32Array(N).fill(1 / 8), zero };
  } else {
    x = randomFloats(xSize, seed, lo, hi);
    const maxAbs = Math.max(-lo, hi) * sq;
    xs = c.xZero0 ? { scale: Math.fround(maxAbs / 127), zero: 0 }
      : c.u8 ? dynamicQuantParamsRef([lo * sq, hi * sq]) // uint8 grid: zero in [0, 255]
        : activationQuantParams(lo * sq, hi * sq);
    const wf = randomFloats(N * K, seed + 1).map((v, i) => {
      const n = Math.floor(i / K);
      return v * (0.5 + (n % 3) * 0.5) + (c.sym ? 0 : 0.3 * ((n % 3) - 0.5)); // channels differ in scale (and offset)
    });
    w = quantizeWeights(wf, N, K, { symmetric: c.sym ?? false, perChannel: !c.perTensor });
  }
  const xShift = c.u8 || c.dynamic ? -128 : 0;
  const q: Int8Quant = {
    xScale: xs.scale, xZero: xs.zero, yScale: 1, yZero: 0, relu: c.relu ?? false, ...(xShift ? { xShift } : {}),
    ...(c.clip ? { act: { kind: 'clip', a: c.clip[0], b: c.clip[1] } } : {}),
    ...(c.silu ? { act: { kind: 'silu' } } : {}),
  };
  if (c.output === 'float' || c.dynamic) {
    const biasF = c.bias ? randomFloats(N, seed + 2, -0.5, 0.5) : null;
    const spec: Int8WeightSpec = { ...w, N, K, output: 'float', biasF, shape };
    return { x, spec, q, want: c.dynamic ? null : ref(x, spec, q) };
  }
  const biasQ = c.bias ? quantizeBias(randomFloats(N, seed + 2, -0.5, 0.5), xs.scale, w.scale) : null;
  const spec: Int8WeightSpec = { ...w, N, K, biasQ, xScale: xs.scale, yScale: 1, shape };
  if (c.ties) {
    spec.yScale = q.yScale = 1 / 64; // mult = 2^-4 * 2^-3 / 2^-6 = 1/2: every odd acc is a tie
    q.yZero = -5;
  } else {
    const { acc } = ref(x, spec, q);
    let ylo = 0, yhi = 0;
    acc.forEach((a, i) => {
      const v = a * xs.scale * w.scale[chanOf(i)]!;
      ylo = Math.min(ylo, v); yhi = Math.max(yhi, v);
    });
    const ys = activationQuantParams(ylo * sq, yhi * sq);
    spec.yScale = q.yScale = ys.scale;
    q.yZero = ys.zero;
  }
  return { x, spec, q, want: ref(x, spec, q) };
}

/** Exact f32 equality (Object.is) and the same yq, recovered from y (|yq - yZero| <= 255, so exactly). */
function expectBitExact(got: Float32Array, want: Int8RefResult, q: Int8Quant): void {
  const ys = Math.fround(q.yScale);
  const bad: string[] = [];
  for (let i = 0; i < want.y.length; i++) {
    const gq = Math.round(got[i]! / ys) + q.yZero;
    if (!Object.is(got[i], want.y[i]) || gq !== want.yq[i]) {
      bad.push(`[${i}] got ${got[i]} (yq ${gq}), want ${want.y[i]} (yq ${want.yq[i]}, acc ${want.acc[i]})`);
    }
  }
  expect(bad.length, `${bad.length}/${want.y.length} differ: ${bad.slice(0, 5).join('; ')}`).toBe(0);
  if (want.yq.length >= 4) expect(new Set(want.yq).size, 'the case saturates every output').toBeGreaterThan(1);
}

/** Float output: exact f32 equality; the case must not collapse onto a few values (a clip's bounds aside). */
function expectFloatExact(got: Float32Array, want: Int8RefResult, relu: boolean, clip?: [number, number]): void {
  const bad: string[] = [];
  for (let i = 0; i < want.y.length; i++) {
    if (!Object.is(got[i], want.y[i])) bad.push(`[${i}] got ${got[i]}, want ${want.y[i]} (acc ${want.acc[i]})`);
  }
  expect(bad.length, `${bad.length}/${want.y.length} differ: ${bad.slice(0, 5).join('; ')}`).toBe(0);
  const inside = clip ? want.y.filter((v) => v > Math.fround(clip[0]) && v < Math.fround(clip[1])) : want.y;
  if (want.y.length >= 8) expect(new Set(inside).size, 'distinct outputs').toBeGreaterThan(inside.length / (relu ? 4 : 2));
  if (relu && want.y.length >= 8) expect(want.y.some((v) => v === 0) && want.y.some((v) => v > 0), 'relu clips some, not all').toBe(true);
}

/**
 * A fused SiLU: within 2 ulp-ish of the reference (the GPU's exp is not the host's), and it bit:
 * negative outputs, none below SiLU's minimum (-0.2785), and none of them equal to the linear output.
 */
function expectSiluClose(got: Float32Array, want: Int8RefResult): void {
  const bad: string[] = [];
  for (let i = 0; i < want.y.length; i++) {
    if (!(Math.abs(got[i]! - want.y[i]!) <= 4e-7 * Math.max(1, Math.abs(want.y[i]!)))) bad.push(`[${i}] got ${got[i]}, want ${want.y[i]}`);
  }
  expect(bad.length, `${bad.length}/${want.y.length} differ: ${bad.slice(0, 5).join('; ')}`).toBe(0);
  expect(want.y.some((v) => v < 0) && want.y.some((v) => v > 1) && want.y.every((v) => v > -0.2785), 'SiLU shapes the outputs').toBe(true);
}

/** A fused Clip reaches both bounds and leaves values between them. */
function expectClipBites(want: Int8RefResult, [lo, hi]: [number, number]): void {
  const [l, h] = [Math.fround(lo), Math.fround(hi)];
  expect(want.y.some((v) => v === l) && want.y.some((v) => v === h) && want.y.some((v) => v > l && v < h), 'clip reaches both bounds, not every value').toBe(true);
}

/**
 * Runs a case's kernel and checks it against the reference. Dynamic cases run dynamicQuantParams
 * in the same pass (as the engine would), then feed the read-back qparams to the reference.
 */
async function runCase(
  c: QuantOpts, p: Problem, x: GpuTensor, y: GpuTensor, ref: Ref,
  kernel: (q: Int8Quant) => Dispatch[],
): Promise<void> {
  const ctx = await testContext();
  const qp = c.dynamic ? emptyTensor(ctx, [4], 'qparams') : null;
  const q = qp ? { ...p.q, xq: qp } : p.q;
  const got = await runAndRead(ctx, () => [...(qp ? dynamicQuantParams(ctx, x, { qparams: qp }) : []), ...kernel(q)], y);
  let want = p.want;
  if (qp) {
    const xq = await ctx.readF32(qp.buffer, 4);
    const r = dynamicQuantParamsRef(p.x);
    expect([...xq]).toEqual([r.scale, r.zero, r.invScale, 0]);
    want = ref(p.x, p.spec, p.q, xq);
    ctx.release(qp.buffer);
  }
  if (c.clip) expectClipBites(want!, c.clip);
  if (c.silu) expectSiluClose(got, want!);
  else if (p.spec.output === 'float') expectFloatExact(got, want!, p.q.relu, c.clip);
  else expectBitExact(got, want!, p.q);
}

describe('int8 matmul vs integer reference (int8_matmul.wgsl, int8_matmul_small.wgsl with int8_matmul_io.wgsl, int8_quantize.wgsl, int8_epilogue.wgsl; dot4_builtin.wgsl and dot4_unpacked.wgsl variants)', () => {
  MATMUL.forEach((c, idx) => VARIANTS.forEach((v) => {
    it(`${c.name} [${v.name}]`, async (t) => {
      const ctx = await testContext();
      if (!v.forceUnpacked && !ctx.info.hasDot4I8) return t.skip();
      const K = c.x[c.x.length - 1]!, M = sizeOf(c.x) / K;
      const ref: Ref = (x, s, q, xq) => int8MatmulRef(x, M, s, q, xq);
      const p = problem(c, c.n, K, M * K, 10 + idx, [c.n, K], ref, (i) => i % c.n);
      const w = uploadInt8Weights(ctx, 'w', p.spec);
      const xt = tensorOf(ctx, p.x, c.x, 'x'), yt = emptyTensor(ctx, [...c.x.slice(0, -1), c.n], 'y');
      await runCase(c, p, xt, yt, ref, (q) => {
        const d = int8Matmul(ctx, xt, w, yt, q, { dot4: v.forceUnpacked ? 'unpacked' : 'builtin' });
        expect(d[0]!.pipeline.label).toMatch(M <= INT8_SMALL_M ? /^int8_matmul_small:/ : /^int8_matmul:/);
        return d;
      });
      releaseInt8Weights(ctx, w);
      ctx.release(xt.buffer); ctx.release(yt.buffer);
    });
  }));
});

describe('int8 conv2d vs integer reference (int8_conv2d.wgsl, int8_dw_quantize.wgsl + int8_conv_dw.wgsl with conv_dw_position.wgsl, int8_conv_pack.wgsl + int8_conv_packed.wgsl, with int8_quantize.wgsl, int8_epilogue.wgsl)', () => {
  CONV.forEach((c, idx) => VARIANTS.forEach((v) => {
    it(`${c.name} [${v.name}]`, async (t) => {
      const ctx = await testContext();
      if (!v.forceUnpacked && !ctx.info.hasDot4I8) return t.skip();
      const [N, C, H, W] = c.x;
      const group = c.group ?? 1;
      const conv: Int8ConvAttrs = { strides: c.strides ?? [1, 1], pads: c.pads ?? [0, 0, 0, 0], dilations: c.dilations ?? [1, 1], group };
      const yShape = [N, c.m,
        convOutSize(H, c.k[0], conv.strides[0], conv.dilations[0], conv.pads[0], conv.pads[2]),
        convOutSize(W, c.k[1], conv.strides[1], conv.dilations[1], conv.pads[1], conv.pads[3])];
      const ohw = yShape[2]! * yShape[3]!;
      const wShape = [c.m, C / group, c.k[0], c.k[1]];
      const ref: Ref = (x, s, q, xq) => int8Conv2dRef(x, c.x, s, conv, q, yShape, xq);
      const p = problem(c, c.m, sizeOf(wShape) / c.m, sizeOf(c.x), 50 + idx, wShape, ref, (i) => Math.floor(i / ohw) % c.m);
      const w = uploadInt8Weights(ctx, 'w', p.spec);
      const xt = tensorOf(ctx, p.x, c.x, 'x'), yt = emptyTensor(ctx, yShape, 'y');
      await runCase(c, p, xt, yt, ref, (q) => {
        const packed = c.m / group >= INT8_CONV_GEMM_MIN_CHANNELS;
        // Depthwise-like layers (one input channel per group) run int8_conv_dw.wgsl, which needs no
        // dot4: the unpacked round tests it (it runs on every adapter), the builtin round the direct kernel.
        const dw = !packed && C / group === 1;
        const d = int8Conv2d(ctx, xt, w, yt, conv, q, { dot4: v.forceUnpacked ? 'unpacked' : 'builtin', depthwise: dw && v.forceUnpacked });
        expect(d.map((x) => x.pipeline.label.split('|')[0]!.split(':')[0])).toEqual(packed ? ['int8_conv_pack', 'int8_conv_packed'] : dw && v.forceUnpacked ? ['int8_dw_quantize', 'int8_conv_dw'] : ['int8_conv2d']);
        if (packed && c.name.startsWith('packed ')) expect(c.name.slice(7, 9)).toBe(w.conv!.layout); // the case tests the layout it names
        return d;
      });
      releaseInt8Weights(ctx, w);
      ctx.release(xt.buffer); ctx.release(yt.buffer);
    });
  }));
});

// A probe kernel for dot4() alone: out[i] = dot4(a[i], b[i]).
const PROBE = `
@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x < arrayLength(&out)) { out[g.x] = dot4(a[g.x], b[g.x]); }
}`;

describe('int8 helpers', () => {
  it('dot4 variants agree with each other and with JS on every byte pair', async (t) => {
    const ctx = await testContext();
    const n = 65536 + 8192;
    const rng = makeRng(7);
    const a = new Uint32Array(n), b = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      // First every (byte, byte) pair in all four lanes at once, then random words.
      a[i] = i < 65536 ? (i & 255) * 0x01010101 : Math.floor(rng() * 2 ** 32);
      b[i] = i < 65536 ? (i >>> 8) * 0x01010101 : Math.floor(rng() * 2 ** 32);
    }
    const lane = (v: number, j: number) => (v << (24 - 8 * j)) >> 24;
    const want = Int32Array.from(a, (av, i) => [0, 1, 2, 3].reduce((s, j) => s + lane(av, j) * lane(b[i]!, j), 0));
    const variants = ctx.info.hasDot4I8 ? [true, false] : [false];
    for (const builtin of variants) {
      const pipeline = ctx.pipeline(`dot4_probe:${builtin}`, withDot4(PROBE, builtin));
      const out = ctx.acquire('probe:out', n * 4);
      const bufs = [ctx.upload('probe:a', a), ctx.upload('probe:b', b), out];
      await ctx.checked('dot4 probe', () => ctx.submit([{ label: 'probe', pipeline, bindGroup: ctx.bindGroup('probe', pipeline, bufs), workgroups: [n / 64, 1, 1] }]));
      const got = new Int32Array(await ctx.read(out, n * 4));
      const bad = want.findIndex((v, i) => got[i] !== v);
      expect(bad, `builtin=${builtin}: dot4(${a[bad]}, ${b[bad]}) = ${got[bad]}, want ${want[bad]}`).toBe(-1);
      bufs.forEach((buf) => ctx.release(buf));
    }
    if (!ctx.info.hasDot4I8) t.skip(); // only the unpacked variant ran: there was nothing to compare it with
  });

  it('packs 4 int8 per u32 along K, padding with the zero point', () => {
    const { packed, K4 } = packInt8Weights(Int8Array.of(1, -1, 2, -128, 5, 7, 0, 0, 0, -2), 2, 5, Int8Array.of(3, -1));
    expect(K4).toBe(2);
    expect([...packed]).toEqual([0x8002ff01, 0x03030305, 0x00000007, 0xfffffffe]); // row 1 pads with its own zero, -1
  });

  it('packs conv weights 4 channels or 4 taps per word, whichever wastes fewer slots, padding with the zero point', () => {
    expect(convPackingOf(64, 3, 3)).toEqual({ layout: 'c4', words: 144 });
    expect(convPackingOf(1, 5, 5)).toEqual({ layout: 'w4', words: 10 });
    expect(convPackingOf(6, 5, 5)).toEqual({ layout: 'c4', words: 50 });
    // (M 2, C 1, 1x5), zeros 3 and -1: w4, words (kw 0..3), (kw 4 + 3 zero-point slots).
    const w4 = packInt8ConvWeights(Int8Array.of(1, 2, 3, 4, 5, -1, -2, -3, -4, -5), [2, 1, 1, 5], Int8Array.of(3, -1));
    expect(w4.layout).toBe('w4');
    expect([...w4.packed]).toEqual([0x04030201, 0x03030305, 0xfcfdfeff, 0xfffffffb]);
    // (M 1, C 5, 1x1), zero 7: c4, words (c 0..3), (c 4 + 3 zero-point slots).
    const c4 = packInt8ConvWeights(Int8Array.of(1, 2, 3, 4, -128), [1, 5, 1, 1], Int8Array.of(7));
    expect(c4.layout).toBe('c4');
    expect([...c4.packed]).toEqual([0x04030201, 0x07070780]);
    // Taps: offsets in the padded frame (Hp 6, Wp 7) of each word from the window origin, dilation (2, 3).
    expect([...int8ConvTaps({ layout: 'w4', words: 4, offset: 0 }, 2, 2, 3, 6, 7, [2, 3])]).toEqual([0, 14, 42, 56]);
    expect([...int8ConvTaps({ layout: 'c4', words: 4, offset: 0 }, 5, 1, 2, 6, 7, [2, 3])]).toEqual([0, 3, 42, 45]);
  });

  it('rejects a call whose scales differ from the upload, and mismatched shapes', async () => {
    const ctx = await testContext();
    const spec: Int8WeightSpec = { q: new Int8Array(6), N: 2, K: 3, scale: Float32Array.of(1, 1), zero: new Int8Array(2), biasQ: null, xScale: 0.5, yScale: 0.25 };
    const w = uploadInt8Weights(ctx, 'w', spec);
    const q: Int8Quant = { xScale: 0.5, xZero: 0, yScale: 0.25, yZero: 0, relu: false };
    const x = emptyTensor(ctx, [4, 3]), y = emptyTensor(ctx, [4, 2]);
    expect(() => int8Matmul(ctx, x, w, y, { ...q, xScale: 0.4 })).toThrow(/uploaded for xScale/);
    expect(() => int8Matmul(ctx, emptyTensor(ctx, [4, 5]), w, y, q)).toThrow(/K = 3/);
    expect(() => int8Matmul(ctx, x, w, emptyTensor(ctx, [4, 3]), q)).toThrow(/gives \[4,2\]/);
    expect(() => int8Matmul(ctx, x, w, y, { ...q, yZero: 200 })).toThrow(/zero points/);
    expect(() => int8Matmul(ctx, x, w, y, { ...q, xZero: 100, xShift: 128 })).toThrow(/zero points/);
    expect(() => int8Matmul(ctx, x, w, y, { ...q, xq: emptyTensor(ctx, [4]) })).toThrow(/needs weights uploaded with output 'float'/);
    const wf = uploadInt8Weights(ctx, 'wf', { q: new Int8Array(6), N: 2, K: 3, scale: Float32Array.of(1, 1), zero: new Int8Array(2), output: 'float', biasF: null });
    expect(() => int8Matmul(ctx, x, wf, y, { ...q, xScale: 0.4, yScale: 123 })).not.toThrow(); // float weights fit any scales
    expect(() => int8Matmul(ctx, x, wf, y, { ...q, xq: emptyTensor(ctx, [3]) })).toThrow(/4 values/);
    releaseInt8Weights(ctx, w); releaseInt8Weights(ctx, wf);
  });

  it('compiles one pipeline per kernel and dot4 variant, never per size, bias, ReLU, output or input mode', async () => {
    const ctx = await testContext();
    const variants = ctx.info.hasDot4I8 ? ['dot4i8', 'unpacked'] : ['unpacked'];
    const kernels = ['int8_conv2d', 'int8_conv_packed', 'int8_matmul', 'int8_matmul_small'];
    const want = [...kernels.flatMap((k) => variants.map((v) => `${k}:${v}|`)), 'int8_conv_pack|', 'int8_conv_dw|', 'int8_dw_quantize|'].sort();
    expect(ctx.pipelineKeys().filter((k) => k.startsWith('int8_')).sort()).toEqual(want);
    console.log(`int8 pipelines (hasDot4I8=${ctx.info.hasDot4I8}): ${want.join(', ')}`);
  });
});
