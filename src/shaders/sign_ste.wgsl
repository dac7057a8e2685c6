// Forward of the sign STE: y = alpha[c] * sign(x) (SCALED 1; c the channel of x viewed as
// (outer, C, inner), alpha from sign_ste_scale.wgsl) or y = sign(x) (SCALED 0), sign(0) = +1 as the
// XNOR kernels' bit packing has it, so training sees exactly the values they multiply.
override SCALED: u32 = 0u;
override WG: u32 = 256u;

struct Params {
  count: u32,
  C: u32,
  inner: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> alpha: array<f32>; // (C); x again when SCALED is 0
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  var s = select(-1.0, 1.0, x[i] >= 0.0);
  if (SCALED == 1u) { s *= alpha[(i / params.inner) % params.C]; }
  y[i] = s;
}
