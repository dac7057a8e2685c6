// Uses activate() and override ACT from activation.wgsl.
// 2-D convolution (ONNX Conv, NCHW) with optional bias and a fused activation.
// Each invocation computes 4 consecutive output pixels (in row-major OH*OW order, so a quad may
// wrap to the next row) for up to 4 output channels of one group: per tap and input channel it
// loads 4 inputs and 4 weights for 16 multiply-adds (a register block; the 1-pixel form was load
// bound: 5 loads for 4). Weight reads are the same address across the workgroup (all invocations
// share n, group and channel block), so they hit cache. Bounds are checked per tap and pixel,
// outside the channel loop; a pixel outside the input reads index 0 and is multiplied by 0.
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
  // i = ((n * group + g) * blocksPerGroup + block) * quads + quad, quads = ceil(OH*OW / 4)
  let ohw = params.OH * params.OW;
  let quads = (ohw + 3u) / 4u;
  let q = i % quads;
  let t = i / quads;
  let blocks = params.group * params.blocksPerGroup;
  let blk = t % blocks;
  let n = t / blocks;
  let g = blk / params.blocksPerGroup;
  let mLocal = (blk % params.blocksPerGroup) * params.mPer;
  let mCount = min(params.mPer, params.mPerGroup - mLocal);
  let m0 = g * params.mPerGroup + mLocal;

  // Spare lanes (mCount < 4) re-read the block's last channel, so no load is out of bounds;
  // their results are simply not stored. Spare pixels (past OH*OW) likewise repeat the last one.
  let kArea = params.KH * params.KW;
  let wRow = params.cPerGroup * kArea;
  let lanes = min(vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(mCount - 1u));
  let wBase = (vec4<u32>(m0) + lanes) * wRow;

  let p0 = q * 4u;
  let pix = min(vec4<u32>(p0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(ohw - 1u));
  let oh = pix / params.OW;
  let ow = pix % params.OW;
  let ih0 = vec4<i32>(oh * params.strideH) - params.padT;
  let iw0 = vec4<i32>(ow * params.strideW) - params.padL;
  let hw = params.H * params.W;
  let xBase = (n * params.C + g * params.cPerGroup) * hw;
  let Hi = i32(params.H);
  let Wi = i32(params.W);

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var kh = 0u; kh < params.KH; kh++) {
    let ih = ih0 + vec4<i32>(i32(kh * params.dilH));
    let rowOk = (ih >= vec4<i32>(0)) & (ih < vec4<i32>(Hi));
    for (var kw = 0u; kw < params.KW; kw++) {
      let iw = iw0 + vec4<i32>(i32(kw * params.dilW));
      let ok = rowOk & (iw >= vec4<i32>(0)) & (iw < vec4<i32>(Wi));
      if (!any(ok)) { continue; }
      let mask = select(vec4<f32>(0.0), vec4<f32>(1.0), ok);
      var xi = vec4<u32>(xBase) + select(vec4<u32>(0u), vec4<u32>(ih * Wi + iw), ok);
      var wi = kh * params.KW + kw;
      for (var c = 0u; c < params.cPerGroup; c++) {
        let wv = vec4<f32>(w[wBase.x + wi], w[wBase.y + wi], w[wBase.z + wi], w[wBase.w + wi]);
        let xv = vec4<f32>(x[xi.x], x[xi.y], x[xi.z], x[xi.w]) * mask;
        acc0 = fma(vec4<f32>(xv.x), wv, acc0);
        acc1 = fma(vec4<f32>(xv.y), wv, acc1);
        acc2 = fma(vec4<f32>(xv.z), wv, acc2);
        acc3 = fma(vec4<f32>(xv.w), wv, acc3);
        xi += vec4<u32>(hw);
        wi += kArea;
      }
    }
  }
  var accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  var bv = vec4<f32>(0.0);
  if (HAS_BIAS) {
    let mb = vec4<u32>(m0) + lanes;
    bv = vec4<f32>(bias[mb.x], bias[mb.y], bias[mb.z], bias[mb.w]);
  }
  let pixels = min(4u, ohw - p0);
  let yBase = (n * params.M + m0) * ohw + p0;
  for (var k = 0u; k < pixels; k++) {
    let v = accs[k] + bv;
    for (var j = 0u; j < mCount; j++) {
      y[yBase + j * ohw + k] = activate(v[j], params.a, params.b);
    }
  }
}
