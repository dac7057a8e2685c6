// Uses stridedOffset2() from strided.wgsl (kernels/common.ts withStrided).
// Strided copy: for every index idx of `shape`,
//   y[yOffset + idx . yStrides] = x[xOffset + idx . xStrides].
// Transpose gathers (x strides permuted, y contiguous); Concat reuses it to scatter each input into
// its slab of the output (x contiguous, y strided). The host collapses contiguous axes first.
override WG: u32 = 256u;

struct Params {
  count: u32,
  rank: u32,
  xOffset: u32,
  yOffset: u32,
  shape: array<vec4<u32>, 2>,
  xStrides: array<vec4<u32>, 2>,
  yStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let o = stridedOffset2(i, params.rank, params.shape, params.xStrides, params.yStrides);
  y[params.yOffset + o.y] = x[params.xOffset + o.x];
}
