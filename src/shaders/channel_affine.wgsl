// Per-channel affine y = act(x * scale[c] + shift[c]) over (N, C, spatial...): BatchNormalization
// at inference, folded on the host into one scale and shift per channel. Flat over elements.
override ACT: u32 = 0u; // fused activation, codes as in unary.wgsl / kernels/common.ts
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

fn activate(v: f32) -> f32 {
  switch ACT {
    case 1u: { return max(v, 0.0); }
    case 2u: { return select(v * params.a, v, v >= 0.0); }
    case 3u: { return clamp(v, params.a, params.b); }
    case 4u: { return 1.0 / (1.0 + exp(-v)); }
    case 5u: { return tanh(clamp(v, -30.0, 30.0)); }
    default: { return v; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let c = (i / params.spatial) % params.C;
  y[i] = activate(fma(x[i], scale[c], shift[c]));
}
