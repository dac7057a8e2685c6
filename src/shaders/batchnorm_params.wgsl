// BatchNormalization's per-channel scale and shift when its parameters arrive at run time:
// scale = gamma / sqrt(var + eps), shift = beta - mean * scale. Channel affine then applies them.
override WG: u32 = 64u;

struct Params {
  C: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> variance: array<f32>;
@group(0) @binding(5) var<storage, read_write> scale: array<f32>; // (C)
@group(0) @binding(6) var<storage, read_write> shift: array<f32>; // (C)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= params.C) { return; }
  let s = gamma[c] / sqrt(variance[c] + params.epsilon);
  scale[c] = s;
  shift[c] = beta[c] - mean[c] * s;
}
