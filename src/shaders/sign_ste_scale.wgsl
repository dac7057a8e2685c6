// Per-channel statistics for the straight-through (STE) training ops, over x viewed as
// (outer, C, inner) with c the channel; one workgroup per channel, lane l taking j = l, l + WG, ...
// in order, then a halving tree (the reference repeats both orders):
//   REDUCE 0: out[c] = sum |x| / M                      XNOR-Net's alpha = mean |W[c, :]|
//   REDUCE 1: out[c] = sum dy * sign(x) / M             alpha's share of the sign STE's gradient
//   REDUCE 2: out[c] = max |x| / 127, 1 when all zero   symmetric int8 weight scale (compress/quantize.ts)
// M = outer * inner. sign(0) = +1, as in docs/binary-format.md.
override REDUCE: u32 = 0u;
override WG: u32 = 256u; // a power of two, at most 256 (the shared array's size)

struct Params {
  outer: u32,
  C: u32,
  inner: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>; // REDUCE 1 only; x again otherwise
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // (C)

var<workgroup> partial: array<f32, 256>;

fn sgn(v: f32) -> f32 { return select(-1.0, 1.0, v >= 0.0); }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  // The channel is uniform across the workgroup, so the early return keeps barriers uniform.
  let c = wid.x + wid.y * nwg.x;
  if (c >= params.C) { return; }
  let M = params.outer * params.inner;
  var acc = 0.0;
  for (var j = lid; j < M; j += WG) {
    let o = ((j / params.inner) * params.C + c) * params.inner + j % params.inner;
    let v = x[o];
    if (REDUCE == 0u) { acc += abs(v); }
    else if (REDUCE == 1u) { acc += dy[o] * sgn(v); }
    else { acc = max(acc, abs(v)); }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      if (REDUCE == 2u) { partial[lid] = max(partial[lid], partial[lid + stride]); }
      else { partial[lid] += partial[lid + stride]; }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let s = partial[0];
    if (REDUCE == 2u) { out[c] = select(s / 127.0, 1.0, s == 0.0); }
    else { out[c] = s / f32(M); }
  }
}
