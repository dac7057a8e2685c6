// Uses dot4() from dot4_builtin.wgsl or dot4_unpacked.wgsl (kernels/int8.ts `withDot4`).
// Integer-arithmetic 2-D convolution (ONNX Conv, NCHW, groups, strides, pads, dilations), with the
// same quantise-on-load (xq binding, xShift) / i32 accumulate / requant-or-float epilogue steps as
// int8_matmul.wgsl, read there. K = (C/group)*KH*KW in (c, kh, kw) order, the order of the
// host-packed weights (M, K4). Padding positions take xq = xZero (the shifted zero point: a real
// zero); K's tail past K takes xq = 0 against the weights' wZero tail, so it adds nothing to
// either the products or the row sum.
// Each invocation computes one output pixel for up to 4 output channels of one group, so every
// packed x word (4 quantised values) feeds 4 dot4s, and the weight reads are the same address
// across the workgroup. Pixel is the fastest-varying index, so neighbouring invocations read
// neighbouring x. Next step if int8 convs dominate: a tiled implicit GEMM like int8_matmul.

const WG = 64u;

struct Params {
  C: u32, H: u32, W: u32, M: u32,
  OH: u32, OW: u32, KH: u32, KW: u32,
  strideH: u32, strideW: u32, padT: i32, padL: i32,
  dilH: u32, dilW: u32, group: u32, cPerGroup: u32,
  mPerGroup: u32, mPer: u32, blocksPerGroup: u32, total: u32,
  K: u32, K4: u32,
  xShift: i32, yZero: i32, // xShift: added to xq's zero point
  lo: i32, hi: i32, // output clamp in yq units (requant)
  floatOut: u32, yScale: f32, // yScale: 1 for float output
  asym: u32, // unused here: the row sum costs one add per value, cheaper than a branch
  yMin: f32, yMax: f32, // float output: the fused ReLU or Clip as a clamp (requant clamps ReLU at lo)
  silu: u32, // float output: SiLU after the clamp (efficientnet's Mul(y, Sigmoid(y)), fused)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // (N, C, H, W)
@group(0) @binding(2) var<storage, read> w: array<u32>;         // (M, K4) packed int8
@group(0) @binding(3) var<storage, read> chan: array<vec4<u32>>; // (M): wSum, wZero (i32), then bias (i32), mult (f32 bits)
                                                                 // or, float output, biasF, wScale (f32 bits)
@group(0) @binding(4) var<storage, read_write> y: array<f32>;   // (N, M, OH, OW)
@group(0) @binding(5) var<storage, read> xq: array<f32>;        // xScale, xZero, invXScale, unused

// xq's values, read once per invocation at the top of main.
// xq at K position tap = (c, kh, kw) of the window at (ih0, iw0), then steps tap along K.
// Padding gives xZero (a real zero); past K (c == cPerGroup) gives 0 and stays there.
fn next(tap: ptr<function, vec3<u32>>, xBase: u32, ih0: i32, iw0: i32) -> i32 {
  let t = *tap;
  if (t.x >= params.cPerGroup) { return 0; }
  let ih = ih0 + i32(t.y * params.dilH);
  let iw = iw0 + i32(t.z * params.dilW);
  var v = xZero;
  if (ih >= 0 && ih < i32(params.H) && iw >= 0 && iw < i32(params.W)) {
    v = quantize(x[xBase + (t.x * params.H + u32(ih)) * params.W + u32(iw)]);
  }
  var s = vec3<u32>(t.x, t.y, t.z + 1u);
  if (s.z == params.KW) { s = vec3<u32>(t.x, t.y + 1u, 0u); }
  if (s.y == params.KH) { s = vec3<u32>(t.x + 1u, 0u, 0u); }
  *tap = s;
  return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  loadInputGrid();
  // i = ((n * group + g) * blocksPerGroup + block) * OH*OW + pixel
  let ohw = params.OH * params.OW;
  let p = i % ohw;
  let t = i / ohw;
  let blocks = params.group * params.blocksPerGroup;
  let blk = t % blocks;
  let n = t / blocks;
  let g = blk / params.blocksPerGroup;
  let mLocal = (blk % params.blocksPerGroup) * params.mPer;
  let mCount = min(params.mPer, params.mPerGroup - mLocal);
  let m0 = g * params.mPerGroup + mLocal;

  // Spare lanes (mCount < 4) re-read the block's last channel; their results are not stored.
  let K4 = params.K4;
  let lanes = min(vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(mCount - 1u));
  let wBase = (vec4<u32>(m0) + lanes) * K4;

  let oh = p / params.OW;
  let ow = p % params.OW;
  let ih0 = i32(oh * params.strideH) - params.padT;
  let iw0 = i32(ow * params.strideW) - params.padL;
  let xBase = (n * params.C + g * params.cPerGroup) * params.H * params.W;

  var acc = vec4<i32>(0);
  var rowSum = 0;
  var tap = vec3<u32>(0u); // (c, kh, kw) of the next K position, stepped instead of divided out of k
  for (var k4 = 0u; k4 < K4; k4++) {
    // Unrolled: a dynamically indexed vector would cost more than the loads on some compilers.
    let q0 = next(&tap, xBase, ih0, iw0);
    let q1 = next(&tap, xBase, ih0, iw0);
    let q2 = next(&tap, xBase, ih0, iw0);
    let q3 = next(&tap, xBase, ih0, iw0);
    rowSum += q0 + q1 + q2 + q3;
    let xw = pack4(vec4<i32>(q0, q1, q2, q3));
    acc += vec4<i32>(dot4(xw, w[wBase.x + k4]), dot4(xw, w[wBase.y + k4]),
                     dot4(xw, w[wBase.z + k4]), dot4(xw, w[wBase.w + k4]));
  }

  let yBase = (n * params.M + m0) * ohw + p;
  for (var j = 0u; j < mCount; j++) {
    let ch = chan[m0 + j];
    let wZero = bitcast<i32>(ch.y);
    let a = acc[j] - xZero * bitcast<i32>(ch.x) + i32(params.K) * xZero * wZero - wZero * rowSum;
    y[yBase + j * ohw] = epilogue(a, ch);
  }
}
