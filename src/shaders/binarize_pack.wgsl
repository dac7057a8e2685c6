// Uses Params, the bindings, patchOrigin(), packWord() and divRound() from xnor_pack_common.wgsl
// (kernels/binary-net.ts prepends it).
// XNOR-Net activation packing (Rastegari et al. 2016), the first half of xnor_matmul.wgsl.
// One row is one GEMM row: an output pixel's receptive field in one group, im2col style with
// k = (c, kh, kw) (a MatMul is the 1x1 conv of x (M, K) viewed as (M, K, 1, 1)). Rows are ordered
// (g, n, oh, ow), so each group's rows are contiguous and the GEMM reads whole words per row.
// Output, one storage array of vec2<u32>:
//   packed[row * K32 + j] = (sign bits, valid mask) of k = 32j + t at bit t. sign(x) >= 0 gives 1,
//     so sign(0) = +1; the mask is 1 only for k < K inside the image, so padding and the tail past
//     K never count (their sign bits are 0 too).
//   packed[rows * K32 + row] = (valid count, bits of beta): beta = mean |x| over the valid taps
//     when SCALE, else 1.0.
// L lanes (a power of two <= 64, set by the host from K32) share a row: lane l packs words l, l+L, ...
// and the workgroup holds 64 / L rows. The |x| sum has a fixed order (each lane in k order, then a
// halving tree over lanes) that binary-net.ref.ts repeats, so beta is bit-exact.
// binarize_pack_rows.wgsl computes the same words and headers with one invocation per row.

var<workgroup> partSum: array<f32, 64>;
var<workgroup> partCnt: array<u32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let L = params.lanes;
  let lane = li % L;
  let row = (wid.x + wid.y * nwg.x) * (64u / L) + li / L;
  var sum = 0.0;
  var cnt = 0u;
  if (row < params.rows) {
    let origin = patchOrigin(row);
    for (var j = lane; j < params.K32; j += L) {
      let word = packWord(origin, j, &sum);
      packed[row * params.K32 + j] = word;
      cnt += countOneBits(word.y);
    }
  }
  // Every invocation reaches the barriers (no early return); rows past the end add zeros.
  partSum[li] = sum;
  partCnt[li] = cnt;
  workgroupBarrier();
  for (var h = L / 2u; h > 0u; h /= 2u) {
    if (lane < h) {
      partSum[li] = partSum[li] + partSum[li + h];
      partCnt[li] = partCnt[li] + partCnt[li + h];
    }
    workgroupBarrier();
  }
  if (lane == 0u && row < params.rows) {
    let count = partCnt[li];
    var beta = 1.0;
    if (SCALE) { beta = divRound(partSum[li], count); }
    packed[params.rows * params.K32 + row] = vec2<u32>(count, bitcast<u32>(beta));
  }
}
