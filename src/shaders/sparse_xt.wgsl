// x (M, K) → xt (K, ceil(M / 4)) of vec4: the 4 rows m = 4q .. 4q + 3 of column k in one vec4
// (zeros past M), so the _t sparse kernels read 4 rows of a nonzero's column in one load.
// Standalone (no sparse_io.wgsl); kernels/sparse-matmul.ts runs it before sparse_csr_t / sparse_24_t.
// grid = (ceil(K / 64), ceil(M / 4)).

struct XtParams { M: u32, K: u32, MQ: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> params: XtParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> xt: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  let q = gid.y;
  let M = params.M;
  let K = params.K;
  if (k >= K || q >= params.MQ) { return; }
  var v = vec4<f32>(0.0);
  for (var r = 0u; r < 4u; r++) {
    let m = 4u * q + r;
    if (m < M) { v[r] = x[m * K + k]; }
  }
  xt[k * params.MQ + q] = v;
}
