// Uses the params, bindings and storeOutput() of xnor_gemm_io.wgsl (kernels/binary-net.ts).
// The XNOR-popcount GEMM of xnor_matmul.wgsl (same bindings, params, arithmetic and epilogue) with
// register tiles instead of workgroup tiles, for software adapters: each invocation computes 4 rows
// x 8 output channels of one group, walking K one word at a time (4 packed A words and 8 weight
// words feed 32 xor-and-popcounts), with no workgroup memory or barriers (a SwiftShader barrier
// costs about as much as a whole small layer). Weight reads are the same address across a
// workgroup, whose 64 invocations take consecutive row blocks.
// grid = (row blocks / 64 folded into x and y, group * channel blocks in z); blocks past the end
// re-read the last row / channel and store nothing.
const WG = 64u;

fn miss(a: vec2<u32>, w: vec4<u32>) -> vec4<u32> { return countOneBits((vec4<u32>(a.x) ^ w) & vec4<u32>(a.y)); }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(workgroup_id) wid: vec3<u32>) {
  let rb = gid.x + gid.y * nwg.x * WG;
  let r0 = rb * 4u;
  if (r0 >= params.Pb) { return; }
  let K32 = params.K32;
  let g = wid.z / params.chBlocks;
  let n0 = (wid.z % params.chBlocks) * 8u;
  let nCount = min(8u, params.Nc - n0);
  let rCount = min(4u, params.Pb - r0);
  let aRow = vec4<u32>(g * params.Pb + r0) + min(vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(rCount - 1u));
  let aBase = aRow * K32;
  let ch0 = g * params.Nc + n0;
  let wl = (vec4<u32>(ch0) + min(vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(nCount - 1u))) * K32;
  let wh = (vec4<u32>(ch0) + min(vec4<u32>(4u, 5u, 6u, 7u), vec4<u32>(nCount - 1u))) * K32;

  var m0l = vec4<u32>(0u); var m0h = vec4<u32>(0u);
  var m1l = vec4<u32>(0u); var m1h = vec4<u32>(0u);
  var m2l = vec4<u32>(0u); var m2h = vec4<u32>(0u);
  var m3l = vec4<u32>(0u); var m3h = vec4<u32>(0u);
  for (var k = 0u; k < K32; k++) {
    let vl = vec4<u32>(wbits[wl.x + k], wbits[wl.y + k], wbits[wl.z + k], wbits[wl.w + k]);
    let vh = vec4<u32>(wbits[wh.x + k], wbits[wh.y + k], wbits[wh.z + k], wbits[wh.w + k]);
    let a0 = packed[aBase.x + k];
    let a1 = packed[aBase.y + k];
    let a2 = packed[aBase.z + k];
    let a3 = packed[aBase.w + k];
    m0l += miss(a0, vl); m0h += miss(a0, vh);
    m1l += miss(a1, vl); m1h += miss(a1, vh);
    m2l += miss(a2, vl); m2h += miss(a2, vh);
    m3l += miss(a3, vl); m3h += miss(a3, vh);
  }

  var acc = array<vec4<u32>, 8>(m0l, m0h, m1l, m1h, m2l, m2h, m3l, m3h); // [row][half]
  let hdrBase = params.rows * K32 + g * params.Pb;
  for (var i = 0u; i < rCount; i++) {
    let hdr = packed[hdrBase + r0 + i];
    for (var j = 0u; j < nCount; j++) { storeOutput(r0 + i, hdr, ch0 + j, acc[i * 2u + j / 4u][j % 4u]); }
  }
}
