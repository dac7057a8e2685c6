// What a depthwise-conv invocation computes, shared by conv2d_dw.wgsl and int8_conv_dw.wgsl
// (listed in front of them): invocation i = ((n * M + m) * OH + oh) * OWB + block owns PIX
// neighbouring pixels of row oh of output channel m, whose one input channel is m / mPerGroup
// (dwPosition), and sums their taps (dwTaps). Reads the kernel's params (C, H, W, M, OH, OWB,
// mPerGroup, KH, KW, strides, dilations, padT, padL) and its f32 arrays x (N, C, H, W) and w.
// 8 pixels an invocation, as two vec4 halves (lo the first 4, hi the next 4): on SwiftShader, where
// an invocation costs far more than its arithmetic, 10-20 % faster than 4 at mobilenet_v2's shapes.
const PIX = 8u;

struct DwPosition {
  n: u32, m: u32, oh: u32, ow0: u32,
  xBase: u32, // where the input channel's plane starts in x
  ih0: i32, // the first input row the window reads (may be negative: padding)
  iw0: vec4<i32>, // each pixel's first input column: pixels 0..3
  iw1: vec4<i32>, // pixels 4..7
}

/** The PIX pixels' sums. */
struct DwSums { lo: vec4<f32>, hi: vec4<f32> }

fn dwSum(s: DwSums, j: u32) -> f32 {
  if (j < 4u) { return s.lo[j]; }
  return s.hi[j - 4u];
}

fn dwPosition(i: u32) -> DwPosition {
  let owb = i % params.OWB;
  var t = i / params.OWB;
  let oh = t % params.OH;
  t = t / params.OH;
  let m = t % params.M;
  let n = t / params.M;
  let c = m / params.mPerGroup;
  let ow0 = owb * PIX;
  let iw0 = vec4<i32>(vec4<u32>(ow0) + vec4<u32>(0u, 1u, 2u, 3u)) * i32(params.strideW) - params.padL;
  let iw1 = iw0 + vec4<i32>(4 * i32(params.strideW));
  return DwPosition(n, m, oh, ow0, (n * params.C + c) * params.H * params.W, i32(oh * params.strideH) - params.padT, iw0, iw1);
}

// The PIX pixels' sums over the window of x * w[wBase + kh * KW + kw]. Rows outside the image are
// skipped whole; columns outside it read a clamped index and multiply by 0. A tap costs one weight
// load, PIX input loads and PIX multiply-adds. On integer-valued inputs (the int8 kernel's
// differences) every product and partial sum below 2^24 is exact, so the fma changes no bit.
fn dwTaps(p: DwPosition, wBase: u32) -> DwSums {
  let Wi = i32(params.W);
  var lo = vec4<f32>(0.0);
  var hi = vec4<f32>(0.0);
  for (var kh = 0u; kh < params.KH; kh++) {
    let ih = p.ih0 + i32(kh * params.dilH);
    if (ih < 0 || ih >= i32(params.H)) { continue; }
    let row = p.xBase + u32(ih) * params.W;
    for (var kw = 0u; kw < params.KW; kw++) {
      let wv = vec4<f32>(w[wBase + kh * params.KW + kw]);
      let off = vec4<i32>(i32(kw * params.dilW));
      let a = p.iw0 + off;
      let b = p.iw1 + off;
      let ca = vec4<u32>(clamp(a, vec4<i32>(0), vec4<i32>(Wi - 1)));
      let cb = vec4<u32>(clamp(b, vec4<i32>(0), vec4<i32>(Wi - 1)));
      let xa = vec4<f32>(x[row + ca.x], x[row + ca.y], x[row + ca.z], x[row + ca.w]);
      let xb = vec4<f32>(x[row + cb.x], x[row + cb.y], x[row + cb.z], x[row + cb.w]);
      lo = fma(select(vec4<f32>(0.0), xa, (a >= vec4<i32>(0)) & (a < vec4<i32>(Wi))), wv, lo);
      hi = fma(select(vec4<f32>(0.0), xb, (b >= vec4<i32>(0)) & (b < vec4<i32>(Wi))), wv, hi);
    }
  }
  return DwSums(lo, hi);
}
