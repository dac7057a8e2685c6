// Uses dot4() from dot4_builtin.wgsl or dot4_unpacked.wgsl (kernels/int8.ts `withDot4`).
// Integer 2-D convolution as an implicit GEMM over (output pixels x output channels) on input
// that int8_conv_pack.wgsl quantised once into packed int8x4 words over the zero-padded frame.
// K runs in packed words: word kw of output channel m's weights (kernels/int8.ts Int8ConvPacking)
// meets the input word at the pixel's window origin + taps[kw], a host-computed offset, so the
// loop is one load per word and pixel: no bounds tests (padding is in the frame, as xZero), no
// quantisation, no divisions. Accumulation, zero-point expansion and the requant-or-float
// epilogue are those of int8_matmul.wgsl, read there: acc = sum xq*wq - xZero*wSum[m]
// - wZero[m]*sum xq + K*xZero*wZero[m] with K and wSum over the real taps; slack slots hold wZero
// weights, whose products cancel against the row sum.
// Register tiling instead of workgroup tiles: each invocation computes 4 neighbouring output
// pixels of one row x 8 output channels of one group (every input word feeds 8 dot4s, every
// weight word 4), with no workgroup memory or barriers (a SwiftShader barrier costs about as much
// as a whole small layer). Weight reads are the same address across a workgroup.
// grid = (ceil(pixel blocks / 64) folded into x and y, group * channel blocks in z).

const WG = 64u;

struct Params {
  M: u32, OH: u32, OW: u32, OWB: u32, // OWB: blocks of 4 output columns per row
  strideH: u32, strideW: u32, Hp: u32, Wp: u32,
  group: u32, CPg: u32, mPerGroup: u32, chBlocks: u32,
  words: u32, wOffset: u32, total: u32, _p0: u32, // words per output channel; total pixel blocks
  K: u32, K4: u32,
  xShift: i32, yZero: i32,
  lo: i32, hi: i32,
  floatOut: u32, yScale: f32,
  asym: u32,
  yMin: f32, yMax: f32, // float output: the fused ReLU or Clip as a clamp (requant clamps ReLU at lo)
  silu: u32, // float output: SiLU after the clamp (efficientnet's Mul(y, Sigmoid(y)), fused)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xp: array<u32>;         // (N, group, CPg, Hp, Wp) packed int8
@group(0) @binding(2) var<storage, read> w: array<u32>;          // (M, words) at wOffset, packed int8
@group(0) @binding(3) var<storage, read> chan: array<vec4<u32>>;  // (M), as int8_matmul.wgsl
@group(0) @binding(4) var<storage, read_write> y: array<f32>;    // (N, M, OH, OW)
@group(0) @binding(5) var<storage, read> xq: array<f32>;         // xScale, xZero, invXScale, unused
@group(0) @binding(6) var<storage, read> taps: array<u32>;       // (words): offset in xp from the window origin

fn dots(a: u32, wv: vec4<u32>) -> vec4<i32> {
  return vec4<i32>(dot4(a, wv.x), dot4(a, wv.y), dot4(a, wv.z), dot4(a, wv.w));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(workgroup_id) wid: vec3<u32>) {
  let pb = gid.x + gid.y * nwg.x * WG;
  if (pb >= params.total) { return; }
  let xZero = i32(xq[1]) + params.xShift;
  let OW = params.OW;
  let owb = pb % params.OWB;
  let t = pb / params.OWB;
  let oh = t % params.OH;
  let n = t / params.OH;
  let g = wid.z / params.chBlocks;
  let mLocal = (wid.z % params.chBlocks) * 8u;
  let mCount = min(8u, params.mPerGroup - mLocal);
  let m0 = g * params.mPerGroup + mLocal;

  // Spare channel lanes (mCount < 8) re-read the block's last channel; spare pixels (past OW) the
  // row's last pixel. Neither is stored.
  let words = params.words;
  let wl = (vec4<u32>(m0) + min(vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(mCount - 1u))) * words + params.wOffset;
  let wh = (vec4<u32>(m0) + min(vec4<u32>(4u, 5u, 6u, 7u), vec4<u32>(mCount - 1u))) * words + params.wOffset;
  let ow0 = owb * 4u;
  let owv = min(vec4<u32>(ow0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(OW - 1u));
  let rowBase = ((n * params.group + g) * params.CPg * params.Hp + oh * params.strideH) * params.Wp;
  let base = vec4<u32>(rowBase) + owv * params.strideW;

  var a0l = vec4<i32>(0); var a0h = vec4<i32>(0);
  var a1l = vec4<i32>(0); var a1h = vec4<i32>(0);
  var a2l = vec4<i32>(0); var a2h = vec4<i32>(0);
  var a3l = vec4<i32>(0); var a3h = vec4<i32>(0);
  var rowSum = vec4<i32>(0); // per pixel
  for (var k = 0u; k < words; k++) {
    let off = taps[k];
    let vl = vec4<u32>(w[wl.x + k], w[wl.y + k], w[wl.z + k], w[wl.w + k]);
    let vh = vec4<u32>(w[wh.x + k], w[wh.y + k], w[wh.z + k], w[wh.w + k]);
    let x0 = xp[base.x + off];
    let x1 = xp[base.y + off];
    let x2 = xp[base.z + off];
    let x3 = xp[base.w + off];
    a0l += dots(x0, vl); a0h += dots(x0, vh);
    a1l += dots(x1, vl); a1h += dots(x1, vh);
    a2l += dots(x2, vl); a2h += dots(x2, vh);
    a3l += dots(x3, vl); a3h += dots(x3, vh);
    if (params.asym != 0u) { // uniform: symmetric weights skip the row sums
      rowSum += vec4<i32>(dot4(x0, 0x01010101u), dot4(x1, 0x01010101u), dot4(x2, 0x01010101u), dot4(x3, 0x01010101u));
    }
  }

  var acc = array<vec4<i32>, 8>(a0l, a0h, a1l, a1h, a2l, a2h, a3l, a3h); // [pixel][half]
  let ohw = params.OH * OW;
  let yPix = n * params.M * ohw + oh * OW + ow0;
  let K = i32(params.K);
  for (var c = 0u; c < mCount; c++) {
    let m = m0 + c;
    let ch = chan[m];
    let wZero = bitcast<i32>(ch.y);
    let colTerm = K * xZero * wZero - xZero * bitcast<i32>(ch.x);
    for (var j = 0u; j < 4u; j++) {
      if (ow0 + j >= OW) { break; }
      let a = acc[j * 2u + c / 4u][c % 4u];
      y[yPix + m * ohw + j] = epilogue(a + colTerm - wZero * rowSum[j], ch);
    }
  }
}
