// Backward of the fake-quant STE: dx = dy where x's quantized value lies inside [qmin, qmax]
// before clamping (rounding is passed straight through), 0 where the forward clamped it.
// Same scale rules and params as fake_quant_ste.wgsl.
override PER_CHANNEL: u32 = 0u;
override WG: u32 = 256u;

struct Params {
  count: u32,
  C: u32,
  inner: u32,
  zero: f32,
  qmin: f32,
  qmax: f32,
  scale: f32,
  invScale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> scales: array<f32>; // (C); x again when PER_CHANNEL is 0
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  var r: f32;
  if (PER_CHANNEL == 1u) {
    r = round(x[i] / (params.scale * scales[(i / params.inner) % params.C]));
  } else {
    r = round(x[i] * params.invScale);
  }
  let q = r + params.zero;
  dx[i] = select(0.0, dy[i], q >= params.qmin && q <= params.qmax);
}
