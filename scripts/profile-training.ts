/**
 * `npx vite-node scripts/profile-training.ts -- [spec] [batch] [repeats]`: where a training step
 * spends its time. Builds the studio's TrainingPlan for a built-in student (default: jax-js's
 * `convnet` at batch 64), runs one warm step, then times each dispatch alone (repeated in one
 * pass, waited for) on Dawn and prints them by share of the step. A developer's tool for choosing
 * which kernel to speed up; the figures that compare with other libraries come from `npm run bench`.
 */
import { nodeGpu } from '../src/cli/dawn';
import { createGpuContext } from '../src/gpu/adapter';
import { buildArch } from '../src/train/architectures';
import { findParameters, ParamStore } from '../src/train/params';
import { TrainingPlan, trainableGraph } from '../src/train/training-plan';
import { randomFloats } from '../src/core/rng';
import type { Dispatch } from '../src/gpu/context';

const args = process.argv.slice(2).filter((a) => a !== '--');
const spec = args[0] ?? 'convnet';
const batch = Number(args[1] ?? 64);
const repeats = Number(args[2] ?? 3);

const ctx = await createGpuContext(await nodeGpu());
const model = buildArch(spec, [28, 28], 1);
const params = new ParamStore(ctx, model, findParameters(model), 2);
const plan = new TrainingPlan(ctx, trainableGraph(model, params), params, {
  batch, inputShape: [batch, ...model.graph.inputs[0]!.shape.slice(1).map(Number)], loss: { temperature: 1, alpha: 0 }, withTeacher: false, optimizer: 'adamw',
});
ctx.device.queue.writeBuffer(plan.x.buffer, 0, new Float32Array(randomFloats(batch * 784, 1)));
ctx.device.queue.writeBuffer(plan.labels.buffer, 0, Float32Array.from({ length: batch }, (_, i) => i % 10));

const phases: [string, readonly Dispatch[]][] = [['forward', plan.forward], ['loss', plan.loss], ['backward', plan.backward], ['optimizer', plan.optimizer]];
const all = phases.flatMap(([, d]) => d);
const run = async (ds: readonly Dispatch[], times: number) => {
  const enc = ctx.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  for (let t = 0; t < times; t++) for (const d of ds) { pass.setPipeline(d.pipeline); pass.setBindGroup(0, d.bindGroup); pass.dispatchWorkgroups(...d.workgroups); }
  pass.end();
  ctx.device.queue.submit([enc.finish()]);
  await ctx.device.queue.onSubmittedWorkDone();
};
await run(all, 1); // compiles and warms every pipeline
let t0 = performance.now();
await run(all, repeats);
const stepMs = (performance.now() - t0) / repeats;

const rows: { phase: string; label: string; workgroups: string; ms: number }[] = [];
for (const [phase, ds] of phases) {
  for (const d of ds) {
    t0 = performance.now();
    await run([d], repeats);
    rows.push({ phase, label: d.label, workgroups: d.workgroups.join('×'), ms: (performance.now() - t0) / repeats });
  }
}
const sum = rows.reduce((a, r) => a + r.ms, 0);
console.log(`${spec} at batch ${batch}: ${all.length} dispatches, a whole step ${stepMs.toFixed(1)} ms (${(1000 / stepMs).toFixed(2)} steps/s); dispatches alone sum to ${sum.toFixed(1)} ms`);
for (const [phase] of phases) {
  const p = rows.filter((r) => r.phase === phase).reduce((a, r) => a + r.ms, 0);
  console.log(`  ${phase.padEnd(9)} ${p.toFixed(1).padStart(8)} ms  ${(100 * p / sum).toFixed(1).padStart(5)} %`);
}
console.log('slowest dispatches:');
for (const r of [...rows].sort((a, b) => b.ms - a.ms).slice(0, 20)) {
  console.log(`  ${r.ms.toFixed(2).padStart(8)} ms  ${(100 * r.ms / sum).toFixed(1).padStart(5)} %  ${r.phase.padEnd(9)} ${r.label}  [${r.workgroups}]`);
}
ctx.destroy();
