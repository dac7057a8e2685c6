// What the XNOR pack kernels (binarize_pack.wgsl, binarize_pack_rows.wgsl) share, prepended by
// kernels/binary-net.ts: the params and bindings, one packed word of a row's patch, and divRound()
// for beta = mean |x| over the patch's valid taps, rounded exactly as the reference.
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

// Where row (g, n, oh, ow)'s patch starts: the input's top-left tap and the group's first channel.
struct PatchOrigin { ih0: i32, iw0: i32, xBase: u32 }

fn patchOrigin(row: u32) -> PatchOrigin {
  let p = row % params.OHW;
  let t = row / params.OHW;
  let n = t % params.Nimg;
  let g = t / params.Nimg;
  return PatchOrigin(i32((p / params.OW) * params.sH) - params.padT, i32((p % params.OW) * params.sW) - params.padL,
    (n * params.C + g * params.Cg) * params.H * params.W);
}

// Word j of the row: (sign bits, valid mask) of k = 32j + t at bit t; |x| of the valid taps added to
// *sum in k order (the order beta's bit-exactness depends on).
fn packWord(o: PatchOrigin, j: u32, sum: ptr<function, f32>) -> vec2<u32> {
  let hw = params.H * params.W;
  let kArea = params.KH * params.KW;
  let k0 = j * 32u;
  var c = k0 / kArea;
  var kh = (k0 % kArea) / params.KW;
  var kw = k0 % params.KW;
  var bits = 0u;
  var mask = 0u;
  for (var b = 0u; b < min(32u, params.K - k0); b++) {
    let ih = o.ih0 + i32(kh * params.dH);
    let iw = o.iw0 + i32(kw * params.dW);
    if (ih >= 0 && ih < i32(params.H) && iw >= 0 && iw < i32(params.W)) {
      let v = x[o.xBase + c * hw + u32(ih) * params.W + u32(iw)];
      mask |= 1u << b;
      bits |= select(0u, 1u << b, v >= 0.0);
      if (SCALE) { *sum += abs(v); }
    }
    // Step (c, kh, kw) like an odometer instead of dividing per element.
    kw++;
    if (kw == params.KW) { kw = 0u; kh++; if (kh == params.KH) { kh = 0u; c++; } }
  }
  return vec2<u32>(bits, mask);
}


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
