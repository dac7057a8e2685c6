// Uses activate() and override ACT from activation.wgsl.
// 2-D convolution (ONNX Conv, NCHW) with a pruned weight held per output channel in CSR
// (kernels/sparse-conv.ts): each stored tap is (input channel, ky, kx) packed in one word and its
// value. An invocation owns 8 consecutive output pixels (row-major, a run may wrap to the next row)
// of one output channel and walks that channel's taps once: one tap word, one value and 8 input
// loads for 8 multiply-adds (4 pixels a thread ran 1.1–1.45× slower). Pruned taps cost nothing. Invocations of a workgroup share the channel (same addresses: cached reads).
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
  // i = (n * M + m) * octs + oct, octs = ceil(OH*OW / 8)
  let ohw = params.OH * params.OW;
  let octs = (ohw + 7u) / 8u;
  let q = i % octs;
  let t = i / octs;
  let m = t % params.M;
  let n = t / params.M;
  let g = m / params.mPerGroup;

  // Spare pixels (past OH*OW) repeat the last one; they are not stored.
  let p0 = q * 8u;
  let pixA = min(vec4<u32>(p0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(ohw - 1u));
  let pixB = min(vec4<u32>(p0) + vec4<u32>(4u, 5u, 6u, 7u), vec4<u32>(ohw - 1u));
  let ihA = vec4<i32>((pixA / params.OW) * params.strideH) - params.padT;
  let iwA = vec4<i32>((pixA % params.OW) * params.strideW) - params.padL;
  let ihB = vec4<i32>((pixB / params.OW) * params.strideH) - params.padT;
  let iwB = vec4<i32>((pixB % params.OW) * params.strideW) - params.padL;
  let hw = params.H * params.W;
  let xBase = (n * params.C + g * params.cPerGroup) * hw;
  let Hi = vec4<i32>(i32(params.H));
  let Wi = vec4<i32>(i32(params.W));
  let zero = vec4<i32>(0);

  var accA = vec4<f32>(0.0);
  var accB = vec4<f32>(0.0);
  let j1 = rowPtr[m + 1u];
  for (var j = rowPtr[m]; j < j1; j++) {
    let tap = taps[j];
    let dy = vec4<i32>(i32(((tap >> 8u) & 0xffu) * params.dilH));
    let dx = vec4<i32>(i32((tap & 0xffu) * params.dilW));
    let base = vec4<u32>(xBase + (tap >> 16u) * hw);
    let v = vec4<f32>(vals[j]);
    let yA = ihA + dy;
    let xA = iwA + dx;
    let okA = (yA >= zero) & (yA < Hi) & (xA >= zero) & (xA < Wi);
    let iA = base + select(vec4<u32>(0u), vec4<u32>(yA * Wi + xA), okA);
    accA = fma(v, select(vec4<f32>(0.0), vec4<f32>(x[iA.x], x[iA.y], x[iA.z], x[iA.w]), okA), accA);
    let yB = ihB + dy;
    let xB = iwB + dx;
    let okB = (yB >= zero) & (yB < Hi) & (xB >= zero) & (xB < Wi);
    let iB = base + select(vec4<u32>(0u), vec4<u32>(yB * Wi + xB), okB);
    accB = fma(v, select(vec4<f32>(0.0), vec4<f32>(x[iB.x], x[iB.y], x[iB.z], x[iB.w]), okB), accB);
  }
  var accs = array<vec4<f32>, 2>(accA, accB);
  var b = 0.0;
  if (HAS_BIAS) { b = bias[m]; }
  let pixels = min(8u, ohw - p0);
  let yBase = (n * params.M + m) * ohw + p0;
  for (var k = 0u; k < pixels; k++) {
    y[yBase + k] = activate(accs[k / 4u][k % 4u] + b, params.a, params.b);
  }
}
