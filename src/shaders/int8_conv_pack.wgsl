// The first dispatch of the packed int8 convolution (kernels/int8-conv.ts): quantises x once into
// a scratch of packed int8x4 words laid out over the zero-padded input, so that
// int8_conv_packed.wgsl reads one word per 4 K positions with no bounds tests or quantisation.
// Word (n, g, cp, hp, wp) of the padded frame (Hp = H + pads, Wp = W + pads) holds, byte j:
//   c4 layout: channel g*cPerGroup + 4*cp + j of pixel (hp, wp)           (4 consecutive channels)
//   w4 layout: channel g*cPerGroup + cp of pixels (hp, wp + j*dilW)       (4 taps along W)
// Positions in the padding, past W or past the group's channels take xq = xZero, the arithmetic
// zero, exactly as the direct kernel's padding taps; the slots past W or the channels meet wZero
// weights (kernels/int8.ts Int8ConvPacking) and cancel whatever they hold. Quantisation as
// int8_matmul.wgsl: q = clamp(round(x * invXScale) + xZero + xShift, -128, 127).

struct Params {
  C: u32, H: u32, W: u32, cPerGroup: u32,
  group: u32, CPg: u32, Hp: u32, Wp: u32, // CPg: packed channel rows per group
  padT: u32, padL: u32, c4: u32, dilW: u32,
  total: u32, xShift: i32, _p0: u32, _p1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;          // (N, C, H, W)
@group(0) @binding(2) var<storage, read_write> xp: array<u32>;   // (N, group, CPg, Hp, Wp)
@group(0) @binding(3) var<storage, read> xq: array<f32>;         // xScale, xZero, invXScale, unused

// Words an invocation packs: a run of consecutive ones, so the index is split into (n, g, cp, hp,
// wp) by division once a run, not once a word (SwiftShader divides one lane at a time).
const PER = 8u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let first = (gid.x + gid.y * nwg.x * 64u) * PER;
  if (first >= params.total) { return; }
  loadInputGrid();
  var wp = first % params.Wp;
  var t = first / params.Wp;
  var hp = t % params.Hp;
  t = t / params.Hp;
  var cp = t % params.CPg;
  t = t / params.CPg;
  var g = t % params.group;
  var n = t / params.group;
  let last = min(first + PER, params.total);
  for (var i = first; i < last; i++) {
    let h = i32(hp) - i32(params.padT);
    let hIn = h >= 0 && h < i32(params.H);
    var word = 0u;
    for (var j = 0u; j < 4u; j++) {
      var lc = cp;
      var wj = i32(wp) - i32(params.padL);
      if (params.c4 != 0u) { lc = cp * 4u + j; } else { wj += i32(j * params.dilW); }
      var q = xZero;
      if (hIn && lc < params.cPerGroup && wj >= 0 && wj < i32(params.W)) {
        q = quantize(x[((n * params.C + g * params.cPerGroup + lc) * params.H + u32(h)) * params.W + u32(wj)]);
      }
      word |= (bitcast<u32>(q) & 0xffu) << (8u * j);
    }
    xp[i] = word;
    // The next word's position: wp runs fastest, then hp, cp, g, n.
    wp++;
    if (wp == params.Wp) {
      wp = 0u; hp++;
      if (hp == params.Hp) {
        hp = 0u; cp++;
        if (cp == params.CPg) {
          cp = 0u; g++;
          if (g == params.group) { g = 0u; n++; }
        }
      }
    }
  }
}
