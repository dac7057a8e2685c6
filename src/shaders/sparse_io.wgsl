// The sparse matmul kernels' shared params, bindings 0, 2, 3 and epilogue (sparse_csr.wgsl,
// sparse_24.wgsl and their _t forms declare x at binding 1 (as f32 or as transposed vec4) and their
// weight bindings from 4 on; kernels/sparse-matmul.ts writes the uniform and composes this file in
// front of any of them). Uses activate() and override ACT from activation.wgsl.
// y (M, N) = act(alpha * x (M, K) · Wᵀ + beta * C), W (N, K) stored sparse; C broadcast by strides.

struct Params {
  M: u32, N: u32, K: u32, hasC: u32,
  cM: u32, cN: u32, G: u32, PW: u32, // C strides (0 along broadcast axes); 2:4 groups per row and nibble words per row
  alpha: f32, beta: f32,
  a: f32, // LeakyRelu alpha, Clip min or HardSigmoid alpha
  b: f32, // Clip max or HardSigmoid beta
  MQ: u32, _p0: u32, _p1: u32, _p2: u32, // _t forms: vec4 words per k of transposed x, ceil(M / 4)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> bias: array<f32>; // C; any buffer when hasC == 0
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

const WG = 32u; // outputs (n) per workgroup, one per thread
const RB = 4u; // rows (m) per thread; 8 (two vec4 of transposed x) in the _t forms

/** Writes output (m, n) from its dot product; m < M, n < N. */
fn store(m: u32, n: u32, dot: f32) {
  var v = params.alpha * dot;
  if (params.hasC != 0u) { v += params.beta * bias[m * params.cM + n * params.cN]; }
  y[m * params.N + n] = activate(v, params.a, params.b);
}

/** Writes rows row0 .. row0 + rows - 1 of output column n from acc (one row per component). */
fn storeRows(row0: u32, rows: u32, n: u32, acc: vec4<f32>) {
  for (var r = 0u; r < rows; r++) { store(row0 + r, n, acc[r]); }
}
