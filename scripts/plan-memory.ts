/**
 * Activation memory of a model's plan at given batch sizes: the bytes its buffers hold (shared by
 * lifetime, engine/plan.ts) beside what one buffer per value would hold. Plans only; runs nothing.
 *   npm run plan-memory -- MODEL.onnx... [--batches 1,8]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { nodeGpu } from '../src/cli/dawn';
import { createGpuContext } from '../src/gpu/adapter';
import { importOnnx } from '../src/model/onnx-import';
import { chooseBatching } from '../src/engine/rebatch-probe';
import { InferenceSession } from '../src/engine/session';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { batches: { type: 'string', default: '1,8' } } });
const batches = values.batches.split(',').map(Number);
const ctx = await createGpuContext(await nodeGpu());
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
console.log(`model                 batch   held MiB   one buffer per value MiB   ratio`);
for (const path of positionals) {
  const { model } = await chooseBatching(ctx, importOnnx(readFileSync(path), basename(path)));
  const session = new InferenceSession(ctx, model);
  for (const b of batches) {
    const { heldBytes, unsharedBytes } = session.plan({ [session.input.name]: session.inputShapeFor(b) }).memory;
    console.log(`${basename(path).padEnd(22)}${String(b).padStart(5)}${mib(heldBytes).padStart(11)}${mib(unsharedBytes).padStart(27)}${(unsharedBytes / heldBytes).toFixed(1).padStart(8)}×`);
  }
  session.destroy();
}
process.exit(0);
