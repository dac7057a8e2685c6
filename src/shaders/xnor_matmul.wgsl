// Uses the params, bindings and storeOutput() of xnor_gemm_io.wgsl (kernels/binary-net.ts).
// XNOR-popcount GEMM (XNOR-Net): y = act(alpha[ch] * beta[row] * dot + bias[ch]), where
//   dot = sum over valid k of sign(x) * sign(w) = 2 * popcount(~(a ^ w) & mask) - popcount(mask)
//       = count - 2 * popcount((a ^ w) & mask)     (same value, one op fewer per word)
// A: rows packed by binarize_pack.wgsl (sign bits, mask) and their (count, beta) headers;
// B: weight signs (Nout, K32), 32 per u32 along K. grid z = group: group g multiplies its rows
// (Pb of them, ordered (n, oh, ow)) by its Nc output channels.
// A workgroup of 16x16 threads computes a 64x64 tile; each thread owns 4x4 outputs (rows ty + 16i,
// cols tx + 16j), so every A word it loads meets 4 weight words and every weight word 4 rows. K is
// walked 8 words (256 signs) at a time through workgroup memory.
const TS = 16u; // threads per side
const R = 4u;   // outputs per thread per side
const BM = 64u; // TS * R
const BN = 64u;
const BK = 8u;  // words per K step

var<workgroup> As: array<vec2<u32>, 512>; // [BK][BM]
var<workgroup> Bs: array<u32, 512>;       // [BK][BN]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let K32 = params.K32;
  let g = wid.z;
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let aBase = g * params.Pb * K32;
  let wBase = g * params.Nc * K32;

  let ownsOutput = row0 + lid.y < params.Pb && col0 + lid.x < params.Nc;
  var acc: array<u32, 16>; // mismatches (a ^ w) & mask
  for (var i = 0u; i < 16u; i++) { acc[i] = 0u; }

  for (var k0 = 0u; k0 < K32; k0 += BK) {
    // Stage 64 rows x 8 words of A and 64 channels x 8 words of B; k fastest, so neighbouring
    // threads read neighbouring words. Out-of-range A words get mask 0 and count nothing.
    for (var i = 0u; i < 2u; i++) {
      let e = li + i * 256u;
      let mm = e / BK;
      let kk = e % BK;
      let k = k0 + kk;
      var av = vec2<u32>(0u);
      if (row0 + mm < params.Pb && k < K32) { av = packed[aBase + (row0 + mm) * K32 + k]; }
      As[kk * BM + mm] = av;
      var wv = 0u;
      if (col0 + mm < params.Nc && k < K32) { wv = wbits[wBase + (col0 + mm) * K32 + k]; }
      Bs[kk * BN + mm] = wv;
    }
    workgroupBarrier();
    // Threads whose first row or column is past the edge own no output: they only help stage, so
    // M = 1 or a depthwise conv (one channel per group) costs a sliver of the tile, not all of it.
    for (var kk = 0u; kk < BK && ownsOutput; kk++) {
      var av: array<vec2<u32>, 4>;
      var bv: array<u32, 4>;
      for (var i = 0u; i < R; i++) {
        av[i] = As[kk * BM + lid.y + i * TS];
        bv[i] = Bs[kk * BN + lid.x + i * TS];
      }
      for (var i = 0u; i < R; i++) {
        for (var j = 0u; j < R; j++) {
          acc[i * R + j] += countOneBits((av[i].x ^ bv[j]) & av[i].y);
        }
      }
    }
    workgroupBarrier();
  }

  let hdrBase = params.rows * K32 + g * params.Pb;
  for (var i = 0u; i < R; i++) {
    let r = row0 + lid.y + i * TS;
    if (r >= params.Pb) { break; }
    let hdr = packed[hdrBase + r];
    for (var j = 0u; j < R; j++) {
      let n = col0 + lid.x + j * TS;
      if (n >= params.Nc) { break; }
      storeOutput(r, hdr, g * params.Nc + n, acc[i * R + j]);
    }
  }
}
