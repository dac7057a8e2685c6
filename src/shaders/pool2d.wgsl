// MaxPool / AveragePool over NCHW with pads, strides, dilations and ceil_mode windows, matching
// onnxruntime: max ignores padding; average divides by the real elements in the window, or with
// count_include_pad by the window positions inside the padded input (not those past it).
// One invocation per output element; pixel fastest so neighbours read neighbouring inputs.
override KIND: u32 = 0u; // 0 max, 1 average
override WG: u32 = 64u;

struct Params {
  H: u32, W: u32, OH: u32, OW: u32,
  KH: u32, KW: u32, strideH: u32, strideW: u32,
  padT: i32, padL: i32, padB: i32, padR: i32,
  dilH: u32, dilW: u32, countIncludePad: u32, total: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;       // (N, C, H, W)
@group(0) @binding(2) var<storage, read_write> y: array<f32>; // (N, C, OH, OW)

// onnxruntime starts max from the lowest finite float, so an all-padding window gives -FLT_MAX.
const LOWEST: f32 = -0x1.fffffep+127f;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  let ohw = params.OH * params.OW;
  let p = i % ohw;
  let nc = i / ohw;
  let ih0 = i32((p / params.OW) * params.strideH) - params.padT;
  let iw0 = i32((p % params.OW) * params.strideW) - params.padL;
  let H = i32(params.H);
  let W = i32(params.W);
  let xBase = nc * params.H * params.W;

  var acc = select(0.0, LOWEST, KIND == 0u);
  var realH = 0u; var realW = 0u; // taps inside the input, per axis (the window is separable)
  var padH = 0u; var padW = 0u;   // taps inside the padded input, per axis
  for (var kh = 0u; kh < params.KH; kh++) {
    let ih = ih0 + i32(kh * params.dilH);
    if (ih < H + params.padB) { padH++; }
    if (ih < 0 || ih >= H) { continue; }
    realH++;
    let row = xBase + u32(ih) * params.W;
    for (var kw = 0u; kw < params.KW; kw++) {
      let iw = iw0 + i32(kw * params.dilW);
      if (iw < 0 || iw >= W) { continue; }
      let v = x[row + u32(iw)];
      if (KIND == 0u) { acc = max(acc, v); } else { acc += v; }
    }
  }
  if (KIND == 1u) {
    for (var kw = 0u; kw < params.KW; kw++) {
      let iw = iw0 + i32(kw * params.dilW);
      if (iw < W + params.padR) { padW++; }
      if (iw >= 0 && iw < W) { realW++; }
    }
    let count = select(realH * realW, padH * padW, params.countIncludePad != 0u);
    // A window with no real element sums to 0 and stays 0, as in onnxruntime.
    acc = acc / f32(max(count, 1u));
  }
  y[i] = acc;
}
