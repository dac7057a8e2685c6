// Uses dimAt() from strided.wgsl (kernels/common.ts withStrided).
// Pad: for every output element, the input element it copies, or value[0] outside the input in
// constant mode (a buffer, since ONNX's constant_value may be computed at run time). MODE (kernels/pad.ts): 0 constant, 1 reflect (mirror without repeating the edge),
// 2 edge (repeat the edge), 3 wrap (periodic). A negative begin pad crops: the coordinate shifts inward.
override MODE: u32 = 0u;
override WG: u32 = 256u;

struct Params {
  count: u32,
  rank: u32,
  _pad0: u32,
  _pad1: u32,
  outShape: array<vec4<u32>, 2>,
  inShape: array<vec4<u32>, 2>,
  begin: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> value: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

// Folds an out-of-range coordinate back into [0, n) for the non-constant modes.
fn fold(c: i32, n: i32) -> i32 {
  switch MODE {
    case 1u: {
      if (n == 1) { return 0; }
      let period = 2 * (n - 1);
      var m = c % period;
      if (m < 0) { m += period; }
      return select(m, period - m, m >= n);
    }
    case 3u: {
      var m = c % n;
      if (m < 0) { m += n; }
      return m;
    }
    default: { return clamp(c, 0, n - 1); }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  var rem = i;
  var src = 0u;
  var stride = 1u;
  for (var t = 0u; t < params.rank; t++) {
    let d = params.rank - 1u - t; // innermost axis first
    let n = dimAt(params.outShape, d);
    let inN = i32(dimAt(params.inShape, d));
    var c = i32(rem % n) - params.begin[d / 4u][d % 4u];
    rem = rem / n;
    if (c < 0 || c >= inN) {
      if (MODE == 0u) { y[i] = value[0]; return; }
      c = fold(c, inN);
    }
    src += u32(c) * stride;
    stride *= u32(inN);
  }
  y[i] = x[src];
}
