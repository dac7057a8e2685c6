// XNOR-Net activation packing (Rastegari et al. 2016), the first half of xnor_matmul.wgsl.
// One row is one GEMM row: an output pixel's receptive field in one group, im2col style with
// k = (c, kh, kw) (a MatMul is the 1x1 conv of x (M, K) viewed as (M, K, 1, 1)). Rows are ordered
// (g, n, oh, ow), so each group's rows are contiguous and the GEMM reads whole words per row.
// Output, one storage array of vec2<u32>:
//   packed[row * K32 + j] = (sign bits, valid mask) of k = 32j + t at bit t. sign(x) >= 0 gives 1,
//     so sign(0) = +1; the mask is 1 only for k < K inside the image, so padding and the tail past
//     K never count (their sign bits are 0 too).
//   packed[rows * K32 + row] = (valid count, bits of beta): beta = mean |x| over the valid taps
//     when SCALE, else 1.0.
// L lanes (a power of two <= 64, set by the host from K32) share a row: lane l packs words l, l+L, ...
// and the workgroup holds 64 / L rows. The |x| sum has a fixed order (each lane in k order, then a
// halving tree over lanes) that binary-net.ref.ts repeats, so beta is bit-exact.
override SCALE: bool = false;

struct Params {
  C: u32, H: u32, W: u32, Cg: u32, // x channels, image size, channels per group
  Nimg: u32, KH: u32, KW: u32, OW: u32,
  OHW: u32, sH: u32, sW: u32, dH: u32,
  dW: u32, padT: i32, padL: i32, K: u32, // K = Cg * KH * KW
  K32: u32, rows: u32, lanes: u32, _pad: u32, // rows = G * Nimg * OH * OW
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>; // (Nimg, C, H, W)
@group(0) @binding(2) var<storage, read_write> packed: array<vec2<u32>>;

var<workgroup> partSum: array<f32, 64>;
var<workgroup> partCnt: array<u32, 64>;

// s / c correctly rounded, for s >= 0 and 1 <= c < 2^24, by integer long division: WGSL's `/` may
// be 2.5 ulp off on real GPUs, which would break bit-exactness. Zero or subnormal s gives 0.
fn divRound(s: f32, c: u32) -> f32 {
  let bits = bitcast<u32>(s);
  let e = i32(bits >> 23u);
  if (c == 0u || e == 0) { return 0.0; }
  let mant = (bits & 0x7fffffu) | 0x800000u; // s = mant * 2^(e - 150)
  var q = mant / c;
  var r = mant % c;
  var n = 0;
  while (q < 0x1000000u) { // until q holds 25 bits: 24 for the result and a rounding bit
    r <<= 1u;
    q <<= 1u;
    if (r >= c) { r -= c; q |= 1u; }
    n++;
  }
  var m = q >> 1u;
  if ((q & 1u) == 1u && (r != 0u || (m & 1u) == 1u)) { m += 1u; } // nearest, ties to even
  return ldexp(f32(m), e - 149 - n);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let L = params.lanes;
  let lane = li % L;
  let row = (wid.x + wid.y * nwg.x) * (64u / L) + li / L;
  var sum = 0.0;
  var cnt = 0u;
  if (row < params.rows) {
    let p = row % params.OHW;
    let t = row / params.OHW;
    let n = t % params.Nimg;
    let g = t / params.Nimg;
    let ih0 = i32((p / params.OW) * params.sH) - params.padT;
    let iw0 = i32((p % params.OW) * params.sW) - params.padL;
    let hw = params.H * params.W;
    let xBase = (n * params.C + g * params.Cg) * hw;
    let kArea = params.KH * params.KW;
    for (var j = lane; j < params.K32; j += L) {
      let k0 = j * 32u;
      var c = k0 / kArea;
      var kh = (k0 % kArea) / params.KW;
      var kw = k0 % params.KW;
      var bits = 0u;
      var mask = 0u;
      for (var b = 0u; b < min(32u, params.K - k0); b++) {
        let ih = ih0 + i32(kh * params.dH);
        let iw = iw0 + i32(kw * params.dW);
        if (ih >= 0 && ih < i32(params.H) && iw >= 0 && iw < i32(params.W)) {
          let v = x[xBase + c * hw + u32(ih) * params.W + u32(iw)];
          mask |= 1u << b;
          bits |= select(0u, 1u << b, v >= 0.0);
          if (SCALE) { sum += abs(v); }
        }
        // Step (c, kh, kw) like an odometer instead of dividing per element.
        kw++;
        if (kw == params.KW) { kw = 0u; kh++; if (kh == params.KH) { kh = 0u; c++; } }
      }
      packed[row * params.K32 + j] = vec2<u32>(bits, mask);
      cnt += countOneBits(mask);
    }
  }
  // Every invocation reaches the barriers (no early return); rows past the end add zeros.
  partSum[li] = sum;
  partCnt[li] = cnt;
  workgroupBarrier();
  for (var h = L / 2u; h > 0u; h /= 2u) {
    if (lane < h) {
      partSum[li] = partSum[li] + partSum[li + h];
      partCnt[li] = partCnt[li] + partCnt[li + h];
    }
    workgroupBarrier();
  }
  if (lane == 0u && row < params.rows) {
    let count = partCnt[li];
    var beta = 1.0;
    if (SCALE) { beta = divRound(partSum[li], count); }
    packed[params.rows * params.K32 + row] = vec2<u32>(count, bitcast<u32>(beta));
  }
}
