// Uses activate() and override ACT from activation.wgsl.
// Elementwise activation y = f(x) over a flat array. ACT picks f (see kernels/common.ts).
override WG: u32 = 256u;

struct Params {
  count: u32,
  a: f32, // LeakyRelu alpha, Clip min or HardSigmoid alpha
  b: f32, // Clip max or HardSigmoid beta
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;


@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  y[i] = activate(x[i], params.a, params.b);
}
