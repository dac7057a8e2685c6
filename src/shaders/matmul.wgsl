// Params and bindings: matmul_io.wgsl, composed in front by kernels/matmul.ts.
// Uses activate() and override ACT from activation.wgsl.
// Batched, tiled y = act(alpha * op(A) @ op(B) + beta * C).
// A workgroup of 16x16 threads computes one 64x64 tile of one batch's (M, N) output; each thread
// owns a 4x4 block (rows ty + 16i, cols tx + 16j, so reads of shared B and writes of y are
// contiguous across tx). K is walked in 16-deep tiles staged through workgroup memory.
// Transposes, batch broadcasting and C broadcasting are all strides in params, so only ACT
// specialises the pipeline. grid = (ceil(N/64), ceil(M/64), batch).

const TS = 16u; // threads per side
const R = 4u;   // outputs per thread per side
const BM = 64u; // TS * R
const BN = 64u;
const BK = 16u;


var<workgroup> As: array<f32, 1024>; // [BK][BM]
var<workgroup> Bs: array<f32, 1024>; // [BK][BN]


@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;

  let off = batchOffsets(wid.z);
  let offA = off.x;
  let offB = off.y;

  var acc: array<f32, 16>;
  for (var i = 0u; i < 16u; i++) { acc[i] = 0.0; }

  for (var k0 = 0u; k0 < K; k0 += BK) {
    // Stage A and B tiles (4 elements per thread each); the faster-varying tile index follows
    // whichever axis is contiguous in memory so neighbouring threads read neighbouring words.
    for (var i = 0u; i < 4u; i++) {
      let e = li + i * 256u;
      var mm = e % BM;
      var kk = e / BM;
      if (params.aK == 1u) { mm = e / BK; kk = e % BK; }
      let m = row0 + mm;
      let k = k0 + kk;
      var v = 0.0;
      if (m < M && k < K) { v = lhs[offA + m * params.aM + k * params.aK]; }
      As[kk * BM + mm] = v;

      var nn = e % BN;
      var kb = e / BN;
      if (params.bN != 1u) { nn = e / BK; kb = e % BK; }
      let n = col0 + nn;
      let kq = k0 + kb;
      var w = 0.0;
      if (n < N && kq < K) { w = rhs[offB + kq * params.bK + n * params.bN]; }
      Bs[kb * BN + nn] = w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < R; i++) {
        av[i] = As[kk * BM + lid.y + i * TS];
        bv[i] = Bs[kk * BN + lid.x + i * TS];
      }
      for (var i = 0u; i < R; i++) {
        for (var j = 0u; j < R; j++) {
          acc[i * R + j] = fma(av[i], bv[j], acc[i * R + j]);
        }
      }
    }
    workgroupBarrier();
  }

  let outBase = wid.z * M * N;
  for (var i = 0u; i < R; i++) {
    let m = row0 + lid.y + i * TS;
    if (m >= M) { break; }
    for (var j = 0u; j < R; j++) {
      let n = col0 + lid.x + j * TS;
      if (n >= N) { break; }
      var v = params.alpha * acc[i * R + j];
      if (params.hasC != 0u) { v += params.beta * bias[m * params.cM + n * params.cN]; }
      y[outBase + m * N + n] = activate(v, params.a, params.b);
    }
  }
}
