// Backward of pool2d.wgsl (MaxPool / AveragePool over NCHW), and of GlobalAveragePool.
// One invocation per dx element gathers dy over every window that contains it, so no two
// invocations write the same element and no atomics are needed. Max recomputes each window's
// argmax (no index buffer): the gradient goes to the first maximum in window order (kh, then kw),
// the element the forward's running max(acc, v) first reached. Average divides by the same count
// as the forward. KIND 2 is GlobalAveragePool: dx = dy[n, c] / (H * W). KIND 3 is max pooling whose
// windows tile the input exactly (stride = kernel, no pads or dilation): one invocation per window
// finds its argmax once and writes the whole window, a quarter of the reads for 2x2 (LeNet's pools).
override KIND: u32 = 0u; // 0 max, 1 average, 2 global average, 3 max over tiling windows
override WG: u32 = 64u;

struct Params {
  H: u32, W: u32, OH: u32, OW: u32,
  KH: u32, KW: u32, strideH: u32, strideW: u32,
  padT: i32, padL: i32, padB: i32, padR: i32,
  dilH: u32, dilW: u32, countIncludePad: u32, total: u32, // total = dx elements
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // (N, C, H, W), read by max only
@group(0) @binding(2) var<storage, read> dy: array<f32>;       // (N, C, OH, OW)
@group(0) @binding(3) var<storage, read_write> dx: array<f32>; // (N, C, H, W)

// Taps of a window along one axis that fall inside the input (.x) and inside the padded input (.y).
fn axisCounts(start: i32, K: u32, dil: u32, size: i32, padEnd: i32) -> vec2<u32> {
  var real = 0u; var padded = 0u;
  for (var k = 0u; k < K; k++) {
    let i = start + i32(k * dil);
    if (i < size + padEnd) { padded++; }
    if (i >= 0 && i < size) { real++; }
  }
  return vec2<u32>(real, padded);
}

// True when the window at (ih0, iw0) has its first maximum at tap (khT, kwT).
fn isArgmax(xBase: u32, ih0: i32, iw0: i32, khT: u32, kwT: u32) -> bool {
  let H = i32(params.H);
  let W = i32(params.W);
  var found = false;
  var best = 0.0;
  var bestKh = 0u; var bestKw = 0u;
  for (var kh = 0u; kh < params.KH; kh++) {
    let ih = ih0 + i32(kh * params.dilH);
    if (ih < 0 || ih >= H) { continue; }
    for (var kw = 0u; kw < params.KW; kw++) {
      let iw = iw0 + i32(kw * params.dilW);
      if (iw < 0 || iw >= W) { continue; }
      let v = x[xBase + u32(ih) * params.W + u32(iw)];
      // Strictly greater: a later tie does not take the maximum from an earlier tap.
      if (!found || v > best) { found = true; best = v; bestKh = kh; bestKw = kw; }
    }
  }
  return found && bestKh == khT && bestKw == kwT;
}

// KIND 3: i indexes windows (n, c, oh, ow); total counts windows.
fn tiledMax(i: u32) {
  let ohw = params.OH * params.OW;
  let nc = i / ohw;
  let o = i % ohw;
  let base = nc * params.H * params.W + (o / params.OW) * params.KH * params.W + (o % params.OW) * params.KW;
  var best = x[base];
  var arg = base;
  for (var kh = 0u; kh < params.KH; kh++) {
    for (var kw = 0u; kw < params.KW; kw++) {
      let j = base + kh * params.W + kw;
      if (x[j] > best) { best = x[j]; arg = j; }
    }
  }
  let g = dy[i];
  for (var kh = 0u; kh < params.KH; kh++) {
    for (var kw = 0u; kw < params.KW; kw++) {
      let j = base + kh * params.W + kw;
      dx[j] = select(0.0, g, j == arg);
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  let hw = params.H * params.W;
  let nc = i / hw;
  if (KIND == 2u) { dx[i] = dy[nc] / f32(hw); return; }
  if (KIND == 3u) { tiledMax(i); return; }
  let p = i % hw;
  let ih = i32(p / params.W);
  let iw = i32(p % params.W);
  let xBase = nc * hw;
  let yBase = nc * params.OH * params.OW;

  var acc = 0.0;
  for (var kh = 0u; kh < params.KH; kh++) {
    // Output row whose window puts tap kh on row ih, if any.
    let th = ih + params.padT - i32(kh * params.dilH);
    if (th < 0 || u32(th) % params.strideH != 0u) { continue; }
    let oh = u32(th) / params.strideH;
    if (oh >= params.OH) { continue; }
    let ih0 = i32(oh * params.strideH) - params.padT;
    for (var kw = 0u; kw < params.KW; kw++) {
      let tw = iw + params.padL - i32(kw * params.dilW);
      if (tw < 0 || u32(tw) % params.strideW != 0u) { continue; }
      let ow = u32(tw) / params.strideW;
      if (ow >= params.OW) { continue; }
      let iw0 = i32(ow * params.strideW) - params.padL;
      let g = dy[yBase + oh * params.OW + ow];
      if (KIND == 0u) {
        if (isArgmax(xBase, ih0, iw0, kh, kw)) { acc += g; }
      } else {
        let ch = axisCounts(ih0, params.KH, params.dilH, i32(params.H), params.padB);
        let cw = axisCounts(iw0, params.KW, params.dilW, i32(params.W), params.padR);
        let count = select(ch.x * cw.x, ch.y * cw.y, params.countIncludePad != 0u);
        acc += g / f32(count); // count >= 1: this window holds element (ih, iw)
      }
    }
  }
  dx[i] = acc;
}
