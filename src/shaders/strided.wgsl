// Strided indexing for the layout kernels (binary, transpose, reduce, reduce_to_shape, pad and the
// batched matmul's io), listed in front of them by kernels/common.ts `withStrided`. Shapes and
// strides of up to 8 dims travel in their uniforms as array<vec4<u32>, 2>, outermost dim first;
// a flat index is split innermost dim first.

alias Dims8 = array<vec4<u32>, 2>;

fn dimAt(v: Dims8, d: u32) -> u32 { return v[d / 4u][d % 4u]; }

// Where flat (row-major) index i of a tensor of `shape` (its first `rank` dims) sits in a tensor laid
// out with `strides` (0 along broadcast dims).
fn stridedOffset(i: u32, rank: u32, shape: Dims8, strides: Dims8) -> u32 {
  var off = 0u;
  var rem = i;
  for (var t = 0u; t < rank; t++) {
    let d = rank - 1u - t;
    let n = dimAt(shape, d);
    off += (rem % n) * dimAt(strides, d);
    rem = rem / n;
  }
  return off;
}

// The same index in two layouts at once (one division per dim): (offset by `sa`, offset by `sb`).
fn stridedOffset2(i: u32, rank: u32, shape: Dims8, sa: Dims8, sb: Dims8) -> vec2<u32> {
  var off = vec2<u32>(0u);
  var rem = i;
  for (var t = 0u; t < rank; t++) {
    let d = rank - 1u - t;
    let n = dimAt(shape, d);
    off += (rem % n) * vec2<u32>(dimAt(sa, d), dimAt(sb, d));
    rem = rem / n;
  }
  return off;
}
