// GlobalAveragePool for large H*W, pass 1 of 2: the sum of each CHUNK-value slice of each (n, c)
// row, one invocation a slice, with no barrier (SwiftShader pays dearly for each, and a workgroup
// per row leaves a 96-channel 112x112 map with 96 workgroups, each a tree of 8 barriers). Four
// accumulators break the add chain. Pass 2 (global_avg_pool_rows.wgsl) sums each row's slices in
// order and divides by H*W.
override WG: u32 = 64u;
override CHUNK: u32 = 256u;

struct Params {
  rows: u32,   // N * C
  hw: u32,     // H * W
  chunks: u32, // ceil(hw / CHUNK)
  total: u32,  // rows * chunks
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;             // (N, C, H, W)
@group(0) @binding(2) var<storage, read_write> partial: array<f32>; // (N * C, chunks)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  let row = i / params.chunks;
  let k = i % params.chunks;
  let start = k * CHUNK;
  let end = min(start + CHUNK, params.hw);
  let base = row * params.hw;
  var s = vec4<f32>(0.0);
  var j = start;
  for (; j + 4u <= end; j += 4u) {
    s += vec4<f32>(x[base + j], x[base + j + 1u], x[base + j + 2u], x[base + j + 3u]);
  }
  var tail = 0.0;
  for (; j < end; j++) { tail += x[base + j]; }
  partial[i] = (s.x + s.y) + (s.z + s.w) + tail;
}
