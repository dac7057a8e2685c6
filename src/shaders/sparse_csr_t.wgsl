// Params, bindings 0, 2, 3, WG and storeRows: sparse_io.wgsl, composed in front by kernels/sparse-matmul.ts.
// sparse_csr.wgsl for several rows, on x transposed by sparse_xt.wgsl: a thread owns one output
// column n and 8 rows (two vec4 words of xt), and per nonzero decodes the column once, loads the
// value once and 2 vec4 of x for 8 multiply-adds (the direct form loads 4 scalars for 4).
// grid = (ceil(N / WG), ceil(M / 8)).

@group(0) @binding(1) var<storage, read> xt: array<vec4<f32>>; // (K, MQ)
@group(0) @binding(4) var<storage, read> rowPtr: array<u32>; // N + 1
@group(0) @binding(5) var<storage, read> cols: array<u32>; // u16 column indices, two to a word
@group(0) @binding(6) var<storage, read> vals: array<f32>; // nnz (at least 1 word)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let M = params.M;
  let MQ = params.MQ;
  let n = gid.x;
  let row0 = gid.y * 8u;
  if (n >= params.N || row0 >= M) { return; }
  let q0 = row0 / 4u;
  let q1 = min(q0 + 1u, MQ - 1u); // a spare word when fewer than 5 rows remain: its sums are not stored
  let j1 = rowPtr[n + 1u];
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  for (var j = rowPtr[n]; j < j1; j++) {
    let k = (cols[j >> 1u] >> ((j & 1u) * 16u)) & 0xffffu;
    let v = vec4<f32>(vals[j]);
    let b = k * MQ;
    acc0 = fma(v, xt[b + q0], acc0);
    acc1 = fma(v, xt[b + q1], acc1);
  }
  let rows = min(8u, M - row0);
  storeRows(row0, min(rows, 4u), n, acc0);
  if (rows > 4u) { storeRows(row0 + 4u, rows - 4u, n, acc1); }
}
