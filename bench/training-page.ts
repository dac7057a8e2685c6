/**
 * The browser side of `npm run bench -- --only training`: training steps per second on one fixed
 * batch, the studio's TrainingPlan vs TensorFlow.js and jax-js, all on WebGPU in this page,
 * interleaved per cycle (BENCHMARKS.md). A contender that fails records its error and drops out;
 * the others go on.
 */
import * as tf from '@tensorflow/tfjs';
import { initialWeights, makeBatch, JaxTrain, OursTrain, TfTrain, type TrainContender } from './training-contenders';
import { stats, timed } from './stats';
import { SLOW_ON_SWIFTSHADER, trainCases, type TrainBenchConfig, type TrainCase, type TrainPageResult, type TrainRecord } from './training-types';
import { log, errText, openBenchContext } from './page-common';

async function runTrainingBench(cfg: TrainBenchConfig): Promise<TrainPageResult> {
  const started = performance.now();
  const { ctx, tag, adapter } = await openBenchContext();
  const sw = tag === 'swiftshader';
  const stepsFor = (c: TrainCase) => cfg.steps ?? (!sw ? 20 : c.arch === 'convnet' ? 1 : 3);
  const warmup = cfg.warmup ?? (sw ? 1 : 5);
  const all = trainCases();
  const cases = all.filter((c) => (cfg.cases ? cfg.cases.includes(c.id) : !(sw && SLOW_ON_SWIFTSHADER.includes(c.id))));
  const skipped = cfg.cases ? [] : all.filter((c) => !cases.includes(c)).map((c) => c.id);
  const contenders: TrainContender[] = [new OursTrain(ctx), new TfTrain(), new JaxTrain()];
  const records: TrainRecord[] = [];

  for (const c of cases) {
    const batch = makeBatch(c.batch, 4321 + c.batch);
    const weights = initialWeights(c.arch, 77);
    const steps = stepsFor(c);
    const recs = new Map<TrainContender, TrainRecord>();
    for (const k of contenders) {
      const r: TrainRecord = {
        case: c.id, arch: c.arch, batch: c.batch, contender: k.name, tag, setupMs: null, firstStepMs: null, stepMs: null,
        stepsPerSecond: null, lossFirst: null, lossLast: null, inferMs: null, gpuBytes: null, memoryNote: '', backend: '', params: null, steps, error: null,
      };
      recs.set(k, r);
      records.push(r);
      try {
        [r.params, r.setupMs] = await timed(() => k.setup(c, batch, weights, cfg.learningRate));
        r.backend = k.backend();
        [r.lossFirst, r.firstStepMs] = await timed(() => k.firstStep());
        if (!Number.isFinite(r.lossFirst)) throw new Error(`the first step's loss is ${r.lossFirst}`);
        for (let w = 0; w < warmup; w++) { k.step(); await k.sync(); }
        const m = k.memory();
        r.gpuBytes = m.bytes; r.memoryNote = m.note;
        log(`${c.id} ${k.name}: setup ${r.setupMs.toFixed(0)} ms, first step ${r.firstStepMs.toFixed(0)} ms, loss ${r.lossFirst.toFixed(4)}; ${r.backend}`);
      } catch (e) {
        r.error = errText(e);
        log(`${c.id} ${k.name} FAILED at setup / first step: ${r.error}`);
      }
    }

    // Interleaved cycles: each contender runs `steps` steps and waits for the last; then, on
    // batch-64 cases, one forward pass each.
    const live = () => contenders.filter((k) => !recs.get(k)!.error);
    const samples = new Map<TrainContender, number[]>(contenders.map((k) => [k, []]));
    const infer = new Map<TrainContender, number[]>(contenders.map((k) => [k, []]));
    const doInfer = cfg.inference && c.batch === 64;
    if (doInfer) {
      for (const k of live()) {
        try { await k.infer(batch.x); } catch (e) { log(`${c.id} ${k.name} inference failed: ${errText(e)}`); infer.delete(k); }
      }
    }
    for (let cyc = 0; cyc < cfg.cycles; cyc++) {
      for (const k of live()) {
        const r = recs.get(k)!;
        try {
          const t0 = performance.now();
          for (let s = 0; s < steps; s++) k.step();
          r.lossLast = await k.sync();
          samples.get(k)!.push((performance.now() - t0) / steps);
          if (!Number.isFinite(r.lossLast)) throw new Error(`the loss became ${r.lossLast}`);
        } catch (e) {
          r.error = errText(e);
          log(`${c.id} ${k.name} FAILED in cycle ${cyc + 1}: ${r.error}`);
        }
      }
      if (doInfer) {
        for (const k of live()) {
          if (!infer.has(k)) continue;
          const [, ms] = await timed(() => k.infer(batch.x));
          infer.get(k)!.push(ms);
        }
      }
      log(`${c.id} cycle ${cyc + 1}/${cfg.cycles}: ${live().map((k) => `${k.name} ${samples.get(k)!.at(-1)?.toFixed(1)} ms/step`).join(', ')}`);
    }
    for (const k of contenders) {
      const r = recs.get(k)!;
      if (!r.error) {
        r.stepMs = stats(samples.get(k)!);
        r.stepsPerSecond = r.stepMs ? 1000 / r.stepMs.medianMs : null;
        r.inferMs = doInfer && infer.has(k) ? stats(infer.get(k)!) : null;
      }
      try { await k.dispose(); } catch (e) { log(`${c.id} ${k.name} dispose failed: ${errText(e)}`); }
    }
  }
  ctx.destroy();
  const versions = { '@tensorflow/tfjs': tf.version.tfjs, '@tensorflow/tfjs-core': tf.version['tfjs-core'] };
  return { tag, adapter, versions, cycles: cfg.cycles, warmup, skipped, learningRate: cfg.learningRate, cases, records, pageMs: performance.now() - started };
}

declare global { interface Window { runTrainingBench?: typeof runTrainingBench } }
window.runTrainingBench = runTrainingBench;
