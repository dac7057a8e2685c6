// Softmax cross-entropy, optionally with knowledge distillation (Hinton et al. 2015), forward and
// backward together: one workgroup per row of (B, K) logits.
//   hard:         loss = CE = logsumexp(z) - z[y]
//   with teacher: loss = alpha T^2 KL(softmax(t/T) || softmax(z/T)) + (1 - alpha) CE
//   dlogits = d(mean loss over the valid rows)/dz.
// Rows whose label is outside [0, K) are padding: dlogits 0, stats 0, not counted in the mean.
// Two reductions per row, (max, first argmax) of z and t, then four exp-sums from which the KL
// follows without a third; a last pass writes dlogits. Everything is max-subtracted.
override TEACHER: bool = false;
override WG: u32 = 64u; // a power of two, for the tree reductions

struct Params {
  B: u32,
  K: u32,
  validRows: u32, // divisor of the batch mean; 0: count the valid labels here
  _pad: u32,
  temperature: f32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;        // (B, K) student
@group(0) @binding(2) var<storage, read> labels: array<f32>;        // (B) class index as f32
@group(0) @binding(3) var<storage, read> teacher: array<f32>;       // (B, K); the logits again without a teacher
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>; // (B, K)
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;   // (B, 4): loss, correct, agree, finite

var<workgroup> redV: array<vec4<f32>, WG>;
var<workgroup> redI: array<vec2<u32>, WG>;

/** The row's class, or -1 for padding (negative, or past the last class). */
fn classOf(b: u32) -> i32 {
  let l = labels[b];
  if (l < 0.0) { return -1; }
  let c = u32(l + 0.5);
  return select(-1, i32(c), c < params.K);
}

// By the bits: WGSL lets the compiler assume floats are finite, so v == v style tests may fold away.
fn isFinite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= params.B) { return; } // the whole workgroup leaves together
  let K = params.K;
  let base = row * K;
  let invT = 1.0 / params.temperature;

  // Pass 1: max and first argmax of student and teacher; each thread starts from element 0 so a
  // thread with no larger element reports index 0, the right answer for ties with it.
  var ms = logits[base]; var si = 0u;
  var mt = teacher[base]; var ti = 0u;
  for (var j = lid; j < K; j += WG) {
    let s = logits[base + j];
    if (s > ms) { ms = s; si = j; }
    if (TEACHER) {
      let t = teacher[base + j];
      if (t > mt) { mt = t; ti = j; }
    }
  }
  var valid = 0.0;
  if (params.validRows == 0u) {
    for (var b = lid; b < params.B; b += WG) { if (classOf(b) >= 0) { valid += 1.0; } }
  }
  redV[lid] = vec4<f32>(ms, mt, valid, 0.0);
  redI[lid] = vec2<u32>(si, ti);
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let a = redV[lid]; let o = redV[lid + s];
      var ai = redI[lid]; let oi = redI[lid + s];
      var r = a;
      // Larger value wins; equal values keep the lower index, so the argmax is the first maximum.
      if (o.x > a.x || (o.x == a.x && oi.x < ai.x)) { r.x = o.x; ai.x = oi.x; }
      if (o.y > a.y || (o.y == a.y && oi.y < ai.y)) { r.y = o.y; ai.y = oi.y; }
      r.z = a.z + o.z;
      redV[lid] = r;
      redI[lid] = ai;
    }
    workgroupBarrier();
  }
  let m = redV[0];
  let arg = redI[0];
  workgroupBarrier(); // everyone has read pass 1 before redV is reused

  // Pass 2: Ss = sum e^(z-ms), SsT = sum e^((z-ms)/T), St = sum e^a with a = (t-mt)/T, and
  // Wt = sum e^a (a - (z-ms)/T). Then KL = sum p_t (log p_t - log q) = Wt/St - log St + log SsT.
  var acc = vec4<f32>(0.0);
  for (var j = lid; j < K; j += WG) {
    let zs = logits[base + j] - m.x;
    acc.x += exp(zs);
    if (TEACHER) {
      let bs = zs * invT;
      let a = (teacher[base + j] - m.y) * invT;
      let ea = exp(a);
      acc.y += exp(bs);
      acc.z += ea;
      acc.w += ea * (a - bs);
    }
  }
  redV[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { redV[lid] += redV[lid + s]; }
    workgroupBarrier();
  }
  let sums = redV[0];

  let y = classOf(row);
  let isValid = y >= 0;
  let rows = select(f32(params.validRows), m.z, params.validRows == 0u);
  let scale = 1.0 / max(rows, 1.0);
  let ce = log(sums.x) - (logits[base + u32(max(y, 0))] - m.x);
  var loss = ce;
  var hard = 1.0;
  var soft = 0.0;
  if (TEACHER) {
    let T = params.temperature;
    let alpha = params.alpha;
    // KL >= 0; rounding in the difference can leave a tiny negative.
    let kl = max(sums.w / sums.z - log(sums.z) + log(sums.y), 0.0);
    loss = alpha * T * T * kl + (1.0 - alpha) * ce;
    hard = 1.0 - alpha;
    soft = alpha * T; // T^2 times the 1/T of the chain rule through z/T
  }

  // Pass 3: dlogits = (hard (p - onehot) + soft (q - p_t)) / rows.
  let invSs = 1.0 / sums.x;
  let invSsT = 1.0 / sums.y;
  let invSt = 1.0 / sums.z;
  for (var j = lid; j < K; j += WG) {
    let zs = logits[base + j] - m.x;
    var g = hard * (exp(zs) * invSs - select(0.0, 1.0, i32(j) == y));
    if (TEACHER) {
      let q = exp(zs * invT) * invSsT;
      let pt = exp((teacher[base + j] - m.y) * invT) * invSt;
      g += soft * (q - pt);
    }
    dlogits[base + j] = select(0.0, g * scale, isValid);
  }
  if (lid == 0u) {
    var st = vec4<f32>(0.0);
    if (isValid) {
      st = vec4<f32>(loss, select(0.0, 1.0, i32(arg.x) == y),
                     select(0.0, 1.0, TEACHER && arg.x == arg.y), select(0.0, 1.0, isFinite(loss)));
    }
    stats[row * 4u] = st.x;
    stats[row * 4u + 1u] = st.y;
    stats[row * 4u + 2u] = st.z;
    stats[row * 4u + 3u] = st.w;
  }
}
