// Params and bindings: int8_matmul_io.wgsl; quantize() and epilogue(): int8_quantize.wgsl, int8_epilogue.wgsl.
// Uses dot4() from dot4_builtin.wgsl or dot4_unpacked.wgsl (kernels/int8.ts `withDot4`).
// Integer-arithmetic matmul after Jacob et al. 2018, y (M, N) from f32 x (M, K) and int8 weights
// pre-packed 4 per u32 along K, layout (N, K4). Per output:
//   xq  = clamp(round(x * invXScale) + xZero, -128, 127)     quantised on load, 4 K values per u32
//   acc = sum_k (xq - xZero)(wq - wZero[n])                   in i32, wrapping like the CPU reference
//       = sum xq*wq - xZero*wSum[n] - wZero[n]*sum xq + K*xZero*wZero[n]
// then one of two epilogues (params.floatOut, uniform so one pipeline serves both):
//   requant: yq = clamp(round(f32(acc + bias[n]) * mult[n]) + yZero, lo, hi)   lo = yZero fuses ReLU
//            y  = f32(yq - yZero) * yScale                    stored dequantised for f32 consumers
//   float:   y  = f32(acc) * (xScale * wScale[n]) + biasF[n], then max(y, 0) for ReLU
// (xScale, xZero, invXScale) come from the storage binding xq, static (uploaded by the host) or
// computed on the GPU (dynamicQuantParams); xZero there is shifted by params.xShift (-128 puts a
// uint8 grid on int8). round() is half-to-even and every float step is one correctly rounded f32
// operation, so the CPU reference (kernels/int8.ref.ts) can match bit for bit (the float
// epilogue guards its multiply-add against fma contraction, see epilogue()).
// Tiling as in matmul.wgsl: 16x16 threads, a 64x64 output tile, each thread a 4x4 block (rows
// ty + 16i, cols tx + 16j); K walked 8 packed words (32 values) at a time through workgroup
// memory, so each x value is quantised once per tile. grid = (ceil(N/64), ceil(M/64), 1).

const TS = 16u;
const R = 4u;
const BM = 64u;
const BN = 64u;
const BK4 = 8u; // packed words per K tile


// xq's values, read once per invocation at the top of main.
var<workgroup> Xs: array<u32, 512>; // [BK4][BM]
var<workgroup> Ws: array<u32, 512>; // [BK4][BN]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  loadInputGrid();
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let K4 = params.K4;
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;

  var acc: array<i32, 16>;
  var rowSum: array<i32, 4>;
  for (var i = 0u; i < 16u; i++) { acc[i] = 0; }
  for (var i = 0u; i < 4u; i++) { rowSum[i] = 0; }

  for (var k40 = 0u; k40 < K4; k40 += BK4) {
    // Stage 2 words of x and 2 of w per thread; kk varies fastest so neighbouring threads read
    // neighbouring addresses (both x and w are contiguous along K).
    for (var s = 0u; s < 2u; s++) {
      let e = li + s * 256u;
      let kk = e % BK4;
      let r = e / BK4;
      let k4 = k40 + kk;
      // K's tail past K packs xq = 0 (any value works: the weight tail is wZero, and 0 keeps the
      // row sum over the real K only).
      var q = vec4<i32>(0);
      let m = row0 + r;
      if (m < M && k4 < K4) {
        let k = k4 * 4u;
        let base = m * K + k;
        if (k < K) { q.x = quantize(x[base]); }
        if (k + 1u < K) { q.y = quantize(x[base + 1u]); }
        if (k + 2u < K) { q.z = quantize(x[base + 2u]); }
        if (k + 3u < K) { q.w = quantize(x[base + 3u]); }
      }
      Xs[kk * BM + r] = pack4(q);
      let n = col0 + r;
      var wv = 0u;
      if (n < N && k4 < K4) { wv = w[n * K4 + k4]; }
      Ws[kk * BN + r] = wv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK4; kk++) {
      var a: array<u32, 4>;
      var b: array<u32, 4>;
      for (var i = 0u; i < R; i++) {
        a[i] = Xs[kk * BM + lid.y + i * TS];
        b[i] = Ws[kk * BN + lid.x + i * TS];
      }
      for (var i = 0u; i < R; i++) {
        for (var j = 0u; j < R; j++) {
          acc[i * R + j] += dot4(a[i], b[j]);
        }
      }
      if (params.asym != 0u) { // uniform: symmetric weights skip the row sums entirely
        for (var i = 0u; i < R; i++) { rowSum[i] += dot4(a[i], 0x01010101u); }
      }
    }
    workgroupBarrier();
  }

  for (var j = 0u; j < R; j++) {
    let n = col0 + lid.x + j * TS;
    if (n >= N) { break; }
    let ch = chan[n];
    let wZero = bitcast<i32>(ch.y);
    // The per-column terms of the zero-point expansion.
    let colTerm = i32(K) * xZero * wZero - xZero * bitcast<i32>(ch.x);
    for (var i = 0u; i < R; i++) {
      let m = row0 + lid.y + i * TS;
      if (m >= M) { break; }
      y[m * N + n] = epilogue(acc[i * R + j] + colTerm - wZero * rowSum[i], ch);
    }
  }
}
