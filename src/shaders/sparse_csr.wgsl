// Params, bindings 0, 2, 3, WG, RB and storeRows: sparse_io.wgsl, composed in front by kernels/sparse-matmul.ts.
// y = x · Wᵀ with W (N, K) in CSR (kernels/sparse-pack.ts): a thread owns one output column n and
// RB = 4 rows of x, walks n's nonzeros once (column index from a u16 half word, one value) and does
// one multiply-add per row for each; no workgroup memory, no barrier. An output with no nonzeros
// gets just the bias. grid = (ceil(N / WG), ceil(M / RB)).

@group(0) @binding(1) var<storage, read> x: array<f32>; // (M, K)
@group(0) @binding(4) var<storage, read> rowPtr: array<u32>; // N + 1
@group(0) @binding(5) var<storage, read> cols: array<u32>; // u16 column indices, two to a word
@group(0) @binding(6) var<storage, read> vals: array<f32>; // nnz (at least 1 word)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let M = params.M;
  let K = params.K;
  let n = gid.x;
  let row0 = gid.y * RB;
  if (n >= params.N || row0 >= M) { return; }
  let rows = min(RB, M - row0);
  let j0 = rowPtr[n];
  let j1 = rowPtr[n + 1u];
  var acc = vec4<f32>(0.0);
  if (rows == 1u) {
    let xr = row0 * K;
    var s = 0.0;
    for (var j = j0; j < j1; j++) {
      let k = (cols[j >> 1u] >> ((j & 1u) * 16u)) & 0xffffu;
      s = fma(vals[j], x[xr + k], s);
    }
    acc.x = s;
  } else {
    // Spare rows (rows < 4) re-read the last real row; their sums are not stored.
    let xr = min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(M - 1u)) * K;
    for (var j = j0; j < j1; j++) {
      let k = (cols[j >> 1u] >> ((j & 1u) * 16u)) & 0xffffu;
      let xi = xr + vec4<u32>(k);
      acc = fma(vec4<f32>(vals[j]), vec4<f32>(x[xi.x], x[xi.y], x[xi.z], x[xi.w]), acc);
    }
  }
  storeRows(row0, rows, n, acc);
}
