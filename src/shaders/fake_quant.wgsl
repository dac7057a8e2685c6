// A QuantizeLinear → DequantizeLinear pair on float data: y = (clamp(round(x / s) + z) − z) · s,
// with 1/s passed precomputed (WGSL division is not correctly rounded; multiplication is).
// Values leave on the int8 grid a following integer kernel reads exactly.
override WG: u32 = 256u;

struct Params {
  count: u32,
  invScale: f32,
  scale: f32,
  zero: i32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  // round() is half-to-even in WGSL, as QuantizeLinear specifies.
  let q = clamp(i32(round(x[i] * params.invScale)) + params.zero, -128, 127);
  y[i] = f32(q - params.zero) * params.scale;
}
