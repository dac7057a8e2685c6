// Uses dwPosition() and PIX from conv_dw_position.wgsl.
// Integer depthwise convolution (one input channel per group: ONNX Conv with C/group = 1, any
// depth multiplier), with int8_conv2d.wgsl's quantise-on-load and epilogue (int8_quantize.wgsl,
// int8_epilogue.wgsl) and the same result bit for bit: acc = sum over the taps of
// (xq - xZero) * (wq - wZero), which is what int8_conv2d.wgsl's zero-point expansion computes, here
// summed in f32. Each term is an integer of magnitude at most 255 * 255, so with K <= 256 taps every
// partial sum is an integer below 2^24 and f32 holds it exactly (the host routes nothing larger
// here). The weights arrive as those f32 differences (kernels/int8.ts Int8Weights.perTap) inside
// the packed weight buffer. Padding taps are (xZero - xZero) = 0 and are skipped.
// Each invocation computes 4 neighbouring output pixels of one row of one output channel, with no
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
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;          // (N, C, H, W)
@group(0) @binding(2) var<storage, read> wf: array<f32>;         // the packed weights; (M, KH*KW) f32 taps at tapOffset
@group(0) @binding(3) var<storage, read> chan: array<vec4<u32>>;  // (M), as int8_matmul.wgsl
@group(0) @binding(4) var<storage, read_write> y: array<f32>;    // (N, M, OH, OW)
@group(0) @binding(5) var<storage, read> xq: array<f32>;         // xScale, xZero, invXScale, unused

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  loadInputGrid();
  let p = dwPosition(i); // conv_dw_position.wgsl
  let n = p.n;
  let m = p.m;
  let oh = p.oh;
  let ow0 = p.ow0;
  let xBase = p.xBase;
  let wBase = params.tapOffset + m * params.KH * params.KW;
  let ih0 = p.ih0;
  let iw0 = p.iw0;
  let zero = f32(xZero);

  var acc = vec4<f32>(0.0);
  for (var kh = 0u; kh < params.KH; kh++) {
    let ih = ih0 + i32(kh * params.dilH);
    if (ih < 0 || ih >= i32(params.H)) { continue; }
    let row = xBase + u32(ih) * params.W;
    for (var kw = 0u; kw < params.KW; kw++) {
      let wv = wf[wBase + kh * params.KW + kw];
      let iw = iw0 + vec4<i32>(i32(kw * params.dilW));
      let inside = (iw >= vec4<i32>(0)) & (iw < vec4<i32>(i32(params.W)));
      // Outside the image the tap is padding: its (xq - xZero) is 0.
      let cl = vec4<u32>(clamp(iw, vec4<i32>(0), vec4<i32>(i32(params.W) - 1)));
      let d = vec4<f32>(f32(quantize(x[row + cl.x])), f32(quantize(x[row + cl.y])), f32(quantize(x[row + cl.z])), f32(quantize(x[row + cl.w]))) - zero;
      acc += select(vec4<f32>(0.0), d, inside) * wv;
    }
  }

  let ch = chan[m];
  let ohw = params.OH * params.OW;
  let yBase = (n * params.M + m) * ohw + oh * params.OW + ow0;
  for (var j = 0u; j < PIX; j++) {
    if (ow0 + j >= params.OW) { break; }
    y[yBase + j] = epilogue(i32(acc[j]), ch);
  }
}
