// ONNX QuantizeLinear / DequantizeLinear at run time, per tensor or per axis; MODE picks one
// (one pipeline each). Channel of flat index i: c = (i / inner) % axisSize. scale and zero are
// storage buffers so the engine can pass values another kernel computed on the GPU.
//   MODE 0 (quantize):   y = clamp(round(x / scale[c]) + zero[c], lo, hi)   round = half to even
//   MODE 1 (dequantize): y = (x - zero[c]) * scale[c]
// Integers travel as f32 holding their values. Quantize stays in f32: the quotient is clamped to
// ±2^24 first (f32 values that large are integers already, so the clamp changes no result), then
// rounded, offset and clamped into [lo, hi]; there is no i32 conversion to overflow, and every
// step is exact within [lo, hi] (|lo|, |hi|, |zero| <= 2^24). NaN inputs give an unspecified value.
// Division, not a multiply by 1/scale, as ONNX specifies.
override WG: u32 = 256u;
override MODE: u32 = 0u;

struct Params {
  count: u32,
  axisSize: u32,
  inner: u32,
  lo: f32,
  hi: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> zero: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let c = (i / params.inner) % params.axisSize;
  let s = scale[c];
  let z = zero[c];
  if (MODE == 0u) {
    let r = round(clamp(x[i] / s, -16777216.0, 16777216.0));
    y[i] = clamp(r + z, params.lo, params.hi);
  } else {
    y[i] = (x[i] - z) * s;
  }
}
