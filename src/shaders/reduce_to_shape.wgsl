// Uses stridedOffset() from strided.wgsl (kernels/common.ts withStrided).
// Gradient of a broadcasting binary op with respect to one operand: out = dy summed over the axes
// along which that operand (out's shape, right-aligned, 1s or missing) was broadcast.
// One invocation per out element; the host splits dy's axes into kept ones (out's layout, walked by
// the output index) and broadcast ones (walked by the inner loop), each collapsed, with dy's strides.
override WG: u32 = 64u;

struct Params {
  count: u32,    // out elements
  keptRank: u32,
  redRank: u32,
  redCount: u32, // dy elements summed into each out element
  keptShape: array<vec4<u32>, 2>,
  keptStrides: array<vec4<u32>, 2>,
  redShape: array<vec4<u32>, 2>,
  redStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let base = stridedOffset(i, params.keptRank, params.keptShape, params.keptStrides);
  var acc = 0.0;
  for (var j = 0u; j < params.redCount; j++) {
    acc += dy[base + stridedOffset(j, params.redRank, params.redShape, params.redStrides)];
  }
  out[i] = acc;
}
