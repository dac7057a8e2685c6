// Uses stridedOffset() from strided.wgsl (kernels/common.ts withStrided).
// Reduce* over any set of axes: one invocation per output element. The host splits the input's
// axes into kept ones (walked by the output index) and reduced ones (walked by the inner loop),
// each collapsed, with the input's strides for both. OP picks the reduction (kernels/reduce.ts REDUCE_CODES).
override OP: u32 = 0u; // 0 sum, 1 mean, 2 max, 3 min, 4 prod, 5 l1, 6 l2, 7 sum square, 8 log sum, 9 log sum exp
override WG: u32 = 64u;

struct Params {
  count: u32,    // output elements
  keptRank: u32,
  redRank: u32,
  redCount: u32, // elements reduced into each output
  keptShape: array<vec4<u32>, 2>,
  keptStrides: array<vec4<u32>, 2>,
  redShape: array<vec4<u32>, 2>,
  redStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// Offset of the j-th reduced element relative to the output's base offset.
fn redOffset(j: u32) -> u32 { return stridedOffset(j, params.redRank, params.redShape, params.redStrides); }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let base = stridedOffset(i, params.keptRank, params.keptShape, params.keptStrides);
  let n = params.redCount;
  if (n == 0u) { y[i] = select(0.0, 1.0, OP == 4u); return; } // empty sum is 0, empty product 1
  // Log-sum-exp subtracts the maximum first so exp() cannot overflow.
  var shift = 0.0;
  if (OP == 9u) {
    shift = x[base];
    for (var j = 1u; j < n; j++) { shift = max(shift, x[base + redOffset(j)]); }
  }
  var acc = x[base];
  switch OP {
    case 4u, 2u, 3u: { }
    case 5u: { acc = abs(acc); }
    case 6u, 7u: { acc = acc * acc; }
    case 9u: { acc = exp(acc - shift); }
    default: { }
  }
  for (var j = 1u; j < n; j++) {
    let v = x[base + redOffset(j)];
    switch OP {
      case 2u: { acc = max(acc, v); }
      case 3u: { acc = min(acc, v); }
      case 4u: { acc = acc * v; }
      case 5u: { acc += abs(v); }
      case 6u, 7u: { acc += v * v; }
      case 9u: { acc += exp(v - shift); }
      default: { acc += v; }
    }
  }
  switch OP {
    case 1u: { acc = acc / f32(n); }
    case 6u: { acc = sqrt(acc); }
    case 8u: { acc = log(acc); }
    case 9u: { acc = log(acc) + shift; }
    default: { }
  }
  y[i] = acc;
}
