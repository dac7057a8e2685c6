// Conv backward to the input: dx = dL/dx given dy, NCHW, with groups, strides, pads, dilations.
// One invocation per dx pixel for up to 4 input channels of one group (a vec4 accumulator) gathers
// over the taps that read it, so dx is written once with no atomics: tap (kh, kw) of output
// (oh, ow) read ih = oh*stride - padT + kh*dil, so only kh with (ih + padT - kh*dil) divisible by
// the stride contribute. Each dy value loaded serves 4 channels; pixel is the fastest-varying
// index, so neighbouring invocations read neighbouring dy and the same w.
// WIDE = false when the group has one input channel (depthwise): a plain f32 sum, since 4 lanes
// repeating one channel would cost 4 loads and 4 multiply-adds for one result.
override WIDE: bool = true;
override WG: u32 = 64u;

struct Params {
  C: u32, H: u32, W: u32, M: u32,
  OH: u32, OW: u32, KH: u32, KW: u32,
  strideH: u32, strideW: u32, padT: i32, padL: i32,
  dilH: u32, dilW: u32, cPerGroup: u32, mPerGroup: u32,
  cPer: u32, blocksPerGroup: u32, blocks: u32, total: u32, // blocks = group * blocksPerGroup
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;       // (N, M, OH, OW)
@group(0) @binding(2) var<storage, read> w: array<f32>;        // (M, C/group, KH, KW)
@group(0) @binding(3) var<storage, read_write> dx: array<f32>; // (N, C, H, W)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  // i = ((n * group + g) * blocksPerGroup + block) * H*W + pixel
  let hw = params.H * params.W;
  let p = i % hw;
  let t = i / hw;
  let blk = t % params.blocks;
  let n = t / params.blocks;
  let g = blk / params.blocksPerGroup;
  let cLocal = (blk % params.blocksPerGroup) * params.cPer;
  let cCount = min(params.cPer, params.cPerGroup - cLocal);
  let ih = p / params.W;
  let iw = p % params.W;

  // Spare lanes (cCount < 4) re-read the block's last channel, so no load is out of bounds;
  // their results are simply not stored.
  let kArea = params.KH * params.KW;
  let wRow = params.cPerGroup * kArea; // step between output channels in w
  let m0 = g * params.mPerGroup;
  let wBase = (m0 * params.cPerGroup + cLocal) * kArea;
  let wOff = min(vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(cCount - 1u)) * kArea;
  let ohw = params.OH * params.OW;
  let dyBase = (n * params.M + m0) * ohw;

  var acc = vec4<f32>(0.0);
  for (var kh = 0u; kh < params.KH; kh++) {
    let th = i32(ih) + params.padT - i32(kh * params.dilH);
    if (th < 0) { break; } // th only falls as kh grows
    let oh = u32(th) / params.strideH;
    if (oh * params.strideH != u32(th) || oh >= params.OH) { continue; }
    for (var kw = 0u; kw < params.KW; kw++) {
      let tw = i32(iw) + params.padL - i32(kw * params.dilW);
      if (tw < 0) { break; }
      let ow = u32(tw) / params.strideW;
      if (ow * params.strideW != u32(tw) || ow >= params.OW) { continue; }
      var dyi = dyBase + oh * params.OW + ow;
      var wi = wBase + kh * params.KW + kw;
      for (var m = 0u; m < params.mPerGroup; m++) {
        if (WIDE) {
          acc += dy[dyi] * vec4<f32>(w[wi + wOff.x], w[wi + wOff.y], w[wi + wOff.z], w[wi + wOff.w]);
        } else {
          acc.x += dy[dyi] * w[wi];
        }
        dyi += ohw;
        wi += wRow;
      }
    }
  }
  let dxBase = (n * params.C + g * params.cPerGroup + cLocal) * hw + p;
  for (var j = 0u; j < cCount; j++) {
    dx[dxBase + j * hw] = acc[j];
  }
}
