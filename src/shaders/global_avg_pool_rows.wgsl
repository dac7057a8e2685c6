// GlobalAveragePool for small H*W (a classifier head at 7x7 or less): one thread per (n, c) row,
// summing it serially and dividing by `count`. A workgroup per row pays a tree of barriers for a
// handful of values, which costs most on wide heads (1000+ channels) and on software adapters.
// Also pass 2 after global_avg_pool_chunks.wgsl: each row then holds its slices' sums (hw = the
// number of slices) and count is the map's H*W.
override WG: u32 = 64u;

struct Params {
  rows: u32,  // N * C
  hw: u32,    // values per row: H * W, or the slices of pass 1
  count: u32, // the divisor: H * W
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;       // (N, C, H, W)
@group(0) @binding(2) var<storage, read_write> y: array<f32>; // (N, C, 1, 1)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= params.rows) { return; }
  let base = row * params.hw;
  var s = 0.0;
  for (var i = 0u; i < params.hw; i++) { s += x[base + i]; }
  y[row] = s / f32(params.count);
}
