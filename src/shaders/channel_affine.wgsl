// Uses activate() and override ACT from activation.wgsl.
// Per-channel affine y = act(x * scale[c] + shift[c]) over (N, C, spatial...): BatchNormalization
// at inference, folded on the host into one scale and shift per channel. Flat over elements.
override WG: u32 = 256u;

struct Params {
  count: u32,   // N * C * spatial
  C: u32,
  spatial: u32, // product of the dims after C (1 for (N, C))
  _pad: u32,
  a: f32, // LeakyRelu alpha or Clip min
  b: f32, // Clip max
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;     // (N, C, spatial...)
@group(0) @binding(2) var<storage, read> scale: array<f32>; // (C)
@group(0) @binding(3) var<storage, read> shift: array<f32>; // (C)
@group(0) @binding(4) var<storage, read_write> y: array<f32>; // like x


@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let c = (i / params.spatial) % params.C;
  y[i] = activate(fma(x[i], scale[c], shift[c]), params.a, params.b);
}
