/**
 * Built-in students, from a short spec: `mlp:784-64-10` (layer widths, input first), `cnn:8-16-10`
 * (5×5 'same'-padded conv channels, each with ReLU and 2×2 max-pool, then a Gemm to the classes;
 * `fc128` adds a hidden dense layer, `k3.` before a channel count makes that conv 3×3, a `v` after
 * it unpadded) and `convnet` (jax-js's MNIST demo ConvNet, unpadded: conv5×5×24 → pool →
 * conv3×3×32 → pool → 128 → 10, 28 → 24 → 12 → 10 → 5, 800 features). Weights He-uniform from a seed,
 * biases zero: the same spec and seed give the same model. `resnet:20-10` is He et al.'s CIFAR ResNet
 * (3×3 stem, three stages of n basic blocks at widths w, 2w, 4w with BatchNorm, the first block of
 * stages 2 and 3 at stride 2 with a 1×1 projection shortcut, global average pool, dense).
 */
import { GraphBuilder, int, ints, tensor } from '../model/builder';
import type { Model } from '../model/ir';
import { makeRng } from '../core/rng';
import { ModelError } from '../core/errors';
import { parseArch, type ArchSpec } from '../recipe/student-spec';

export { parseArch, type ArchSpec, type Layer } from '../recipe/student-spec';


/** He-uniform weights (bound √(6 / fan-in)), drawn from `rng`. */
export function heUniform(rng: () => number, fanIn: number, n: number): Float32Array {
  const bound = Math.sqrt(6 / fanIn);
  return Float32Array.from({ length: n }, () => (rng() * 2 - 1) * bound);
}


/**
 * Builds the model for items of `itemShape` (e.g. [28, 28]; a 3-D item is [C, H, W]). The MLP
 * takes [N, H·W] and checks its declared input width against it.
 */
export function buildArch(spec: string, itemShape: number[], seed = 1): Model {
  const arch = parseArch(spec);
  const rng = makeRng(seed);
  const b = new GraphBuilder(spec.replace(/[^a-z0-9]+/gi, '_'), 13);
  const dense = (x: string, inDim: number, units: number, relu: boolean, name: string) => {
    const w = b.initializer(`${name}.weight`, tensor('float32', [units, inDim], heUniform(rng, inDim, units * inDim)));
    const bias = b.initializer(`${name}.bias`, tensor('float32', [units], new Float32Array(units)));
    const y = b.node('Gemm', [x, w, bias], { transB: int(1) }, { name });
    return relu ? b.node('Relu', [y], {}, { name: `${name}.relu` }) : y;
  };
  const size = itemShape.reduce((a, d) => a * d, 1);
  if (arch.kind === 'resnet') return buildResnet(b, spec, arch, itemShape, rng);

  if (arch.kind === 'mlp') {
    const declared = Number(spec.split(':')[1]!.split('-')[0]);
    if (declared !== size) throw new ModelError(`'${spec}' takes ${declared} inputs but the data's items have ${size} values (${itemShape.join('×')})`);
    let x = b.input('input', 'float32', ['N', size]);
    let width = size;
    arch.layers.forEach((l, i) => { x = dense(x, width, (l as { units: number }).units, true, `fc${i + 1}`); width = (l as { units: number }).units; });
    const y = dense(x, width, arch.classes, false, `fc${arch.layers.length + 1}`);
    b.output(y, 'float32', ['N', arch.classes]);
    return b.build();
  }

  const [C0, H0, W0] = itemShape.length === 3 ? itemShape as [number, number, number] : [1, itemShape[0] ?? 1, itemShape[1] ?? 1];
  if (arch.input && arch.input.join('x') !== [C0, H0, W0].join('x')) {
    throw new ModelError(`'${spec}' takes ${arch.input.join('×')} items but the data's are ${[C0, H0, W0].join('×')}; load data of that shape (a preset or --size) or change the spec`);
  }
  let x = b.input('input', 'float32', ['N', C0, H0, W0]);
  let [c, h, w] = [C0, H0, W0];
  let flat = 0;
  let conv = 0, fc = 0;
  for (const l of arch.layers) {
    if (l.kind === 'conv') {
      if (flat) throw new ModelError(`'${spec}': conv layers must come before dense ones`);
      conv++;
      const k = l.kernel, fanIn = c * k * k;
      const wt = b.initializer(`conv${conv}.weight`, tensor('float32', [l.channels, c, k, k], heUniform(rng, fanIn, l.channels * fanIn)));
      const bias = b.initializer(`conv${conv}.bias`, tensor('float32', [l.channels], new Float32Array(l.channels)));
      const pad = l.valid ? 0 : (k - 1) >> 1;
      x = b.node('Conv', [x, wt, bias], { kernel_shape: ints([k, k]), pads: ints([pad, pad, pad, pad]) }, { name: `conv${conv}` });
      x = b.node('Relu', [x], {}, { name: `conv${conv}.relu` });
      x = b.node('MaxPool', [x], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }, { name: `pool${conv}` });
      [c, h, w] = [l.channels, Math.floor((h - (k - 1 - 2 * pad)) / 2), Math.floor((w - (k - 1 - 2 * pad)) / 2)];
      if (h < 1 || w < 1) throw new ModelError(`'${spec}': ${conv} pooled conv layers shrink ${H0}×${W0} items to nothing`);
    } else {
      if (!flat) { x = b.node('Flatten', [x], { axis: int(1) }, { name: 'flatten' }); flat = c * h * w; }
      fc++;
      x = dense(x, flat, l.units, true, `fc${fc}`);
      flat = l.units;
    }
  }
  if (!flat) { x = b.node('Flatten', [x], { axis: int(1) }, { name: 'flatten' }); flat = c * h * w; }
  const y = dense(x, flat, arch.classes, false, `fc${fc + 1}`);
  b.output(y, 'float32', ['N', arch.classes]);
  return b.build();
}

function buildResnet(b: GraphBuilder, spec: string, arch: ArchSpec, itemShape: number[], rng: () => number): Model {
  const [C0, H0, W0] = itemShape.length === 3 ? itemShape as [number, number, number] : [1, itemShape[0] ?? 1, itemShape[1] ?? 1];
  if (arch.input && arch.input.join('x') !== [C0, H0, W0].join('x')) {
    throw new ModelError(`'${spec}' takes ${arch.input.join('×')} items but the data's are ${[C0, H0, W0].join('×')}`);
  }
  const { depth, width } = arch.resnet!;
  const n = (depth - 2) / 6;
  let convs = 0;
  const convBn = (x: string, cin: number, cout: number, k: number, stride: number, relu: boolean): string => {
    const name = `conv${++convs}`;
    const w = b.initializer(`${name}.weight`, tensor('float32', [cout, cin, k, k], heUniform(rng, cin * k * k, cout * cin * k * k)));
    const pad = (k - 1) >> 1;
    let y = b.node('Conv', [x, w], { kernel_shape: ints([k, k]), pads: ints([pad, pad, pad, pad]), strides: ints([stride, stride]) }, { name });
    const bn = (what: string, v: number) => b.initializer(`${name}.bn.${what}`, tensor('float32', [cout], new Float32Array(cout).fill(v)));
    y = b.node('BatchNormalization', [y, bn('weight', 1), bn('bias', 0), bn('running_mean', 0), bn('running_var', 1)], {}, { name: `${name}.bn` });
    return relu ? b.node('Relu', [y], {}, { name: `${name}.relu` }) : y;
  };
  let x = convBn(b.input('input', 'float32', ['N', C0, H0, W0]), C0, width, 3, 1, true);
  let c = width;
  for (let stage = 0; stage < 3; stage++) {
    const cout = width << stage;
    for (let i = 0; i < n; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const y = convBn(convBn(x, c, cout, 3, stride, true), cout, cout, 3, 1, false);
      const shortcut = stride !== 1 || c !== cout ? convBn(x, c, cout, 1, stride, false) : x;
      x = b.node('Relu', [b.node('Add', [y, shortcut], {}, { name: `block${stage + 1}.${i + 1}.add` })], {}, { name: `block${stage + 1}.${i + 1}.relu` });
      c = cout;
    }
  }
  x = b.node('Flatten', [b.node('GlobalAveragePool', [x], {}, { name: 'pool' })], { axis: int(1) }, { name: 'flatten' });
  const w = b.initializer('fc.weight', tensor('float32', [arch.classes, c], heUniform(rng, c, arch.classes * c)));
  const bias = b.initializer('fc.bias', tensor('float32', [arch.classes], new Float32Array(arch.classes)));
  b.output(b.node('Gemm', [x, w, bias], { transB: int(1) }, { name: 'fc' }), 'float32', ['N', arch.classes]);
  return b.build();
}
