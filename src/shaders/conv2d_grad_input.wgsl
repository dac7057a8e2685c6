// Conv backward to the input: dx = dL/dx given dy, NCHW, with groups, strides, pads, dilations.
// One invocation per 4 consecutive dx pixels (row-major H*W order, a quad may wrap rows) for up to
// 4 input channels of one group gathers over the taps that read them, so dx is written once with
// no atomics: tap (kh, kw) of output (oh, ow) read ih = oh*stride - padT + kh*dil, so a pixel takes
// tap kh only where (ih + padT - kh*dil) is divisible by the stride and lands inside dy. Per tap
// and output channel it loads 4 dy values (one per pixel, 0 where the tap does not apply) and 4
// weights for 16 multiply-adds: a register block, as conv2d.wgsl's forward.
// WIDE = false when the group has one input channel (depthwise): one weight per tap, broadcast.
override WIDE: bool = true;
override WG: u32 = 64u;

struct Params {
  C: u32, H: u32, W: u32, M: u32,
  OH: u32, OW: u32, KH: u32, KW: u32,
  strideH: u32, strideW: u32, padT: i32, padL: i32,
  dilH: u32, dilW: u32, cPerGroup: u32, mPerGroup: u32,
  cPer: u32, blocksPerGroup: u32, blocks: u32, total: u32, // blocks = group * blocksPerGroup; total counts pixel quads
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;       // (N, M, OH, OW)
@group(0) @binding(2) var<storage, read> w: array<f32>;        // (M, C/group, KH, KW)
@group(0) @binding(3) var<storage, read_write> dx: array<f32>; // (N, C, H, W)

/** Per pixel: the output index this tap's offset lands on, and whether it is a real output. */
fn tapTarget(t: vec4<i32>, stride: u32, outSize: u32) -> vec4<i32> {
  // -1 where t < 0, t is not a multiple of the stride, or the output is past the edge.
  let tu = vec4<u32>(max(t, vec4<i32>(0)));
  let o = tu / vec4<u32>(stride);
  let ok = (t >= vec4<i32>(0)) & (o * vec4<u32>(stride) == tu) & (o < vec4<u32>(outSize));
  return select(vec4<i32>(-1), vec4<i32>(o), ok);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  // i = ((n * group + g) * blocksPerGroup + block) * quads + quad, quads = ceil(H*W / 4)
  let hw = params.H * params.W;
  let quads = (hw + 3u) / 4u;
  let q = i % quads;
  let t = i / quads;
  let blk = t % params.blocks;
  let n = t / params.blocks;
  let g = blk / params.blocksPerGroup;
  let cLocal = (blk % params.blocksPerGroup) * params.cPer;
  let cCount = min(params.cPer, params.cPerGroup - cLocal);
  let p0 = q * 4u;
  // Spare pixels (past H*W) repeat the last one and are not stored.
  let pix = min(vec4<u32>(p0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(hw - 1u));
  let ih = vec4<i32>(pix / params.W);
  let iw = vec4<i32>(pix % params.W);

  // Spare lanes (cCount < 4) re-read the block's last channel, so no load is out of bounds;
  // their results are simply not stored.
  let kArea = params.KH * params.KW;
  let wRow = params.cPerGroup * kArea; // step between output channels in w
  let m0 = g * params.mPerGroup;
  let wBase = (m0 * params.cPerGroup + cLocal) * kArea;
  let wOff = min(vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(cCount - 1u)) * kArea;
  let ohw = params.OH * params.OW;
  let dyBase = (n * params.M + m0) * ohw;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var kh = 0u; kh < params.KH; kh++) {
    let oh = tapTarget(ih + params.padT - i32(kh * params.dilH), params.strideH, params.OH);
    if (all(oh < vec4<i32>(0))) { continue; }
    for (var kw = 0u; kw < params.KW; kw++) {
      let ow = tapTarget(iw + params.padL - i32(kw * params.dilW), params.strideW, params.OW);
      let ok = (oh >= vec4<i32>(0)) & (ow >= vec4<i32>(0));
      if (!any(ok)) { continue; }
      let mask = select(vec4<f32>(0.0), vec4<f32>(1.0), ok);
      var dyi = vec4<u32>(dyBase) + select(vec4<u32>(0u), vec4<u32>(oh * i32(params.OW) + ow), ok);
      var wi = wBase + kh * params.KW + kw;
      for (var m = 0u; m < params.mPerGroup; m++) {
        let dv = vec4<f32>(dy[dyi.x], dy[dyi.y], dy[dyi.z], dy[dyi.w]) * mask;
        var wv: vec4<f32>;
        if (WIDE) {
          wv = vec4<f32>(w[wi + wOff.x], w[wi + wOff.y], w[wi + wOff.z], w[wi + wOff.w]);
        } else {
          wv = vec4<f32>(w[wi]);
        }
        acc0 = fma(vec4<f32>(dv.x), wv, acc0);
        acc1 = fma(vec4<f32>(dv.y), wv, acc1);
        acc2 = fma(vec4<f32>(dv.z), wv, acc2);
        acc3 = fma(vec4<f32>(dv.w), wv, acc3);
        dyi += vec4<u32>(ohw);
        wi += wRow;
      }
    }
  }
  var accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  let pixels = min(4u, hw - p0);
  let dxBase = (n * params.C + g * params.cPerGroup + cLocal) * hw + p0;
  for (var k = 0u; k < pixels; k++) {
    for (var j = 0u; j < cCount; j++) {
      dx[dxBase + j * hw + k] = accs[k][j];
    }
  }
}
