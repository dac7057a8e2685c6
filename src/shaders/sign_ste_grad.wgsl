// Backward of the sign STE (straight-through with hardtanh's window):
//   SCALED 0: dx = dy * [|x| <= clip]
//   SCALED 1: dx = alpha[c] * dy * [|x| <= clip] + sign(x) * g[c]
// where g[c] = mean over the channel of dy * sign(x) (sign_ste_scale.wgsl REDUCE 1): the second
// term is the exact derivative of alpha = mean |x| (d alpha / dx = sign(x) / M); only sign's own
// derivative, zero almost everywhere, is replaced by the window.
override SCALED: u32 = 0u;
override WG: u32 = 256u;

struct Params {
  count: u32,
  C: u32,
  inner: u32,
  clip: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> alpha: array<f32>; // (C); x again when SCALED is 0
@group(0) @binding(4) var<storage, read> g: array<f32>;     // (C); x again when SCALED is 0
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let v = x[i];
  var d = select(0.0, dy[i], abs(v) <= params.clip);
  if (SCALED == 1u) {
    let c = (i / params.inner) % params.C;
    d = d * alpha[c] + select(-1.0, 1.0, v >= 0.0) * g[c];
  }
  dx[i] = d;
}
