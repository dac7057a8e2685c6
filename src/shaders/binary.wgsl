// Uses stridedOffset2() from strided.wgsl (kernels/common.ts withStrided).
// y = a OP b with numpy broadcasting. The host collapses axes and passes the output shape and
// each operand's strides (0 along broadcast axes). MODE (kernels/binary.ts BINARY_MODES) skips the
// index arithmetic where the layout allows: 1, both operands laid out exactly like the output;
// 2 and 3, rows (collapsed shape [R, I]) where one operand is laid out like the output and the
// other holds one value a row (a squeeze-excite scale, a per-channel bias): one workgroup row per
// row, so no invocation divides (SwiftShader runs integer division one lane at a time).
override OP: u32 = 0u; // 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min (kernels/binary.ts BINARY_OPS)
override MODE: u32 = 0u; // 0 strided, 1 same shape, 2 b one value a row, 3 a one value a row
override WG: u32 = 256u;

struct Params {
  count: u32,
  rank: u32,
  _pad0: u32,
  _pad1: u32,
  shape: array<vec4<u32>, 2>, // output, collapsed
  aStrides: array<vec4<u32>, 2>,
  bStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn apply(u: f32, v: f32) -> f32 {
  switch OP {
    case 1u: { return u - v; }
    case 2u: { return u * v; }
    case 3u: { return u / v; }
    case 4u: { return max(u, v); }
    case 5u: { return min(u, v); }
    default: { return u + v; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (MODE >= 2u) {
    // gid.x: the element within row gid.y of I = shape[1].
    let inner = params.shape[0].y;
    if (gid.x >= inner) { return; }
    let j = gid.y * inner + gid.x;
    if (MODE == 2u) { y[j] = apply(a[j], b[gid.y]); } else { y[j] = apply(a[gid.y], b[j]); }
    return;
  }
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  if (MODE == 1u) {
    y[i] = apply(a[i], b[i]);
    return;
  }
  let o = stridedOffset2(i, params.rank, params.shape, params.aStrides, params.bStrides);
  y[i] = apply(a[o.x], b[o.y]);
}
