// Uses activate() and override ACT from activation.wgsl, dwPosition(), dwTaps() and PIX from conv_dw_position.wgsl.
// Depthwise 2-D convolution (ONNX Conv with one input channel per group, any depth multiplier),
// f32, with optional bias and a fused activation: conv2d.wgsl's result for these layers, but each
// invocation computes PIX neighbouring output pixels of one row of one output channel. conv2d.wgsl
// blocks 4 output channels that share each input load; a depthwise channel reads an input channel
// no other one does, so there three of its four lanes repeated the work and every tap paid the
// bounds and index arithmetic for one useful multiply-add per pixel; here (dwTaps) a tap costs one
// weight load, PIX input loads and PIX multiply-adds.
override HAS_BIAS: bool = false;
override WG: u32 = 64u;

struct Params {
  C: u32, H: u32, W: u32, M: u32,
  OH: u32, OW: u32, KH: u32, KW: u32,
  strideH: u32, strideW: u32, padT: i32, padL: i32,
  dilH: u32, dilW: u32, mPerGroup: u32, OWB: u32, // OWB: blocks of PIX output columns per row
  total: u32, _p0: u32,
  a: f32, // LeakyRelu alpha or Clip min
  b: f32, // Clip max
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;    // (N, C, H, W)
@group(0) @binding(2) var<storage, read> w: array<f32>;    // (M, 1, KH, KW)
@group(0) @binding(3) var<storage, read> bias: array<f32>; // (M), or a dummy when !HAS_BIAS
@group(0) @binding(4) var<storage, read_write> y: array<f32>; // (N, M, OH, OW)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  let p = dwPosition(i); // conv_dw_position.wgsl
  let m = p.m;
  let acc = dwTaps(p, m * params.KH * params.KW);

  var bv = 0.0;
  if (HAS_BIAS) { bv = bias[m]; }
  let yBase = (p.n * params.M + m) * params.OH * params.OW + p.oh * params.OW + p.ow0;
  for (var j = 0u; j < PIX; j++) {
    if (p.ow0 + j >= params.OW) { break; }
    y[yBase + j] = activate(dwSum(acc, j) + bv, params.a, params.b);
  }
}
