// Forward of the fake-quant STE: y = (clamp(round(x / s) + z, qmin, qmax) - z) * s, round half to
// even as QuantizeLinear. PER_CHANNEL 1: s = mul * scales[c] (c the channel of x viewed as
// (outer, C, inner)), divided as the host quantizer divides weights and biases; PER_CHANNEL 0: one
// scale with 1/s precomputed, as fake_quant.wgsl and the int8 kernels quantize activations.
// Kept in f32 so an int32 bias grid fits as well as int8.
override PER_CHANNEL: u32 = 0u;
override WG: u32 = 256u;

struct Params {
  count: u32,
  C: u32,
  inner: u32,
  zero: f32,
  qmin: f32,
  qmax: f32,
  scale: f32,    // per tensor, or the multiplier of scales[c]
  invScale: f32, // per tensor only
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> scales: array<f32>; // (C); x again when PER_CHANNEL is 0
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  var s = params.scale;
  var r: f32;
  if (PER_CHANNEL == 1u) {
    s = params.scale * scales[(i / params.inner) % params.C];
    r = round(x[i] / s);
  } else {
    r = round(x[i] * params.invScale);
  }
  let q = clamp(r + params.zero, params.qmin, params.qmax);
  y[i] = (q - params.zero) * s;
}
