/**
 * Loading a file through the runtime the page and the CLI share (Dawn): constants an exporter stored
 * once behind Identity nodes are given to each layer (int8 then takes every layer), without the
 * float16 notice that only a float16 file earns.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { nodeGpu } from '../cli/dawn';
import { StudioRuntime } from './runtime';
import { GraphBuilder, tensor } from '../model/builder';
import { exportOnnx } from '../model/onnx-export';
import { MNIST_PREPROCESS, readMnistFile } from '../data/mnist-testing';

/** Two 1×1 convs on [N,2,4,4] whose zero biases are one initializer, the second read through an Identity (torch.onnx ≥ 1.12). */
function sharedBias(): Uint8Array {
  const b = new GraphBuilder('shared', 13);
  const x = b.input('x', 'float32', ['N', 2, 4, 4]);
  const bias = b.initializer('bias1', tensor('float32', [2], [0, 0]));
  const h = b.node('Conv', [x, b.initializer('w1', tensor('float32', [2, 2, 1, 1], [1, 0.5, -0.5, 1])), bias], {}, { name: 'conv1' });
  const bias2 = b.node('Identity', [bias], {}, { name: 'dedup', outputs: ['bias2'] });
  b.output(b.node('Conv', [h, b.initializer('w2', tensor('float32', [2, 2, 1, 1], [0.3, 1, 1, -0.2])), bias2], {}, { name: 'conv2' }), 'float32', ['N', 2, 4, 4]);
  return exportOnnx(b.build());
}

async function load(bytes: Uint8Array, name: string) {
  const rt = new StudioRuntime(await nodeGpu());
  const notices: string[] = [];
  rt.events = { ...rt.events, notice: (_level, title) => notices.push(title) };
  const root = await rt.loadModel(bytes, name);
  return { rt, root, notices };
}

describe('loading a model', () => {
  it('gives each layer its own copy of a shared constant: no float16 notice, and dynamic int8 quantizes both convs', async () => {
    const { rt, root, notices } = await load(sharedBias(), 'shared.onnx');
    expect(notices).not.toContain('A float16 model');
    const model = await rt.variants.model(root.id);
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'Conv']);
    const { record } = await rt.runStep({ kind: 'int8', activations: 'dynamic' }, root.id, { preprocess: { kind: 'raw' } as never });
    expect(record.details.skipped).toEqual([]);
    expect((record.details.quantized as unknown[]).length).toBe(2);
  }, 120_000);

  it('says so for a float16 file', async () => {
    const { notices } = await load(new Uint8Array(readFileSync('fixtures/cifar10-teacher-fp16.onnx')), 'fp16.onnx');
    expect(notices).toContain('A float16 model');
  }, 120_000);

  it('makes and keeps a variant that the loaded data does not fit, and says its accuracy was not measured', async () => {
    // A [N,2,4,4] model beside MNIST's 28×28 images, as a 224×224 model beside the bundled set.
    const { rt, root, notices } = await load(sharedBias(), 'shared.onnx');
    // Loaded as the page holds its bundled set when a model is dropped: no fit check at load.
    await rt.datasets.loadIdx('test', readMnistFile('t10k-images-idx3-ubyte'), readMnistFile('t10k-labels-idx1-ubyte'), 'mnist', undefined, undefined, { checkFit: false });
    const evaluate = { kind: 'evaluate' as const, samples: 8, batch: 8, runs: 1, latency: false, latencyBudgetMs: 1000 };
    const { record, measured } = await rt.runStep({ kind: 'int8', activations: 'dynamic' }, root.id, { preprocess: MNIST_PREPROCESS, evaluate });
    expect(measured).toEqual([]);
    expect(rt.variants.record(record.id).technique).toBe('int8');
    expect(notices).toContain('Made, not evaluated');
  }, 120_000);
});
