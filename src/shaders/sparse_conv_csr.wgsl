// Uses activate() and override ACT from activation.wgsl.
// 2-D convolution (ONNX Conv, NCHW) with a pruned weight held per output channel in CSR
// (kernels/sparse-conv.ts): each stored tap is (input channel, ky, kx) packed in one word and its
// value. An invocation owns PIX consecutive output pixels of one output channel and walks that
// channel's taps once: one tap word, one value and PIX input loads for PIX multiply-adds. Pruned
// taps cost nothing. Invocations of a workgroup share the channel (same addresses: cached reads).
// A pixel outside the input reads index 0 and is multiplied by 0, as in conv2d.wgsl.
override HAS_BIAS: bool = false;
override WG: u32 = 64u;

struct Params {
  C: u32, H: u32, W: u32, M: u32,
  OH: u32, OW: u32, strideH: u32, strideW: u32,
  padT: i32, padL: i32, dilH: u32, dilW: u32,
  mPerGroup: u32, cPerGroup: u32, total: u32, _pad: u32,
  a: f32, // LeakyRelu alpha or Clip min
  b: f32, // Clip max
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;      // (N, C, H, W)
@group(0) @binding(2) var<storage, read> bias: array<f32>;   // (M), or any buffer when !HAS_BIAS
@group(0) @binding(3) var<storage, read_write> y: array<f32>; // (N, M, OH, OW)
@group(0) @binding(4) var<storage, read> rowPtr: array<u32>; // M + 1
@group(0) @binding(5) var<storage, read> taps: array<u32>;   // c << 16 | ky << 8 | kx, per nonzero
@group(0) @binding(6) var<storage, read> vals: array<f32>;   // per nonzero

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  // i = (n * M + m) * quads + quad, quads = ceil(OH*OW / 4)
  let ohw = params.OH * params.OW;
  let quads = (ohw + 3u) / 4u;
  let q = i % quads;
  let t = i / quads;
  let m = t % params.M;
  let n = t / params.M;
  let g = m / params.mPerGroup;

  // Spare pixels (past OH*OW) repeat the last one; they are not stored.
  let p0 = q * 4u;
  let pix = min(vec4<u32>(p0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(ohw - 1u));
  let ih0 = vec4<i32>((pix / params.OW) * params.strideH) - params.padT;
  let iw0 = vec4<i32>((pix % params.OW) * params.strideW) - params.padL;
  let hw = params.H * params.W;
  let xBase = (n * params.C + g * params.cPerGroup) * hw;
  let Hi = vec4<i32>(i32(params.H));
  let Wi = vec4<i32>(i32(params.W));

  var acc = vec4<f32>(0.0);
  let j1 = rowPtr[m + 1u];
  for (var j = rowPtr[m]; j < j1; j++) {
    let tap = taps[j];
    let ih = ih0 + vec4<i32>(i32(((tap >> 8u) & 0xffu) * params.dilH));
    let iw = iw0 + vec4<i32>(i32((tap & 0xffu) * params.dilW));
    let ok = (ih >= vec4<i32>(0)) & (ih < Hi) & (iw >= vec4<i32>(0)) & (iw < Wi);
    let xi = vec4<u32>(xBase + (tap >> 16u) * hw) + select(vec4<u32>(0u), vec4<u32>(ih * Wi + iw), ok);
    let xv = select(vec4<f32>(0.0), vec4<f32>(x[xi.x], x[xi.y], x[xi.z], x[xi.w]), ok);
    acc = fma(vec4<f32>(vals[j]), xv, acc);
  }
  if (HAS_BIAS) { acc += vec4<f32>(bias[m]); }
  let pixels = min(4u, ohw - p0);
  let yBase = (n * params.M + m) * ohw + p0;
  for (var k = 0u; k < pixels; k++) {
    y[yBase + k] = activate(acc[k], params.a, params.b);
  }
}
