// A training minibatch gathered on the GPU from a dataset that stays there: row b of x is item
// indices[b] preprocessed as the CPU batcher does ((v/255 - mean[c])/std[c] for normalize, c the
// value's colour channel: ⌊k/plane⌋ in NCHW items, k mod channels in NHWC ones), and labels[b]
// its class. An index of 0xffffffff marks a padding row: zeros and label -1 (the loss skips it).
// With augmentation on, row b is first shifted and mirrored as aug[b] says (dx | dy << 8 |
// flip << 16): a random crop of the image padded by `pad` zero pixels on every side, as
// torchvision's RandomCrop(padding) + RandomHorizontalFlip on the stored bytes.
// Per step only the indices (and aug words) cross to the GPU.
override U8: u32 = 1u; // 1: items are bytes packed four to a u32; 0: f32 bit patterns
override WG: u32 = 64u;

struct Params {
  itemSize: u32, rows: u32, kind: u32, channels: u32, // kind: 0 raw, 1 unit (v/255), 2 normalize
  plane: u32, nhwc: u32, height: u32, width: u32,
  augment: u32, pad: u32, _p0: u32, _p1: u32,
  mu: vec4<f32>, sigma: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> data: array<u32>;
@group(0) @binding(2) var<storage, read> classes: array<i32>;
@group(0) @binding(3) var<storage, read> indices: array<u32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> labels: array<f32>;
@group(0) @binding(6) var<storage, read> aug: array<u32>;

const PAD: u32 = 0xffffffffu;

fn item_value(j: u32) -> f32 {
  if (U8 == 1u) { return f32((data[j >> 2u] >> ((j & 3u) * 8u)) & 0xffu); }
  return bitcast<f32>(data[j]);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  let total = params.itemSize * params.rows;
  if (i >= total) { return; }
  let b = i / params.itemSize;
  let k = i % params.itemSize;
  let item = indices[b];
  if (k == 0u) { labels[b] = select(f32(classes[item]), -1.0, item == PAD); }
  if (item == PAD) { x[i] = 0.0; return; }
  let c = select(k / params.plane, k % params.channels, params.nhwc == 1u);
  var src = k;
  var inside = true;
  if (params.augment == 1u) {
    let p = select(k % params.plane, k / params.channels, params.nhwc == 1u); // pixel index y·W + x
    let a = aug[b];
    let px = select(p % params.width, params.width - 1u - p % params.width, ((a >> 16u) & 1u) == 1u);
    let sx = i32(px) + i32(a & 0xffu) - i32(params.pad);
    let sy = i32(p / params.width) + i32((a >> 8u) & 0xffu) - i32(params.pad);
    inside = sx >= 0 && sy >= 0 && sx < i32(params.width) && sy < i32(params.height);
    let q = u32(max(sy, 0)) * params.width + u32(max(sx, 0));
    src = select(c * params.plane + q, q * params.channels + c, params.nhwc == 1u);
  }
  var v = select(0.0, item_value(item * params.itemSize + src), inside);
  if (params.kind == 1u) { v = v / 255.0; }
  if (params.kind == 2u) { v = (v / 255.0 - params.mu[c]) / params.sigma[c]; }
  x[i] = v;
}
