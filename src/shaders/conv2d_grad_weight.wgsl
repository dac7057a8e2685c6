// Conv backward to the weights: dw[m, cl, kh, kw] = sum over n, oh, ow of
// dy[n, m, oh, ow] * x[n, g*cPerGroup + cl, oh*strideH - padT + kh*dilH, ow*strideW - padL + kw*dilW].
// One invocation per tap, block of up to 4 input channels (CB of them: 4, or 1 when a group has
// one input channel) and block of up to 4 output channels of one group: per output position it
// loads CB inputs and 4 dy values for 4*CB multiply-adds (a register block). The tap's in-range
// output rows and columns are worked out once, so the sum has no bounds checks.
// WIDE = false when the group has one output channel (depthwise): a plain f32 sum per input
// channel, since 4 lanes repeating one channel would cost 4 loads for one result.
override WIDE: bool = true;
override CB: u32 = 4u;
override WG: u32 = 64u;

struct Params {
  N: u32, C: u32, H: u32, W: u32,
  M: u32, OH: u32, OW: u32, KH: u32,
  KW: u32, strideH: u32, strideW: u32, padT: i32,
  padL: i32, dilH: u32, dilW: u32, cPerGroup: u32,
  mPerGroup: u32, mPer: u32, blocksPerGroup: u32, total: u32, // total = group * blocksPerGroup * cBlocks * KH * KW
  cBlocks: u32, _p0: u32, _p1: u32, _p2: u32, // cBlocks = ceil(cPerGroup / CB)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // (N, C, H, W)
@group(0) @binding(2) var<storage, read> dy: array<f32>;       // (N, M, OH, OW)
@group(0) @binding(3) var<storage, read_write> dw: array<f32>; // (M, C/group, KH, KW)

// Outputs o in [lo, end) whose tap k lands inside the input: 0 <= o*stride - pad + k*dil < size.
fn validRange(k: u32, dil: u32, pad: i32, stride: u32, size: u32, outSize: u32) -> vec2<u32> {
  let first = pad - i32(k * dil); // o*stride must be >= first
  let last = i32(size) - 1 + first; // and <= last
  if (last < 0) { return vec2<u32>(0u, 0u); }
  let lo = select(0u, (u32(first) + stride - 1u) / stride, first > 0);
  let end = min(u32(last) / stride + 1u, outSize);
  return vec2<u32>(min(lo, end), end);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  // i = ((block * cBlocks + cb) * KH + kh) * KW + kw, block = g * blocksPerGroup + b
  let kw = i % params.KW;
  var t = i / params.KW;
  let kh = t % params.KH;
  t = t / params.KH;
  let cb = t % params.cBlocks;
  let blk = t / params.cBlocks;
  let g = blk / params.blocksPerGroup;
  let mLocal = (blk % params.blocksPerGroup) * params.mPer;
  let mCount = min(params.mPer, params.mPerGroup - mLocal);
  let m0 = g * params.mPerGroup + mLocal;
  let cl0 = cb * CB;
  let cCount = min(CB, params.cPerGroup - cl0);
  let c0 = g * params.cPerGroup + cl0;

  let rh = validRange(kh, params.dilH, params.padT, params.strideH, params.H, params.OH);
  let rw = validRange(kw, params.dilW, params.padL, params.strideW, params.W, params.OW);
  let rows = rh.y - rh.x;
  let cols = rw.y - rw.x;
  // With no valid rows or columns nothing is read, so the clamped start does no harm.
  let ih = max(i32(rh.x * params.strideH + kh * params.dilH) - params.padT, 0);
  let iw = max(i32(rw.x * params.strideW + kw * params.dilW) - params.padL, 0);
  let hw = params.H * params.W;
  let ohw = params.OH * params.OW;
  let xStart = c0 * hw + u32(ih) * params.W + u32(iw);
  let dyStart = m0 * ohw + rh.x * params.OW + rw.x;
  let xRow = params.strideH * params.W;
  let xImage = params.C * hw;
  let dyImage = params.M * ohw;
  // Spare lanes (mCount < 4, cCount < CB) re-read the block's last channel and are not stored.
  let dyOff = min(vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(mCount - 1u)) * ohw;
  let xOff = min(vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(cCount - 1u)) * hw;

  // Partial sums per row and per image: f32 rounding then grows with cols + rows + N rather than
  // with their product, as a serial sum over a first layer's 50k terms would. accK: input
  // channel K of the block, a lane per output channel.
  var acc0 = vec4<f32>(0.0); var acc1 = vec4<f32>(0.0); var acc2 = vec4<f32>(0.0); var acc3 = vec4<f32>(0.0);
  for (var n = 0u; n < params.N; n++) {
    var im0 = vec4<f32>(0.0); var im1 = vec4<f32>(0.0); var im2 = vec4<f32>(0.0); var im3 = vec4<f32>(0.0);
    for (var r = 0u; r < rows; r++) {
      var xi = xStart + n * xImage + r * xRow;
      var dyi = dyStart + n * dyImage + r * params.OW;
      var r0 = vec4<f32>(0.0); var r1 = vec4<f32>(0.0); var r2 = vec4<f32>(0.0); var r3 = vec4<f32>(0.0);
      for (var j = 0u; j < cols; j++) {
        var dv: vec4<f32>;
        if (WIDE) {
          dv = vec4<f32>(dy[dyi + dyOff.x], dy[dyi + dyOff.y], dy[dyi + dyOff.z], dy[dyi + dyOff.w]);
        } else {
          dv = vec4<f32>(dy[dyi], 0.0, 0.0, 0.0);
        }
        if (CB == 4u) {
          r0 = fma(vec4<f32>(x[xi + xOff.x]), dv, r0);
          r1 = fma(vec4<f32>(x[xi + xOff.y]), dv, r1);
          r2 = fma(vec4<f32>(x[xi + xOff.z]), dv, r2);
          r3 = fma(vec4<f32>(x[xi + xOff.w]), dv, r3);
        } else {
          r0 = fma(vec4<f32>(x[xi]), dv, r0);
        }
        xi += params.strideW;
        dyi += 1u;
      }
      im0 += r0; im1 += r1; im2 += r2; im3 += r3;
    }
    acc0 += im0; acc1 += im1; acc2 += im2; acc3 += im3;
  }
  var accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  let kArea = params.KH * params.KW;
  let dwBase = (m0 * params.cPerGroup + cl0) * kArea + kh * params.KW + kw;
  for (var c = 0u; c < cCount; c++) {
    for (var j = 0u; j < mCount; j++) {
      dw[dwBase + j * params.cPerGroup * kArea + c * kArea] = accs[c][j];
    }
  }
}
