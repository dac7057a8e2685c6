// Params, bindings 0, 2, 3, WG, RB and storeRows: sparse_io.wgsl, composed in front by kernels/sparse-matmul.ts.
// y = x · Wᵀ with W (N, K) in 2:4 form (kernels/sparse-pack.ts): per output n and group g of 4
// inputs, 2 values and a nibble of their positions. A thread owns one output column n and RB = 4
// rows of x and does 2 multiply-adds per row per group (half the dense work), reading one vec2 of
// values and, every 8 groups, one word of positions. grid = (ceil(N / WG), ceil(M / RB)).

@group(0) @binding(1) var<storage, read> x: array<f32>; // (M, K)
@group(0) @binding(4) var<storage, read> vals: array<vec2<f32>>; // (N, G)
@group(0) @binding(5) var<storage, read> pos: array<u32>; // (N, PW)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let M = params.M;
  let K = params.K;
  let G = params.G;
  let n = gid.x;
  let row0 = gid.y * RB;
  if (n >= params.N || row0 >= M) { return; }
  let rows = min(RB, M - row0);
  let vb = n * G;
  let pb = n * params.PW;
  var acc = vec4<f32>(0.0);
  if (rows == 1u) {
    let xr = row0 * K;
    var s = 0.0;
    for (var g = 0u; g < G; g++) {
      let nib = (pos[pb + (g >> 3u)] >> ((g & 7u) * 4u)) & 15u;
      let v = vals[vb + g];
      let k = xr + 4u * g;
      s = fma(v.x, x[k + (nib & 3u)], s);
      s = fma(v.y, x[k + (nib >> 2u)], s);
    }
    acc.x = s;
  } else {
    // Spare rows (rows < 4) re-read the last real row; their sums are not stored.
    let xr = min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(M - 1u)) * K;
    for (var g = 0u; g < G; g++) {
      let nib = (pos[pb + (g >> 3u)] >> ((g & 7u) * 4u)) & 15u;
      let v = vals[vb + g];
      let i0 = xr + vec4<u32>(4u * g + (nib & 3u));
      let i1 = xr + vec4<u32>(4u * g + (nib >> 2u));
      acc = fma(vec4<f32>(v.x), vec4<f32>(x[i0.x], x[i0.y], x[i0.z], x[i0.w]), acc);
      acc = fma(vec4<f32>(v.y), vec4<f32>(x[i1.x], x[i1.y], x[i1.z], x[i1.w]), acc);
    }
  }
  storeRows(row0, rows, n, acc);
}
