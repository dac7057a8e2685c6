// Uses Params, the bindings, patchOrigin(), packWord() and divRound() from xnor_pack_common.wgsl
// (kernels/binary-net.ts prepends it).
// binarize_pack.wgsl's words and (count, beta) headers with one invocation per row and no workgroup
// memory or barriers, for software adapters (where a barrier costs about as much as a small layer).
// beta stays bit-exact: the invocation keeps the L lanes' partial |x| sums apart (lane l: words
// l, l+L, ... in k order) and adds them by the same halving tree the lanes would.

const WG = 64u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= params.rows) { return; }
  let L = params.lanes;
  let origin = patchOrigin(row);
  var part: array<f32, 64>;
  var cnt = 0u;
  for (var lane = 0u; lane < L; lane++) {
    var sum = 0.0;
    for (var j = lane; j < params.K32; j += L) {
      let word = packWord(origin, j, &sum);
      packed[row * params.K32 + j] = word;
      cnt += countOneBits(word.y);
    }
    part[lane] = sum;
  }
  for (var h = L / 2u; h > 0u; h /= 2u) {
    for (var l = 0u; l < h; l++) { part[l] = part[l] + part[l + h]; }
  }
  var beta = 1.0;
  if (SCALE) { beta = divRound(part[0], cnt); }
  packed[params.rows * params.K32 + row] = vec2<u32>(cnt, bitcast<u32>(beta));
}
