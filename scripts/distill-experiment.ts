/**
 * `npm run experiment:distill -- [--teacher f.onnx] [--student spec] [--seeds 1,2,3] [--epochs E]
 * [--train-samples N] [--temperature T] [--alpha A] [--lr L] [--modes distilled,hard] [--out f.json]`: Hinton's effect, measured. The same
 * student, epochs, data and seeds trained twice, with the teacher's soft targets and with hard labels
 * alone; test errors on the 10k MNIST test set per seed, their mean and spread, and the ratio. Writes
 * test-results/distill-experiment.json (or --out). The teacher defaults to the studio's own CNN. A long job on a software adapter: minutes per run.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { nodeGpu } from '../src/cli/dawn';
import { createGpuContext } from '../src/gpu/adapter';
import { importOnnx } from '../src/model/onnx-import';
import { mnistSet } from '../src/data/mnist-testing';
import { resolveStudent } from '../src/train/students';
import { DEFAULT_TRAIN_CONFIG, trainModel, type TrainConfig } from '../src/train/trainer';
import { parseSchedule } from '../src/train/schedule';

const args = process.argv.slice(2).filter((a) => a !== '--');
const opt = (name: string, dflt: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1]! : dflt; };
const teacherPath = opt('teacher', 'fixtures/cnn-studio-mnist.onnx');
const modes = opt('modes', 'distilled,hard').split(',') as ('distilled' | 'hard')[];
const outFile = opt('out', 'test-results/distill-experiment.json');
const spec = opt('student', 'mlp:784-32-10');
const seeds = opt('seeds', '1,2,3').split(',').map(Number);
const cfg: TrainConfig = {
  ...DEFAULT_TRAIN_CONFIG,
  epochs: Number(opt('epochs', '8')), batch: 64, lr: Number(opt('lr', '2e-3')), optimizer: 'adamw',
  schedule: parseSchedule(opt('schedule', 'cosine')), trainSamples: Number(opt('train-samples', '10000')),
  loss: { temperature: Number(opt('temperature', '4')), alpha: Number(opt('alpha', '0.9')) }, reportEvery: 50,
};

const ctx = await createGpuContext(await nodeGpu());
const train = mnistSet('train'), test = mnistSet('t10k');
const teacher = importOnnx(new Uint8Array(readFileSync(teacherPath)));
const rows: { seed: number; mode: 'distilled' | 'hard'; errors: number; seconds: number }[] = [];
for (const seed of seeds) {
  for (const mode of modes) {
    const t0 = performance.now();
    // The same student (a spec, or width:… of the teacher) from the same seed, for both modes.
    const student = resolveStudent(spec, { itemShape: [28, 28], seed, teacher }).model;
    const r = await trainModel(ctx, student, train, test, { ...cfg, seed }, mode === 'distilled' ? teacher : null);
    if (r.outcome !== 'finished') throw new Error(`${mode} seed ${seed}: ${r.message}`);
    const errors = Math.round((1 - r.epochs.at(-1)!.testAccuracy) * test.count);
    rows.push({ seed, mode, errors, seconds: (performance.now() - t0) / 1000 });
    console.log(`seed ${seed} ${mode.padEnd(9)} ${errors} test errors (${(100 - errors / 100).toFixed(2)} %), ${rows.at(-1)!.seconds.toFixed(0)} s`);
  }
}
const stats = (mode: string) => {
  const e = rows.filter((r) => r.mode === mode).map((r) => r.errors);
  const mean = e.reduce((a, b) => a + b, 0) / e.length;
  const sd = Math.sqrt(e.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, e.length - 1));
  return { mean, sd, errors: e };
};
const d = stats('distilled'), h = stats('hard');
const summary = {
  teacher: teacherPath, student: spec, seeds, config: cfg, distilled: d, hard: h,
  fewerErrors: 1 - d.mean / h.mean, rows,
};
mkdirSync('test-results', { recursive: true });
writeFileSync(outFile, `${JSON.stringify(summary, null, 2)}\n`);
console.log(`${spec} from ${teacherPath}, ${cfg.epochs} epochs on ${cfg.trainSamples} items, T ${cfg.loss.temperature}, alpha ${cfg.loss.alpha}: ` +
  `distilled ${d.mean.toFixed(1)} ± ${d.sd.toFixed(1)} errors, hard labels ${h.mean.toFixed(1)} ± ${h.sd.toFixed(1)}: ` +
  `${(100 * summary.fewerErrors).toFixed(1)} % fewer errors with distillation`);
ctx.destroy();
