// Softmax (or LogSoftmax when LOG) along one axis, viewed as (outer, len, inner): each row is
// `len` elements spaced `inner` apart. Numerically stable: max, then sum of exp(x - max), then
// write. Two layouts, picked per dispatch by params.perThread (a uniform branch, not a pipeline):
//  - short rows: one thread per row, so neighbouring threads read neighbouring words when inner > 1
//    and no lanes idle on a 10-class row;
//  - long rows: one workgroup per row, reduced in shared memory.
// Both fold past 65535 workgroups into grid y.
override LOG: bool = false;
override WG: u32 = 64u; // a power of two, for the tree reductions

struct Params {
  rows: u32, // outer * inner
  len: u32,
  inner: u32,
  perThread: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> red: array<f32, WG>;

fn rowBase(row: u32) -> u32 {
  return (row / params.inner) * params.len * params.inner + row % params.inner;
}

fn store(i: u32, v: f32, logTotal: f32, inv: f32) {
  if (LOG) { y[i] = v - logTotal; } else { y[i] = exp(v) * inv; }
}

fn rowPerThread(row: u32) {
  if (row >= params.rows) { return; }
  let base = rowBase(row);
  let inner = params.inner;
  // Start from the row's first element rather than -inf, which WGSL cannot spell as a constant.
  var m = x[base];
  for (var j = 1u; j < params.len; j++) { m = max(m, x[base + j * inner]); }
  var sum = 0.0;
  for (var j = 0u; j < params.len; j++) { sum += exp(x[base + j * inner] - m); }
  let logTotal = log(sum);
  let inv = 1.0 / sum;
  for (var j = 0u; j < params.len; j++) { store(base + j * inner, x[base + j * inner] - m, logTotal, inv); }
}

fn rowPerWorkgroup(row: u32, lid: u32) {
  let base = rowBase(row);
  let inner = params.inner;
  let len = params.len;
  var m = x[base];
  for (var j = lid; j < len; j += WG) { m = max(m, x[base + j * inner]); }
  red[lid] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let mx = red[0];
  workgroupBarrier(); // everyone has read the max before red is reused

  var sum = 0.0;
  for (var j = lid; j < len; j += WG) { sum += exp(x[base + j * inner] - mx); }
  red[lid] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  let logTotal = log(total);
  let inv = 1.0 / total;
  for (var j = lid; j < len; j += WG) { store(base + j * inner, x[base + j * inner] - mx, logTotal, inv); }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let group = wid.x + wid.y * nwg.x;
  if (params.perThread != 0u) {
    rowPerThread(group * WG + lid);
    return;
  }
  if (group >= params.rows) { return; } // the whole workgroup leaves together
  rowPerWorkgroup(group, lid);
}
