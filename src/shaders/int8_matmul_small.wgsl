// Params and bindings: int8_matmul_io.wgsl; quantize() and epilogue(): int8_quantize.wgsl, int8_epilogue.wgsl.
// Uses dot4() from dot4_builtin.wgsl or dot4_unpacked.wgsl (kernels/int8.ts `withDot4`).
// The small-M form of int8_matmul.wgsl (same params, bindings and arithmetic; read that file for
// the quantisation, the zero-point expansion and the two epilogues). For M <= a few rows the 64x64
// tile of the tiled kernel leaves most of its rows idle, so here a workgroup of 64 threads owns
// NC = 32 output columns for RB = 4 rows and splits K instead: 4 column groups of 8 columns x 16
// K lanes; a thread walks packed words k4 = lane, lane + 16, ..., quantises each x word once and
// feeds it to 8 dot4s, then the lanes' partial sums are added up in workgroup memory. Integer sums
// wrap and are associative, so the split changes nothing in the result. One barrier per workgroup
// (SwiftShader pays dearly per barrier, so workgroups are few and wide rather than many).
// grid = (column blocks, folded into x and y, ceil(M/RB) in z).

const WG = 64u;
const KL = 16u; // K lanes
const CG = 4u; // column groups of 8 columns
const NC = 32u; // output columns per workgroup, 8 * CG
const RB = 4u; // rows per workgroup


// Per-thread partial sums, [slot][thread] so the reduction reads consecutive words: slots 0..7 are
// (row r, column half h) at 2r + h, 4 columns each; slot 8 the 4 row sums.
var<workgroup> part: array<vec4<i32>, 576>; // 9 * WG

// xq of row x[base..base+3], K's tail past K packing 0 (as int8_matmul.wgsl).
fn quantRow(base: u32, k: u32, K: u32) -> vec4<i32> {
  if (k + 3u < K) {
    return vec4<i32>(quantize(x[base]), quantize(x[base + 1u]), quantize(x[base + 2u]), quantize(x[base + 3u]));
  }
  var q = vec4<i32>(quantize(x[base]), 0, 0, 0);
  if (k + 1u < K) { q.y = quantize(x[base + 1u]); }
  if (k + 2u < K) { q.z = quantize(x[base + 2u]); }
  return q;
}

fn dots(xw: u32, wv: vec4<u32>) -> vec4<i32> {
  return vec4<i32>(dot4(xw, wv.x), dot4(xw, wv.y), dot4(xw, wv.z), dot4(xw, wv.w));
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  loadInputGrid();
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let K4 = params.K4;
  let col0 = (wid.y * nwg.x + wid.x) * NC; // grid y folds in column blocks past 65535
  let row0 = wid.z * RB;
  // Uniform across the workgroup (the folded grid may overshoot N by up to a row of blocks).
  let rows = min(RB, M - row0);
  let lane = li % KL;
  let cg = li / KL;
  let gc0 = col0 + cg * 8u; // this thread's 8 columns
  let cols = select(min(8u, N - gc0), 0u, gc0 >= N); // uniform across the group's 16 lanes

  // Named accumulators, rows unrolled, so they stay in registers: a<row><half>, 4 columns each.
  var a0l = vec4<i32>(0); var a0h = vec4<i32>(0);
  var a1l = vec4<i32>(0); var a1h = vec4<i32>(0);
  var a2l = vec4<i32>(0); var a2h = vec4<i32>(0);
  var a3l = vec4<i32>(0); var a3h = vec4<i32>(0);
  var rowSum = vec4<i32>(0);

  // Spare columns (cols < NC) re-read the last real column; their sums are never stored.
  let last = gc0 + max(cols, 1u) - 1u;
  let wl = vec4<u32>(min(vec4<u32>(gc0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last))) * K4;
  let wh = vec4<u32>(min(vec4<u32>(gc0) + vec4<u32>(4u, 5u, 6u, 7u), vec4<u32>(last))) * K4;
  let ones = vec4<i32>(1);

  if (cols > 0u) {
    for (var k4 = lane; k4 < K4; k4 += KL) {
      let vl = vec4<u32>(w[wl.x + k4], w[wl.y + k4], w[wl.z + k4], w[wl.w + k4]);
      let vh = vec4<u32>(w[wh.x + k4], w[wh.y + k4], w[wh.z + k4], w[wh.w + k4]);
      let k = k4 * 4u;
      let base = row0 * K + k;
      // Row 0 always exists; rows 1..3 behind uniform branches.
      let q0 = quantRow(base, k, K);
      let x0 = pack4(q0);
      a0l += dots(x0, vl); a0h += dots(x0, vh);
      rowSum.x += dot(q0, ones);
      if (rows > 1u) {
        let q1 = quantRow(base + K, k, K);
        let x1 = pack4(q1);
        a1l += dots(x1, vl); a1h += dots(x1, vh);
        rowSum.y += dot(q1, ones);
      }
      if (rows > 2u) {
        let q2 = quantRow(base + 2u * K, k, K);
        let x2 = pack4(q2);
        a2l += dots(x2, vl); a2h += dots(x2, vh);
        rowSum.z += dot(q2, ones);
      }
      if (rows > 3u) {
        let q3 = quantRow(base + 3u * K, k, K);
        let x3 = pack4(q3);
        a3l += dots(x3, vl); a3h += dots(x3, vh);
        rowSum.w += dot(q3, ones);
      }
    }
  }

  part[0u * WG + li] = a0l; part[1u * WG + li] = a0h;
  part[2u * WG + li] = a1l; part[3u * WG + li] = a1h;
  part[4u * WG + li] = a2l; part[5u * WG + li] = a2h;
  part[6u * WG + li] = a3l; part[7u * WG + li] = a3h;
  part[8u * WG + li] = rowSum;
  workgroupBarrier();

  // Thread (column group g, slot s < 8) adds up slot s (row s/2, 4 columns) over the group's 16
  // lanes, with its row's sum.
  if (li < CG * 8u) {
    let g = li / 8u;
    let slot = li % 8u;
    let r = slot / 2u;
    let c0 = g * 8u + (slot % 2u) * 4u; // within the workgroup's NC columns
    if (r < rows && col0 + c0 < N) {
      var acc = vec4<i32>(0);
      var s = vec4<i32>(0);
      for (var t = g * KL; t < (g + 1u) * KL; t++) {
        acc += part[slot * WG + t];
        s += part[8u * WG + t];
      }
      let sr = s[r];
      let m = row0 + r;
      for (var j = 0u; j < 4u; j++) {
        let n = col0 + c0 + j;
        if (n >= N) { break; }
        let ch = chan[n];
        let wZero = bitcast<i32>(ch.y);
        let colTerm = i32(K) * xZero * wZero - xZero * bitcast<i32>(ch.x);
        y[m * N + n] = epilogue(acc[j] + colTerm - wZero * sr, ch);
      }
    }
  }
}
