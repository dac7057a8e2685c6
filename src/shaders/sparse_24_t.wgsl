// Params, bindings 0, 2, 3, WG and storeRows: sparse_io.wgsl, composed in front by kernels/sparse-matmul.ts.
// sparse_24.wgsl for several rows, on x transposed by sparse_xt.wgsl: a thread owns one output
// column n and 8 rows (two vec4 words of xt); per group of 4 inputs it reads one vec2 of values and
// 4 vec4 of x for 16 multiply-adds. grid = (ceil(N / WG), ceil(M / 8)).

@group(0) @binding(1) var<storage, read> xt: array<vec4<f32>>; // (K, MQ)
@group(0) @binding(4) var<storage, read> vals: array<vec2<f32>>; // (N, G)
@group(0) @binding(5) var<storage, read> pos: array<u32>; // (N, PW)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let M = params.M;
  let MQ = params.MQ;
  let G = params.G;
  let n = gid.x;
  let row0 = gid.y * 8u;
  if (n >= params.N || row0 >= M) { return; }
  let q0 = row0 / 4u;
  let q1 = min(q0 + 1u, MQ - 1u); // a spare word when fewer than 5 rows remain: its sums are not stored
  let vb = n * G;
  let pb = n * params.PW;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  for (var g = 0u; g < G; g++) {
    let nib = (pos[pb + (g >> 3u)] >> ((g & 7u) * 4u)) & 15u;
    let v = vals[vb + g];
    let b0 = (4u * g + (nib & 3u)) * MQ;
    let b1 = (4u * g + (nib >> 2u)) * MQ;
    acc0 = fma(vec4<f32>(v.x), xt[b0 + q0], acc0);
    acc1 = fma(vec4<f32>(v.x), xt[b0 + q1], acc1);
    acc0 = fma(vec4<f32>(v.y), xt[b1 + q0], acc0);
    acc1 = fma(vec4<f32>(v.y), xt[b1 + q1], acc1);
  }
  let rows = min(8u, M - row0);
  storeRows(row0, min(rows, 4u), n, acc0);
  if (rows > 4u) { storeRows(row0 + 4u, rows - 4u, n, acc1); }
}
