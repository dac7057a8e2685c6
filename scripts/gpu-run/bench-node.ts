/**
 * The benches that need no browser, for a machine that has a GPU but no Chromium (the lent GPU
 * machine): the studio's engine on Dawn (npm `webgpu`) in Node. Whole models, float and compressed
 * (bench/compressed.ts: int8 dynamic, XNOR, filter-pruned 30 / 50 %), at each batch: load, first run,
 * end-to-end and GPU-timestamp medians, where the time goes per layer; then the kernel cases of
 * bench/kernel-types.ts with every form of each kernel (bench/kernels-page.ts KernelBench). Prints
 * Markdown tables and writes one JSON, tagged 'gpu' on a hardware adapter (named in it), into --out.
 *
 *   node bench-node.mjs --models a.onnx,b.onnx [--batches 1,8] [--runs 10] [--out DIR] [--no-kernels]
 * From the repository: npm run bench:node -- --models fixtures/real-size/mobilenet_v2.dyn.onnx
 * Packed for the GPU machine with everything it needs: npm run gpu-run:pack (scripts/gpu-run/pack.mjs).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { nodeGpu, configureVulkan } from '../../src/cli/dawn';
import { createGpuContext } from '../../src/gpu/adapter';
import type { GpuContext } from '../../src/gpu/context';
import { importOnnx } from '../../src/model/onnx-import';
import { unshareConstants } from '../../src/model/graph';
import { chooseBatching } from '../../src/engine/rebatch-probe';
import { InferenceSession } from '../../src/engine/session';
import { measureLatency, profileLayers } from '../../src/engine/latency';
import { timeByOpType, type LayerProfile } from '../../src/core/latency';
import { costOf } from '../../src/compress/prune';
import type { Model } from '../../src/model/ir';
import { compressedVariants } from '../../bench/compressed';
import { runKernelCases } from '../../bench/kernels-page';
import type { KernelPageResult } from '../../bench/kernel-types';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '' },
    batches: { type: 'string', default: '1,8' },
    runs: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    out: { type: 'string', default: '.' },
    'no-kernels': { type: 'boolean', default: false },
    'kernel-cases': { type: 'string' },
  },
});
const models = values.models.split(',').filter(Boolean);
const batches = values.batches.split(',').map(Number);
const runs = Number(values.runs), warmup = Number(values.warmup);
if (!batches.every((b) => Number.isInteger(b) && b >= 1)) throw new Error(`--batches takes whole numbers ≥ 1, got '${values.batches}'`);
if (!(runs >= 1)) throw new Error(`--runs must be ≥ 1, got '${values.runs}'`);

/** One model (or variant) at one batch: how it loaded and ran. */
interface ModelRecord {
  model: string;
  variant: string;
  batch: number;
  loadMs: number | null;
  firstRunMs: number | null;
  e2eMedianMs: number | null;
  gpuMedianMs: number | null;
  runs: number;
  flopsPerItem: number | null;
  layers: LayerProfile | null;
  error: string | null;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function benchModel(ctx: GpuContext, path: string): Promise<ModelRecord[]> {
  const name = basename(path);
  const file = unshareConstants(importOnnx(new Uint8Array(readFileSync(path)), name));
  const { model } = await chooseBatching(ctx, file);
  const variants: { variant: string; model: Model | null; error: string | null; flops: number | null }[] = [
    { variant: 'float', model, error: null, flops: costOf(model).flops },
    ...compressedVariants(model).map((v) => ({ variant: v.name.replace(/^ours-/, ''), model: v.model, error: v.error, flops: v.flops })),
  ];
  const out: ModelRecord[] = [];
  for (const v of variants) {
    const base = { model: name, variant: v.variant, loadMs: null, firstRunMs: null, e2eMedianMs: null, gpuMedianMs: null, runs: 0, flopsPerItem: v.flops, layers: null };
    if (!v.model) { for (const batch of batches) out.push({ ...base, batch, error: v.error }); continue; }
    let session: InferenceSession | null = null;
    const t = performance.now();
    try { session = new InferenceSession(ctx, v.model); } catch (e) { for (const batch of batches) out.push({ ...base, batch, error: errText(e) }); continue; }
    const loadMs = performance.now() - t;
    for (const batch of batches) {
      try {
        const l = await measureLatency(session, batch, { runs, warmup });
        const layers = await profileLayers(session, batch, { warm: true });
        out.push({ ...base, batch, loadMs, firstRunMs: l.firstRunMs ?? null, e2eMedianMs: l.medianMs, gpuMedianMs: l.gpuMedianMs, runs: l.runs, layers, error: null });
        console.log(`${name} ${v.variant} b${batch}: e2e ${l.medianMs.toFixed(2)} ms, GPU ${l.gpuMedianMs?.toFixed(2) ?? '—'} ms, first run ${l.firstRunMs?.toFixed(0)} ms`);
      } catch (e) {
        out.push({ ...base, batch, loadMs, error: errText(e) });
        console.log(`${name} ${v.variant} b${batch}: failed: ${errText(e)}`);
      }
    }
    session.destroy();
  }
  return out;
}

/** Each variant against its float model at the same batch: speedups (GPU time where there is one), FLOP reduction, top op types. */
function modelTable(records: ModelRecord[]): string {
  const rows = [
    '| model | batch | variant | e2e ms | GPU ms | speedup vs float (GPU) | FLOP reduction | speedup ÷ FLOP reduction | first run ms | time by op (top 3) |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of records) {
    const f = records.find((x) => x.model === r.model && x.batch === r.batch && x.variant === 'float');
    const t = (x: ModelRecord | undefined) => x?.gpuMedianMs ?? x?.e2eMedianMs ?? null;
    const up = r.variant !== 'float' && t(f) && t(r) ? t(f)! / t(r)! : null;
    const fewer = r.variant.startsWith('filter') && f?.flopsPerItem && r.flopsPerItem ? f.flopsPerItem / r.flopsPerItem : null;
    const ops = r.layers ? timeByOpType(r.layers).slice(0, 3).map((o) => `${o.opType} ${((100 * o.ms) / r.layers!.totalMs).toFixed(0)} %`).join(', ') : '';
    const fmt = (v: number | null, d = 2) => (v === null ? '—' : v.toFixed(d));
    rows.push(r.error ? `| ${r.model} | ${r.batch} | ${r.variant} | failed: ${r.error} | | | | | | |`
      : `| ${r.model} | ${r.batch} | ${r.variant} | ${fmt(r.e2eMedianMs)} | ${fmt(r.gpuMedianMs)} | ${up ? `${up.toFixed(2)}×` : '—'} | ${fewer ? `${fewer.toFixed(2)}×` : '—'} | ${up && fewer ? (up / fewer).toFixed(2) : '—'} | ${fmt(r.firstRunMs, 0)} | ${ops} |`);
  }
  return rows.join('\n');
}

const started = Date.now();
const driver = configureVulkan();
const ctx = await createGpuContext(await nodeGpu());
const i = ctx.info;
const tag = i.isFallback ? 'swiftshader' : 'gpu';
const adapter = { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallback, features: i.features, limits: { ...i.limits }, driver, userAgent: `Node ${process.version}, Dawn (npm webgpu)`, ortAdapter: null };
console.log(`Adapter: '${i.vendor}' / '${i.architecture}' / '${i.device}' / '${i.description}' (${i.isFallback ? 'software' : 'hardware'}; tag '${tag}'); ${driver}`);
console.log(`Features: ${i.features.join(', ')}`);

const records: ModelRecord[] = [];
for (const m of models) {
  try { records.push(...await benchModel(ctx, m)); } catch (e) { console.log(`${m}: failed: ${errText(e)}`); records.push({ model: basename(m), variant: 'float', batch: 0, loadMs: null, firstRunMs: null, e2eMedianMs: null, gpuMedianMs: null, runs: 0, flopsPerItem: null, layers: null, error: errText(e) }); }
}
if (records.length) console.log(`\nWhole models, tag '${tag}' (median of ${runs} runs after ${warmup} warm-up; speedups from GPU timestamps where the adapter has them):\n\n${modelTable(records)}`);

let kernels: KernelPageResult | null = null;
if (!values['no-kernels']) {
  kernels = await runKernelCases(ctx, { runs: null, warmup: 1, large: false, cases: values['kernel-cases']?.split(',') ?? null }, tag, adapter);
  const byCase = new Map<string, Record<string, number | null>>();
  for (const r of kernels.records) (byCase.get(r.case) ?? byCase.set(r.case, {}).get(r.case)!)[r.contender] = r.gpu?.medianMs ?? r.e2e?.medianMs ?? null;
  const names = [...new Set(kernels.records.map((r) => r.contender))];
  console.log(`\nKernels, GPU ms (median), tag '${tag}'; each form beside f32:\n\n| case | ${names.join(' | ')} |\n|---|${names.map(() => '---:').join('|')}|`);
  for (const [c, v] of byCase) console.log(`| ${c} | ${names.map((n) => (v[n] == null ? '—' : `${v[n]!.toFixed(3)}${n !== 'f32' && v.f32 ? ` (${(v.f32 / v[n]!).toFixed(2)}×)` : ''}`)).join(' | ')} |`);
  const bad = kernels.records.filter((r) => r.validation && !r.validation.ok);
  if (bad.length) console.log(`\nOUTSIDE TOLERANCE: ${bad.map((r) => `${r.case}/${r.contender} ${r.validation!.maxAbsDiff}`).join(', ')}`);
}

mkdirSync(values.out, { recursive: true });
const file = join(values.out, `node-bench-${tag}-${new Date().toISOString().slice(0, 10)}.json`);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), tag, adapter, config: { models, batches, runs, warmup }, wallSeconds: (Date.now() - started) / 1000, models: records, kernels }, null, 1));
console.log(`\nJSON: ${file} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
ctx.destroy();
process.exit(0);
