// Params and bindings: matmul_io.wgsl, composed in front by kernels/matmul.ts.
// Uses activate() and override ACT from activation.wgsl.
// The register-blocked form of matmul.wgsl: same Params, bindings and result (up to f32 summation
// order). Each thread owns a 4x4 block of outputs and walks K alone: per k it loads 4 values of
// op(A) and 4 of op(B) and does 16 multiply-adds, with no workgroup memory and no barrier. A
// software adapter (SwiftShader) runs each thread on a CPU lane, where barriers are costly and the
// caches serve the re-reads the tile would stage; kernels/matmul.ts picks it there.
// grid = (ceil(N / 32), ceil(M / 32), batch); a workgroup of 8x8 threads covers 32x32 outputs.

const RB = 4u; // rows per thread
const CB = 4u; // columns per thread

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let row0 = (wid.y * 8u + lid.y) * RB;
  let col0 = (wid.x * 8u + lid.x) * CB;
  if (row0 >= M || col0 >= N) { return; }
  let bi = wid.z;

  let off = batchOffsets(bi);
  let offA = off.x;
  let offB = off.y;

  // Spare rows and columns (at the edges) re-read the last real one; their sums are not stored.
  let rows = vec4<u32>(min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(M - 1u)));
  let cols = vec4<u32>(min(vec4<u32>(col0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(N - 1u)));
  let ar = vec4<u32>(offA) + rows * params.aM;
  let bc = vec4<u32>(offB) + cols * params.bN;
  let aK = params.aK;
  let bK = params.bK;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k = 0u; k < K; k++) {
    let ib = bc + vec4<u32>(k * bK);
    let bv = vec4<f32>(rhs[ib.x], rhs[ib.y], rhs[ib.z], rhs[ib.w]);
    let ia = ar + vec4<u32>(k * aK);
    acc0 = fma(vec4<f32>(lhs[ia.x]), bv, acc0);
    acc1 = fma(vec4<f32>(lhs[ia.y]), bv, acc1);
    acc2 = fma(vec4<f32>(lhs[ia.z]), bv, acc2);
    acc3 = fma(vec4<f32>(lhs[ia.w]), bv, acc3);
  }

  var accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var r = 0u; r < RB; r++) {
    let m = row0 + r;
    if (m >= M) { break; }
    let outBase = bi * M * N + m * N;
    for (var j = 0u; j < CB; j++) {
      let n = col0 + j;
      if (n >= N) { break; }
      var v = params.alpha * accs[r][j];
      if (params.hasC != 0u) { v += params.beta * bias[m * params.cM + n * params.cN]; }
      y[outBase + n] = activate(v, params.a, params.b);
    }
  }
}
