// Gather along one axis, data viewed as (outer, len, inner) and the K indices flattened:
//   y[o, k, q] = data[o, idx[k], q], where a negative index counts from the end.
// Indices travel as f32 holding integers (exact below 2^24); one out of range is clamped so the
// read stays inside the buffer (ONNX leaves it undefined; onnxruntime rejects it).
override WG: u32 = 256u;

struct Params {
  count: u32,
  len: u32,
  inner: u32,
  indices: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> data: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let q = i % params.inner;
  let k = (i / params.inner) % params.indices;
  let o = i / (params.inner * params.indices);
  let n = i32(params.len);
  var j = i32(round(idx[k]));
  if (j < 0) { j += n; }
  j = clamp(j, 0, n - 1);
  y[i] = data[(o * params.len + u32(j)) * params.inner + q];
}
