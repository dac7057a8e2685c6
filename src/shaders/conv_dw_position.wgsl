// Which outputs a depthwise-conv invocation computes, shared by conv2d_dw.wgsl and
// int8_conv_dw.wgsl (listed in front of them): invocation i = ((n * M + m) * OH + oh) * OWB + block
// owns PIX neighbouring pixels of row oh of output channel m, whose one input channel is
// m / mPerGroup. Reads the kernel's params (C, H, W, M, OH, OWB, mPerGroup, strides, padT, padL).
const PIX = 4u;

struct DwPosition {
  n: u32, m: u32, oh: u32, ow0: u32,
  xBase: u32, // where the input channel's plane starts in x
  ih0: i32, // the first input row the window reads (may be negative: padding)
  iw0: vec4<i32>, // each pixel's first input column
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
  return DwPosition(n, m, oh, ow0, (n * params.C + c) * params.H * params.W, i32(oh * params.strideH) - params.padT, iw0);
}
