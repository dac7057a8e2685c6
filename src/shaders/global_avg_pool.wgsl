// GlobalAveragePool: one workgroup per (n, c) row of H*W values. Each thread sums a strided slice,
// then a tree reduction in shared memory; pairwise partial sums keep f32 error small for large H*W.
override WG: u32 = 128u; // a power of two, at most 256 (the shared array's size)

struct Params {
  rows: u32,  // N * C
  hw: u32,   // H * W
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;       // (N, C, H, W)
@group(0) @binding(2) var<storage, read_write> y: array<f32>; // (N, C, 1, 1)

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  // The row index is uniform across the workgroup, so the early return keeps barriers uniform.
  let row = wid.x + wid.y * nwg.x;
  if (row >= params.rows) { return; }
  let base = row * params.hw;
  var s = 0.0;
  for (var i = lid; i < params.hw; i += WG) { s += x[base + i]; }
  partial[lid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { y[row] = partial[0] / f32(params.hw); }
}
