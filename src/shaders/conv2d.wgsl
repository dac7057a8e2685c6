// Uses activate() and override ACT from activation.wgsl.
// 2-D convolution (ONNX Conv, NCHW) with optional bias and a fused activation.
// Each invocation computes one output pixel for up to 4 output channels of one group (a vec4
// accumulator): every input value it loads is reused 4 times, and the weight reads are the same
// address across the workgroup (all invocations share n, group and channel block), so they hit
// cache. Pixel is the fastest-varying index, so neighbouring invocations read neighbouring x.
// Next step if convs dominate: a tiled implicit GEMM staging x and w tiles in workgroup memory.
override HAS_BIAS: bool = false;
override WG: u32 = 64u;

struct Params {
  C: u32, H: u32, W: u32, M: u32,
  OH: u32, OW: u32, KH: u32, KW: u32,
  strideH: u32, strideW: u32, padT: i32, padL: i32,
  dilH: u32, dilW: u32, group: u32, cPerGroup: u32,
  mPerGroup: u32, mPer: u32, blocksPerGroup: u32, total: u32,
  a: f32, // LeakyRelu alpha or Clip min
  b: f32, // Clip max
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;    // (N, C, H, W)
@group(0) @binding(2) var<storage, read> w: array<f32>;    // (M, C/group, KH, KW)
@group(0) @binding(3) var<storage, read> bias: array<f32>; // (M), or a dummy when !HAS_BIAS
@group(0) @binding(4) var<storage, read_write> y: array<f32>; // (N, M, OH, OW)


@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
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

  // Spare lanes (mCount < 4) re-read the block's last channel, so no load is out of bounds;
  // their results are simply not stored.
  let kArea = params.KH * params.KW;
  let wRow = params.cPerGroup * kArea;
  let lanes = min(vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(mCount - 1u));
  let wBase = (vec4<u32>(m0) + lanes) * wRow;

  let oh = p / params.OW;
  let ow = p % params.OW;
  let ih0 = i32(oh * params.strideH) - params.padT;
  let iw0 = i32(ow * params.strideW) - params.padL;
  let hw = params.H * params.W;
  let xBase = (n * params.C + g * params.cPerGroup) * hw;

  var acc = vec4<f32>(0.0);
  // Bounds are checked once per tap; the channel loop inside is branch-free.
  for (var kh = 0u; kh < params.KH; kh++) {
    let ih = ih0 + i32(kh * params.dilH);
    if (ih < 0 || ih >= i32(params.H)) { continue; }
    for (var kw = 0u; kw < params.KW; kw++) {
      let iw = iw0 + i32(kw * params.dilW);
      if (iw < 0 || iw >= i32(params.W)) { continue; }
      var xi = xBase + u32(ih) * params.W + u32(iw);
      var wi = kh * params.KW + kw;
      for (var c = 0u; c < params.cPerGroup; c++) {
        let wv = vec4<f32>(w[wBase.x + wi], w[wBase.y + wi], w[wBase.z + wi], w[wBase.w + wi]);
        acc += x[xi] * wv;
        xi += hw;
        wi += kArea;
      }
    }
  }
  if (HAS_BIAS) {
    let mb = vec4<u32>(m0) + lanes;
    acc += vec4<f32>(bias[mb.x], bias[mb.y], bias[mb.z], bias[mb.w]);
  }
  let yBase = (n * params.M + m0) * ohw + p;
  for (var j = 0u; j < mCount; j++) {
    y[yBase + j * ohw] = activate(acc[j], params.a, params.b);
  }
}
