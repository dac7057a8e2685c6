// Uses dwPosition(), dwTaps() and PIX from conv_dw_position.wgsl.
// Integer depthwise convolution (one input channel per group: ONNX Conv with C/group = 1, any
// depth multiplier), with int8_conv2d.wgsl's quantisation and epilogue (int8_epilogue.wgsl) and the
// same result bit for bit: acc = sum over the taps of (xq - xZero) * (wq - wZero), which is what
// int8_conv2d.wgsl's zero-point expansion computes, here summed in f32. Each term is an integer of
// magnitude at most 255 * 255, so with K <= 256 taps every partial sum is an integer below 2^24 and
// f32 holds it exactly (the host routes nothing larger here). x arrives quantised once, as those
// f32 differences (int8_dw_quantize.wgsl), and so do the weights (kernels/int8.ts
// Int8Weights.perTap) inside the packed weight buffer; the tap loop is then the f32 depthwise
// kernel's. Padding taps are (xZero - xZero) = 0 and are skipped.
// Each invocation computes PIX (8) neighbouring output pixels of one row of one output channel, with no
// dot4 (a depthwise tap has one channel: nothing to pack 4 of).

const WG = 64u;

struct Params {
  C: u32, H: u32, W: u32, M: u32,
  OH: u32, OW: u32, KH: u32, KW: u32,
  strideH: u32, strideW: u32, padT: i32, padL: i32,
  dilH: u32, dilW: u32, mPerGroup: u32, OWB: u32, // OWB: blocks of PIX output columns per row
  total: u32, tapOffset: u32, _p0: u32, _p1: u32, // tapOffset: where the f32 taps start in wf
  K: u32, K4: u32,
  xShift: i32, yZero: i32,
  lo: i32, hi: i32,
  floatOut: u32, yScale: f32,
  asym: u32,
  yMin: f32, yMax: f32, // float output: the fused ReLU or Clip as a clamp (requant clamps ReLU at lo)
  silu: u32, // float output: SiLU after the clamp (efficientnet's Mul(y, Sigmoid(y)), fused)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;          // (N, C, H, W): quantize(x) - xZero (int8_dw_quantize.wgsl)
@group(0) @binding(2) var<storage, read> w: array<f32>;          // the packed weights; (M, KH*KW) f32 taps at tapOffset
@group(0) @binding(3) var<storage, read> chan: array<vec4<u32>>;  // (M), as int8_matmul.wgsl
@group(0) @binding(4) var<storage, read_write> y: array<f32>;    // (N, M, OH, OW)
@group(0) @binding(5) var<storage, read> xq: array<f32>;         // xScale, xZero, invXScale, unused

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  let p = dwPosition(i); // conv_dw_position.wgsl
  let m = p.m;
  let acc = dwTaps(p, params.tapOffset + m * params.KH * params.KW);

  let ch = chan[m];
  let ohw = params.OH * params.OW;
  let yBase = (p.n * params.M + m) * ohw + p.oh * params.OW + p.ow0;
  for (var j = 0u; j < PIX; j++) {
    if (p.ow0 + j >= params.OW) { break; }
    y[yBase + j] = epilogue(i32(dwSum(acc, j)), ch);
  }
}
